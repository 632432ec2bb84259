import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { eegChain, intracorticalChain, intracorticalChainComposed } from '../../acquisition/chains.js';
import { EegSimulator } from '../../devices/simulators/eeg-simulator.js';
import { IntracorticalSimulator } from '../../devices/simulators/intracortical-simulator.js';
import { powerAt } from '../helpers/spectrum.js';
import { concatBlocks } from '../helpers/read-all.js';
import { createSampleBlock, type SampleBlock } from '../../core/index.js';

describe('intracortical chain on the simulator', () => {
  it('finds the simulated units: crossing rates follow the true firing rates of channels with large spikes', async () => {
    const seconds = 20;
    const spikesPerUnit: number[] = [];
    const sim = new IntracorticalSimulator({ channels: 16, seed: 8, onSpike: (u) => (spikesPerUnit[u] = (spikesPerUnit[u] ?? 0) + 1) });
    const blocks = Array.from({ length: seconds * 100 }, () => sim.read(300, 0)); // 10 ms blocks
    // Common-median reference: with only 16 channels a common average would copy a sixteenth of
    // every other channel's spikes into each channel (measured: ~4 false crossings/s on a silent
    // channel here); arrays of 96+ channels dilute that below the noise.
    const frames = await firstValueFrom(from(blocks).pipe(intracorticalChain({ reference: 'median' }), toArray()));
    expect(frames).toHaveLength(seconds * 50);
    expect(frames[0]!.names.slice(0, 2)).toEqual(['tc:ch0001', 'tc:ch0002']);
    // Per channel: crossing rate after calibration vs the summed true rate of units with big troughs.
    const rate = new Float64Array(16);
    for (const f of frames.slice(50)) for (let c = 0; c < 16; c++) rate[c]! += f.values[c]! / (seconds - 1);
    sim.units.forEach((unit, u) => {
      if (unit.troughUv >= 100) {
        const trueRate = (spikesPerUnit[u] ?? 0) / seconds;
        expect(rate[unit.channel]!).toBeGreaterThan(0.7 * trueRate);
      }
    });
    const silent = [...Array(16).keys()].filter((c) => !sim.units.some((u) => u.channel === c));
    expect(silent.length).toBeGreaterThan(0);
    for (const c of silent) expect(rate[c]!).toBeLessThan(0.5);
  });
});

describe('the fused intracortical chain', () => {
  it.each(['average', 'median', 'none'] as const)('gives the same features as the composed operators (%s reference)', async (reference) => {
    const sim = new IntracorticalSimulator({ channels: 8, seed: 4 });
    const blocks = Array.from({ length: 1500 }, (_, k) => sim.read(k % 3 === 0 ? 17 : 43, 0));
    const fused = await firstValueFrom(from(blocks).pipe(intracorticalChain({ reference, calibrationS: 0.2 }), toArray()));
    const composed = await firstValueFrom(from(blocks).pipe(intracorticalChainComposed({ reference, calibrationS: 0.2 }), toArray()));
    expect(fused.length).toBeGreaterThan(40);
    expect(fused).toEqual(composed);
  });
});

describe('the fused intracortical chain on long blocks', () => {
  it.each(['average', 'median', 'none'] as const)('takes a replay batch in cache-sized tiles and gives the very features of 1 ms blocks (%s reference)', async (reference) => {
    // 96 ch: tiles of 682 samples; 500 ms batches of 15 000 samples, with a gap and a short last batch.
    const sim = new IntracorticalSimulator({ channels: 96, seed: 6 });
    const small = Array.from({ length: 1600 }, () => sim.read(30, 0)); // 1.6 s in 1 ms blocks
    const whole = concatBlocks(small, 96);
    const cut = (first: number, length: number) => createSampleBlock({ info: small[0]!.info, first, length, data: rowsOf(whole, 48_000, first, length), hostTime: 0 });
    const batches = [cut(0, 15_000), cut(15_000, 15_000), cut(30_000, 18_000)];
    const gapped = [...small.slice(0, 700), ...small.slice(760)];
    const gappedBatches = [cut(0, 21_000), cut(22_800, 25_200)];
    const run = (blocks: SampleBlock[]) => firstValueFrom(from(blocks).pipe(intracorticalChain({ reference, calibrationS: 0.2 }), toArray()));
    const expected = await run(small);
    expect(expected).toHaveLength(80);
    expect(await run(batches)).toEqual(expected);
    expect(await run(gappedBatches)).toEqual(await run(gapped));
  });
});

/** Rows [first, first + length) of a channel-major array of `rows` rows. */
function rowsOf(data: Float32Array, rows: number, first: number, length: number): Float32Array {
  const channels = data.length / rows;
  const out = new Float32Array(channels * length);
  for (let c = 0; c < channels; c++) out.set(data.subarray(c * rows + first, c * rows + first + length), c * length);
  return out;
}

describe('EEG chain', () => {
  it('removes the mains hum and the slow drift, keeps alpha', async () => {
    const sim = new EegSimulator({ seed: 2, mainsHz: 60 });
    const blocks = Array.from({ length: 60 * 10 }, () => sim.read(25, 0)); // 60 s in 100 ms blocks
    const raw = concatBlocks(blocks, 8);
    const filtered = concatBlocks(await firstValueFrom(from(blocks).pipe(eegChain({ notchHz: 60 }), toArray())), 8);
    const n = raw.length / 8;
    const o1 = 6;
    const p = (x: Float32Array, f: number) => powerAt(x.subarray(o1 * n, (o1 + 1) * n), 250, f, 1024);
    expect(p(filtered, 60) / p(raw, 60)).toBeLessThan(1e-3);
    expect(p(filtered, 0.3) / p(raw, 0.3)).toBeLessThan(0.05);
    expect(p(filtered, 10) / p(raw, 10)).toBeGreaterThan(0.9);
  });
});
