/**
 * Power spectral density by Welch's method, as scipy's `signal.welch(x, fs, window='hann',
 * nperseg=N)` computes it: periodic Hann window, 50% overlap, each segment's mean removed,
 * one-sided density in units²/Hz, segments averaged. FFTs by fft.js (radix-4), so N must be a
 * power of two. A plan holds the FFT tables and buffers: reuse it, nothing is allocated per call.
 */
import FFT from 'fft.js';
import { InvalidDataError, InvalidOptionError, checkInteger, checkNumber } from '../../core/index.js';

export interface WelchPlan {
  readonly nperseg: number;
  readonly fft: FFT;
  readonly window: Float64Array;
  readonly windowPower: number;
  readonly segment: Float64Array;
  readonly spectrum: number[];
}

export function createWelchPlan(nperseg: number): WelchPlan {
  checkInteger('option', 'nperseg', nperseg, { min: 4, max: 1 << 20 });
  if ((nperseg & (nperseg - 1)) !== 0) throw new InvalidOptionError('nperseg', 'a power of two (4, 8, …, 1048576)', nperseg);
  const window = new Float64Array(nperseg);
  let windowPower = 0;
  for (let i = 0; i < nperseg; i++) {
    window[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / nperseg);
    windowPower += window[i]! * window[i]!;
  }
  const fft = new FFT(nperseg);
  return { nperseg, fft, window, windowPower, segment: new Float64Array(nperseg), spectrum: fft.createComplexArray() as number[] };
}

/** Frequencies of the PSD bins, Hz (nperseg / 2 + 1 of them). */
export function welchFrequencies(plan: WelchPlan, sampleRateHz: number): Float64Array {
  return Float64Array.from({ length: plan.nperseg / 2 + 1 }, (_, k) => (k * sampleRateHz) / plan.nperseg);
}

/**
 * PSD of x[offset, offset + length) into out[0, nperseg / 2 + 1). At least one full segment is
 * needed.
 */
export function welchPsd(plan: WelchPlan, x: ArrayLike<number>, offset: number, length: number, sampleRateHz: number, out: Float64Array): void {
  const N = plan.nperseg;
  checkNumber('option', 'sampleRateHz', sampleRateHz, { min: 0, exclusiveMin: true });
  if (length < N) throw new InvalidDataError('welch input', `at least ${N} samples (one segment)`, length);
  const step = N - (N >> 1);
  const segments = Math.floor((length - (N >> 1)) / step);
  const bins = N / 2 + 1;
  out.fill(0, 0, bins);
  const { window, segment, spectrum, fft } = plan;
  for (let k = 0; k < segments; k++) {
    const start = offset + k * step;
    let mean = 0;
    for (let i = 0; i < N; i++) mean += x[start + i]!;
    mean /= N;
    for (let i = 0; i < N; i++) segment[i] = (x[start + i]! - mean) * window[i]!;
    fft.realTransform(spectrum, segment);
    for (let b = 0; b < bins; b++) out[b]! += spectrum[2 * b]! ** 2 + spectrum[2 * b + 1]! ** 2;
  }
  const scale = 1 / (sampleRateHz * plan.windowPower * segments);
  for (let b = 0; b < bins; b++) out[b]! *= b === 0 || b === bins - 1 ? scale : 2 * scale;
}

/** Power in [loHz, hiHz] from a PSD: the sum of the bins in the band × the bin width. */
export function bandPowerFromPsd(psd: Float64Array, sampleRateHz: number, nperseg: number, loHz: number, hiHz: number): number {
  const df = sampleRateHz / nperseg;
  const lo = Math.max(0, Math.ceil(loHz / df));
  const hi = Math.min(nperseg / 2, Math.floor(hiHz / df));
  let sum = 0;
  for (let b = lo; b <= hi; b++) sum += psd[b]!;
  return sum * df;
}
