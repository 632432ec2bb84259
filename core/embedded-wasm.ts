/**
 * instantiateEmbeddedWasm — instantiates a WebAssembly module embedded as base64 (the
 * scripts/build-*-wasm.mjs outputs) and returns its exports, or null where it cannot run here
 * (no WebAssembly SIMD, say): the kernel's JavaScript loop then does the work.
 */
export function instantiateEmbeddedWasm<Exports>(base64: string): Exports | null {
  try {
    return new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(base64, 'base64'))).exports as unknown as Exports;
  } catch {
    return null;
  }
}
