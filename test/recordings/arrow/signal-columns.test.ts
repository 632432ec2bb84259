import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { COUNTS_SIMD_WASM } from '../../../recordings/arrow/counts-simd-wasm.js';
import { decodeCounts, decodeCountsScalar, encodeCounts, signalColumnTypes } from '../../../recordings/arrow/signal-columns.js';
import { microvoltsPerCount } from '../../../devices/protocols/cyton/cyton-constants.js';
import { testStreamInfo } from '../../helpers/stream-info.js';

/** Scales of the devices that record counts: Cyton EXG at gain 24 and 1, its accelerometer, Intan, a frame device. */
const SCALES = [microvoltsPerCount(24), microvoltsPerCount(1), 0.002 / 16, 0.195, Math.fround(0.25), Math.fround(0.0305)];

describe('signalColumnTypes', () => {
  it('stores exact counts as int16 up to 16 bits and int32 up to 32, everything else as float32', () => {
    const info = testStreamInfo({
      channelNames: ['a', 'b', 'c', 'd', 'e'],
      adcScale: [0.195, 0.02, 0, 0.5, 0.5],
      adcBits: [16, 24, 16, 0, 12],
      exactCounts: true,
    });
    expect(signalColumnTypes(info)).toEqual(['int16', 'int32', 'float32', 'float32', 'int16']);
    expect(signalColumnTypes(testStreamInfo({ channelNames: ['a'], adcScale: 0.195, adcBits: 16 }))).toEqual(['float32']);
  });
});

describe('encodeCounts / decodeCounts', () => {
  it('recovers every count of a float32 value fround(count × scale), over the whole 24-bit range and beyond', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SCALES), fc.array(fc.integer({ min: -(2 ** 23) * 24, max: 2 ** 23 * 24 }), { minLength: 1, maxLength: 64 }), (scale, counts) => {
        const values = Float32Array.from(counts, (k) => k * scale);
        const encoded = new Int32Array(values.length);
        expect(encodeCounts(values, values.length, scale, encoded)).toBe(-1);
        const decoded = new Float32Array(values.length);
        decodeCounts(encoded, values.length, scale, decoded);
        expect(decoded).toEqual(values); // the same float32 bits
      }),
      { numRuns: 300 },
    );
  });

  it('covers the extremes of int16 and 24-bit counts', () => {
    for (const scale of SCALES) {
      const counts = [-32768, -32767, -1, 0, 1, 32767, -(2 ** 23), 2 ** 23 - 1];
      const values = Float32Array.from(counts, (k) => k * scale);
      const encoded = new Int32Array(counts.length);
      expect(encodeCounts(values, counts.length, scale, encoded)).toBe(-1);
      const decoded = new Float32Array(counts.length);
      decodeCounts(encoded, counts.length, scale, decoded);
      expect(decoded).toEqual(values);
    }
  });

  it('finds the first value that is not a whole count, or does not fit, or is NaN; −0 is count 0', () => {
    const scale = 0.195;
    const cases: [number[], Int16Array | Int32Array, number][] = [
      [[0.195, 0.39, 0.4], new Int16Array(3), 2], // 0.4 µV is not a multiple of 0.195 µV
      [[0.195, 32768 * 0.195], new Int16Array(2), 1], // one count above int16
      [[32768 * 0.195], new Int32Array(1), -1], // fits int32
      [[NaN], new Int32Array(1), 0],
      [[0, -0, Infinity], new Int32Array(3), 2],
    ];
    for (const [values, dst, bad] of cases) expect(encodeCounts(Float32Array.from(values), values.length, scale, dst)).toBe(bad);
  });

  it('decodes long runs (the SIMD kernel) to the same float32 bits as the JavaScript loop, over every length and the extremes', () => {
    expect(WebAssembly.validate(Buffer.from(COUNTS_SIMD_WASM, 'base64'))).toBe(true);
    const expectSame = (counts: Int16Array | Int32Array, length: number, scale: number): void => {
      const want = new Float32Array(length);
      for (let i = 0; i < length; i++) want[i] = Math.fround(counts[i]! * scale);
      const got = new Float32Array(length).fill(NaN);
      decodeCounts(counts, length, scale, got);
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
      const scalar = new Float32Array(length);
      decodeCountsScalar(counts, length, scale, scalar);
      expect(Buffer.from(scalar.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...SCALES, 1e-7, 3.5e6),
        fc.boolean(),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (scale, wide, length, seed) => {
          // Counts over the whole type, the extremes among them; the run may be shorter than the array.
          let x = seed;
          const next = (): number => (x = (Math.imul(x, 1103515245) + 12345) | 0);
          const counts = wide ? new Int32Array(length + 3) : new Int16Array(length + 3);
          for (let i = 0; i < counts.length; i++) counts[i] = next();
          const lo = wide ? -(2 ** 31) : -32768;
          const hi = wide ? 2 ** 31 - 1 : 32767;
          if (length > 2) [counts[0], counts[length >> 1], counts[length - 1]] = [lo, hi, 0];
          expectSame(counts, length, scale);
        },
      ),
      { numRuns: 400 },
    );
    // Runs longer than the kernel's chunk (2^20 counts), and an unaligned view into a larger buffer.
    const long = new Int16Array((1 << 20) + 1001).map((_, i) => (i * 7919) % 65536);
    expectSame(long, long.length, 0.195);
    expectSame(new Int32Array(new Int32Array(5000).map((_, i) => i * 429_497 - 2 ** 31).buffer, 4, 4999), 4999, microvoltsPerCount(24));
  });
});
