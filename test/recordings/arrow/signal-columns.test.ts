import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCounts, encodeCounts, signalColumnTypes } from '../../../recordings/arrow/signal-columns.js';
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
});
