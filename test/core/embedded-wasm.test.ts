import { describe, expect, it } from 'vitest';
import { instantiateEmbeddedWasm } from '../../core/embedded-wasm.js';
import { COUNTS_SIMD_WASM } from '../../recordings/arrow/counts-simd-wasm.js';

describe('instantiateEmbeddedWasm', () => {
  it("gives an embedded kernel's exports, and null for bytes that are no module (the JavaScript loop then works alone)", () => {
    const kernel = instantiateEmbeddedWasm<{ decode16: unknown; memory: unknown }>(COUNTS_SIMD_WASM);
    expect(typeof kernel?.decode16).toBe('function');
    expect(kernel?.memory).toBeInstanceOf(WebAssembly.Memory);
    expect(instantiateEmbeddedWasm(Buffer.from('not a module').toString('base64'))).toBeNull();
  });
});
