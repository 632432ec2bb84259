import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidDataError, InvalidOptionError } from '../../../core/errors.js';
import { createSampleBlock } from '../../../core/sample-block.js';
import { createStreamInfo } from '../../../core/stream-info.js';
import { MinMaxDecimator, minMaxColumns } from '../../../dashboard/kernels/min-max-decimator.js';
import { thrown } from '../../helpers/thrown.js';

/** Channel-major data for samples [first, first + length) of a `channels × total` signal. */
function slice(signal: Float32Array, total: number, channels: number, first: number, length: number): Float32Array {
  const out = new Float32Array(channels * length);
  for (let c = 0; c < channels; c++) out.set(signal.subarray(c * total + first, c * total + first + length), c * length);
  return out;
}

function windowOf(d: MinMaxDecimator): { min: Float32Array; max: Float32Array } {
  const min = new Float32Array(d.channels * d.columns);
  const max = new Float32Array(d.channels * d.columns);
  d.copyWindow(min, max);
  return { min, max };
}


describe('minMaxColumns (one shot)', () => {
  it('gives exact min/max per column on a hand-made signal', () => {
    // ch0: 8 samples, ch1: 8 samples; 4 columns of 2 samples.
    const input = Float32Array.from([1, 5, -2, 3, 0, 0, 7, -1, 10, 11, 12, 13, 14, 15, 16, 17]);
    const min = new Float32Array(8);
    const max = new Float32Array(8);
    minMaxColumns(input, 8, 2, 4, min, max);
    expect(Array.from(min)).toEqual([1, -2, 0, -1, 10, 12, 14, 16]);
    expect(Array.from(max)).toEqual([5, 3, 0, 7, 11, 13, 15, 17]);
  });

  it('splits uneven lengths by floor(n · columns / length)', () => {
    const input = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const min = new Float32Array(3);
    const max = new Float32Array(3);
    minMaxColumns(input, 10, 1, 3, min, max);
    expect(Array.from(min)).toEqual([0, 4, 7]);
    expect(Array.from(max)).toEqual([3, 6, 9]);
  });

  it('leaves columns without samples empty (NaN) and skips NaN samples', () => {
    const min = new Float32Array(4);
    const max = new Float32Array(4);
    minMaxColumns(Float32Array.from([3, NaN]), 2, 1, 4, min, max);
    expect(Array.from(min)).toEqual([3, NaN, NaN, NaN]);
    expect(Array.from(max)).toEqual([3, NaN, NaN, NaN]);
  });

  it('rejects short outputs', () => {
    const e = thrown(() => minMaxColumns(new Float32Array(8), 8, 1, 4, new Float32Array(3), new Float32Array(4)));
    expect(e).toBeInstanceOf(InvalidOptionError);
    expect((e as InvalidOptionError).option).toBe('minMaxColumns.outMin');
  });
});

describe('MinMaxDecimator', () => {
  it('equals the one-shot kernel when a whole window is fed', () => {
    const channels = 3;
    const length = 1000;
    const signal = new Float32Array(channels * length).map((_, i) => Math.fround(Math.sin(i * 0.37) * 100 + (i % 17)));
    const d = new MinMaxDecimator({ channels, sampleRateHz: 1000, windowSeconds: 1, columns: 7 });
    d.push(slice(signal, length, channels, 0, 333), 333, 0);
    d.push(slice(signal, length, channels, 333, 667), 667, 333);
    const min = new Float32Array(channels * 7);
    const max = new Float32Array(channels * 7);
    minMaxColumns(signal, length, channels, 7, min, max);
    const w = windowOf(d);
    expect(w.min).toEqual(min);
    expect(w.max).toEqual(max);
    expect(d.endColumn).toBe(7);
    expect(d.completeColumn).toBe(7);
  });

  it('gives the same window for any block segmentation, with gaps, and matches a naive reference', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 5, max: 60 }),
        // Now and then a NaN (skipped) or an infinity (a value like any other, never taken for "empty").
        fc.array(fc.oneof({ arbitrary: fc.integer({ min: -1000, max: 1000 }), weight: 20 }, { arbitrary: fc.constantFrom(NaN, Infinity, -Infinity), weight: 1 }), { minLength: 1, maxLength: 400 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        (channels, columns, windowSamples, raw, cuts, keep) => {
          const total = raw.length;
          const signal = new Float32Array(channels * total);
          for (let c = 0; c < channels; c++) for (let n = 0; n < total; n++) signal[c * total + n] = raw[n]! * (c + 1) + c;
          // Cut [0, total) into segments; dropped segments are gaps.
          const segments: Array<[number, number]> = [];
          let n = 0;
          let i = 0;
          while (n < total) {
            const len = Math.min(cuts[i % cuts.length]!, total - n);
            if (keep[i % keep.length]) segments.push([n, len]);
            n += len;
            i++;
          }
          const opts = { channels, sampleRateHz: 10, windowSeconds: windowSamples / 10, columns };
          const whole = new MinMaxDecimator(opts);
          const single = new MinMaxDecimator(opts);
          for (const [first, len] of segments) {
            whole.push(slice(signal, total, channels, first, len), len, first);
            for (let s = first; s < first + len; s++) single.push(slice(signal, total, channels, s, 1), 1, s);
          }
          const a = windowOf(whole);
          const b = windowOf(single);
          expect(a.min).toEqual(b.min);
          expect(a.max).toEqual(b.max);
          expect(whole.endColumn).toBe(single.endColumn);
          expect(whole.completeColumn).toBe(single.completeColumn);
          // Naive reference: every present sample into its column.
          const end = whole.endColumn;
          const refMin = new Float32Array(channels * columns).fill(NaN);
          const refMax = new Float32Array(channels * columns).fill(NaN);
          for (const [first, len] of segments) {
            for (let s = first; s < first + len; s++) {
              const j = whole.columnOf(s) - (end - columns);
              if (j < 0) continue;
              for (let c = 0; c < channels; c++) {
                const v = signal[c * total + s]!;
                if (Number.isNaN(v)) continue;
                const r = c * columns + j;
                if (!(v >= refMin[r]!)) refMin[r] = v;
                if (!(v <= refMax[r]!)) refMax[r] = v;
              }
            }
          }
          expect(a.min).toEqual(refMin);
          expect(a.max).toEqual(refMax);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('marks columns inside a gap empty and keeps partial columns real (no interpolation)', () => {
    // 100 Hz, 1 s window, 10 columns of 10 samples; value = sample index.
    const d = new MinMaxDecimator({ channels: 1, sampleRateHz: 100, windowSeconds: 1, columns: 10 });
    const ramp = (first: number, len: number): Float32Array => new Float32Array(len).map((_, i) => first + i);
    d.push(ramp(0, 15), 15, 0);
    d.push(ramp(18, 12), 12, 18); // gap 15..17: inside column 1
    d.push(ramp(60, 20), 20, 60); // gap 30..59: columns 3, 4, 5 empty
    const w = windowOf(d);
    expect(d.endColumn).toBe(8);
    expect(Array.from(w.min)).toEqual([NaN, NaN, 0, 10, 20, NaN, NaN, NaN, 60, 70]);
    expect(Array.from(w.max)).toEqual([NaN, NaN, 9, 19, 29, NaN, NaN, NaN, 69, 79]);
  });

  it('reads gaps from SampleBlocks', () => {
    const info = createStreamInfo({
      id: 's',
      device: { name: 'test', model: '', serial: '' },
      channelNames: ['a', 'b'],
      channelKinds: 'eeg',
      units: 'uV',
      sampleRateHz: 100,
      startTime: '2026-01-31T12:00:00.000Z',
    });
    const d = new MinMaxDecimator({ channels: 2, sampleRateHz: 100, windowSeconds: 0.5, columns: 5 });
    d.pushBlock(createSampleBlock({ info, first: 0, length: 10, data: new Float32Array(20).fill(1), hostTime: 0 }));
    d.pushBlock(createSampleBlock({ info, first: 30, length: 20, data: new Float32Array(40).fill(2), hostTime: 1, gap: { missing: 20 } }));
    const w = windowOf(d);
    expect(Array.from(w.min)).toEqual([1, NaN, NaN, 2, 2, 1, NaN, NaN, 2, 2]);
    const e = thrown(() => d.pushBlock(createSampleBlock({ info, first: 40, length: 1, data: new Float32Array(2), hostTime: 2 })));
    expect(e).toBeInstanceOf(InvalidDataError);
    expect((e as InvalidDataError).field).toBe('SampleBlock.first');
  });

  it('keeps the latest window after the ring wraps around', () => {
    const d = new MinMaxDecimator({ channels: 2, sampleRateHz: 100, windowSeconds: 1, columns: 10 });
    const total = 255;
    const signal = new Float32Array(2 * total).map((_, i) => (i < total ? i : -(i - total)));
    for (let first = 0; first < total; first += 7) {
      const len = Math.min(7, total - first);
      d.push(slice(signal, total, 2, first, len), len, first);
    }
    expect(d.endColumn).toBe(26);
    expect(d.completeColumn).toBe(25);
    expect(d.newestColumn).toBe(25);
    expect(d.newestColumnTime).toBeCloseTo(2.5, 12);
    const w = windowOf(d);
    const cols = Array.from({ length: 10 }, (_, j) => 16 + j);
    expect(Array.from(w.min.subarray(0, 10))).toEqual(cols.map((k) => k * 10));
    expect(Array.from(w.max.subarray(0, 10))).toEqual(cols.map((k) => (k === 25 ? 254 : k * 10 + 9)));
    expect(Array.from(w.min.subarray(10))).toEqual(cols.map((k) => (k === 25 ? -254 : -(k * 10 + 9))));
    expect(Array.from(w.max.subarray(10))).toEqual(cols.map((k) => -(k * 10)));
    // A gap longer than the window leaves only the new data.
    d.push(Float32Array.from([5, 6]), 1, 1000);
    const after = windowOf(d);
    expect(d.endColumn).toBe(101);
    expect(Array.from(after.min)).toEqual([...new Array(9).fill(NaN), 5, ...new Array(9).fill(NaN), 6]);
  });

  it('copies any columns inside the window (for delta frames) and rejects others', () => {
    const d = new MinMaxDecimator({ channels: 1, sampleRateHz: 100, windowSeconds: 1, columns: 10 });
    d.push(new Float32Array(120).map((_, i) => i), 120, 0);
    const min = new Float32Array(2);
    const max = new Float32Array(2);
    d.copyColumns(10, 2, min, max);
    expect(Array.from(min)).toEqual([100, 110]);
    expect(Array.from(max)).toEqual([109, 119]);
    const e = thrown(() => d.copyColumns(1, 2, min, max));
    expect(e).toBeInstanceOf(InvalidOptionError);
    expect((e as InvalidOptionError).option).toBe('MinMaxDecimator.copyColumns');
  });

  it('handles a fractional number of samples per column consistently', () => {
    const d = new MinMaxDecimator({ channels: 1, sampleRateHz: 30000, windowSeconds: 10, columns: 600 * 7 });
    for (let k = 0; k < 50; k++) {
      const s = d.columnStart(k + 1);
      expect(d.columnOf(s)).toBe(k + 1);
      expect(d.columnOf(s - 1)).toBe(k);
    }
  });
});

describe('MinMaxDecimator.reduceColumns', () => {
  it('equals a one-shot min/max over the samples each coarse column covers, for chosen channels', () => {
    const channels = 3;
    const rate = 1000;
    const d = new MinMaxDecimator({ channels, sampleRateHz: rate, windowSeconds: 1, columns: 100 }); // 10 samples a base column
    const total = 730;
    const data = new Float32Array(channels * total).map((_, i) => Math.sin(i * 0.731) * 100 + (i % 17));
    for (let at = 0, k = 0; at < total; k++) {
      const n = Math.min([13, 1, 57, 9][k % 4]!, total - at);
      const block = new Float32Array(channels * n);
      for (let c = 0; c < channels; c++) block.set(data.subarray(c * total + at, c * total + at + n), c * n);
      d.push(block, n, at);
      at += n;
    }
    // Coarse columns of 3 base columns (30 samples), channels 2 then 0, from base column 24 (sample 240).
    const factor = 3;
    const count = 17; // to base column 75: the last one is partial (samples 720 … 729 of 720 … 749)
    const outMin = new Float32Array(2 * count);
    const outMax = new Float32Array(2 * count);
    d.reduceColumns(24, count, factor, [2, 0], outMin, outMax);
    [2, 0].forEach((c, i) => {
      for (let j = 0; j < count; j++) {
        const from = 240 + j * 30;
        const to = Math.min(total, from + 30);
        const slice = data.subarray(c * total + from, c * total + to);
        expect(outMin[i * count + j], `ch ${c} col ${j}`).toBe(Math.min(...slice));
        expect(outMax[i * count + j], `ch ${c} col ${j}`).toBe(Math.max(...slice));
      }
    });
    // Columns beyond what has arrived, or older than the window, are empty.
    const tail = new Float32Array(2);
    const tailMax = new Float32Array(2);
    d.reduceColumns(80, 2, 1, [1], tail, tailMax);
    expect(Array.from(tail)).toEqual([NaN, NaN]);
    d.reduceColumns(0, 2, 10, [1], tail, tailMax);
    expect(Number.isNaN(tail[0]!)).toBe(false); // window is [-27, 73): base columns 0 … 9 are kept
    expect(thrown(() => d.reduceColumns(0, 1, 1, [3], tail, tailMax))).toBeInstanceOf(InvalidOptionError);
    expect(thrown(() => d.reduceColumns(0, 1, 0, [0], tail, tailMax))).toBeInstanceOf(InvalidOptionError);
  });
});
