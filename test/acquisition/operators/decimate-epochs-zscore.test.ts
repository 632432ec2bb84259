import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type FeatureFrame, type SampleBlock, createFeatureFrame, createMarker, createSampleBlock } from '../../../core/index.js';
import { decimate } from '../../../acquisition/operators/decimate.js';
import { epochs } from '../../../acquisition/operators/epochs.js';
import { zScore } from '../../../acquisition/operators/z-score.js';
import { EegSimulator } from '../../../devices/simulators/eeg-simulator.js';
import { powerAt } from '../../helpers/spectrum.js';
import { concatBlocks, readAll } from '../../helpers/read-all.js';
import { testStreamInfo } from '../../helpers/stream-info.js';

const info = testStreamInfo({ id: 's' });
function cut(x: Float32Array, sizes: number[], marker?: number): SampleBlock[] {
  const out: SampleBlock[] = [];
  let at = 0;
  let k = 0;
  while (at < x.length) {
    const len = Math.min(sizes[k++ % sizes.length]!, x.length - at);
    const markers = marker !== undefined && marker >= at && marker < at + len ? [createMarker(marker, 'cue', 'left')] : undefined;
    out.push(createSampleBlock({ info, first: at, length: len, data: x.slice(at, at + len), hostTime: 0, ...(markers ? { markers } : {}) }));
    at += len;
  }
  return out;
}

describe('decimate', () => {
  const n = 20000;
  const x = Float32Array.from({ length: n }, (_, i) => 10 * Math.sin((2 * Math.PI * 10 * i) / 1000) + 10 * Math.sin((2 * Math.PI * 400 * i) / 1000));

  it('keeps every 4th sample of the clock after an anti-alias low-pass, as a new 250 Hz stream', async () => {
    const out = await firstValueFrom(from(cut(x, [100], 5003)).pipe(decimate(4), toArray()));
    expect(out[0]!.info.sampleRateHz).toBe(250);
    expect(out[0]!.info.id).toBe('s/4');
    expect(out.map((b) => b.first).slice(0, 3)).toEqual([0, 25, 50]);
    const y = concatBlocks(out, 1);
    expect(y).toHaveLength(n / 4);
    // 400 Hz would alias to 100 Hz at 250 Hz: it must be gone; 10 Hz must stay.
    expect(powerAt(y, 250, 100, 1024) / powerAt(y, 250, 10, 1024)).toBeLessThan(1e-4);
    expect(powerAt(y, 250, 10, 1024) / powerAt(x, 1000, 10, 4096)).toBeGreaterThan(0.01);
    expect(out.flatMap((b) => b.markers ?? [])).toEqual([createMarker(1251, 'cue', 'left')]);
  });

  it('keeps the same samples however the input is blocked', async () => {
    const a = concatBlocks(await firstValueFrom(from(cut(x, [100])).pipe(decimate(4), toArray())), 1);
    const b = concatBlocks(await firstValueFrom(from(cut(x, [7, 333, 1, 50])).pipe(decimate(4), toArray())), 1);
    expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
  });
});

describe('epochs', () => {
  it('cuts the samples around each matching cue, whatever the block sizes', async () => {
    const fs = 250;
    const total = 120 * fs;
    const sim = () => new EegSimulator({ seed: 5 });
    const truth = readAll(sim(), total);
    const cues = truth.markers.filter((m) => m.type === 'cue' && m.value !== 'rest');
    const run = async (size: number) => {
      const s = sim();
      const blocks = Array.from({ length: Math.ceil(total / size) }, () => s.read(size, 0));
      return firstValueFrom(from(blocks).pipe(epochs({ types: ['cue'], values: ['left', 'right'], beforeS: 0.5, afterS: 2 }), toArray()));
    };
    const got = await run(25);
    expect(got.map((e) => e.marker)).toEqual(cues.filter((m) => m.sample + 2 * fs <= total));
    for (const e of got) {
      expect(e.first).toBe(e.marker.sample - 125);
      expect(e.length).toBe(625);
      for (const c of [0, 3, 7]) {
        expect(Buffer.from(e.data.slice(c * 625, (c + 1) * 625).buffer).equals(Buffer.from(truth.channel(c).slice(e.first, e.first + 625).buffer))).toBe(true);
      }
    }
    const other = await run(1);
    expect(other.map((e) => [...e.data])).toEqual(got.map((e) => [...e.data]));
  });

  it('skips an epoch whose window starts before the stream', async () => {
    const skipped: string[] = [];
    const x = new Float32Array(3000);
    const got = await firstValueFrom(
      from(cut(x, [100], 50)).pipe(epochs({ types: ['cue'], beforeS: 0.2, afterS: 0.5, onSkipped: (_, why) => skipped.push(why) }), toArray()),
    );
    expect(got).toHaveLength(0);
    expect(skipped).toEqual(['the window starts before the stream']);
  });
});

describe('zScore', () => {
  it('standardises each feature with the calibration window’s mean and SD', async () => {
    const frames: FeatureFrame[] = Array.from({ length: 200 }, (_, b) =>
      createFeatureFrame({ bin: b, t0: b * 600, values: Float32Array.of(10 + (b % 10), 5, -3 * (b % 4)), names: ['x', 'flat', 'y'], hostTime: 0 }),
    );
    const out = await firstValueFrom(from(frames).pipe(zScore({ calibrationBins: 100 }), toArray()));
    const after = out.slice(100);
    const mean = (i: number) => after.reduce((a, f) => a + f.values[i]!, 0) / after.length;
    const sd = (i: number) => Math.sqrt(after.reduce((a, f) => a + (f.values[i]! - mean(i)) ** 2, 0) / (after.length - 1));
    expect(mean(0)).toBeCloseTo(0, 5);
    expect(sd(0)).toBeCloseTo(1, 1);
    expect(mean(2)).toBeCloseTo(0, 5);
    expect(after.every((f) => f.values[1] === 0)).toBe(true); // zero variance → 0
    expect(out[150]!.names).toEqual(['x', 'flat', 'y']);
  });
});
