/**
 * The dashboard's spectra against scipy.signal.welch (Debian's python3-scipy) over the same span:
 * the last 1.5 · nperseg samples, Hann window, 50 % overlap, bins averaged in groups of `pool`.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../../../core/errors.js';
import { SpectrumMonitor } from '../../../dashboard/kernels/spectrum-monitor.js';
import { thrown } from '../../helpers/thrown.js';

function scipyWelch(rows: number[][], fs: number, nperseg: number): number[][] {
  const script = [
    'import json, sys',
    'import numpy as np',
    'from scipy.signal import welch',
    'd = json.load(sys.stdin)',
    "x = np.array(d['rows'], dtype=np.float32).astype(np.float64)",
    "f, p = welch(x, fs=d['fs'], window='hann', nperseg=d['n'], axis=-1)",
    'json.dump(p.tolist(), sys.stdout)',
  ].join('\n');
  const run = spawnSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify({ rows, fs, n: nperseg }), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout) as number[][];
}

function signal(channels: number, length: number, fs: number): Float32Array[] {
  return Array.from({ length: channels }, (_, c) =>
    Float32Array.from({ length }, (_, i) => 20 * Math.sin((2 * Math.PI * (10 + 7 * c) * i) / fs) + 5 * Math.sin(i * 0.37 + c) + c),
  );
}

/** Feeds channel-major chunks of awkward sizes. */
function feed(monitor: SpectrumMonitor, rows: Float32Array[], sizes: number[]): void {
  const length = rows[0]!.length;
  for (let at = 0, k = 0; at < length; k++) {
    const n = Math.min(sizes[k % sizes.length]!, length - at);
    const block = new Float32Array(rows.length * n);
    rows.forEach((row, c) => block.set(row.subarray(at, at + n), c * n));
    monitor.push(block, n);
    at += n;
  }
}

describe('SpectrumMonitor', () => {
  it('equals scipy welch over the last 1.5 segments, at 250 Hz (no pooling)', () => {
    const fs = 250;
    const monitor = new SpectrumMonitor({ channels: 3, sampleRateHz: fs });
    expect(monitor.nperseg).toBe(128);
    expect(monitor.pool).toBe(1);
    expect(monitor.bins).toBe(65);
    expect(monitor.binHz).toBeCloseTo(fs / 128, 12);
    const rows = signal(3, 1000, fs);
    expect(monitor.compute(3)).toBe(0); // nothing yet
    feed(monitor, rows, [7, 1, 33, 250]);
    expect(monitor.compute(3)).toBe(3);
    const out = new Float32Array(3 * 65);
    monitor.copySpectra(out);
    const expected = scipyWelch(rows.map((r) => Array.from(r.subarray(1000 - 192))), fs, 128);
    for (let c = 0; c < 3; c++) {
      for (let b = 0; b < 65; b++) expect(out[c * 65 + b]!, `ch ${c} bin ${b}`).toBeCloseTo(Math.fround(expected[c]![b]!), 4);
    }
  });

  it('pools bins up to 7.5 kHz at 30 kHz, a few channels per call, first 64 channels only', () => {
    const fs = 30_000;
    const monitor = new SpectrumMonitor({ channels: 70, sampleRateHz: fs, maxBins: 512 });
    expect(monitor.channels).toBe(64);
    expect(monitor.nperseg).toBe(16_384);
    expect(monitor.pool).toBe(9); // 4097 bins up to 7.5 kHz → 455 of 9
    expect(monitor.bins).toBe(455);
    const rows = signal(70, 30_000, fs);
    feed(monitor, rows, [300, 17, 4000]);
    expect(monitor.compute(2)).toBe(2); // channels 0 and 1
    const out = new Float32Array(64 * monitor.bins);
    monitor.copySpectra(out);
    expect(out[2 * monitor.bins]).toBeNaN(); // not computed yet
    const expected = scipyWelch([Array.from(rows[1]!.subarray(30_000 - 24_576))], fs, 16_384)[0]!;
    for (let b = 0; b < monitor.bins; b++) {
      let sum = 0;
      for (let j = b * 9; j < b * 9 + 9; j++) sum += expected[j]!;
      expect(out[monitor.bins + b]! / (sum / 9), `bin ${b}`).toBeCloseTo(1, 4);
    }
    expect(monitor.compute(100)).toBe(64);
    monitor.copySpectra(out);
    expect(out.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('refuses blocks shorter than their channel count says', () => {
    const monitor = new SpectrumMonitor({ channels: 2, sampleRateHz: 250 });
    expect(thrown(() => monitor.push(new Float32Array(3), 2))).toBeInstanceOf(InvalidDataError);
  });
});
