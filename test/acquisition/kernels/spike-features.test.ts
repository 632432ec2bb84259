import { describe, expect, it } from 'vitest';
import { createSpikeFeatureState, spikeFeatures } from '../../../acquisition/kernels/spike-features.js';
import { Random } from '../../../devices/simulators/random.js';

const FS = 30000;

/** 2 channels of N(0, 10 µV) noise with −120 µV, 0.3 ms spikes at the given samples of channel 0. */
function signal(n: number, spikes: number[]): Float32Array {
  const x = new Float32Array(2 * n);
  const r = new Random(3);
  for (let i = 0; i < 2 * n; i++) x[i] = 10 * r.normal();
  for (const t of spikes) for (let j = 0; j < 9; j++) x[t + j] = -120 * Math.sin((Math.PI * (j + 1)) / 10);
  return x;
}

function run(x: Float32Array, n: number, sizes: number[], options = {}) {
  const s = createSpikeFeatureState({ channels: 2, sampleRateHz: FS, ...options });
  const bins: { bin: number; t0: number; counts: number[]; power: number[]; samples: number }[] = [];
  let at = 0;
  let k = 0;
  while (at < n) {
    const len = Math.min(sizes[k++ % sizes.length]!, n - at);
    const block = new Float32Array(2 * len);
    block.set(x.subarray(at, at + len), 0);
    block.set(x.subarray(n + at, n + at + len), len);
    spikeFeatures(s, block, len, at, (bin, t0, counts, power, samples) => bins.push({ bin, t0, counts: [...counts], power: [...power], samples }));
    at += len;
  }
  return bins;
}

describe('threshold crossings and spike-band power', () => {
  const n = 2 * FS; // 2 s
  // Spikes in the second second (after the 1 s RMS calibration), 10 per 20 ms bin in bins 60–64.
  const spikes: number[] = [];
  for (let b = 60; b < 65; b++) for (let j = 0; j < 10; j++) spikes.push(b * 600 + 20 + 55 * j);
  const x = signal(n, spikes);
  const bins = run(x, n, [30]);

  it('bins by 20 ms on the sample clock', () => {
    expect(bins).toHaveLength(100);
    bins.forEach((b, i) => {
      expect(b.bin).toBe(i);
      expect(b.t0).toBe(600 * i);
      expect(b.samples).toBe(600);
    });
  });

  it('counts each spike once at −4.5 × RMS, and noise rarely', () => {
    for (let b = 60; b < 65; b++) expect(bins[b]!.counts[0]).toBe(10);
    const noiseOnly = bins.slice(50).filter((b) => b.bin < 60 || b.bin >= 65).reduce((a, b) => a + b.counts[0]! + b.counts[1]!, 0);
    expect(noiseOnly).toBeLessThanOrEqual(2);
  });

  it('reports spike-band power as the mean square over the bin', () => {
    const b = bins[70]!;
    let ms = 0;
    for (let i = 70 * 600; i < 71 * 600; i++) ms += x[n + i]! ** 2;
    expect(b.power[1]).toBeCloseTo(ms / 600, 6);
    expect(b.power[1]).toBeGreaterThan(80);
    expect(b.power[1]).toBeLessThan(125);
  });

  it('gives the same features for any block sizes, with a fixed or a running RMS', () => {
    expect(run(x, n, [7, 600, 1, 1234])).toEqual(bins);
    const running = run(x, n, [30], { rms: 'running', rmsTimeConstantS: 0.5 });
    expect(run(x, n, [13, 997, 2], { rms: 'running', rmsTimeConstantS: 0.5 })).toEqual(running);
    for (let b = 60; b < 65; b++) expect(running[b]!.counts[0]).toBe(10);
  });

  it('does not count a second crossing inside the refractory period', () => {
    const close = signal(FS + 6000, [FS + 100, FS + 100 + 12]); // 0.4 ms apart
    const counted = run(close, FS + 6000, [600], { refractoryMs: 1 }).reduce((a, b) => a + b.counts[0]!, 0);
    expect(counted).toBe(1);
    const loose = run(close, FS + 6000, [600], { refractoryMs: 0.1 }).reduce((a, b) => a + b.counts[0]!, 0);
    expect(loose).toBe(2);
  });

  it('rejects options that make no bin or no threshold', () => {
    expect(() => createSpikeFeatureState({ channels: 1, sampleRateHz: 100, binMs: 1 })).toThrow('binMs: expected a bin of at least one sample at 100 Hz, got 1');
    expect(() => createSpikeFeatureState({ channels: 1, sampleRateHz: FS, k: 0 })).toThrow('k: expected a non-zero multiple of the RMS');
  });
});
