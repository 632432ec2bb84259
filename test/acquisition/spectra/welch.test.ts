import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bandPowerFromPsd, createWelchPlan, welchFrequencies, welchPsd } from '../../../acquisition/spectra/welch.js';

const vectors = JSON.parse(readFileSync(new URL('../../fixtures/filter-vectors.json', import.meta.url), 'utf8')) as {
  input: number[];
  welch: { sampleRateHz: number; nperseg: number; frequencies: number[]; psd: number[] }[];
};

describe('Welch PSD against scipy.signal.welch', () => {
  it.each(vectors.welch.map((v) => [`fs ${v.sampleRateHz}, nperseg ${v.nperseg}`, v] as const))('%s', (_, v) => {
    const plan = createWelchPlan(v.nperseg);
    const out = new Float64Array(v.nperseg / 2 + 1);
    welchPsd(plan, vectors.input, 0, vectors.input.length, v.sampleRateHz, out);
    expect([...welchFrequencies(plan, v.sampleRateHz)]).toEqual(v.frequencies);
    const scale = Math.max(...v.psd);
    for (let b = 0; b < out.length; b++) expect(Math.abs(out[b]! - v.psd[b]!)).toBeLessThan(1e-9 * scale);
  });

  it('integrates band power: a 10 Hz sine of amplitude A has power A²/2', () => {
    const fs = 250;
    const x = Float64Array.from({ length: 250 * 20 }, (_, i) => 4 * Math.sin((2 * Math.PI * 10 * i) / fs));
    const plan = createWelchPlan(256);
    const psd = new Float64Array(129);
    welchPsd(plan, x, 0, x.length, fs, psd);
    expect(bandPowerFromPsd(psd, fs, 256, 8, 12)).toBeCloseTo(8, 1);
    expect(bandPowerFromPsd(psd, fs, 256, 20, 30)).toBeLessThan(1e-3);
  });

  it('rejects a segment length that is not a power of two, and too little signal', () => {
    expect(() => createWelchPlan(250)).toThrow('nperseg: expected a power of two (4, 8, …, 1048576), got 250');
    expect(() => welchPsd(createWelchPlan(256), new Float64Array(100), 0, 100, 250, new Float64Array(129))).toThrow(
      'welch input: expected at least 256 samples (one segment), got 100',
    );
  });
});
