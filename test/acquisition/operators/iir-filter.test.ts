import { TestScheduler } from 'rxjs/testing';
import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type SampleBlock, createMarker, createSampleBlock } from '../../../core/index.js';
import { designButterworth } from '../../../acquisition/filters/butterworth.js';
import { createSosState, sosFilter } from '../../../acquisition/filters/sos-filter.js';
import { iirFilter } from '../../../acquisition/operators/iir-filter.js';
import { testStreamInfo } from '../../helpers/stream-info.js';

const info = testStreamInfo({ channelNames: ['a', 'b'], sampleRateHz: 250 });
const signal = (n: number) => Float32Array.from({ length: 2 * n }, (_, i) => Math.sin(i * 0.3) * 10 + (i % 7));
/** Blocks of `sizes` cut from a 2-channel signal. */
function blocks(x: Float32Array, sizes: number[]): SampleBlock[] {
  const n = x.length / 2;
  const out: SampleBlock[] = [];
  let at = 0;
  for (const len of sizes) {
    const data = new Float32Array(2 * len);
    data.set(x.subarray(at, at + len), 0);
    data.set(x.subarray(n + at, n + at + len), len);
    out.push(createSampleBlock({ info, first: at, length: len, data, hostTime: at, ...(at === 10 ? { markers: [createMarker(12, 'cue', 'left')] } : {}) }));
    at += len;
  }
  return out;
}
const design = (fs: number) => designButterworth({ type: 'bandpass', order: 2, cutoffHz: [1, 40], sampleRateHz: fs });

describe('iirFilter', () => {
  it('filters each block with state carried across blocks (marbles)', () => {
    const x = signal(30);
    const [a, b, c] = blocks(x, [10, 10, 10]) as [SampleBlock, SampleBlock, SampleBlock];
    const expected = new Float32Array(60);
    sosFilter(design(250), createSosState(design(250), 2), x, expected, 2, 30);
    new TestScheduler((actual, want) => expect(actual).toEqual(want)).run(({ cold, expectObservable }) => {
      const out = cold('a-b--c|', { a, b, c }).pipe(iirFilter(design));
      const slice = (k: number) => {
        const d = new Float32Array(20);
        d.set(expected.subarray(10 * k, 10 * k + 10), 0);
        d.set(expected.subarray(30 + 10 * k, 30 + 10 * k + 10), 10);
        return d;
      };
      expectObservable(out).toBe('a-b--c|', {
        a: { ...a, data: slice(0) },
        b: { ...b, data: slice(1) },
        c: { ...c, data: slice(2) },
      });
    });
  });

  it('designs from the stream’s sample rate, keeps index, gap, markers and arrival time, and never touches its input', async () => {
    const x = signal(30);
    const [head, tail] = blocks(x, [10, 20]) as [SampleBlock, SampleBlock];
    // 5 samples lost between the blocks: the second block starts at 15 and says so.
    const input = [head, createSampleBlock({ ...tail, first: 15, gap: { missing: 5 }, hostTime: 77, markers: [createMarker(17, 'cue', 'left')] })];
    const copies = input.map((b) => Float32Array.from(b.data));
    let rateSeen = 0;
    const out = await firstValueFrom(
      from(input).pipe(
        iirFilter((fs) => {
          rateSeen = fs;
          return design(fs);
        }),
        toArray(),
      ),
    );
    expect(rateSeen).toBe(250);
    expect(out.map((b) => [b.first, b.length, b.gap, b.hostTime])).toEqual([
      [0, 10, undefined, 0],
      [15, 20, { missing: 5 }, 77],
    ]);
    expect(out[0]!.markers).toBeUndefined();
    expect(out[1]!.markers).toEqual([createMarker(17, 'cue', 'left')]);
    input.forEach((b, i) => expect(b.data).toEqual(copies[i]));
    expect(out[0]!.data).not.toBe(input[0]!.data);
  });

  it('keeps state per subscription: two subscribers get identical output', async () => {
    const source = from(blocks(signal(40), [7, 13, 20])).pipe(iirFilter(design));
    const [first, second] = await Promise.all([firstValueFrom(source.pipe(toArray())), firstValueFrom(source.pipe(toArray()))]);
    expect(second.map((b) => [...b.data])).toEqual(first.map((b) => [...b.data]));
  });

  it('reports a design error (e.g. cut-off above Nyquist for this stream) as the stream error', async () => {
    const bad = (fs: number) => designButterworth({ type: 'lowpass', order: 2, cutoffHz: 200, sampleRateHz: fs });
    await expect(firstValueFrom(from(blocks(signal(10), [10])).pipe(iirFilter(bad)))).rejects.toThrow(
      'cutoffHz: expected frequencies below the Nyquist frequency (125 Hz), got 200',
    );
  });
});
