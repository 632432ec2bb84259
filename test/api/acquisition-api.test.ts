/**
 * The operators of `neurostream/acquisition` under their public names: each gives exactly what
 * the existing kernel or operator gives, and keeps its state per subscription — two subscribers
 * to one operator instance, interleaved block by block (marbles), each get the output of a fresh
 * filter, which a shared state would break from the second block on.
 */
import { firstValueFrom, from, toArray, type OperatorFunction } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { bandPower, bandPowerFeatures, bandpass, commonAverage, highpass, lowpass, notch, reReference, spikeBandFeatures, spikeFeatures } from '../../acquisition/index.js';
import { designButterworth } from '../../acquisition/filters/butterworth.js';
import { designMainsNotch } from '../../acquisition/filters/notch.js';
import { createSosState, sosFilter } from '../../acquisition/filters/sos-filter.js';
import { type SampleBlock, channelCount, createSampleBlock } from '../../core/index.js';
import { simulate } from '../../devices/index.js';
import { readEdf } from '../../recordings/index.js';
import { sharedData } from '../helpers/shared-data.js';
import { fileURLToPath } from 'node:url';

/** The first `count` one-second blocks of a real EEG recording (EEGMMIDB S001R04: 64 ch, 160 Hz). */
function eegBlocks(count: number): SampleBlock[] {
  const edf = readEdf(fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf')));
  const out: SampleBlock[] = [];
  for (const block of edf.streams[0]!.blocks()) {
    out.push(block);
    if (out.length === count) break;
  }
  return out;
}

/** The blocks filtered by the SOS kernel itself, state carried from block to block. */
function kernelFiltered(blocks: readonly SampleBlock[], sos: Float64Array): SampleBlock[] {
  const channels = channelCount(blocks[0]!.info);
  const state = createSosState(sos, channels);
  return blocks.map((block) => {
    const data = new Float32Array(block.data.length);
    sosFilter(sos, state, block.data, data, channels, block.length);
    return createSampleBlock({ ...block, data });
  });
}

/**
 * Two subscriptions to `blocks → op` (one operator instance), interleaved at the same virtual
 * frames: each must equal `expected` (what a fresh pipeline gives), frame for frame.
 */
function expectStatePerSubscription<T>(blocks: readonly SampleBlock[], op: OperatorFunction<SampleBlock, T>, expected: readonly T[], perBlock: (block: number) => readonly T[]): void {
  const letters = 'abcdefghij';
  const values: Record<string, SampleBlock> = Object.fromEntries(blocks.map((b, i) => [letters[i]!, b]));
  // Block i enters at a frame, and the items it produced leave at the same frame (a group
  // `(AB)` spans its characters' frames: the input is padded to the same width).
  let inMarbles = '';
  let outMarbles = '';
  const outValues: Record<string, T> = {};
  let n = 0;
  blocks.forEach((_, i) => {
    const keys = perBlock(i).map((item) => {
      const key = String.fromCharCode(0x41 + (n % 26)) + (n >= 26 ? String(Math.floor(n / 26)) : '');
      n++;
      outValues[key] = item;
      return key;
    });
    if (keys.some((k) => k.length > 1)) throw new Error('too many items for this marble helper');
    const group = keys.length === 0 ? '-' : keys.length === 1 ? keys[0]! : `(${keys.join('')})`;
    outMarbles += group;
    inMarbles += letters[i]! + '-'.repeat(group.length - 1);
  });
  expect(Object.keys(outValues)).toHaveLength(expected.length);
  new TestScheduler((actual, want) => expect(actual).toEqual(want)).run(({ cold, expectObservable }) => {
    const out$ = cold(inMarbles + '|', values).pipe(op);
    expectObservable(out$).toBe(outMarbles + '|', outValues);
    expectObservable(out$).toBe(outMarbles + '|', outValues);
  });
}

describe('neurostream/acquisition filters', () => {
  const blocks = eegBlocks(4);
  const fs = blocks[0]!.info.sampleRateHz;
  const cases: [string, OperatorFunction<SampleBlock, SampleBlock>, Float64Array][] = [
    ['bandpass', bandpass({ lowHz: 8, highHz: 30, order: 4 }), designButterworth({ type: 'bandpass', order: 4, cutoffHz: [8, 30], sampleRateHz: fs })],
    ['highpass', highpass({ cutoffHz: 1, order: 2 }), designButterworth({ type: 'highpass', order: 2, cutoffHz: 1, sampleRateHz: fs })],
    ['lowpass', lowpass({ cutoffHz: 40 }), designButterworth({ type: 'lowpass', order: 4, cutoffHz: 40, sampleRateHz: fs })],
    ['notch', notch({ hz: 60 }), designMainsNotch(60, fs)],
  ];
  for (const [name, op, sos] of cases) {
    it(`${name} gives the SOS kernel's output, designed from the stream's rate (${fs} Hz), state per subscription`, () => {
      const expected = kernelFiltered(blocks, sos);
      expect(expected[1]!.data).not.toEqual(blocks[1]!.data); // the filter does something
      expectStatePerSubscription(blocks, op, expected, (i) => [expected[i]!]);
    });
  }

  it('refuses a cut-off the stream’s rate cannot carry, naming it, instead of assuming a rate', async () => {
    await expect(firstValueFrom(from(blocks).pipe(lowpass({ cutoffHz: 100 })))).rejects.toThrow(/below the Nyquist frequency \(80 Hz\), got 100/);
  });
});

describe('neurostream/acquisition commonAverage, spikeFeatures, bandPower', () => {
  it('commonAverage is reReference({ method: "average" }), state per subscription', async () => {
    const blocks = eegBlocks(3);
    const expected = await firstValueFrom(from(blocks).pipe(reReference({ method: 'average' }), toArray()));
    // Every sample's channel mean is removed.
    const b = expected[0]!;
    const mean = Array.from({ length: 64 }, (_, c) => b.data[c * b.length]!).reduce((s, v) => s + v, 0) / 64;
    expect(Math.abs(mean)).toBeLessThan(1e-3);
    expectStatePerSubscription(blocks, commonAverage(), expected, (i) => [expected[i]!]);
  });

  it('spikeFeatures is spikeBandFeatures on simulated spikes, RMS calibration per subscription', async () => {
    const raw = await firstValueFrom(simulate({ kind: 'intracortical', channels: 4, rateHz: 10_000, seed: 3, durationS: 0.3, blockMs: 100, fast: true }).pipe(toArray()));
    const options = { binMs: 20, calibrationS: 0.1 };
    const filtered = await firstValueFrom(from(raw).pipe(bandpass({ lowHz: 300, highHz: 3000 }), toArray()));
    const expected = await firstValueFrom(from(filtered).pipe(spikeBandFeatures(options), toArray()));
    expect(expected).toHaveLength(15); // 300 ms in 20 ms bins
    expect(expected.some((f) => f.values.some((v, i) => i < 4 && v > 0))).toBe(true); // crossings counted
    const perBlock = (i: number) => expected.filter((f) => f.t0 >= filtered[i]!.first && f.t0 < filtered[i]!.first + filtered[i]!.length);
    expectStatePerSubscription(filtered, spikeFeatures(options), expected, perBlock);
  });

  it('bandPower is bandPowerFeatures on real EEG, its window per subscription', async () => {
    const blocks = eegBlocks(4);
    const bands = [{ name: 'mu', loHz: 8, hiHz: 13 }];
    const expected = await firstValueFrom(from(blocks).pipe(bandPowerFeatures({ bands, windowS: 1, stepS: 0.5 }), toArray()));
    expect(expected.length).toBeGreaterThan(3);
    expect(expected[0]!.names[0]).toBe(`mu:${blocks[0]!.info.channelNames[0]}`);
    const perBlock = (i: number) => {
      const end = blocks[i]!.first + blocks[i]!.length;
      return expected.filter((f) => {
        const frameEnd = f.t0 + Math.round(blocks[0]!.info.sampleRateHz); // a window of 1 s ends in the block that completes it
        return frameEnd > blocks[i]!.first && frameEnd <= end;
      });
    };
    expectStatePerSubscription(blocks, bandPower({ bands, windowS: 1, stepS: 0.5 }), expected, perBlock);
  });
});
