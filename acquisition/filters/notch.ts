/**
 * Notch filters for mains interference, as scipy's `iirnotch(w0, Q, fs)` designs them (one
 * second-order section per frequency), and a cascade for a fundamental and its harmonics.
 */
import { checkInteger, checkNumber } from '../../core/index.js';
import type { Sos } from './butterworth.js';

/** One notch at `frequencyHz` with quality factor `q` (bandwidth = f / q at −3 dB). */
export function designNotch(frequencyHz: number, q: number, sampleRateHz: number): Sos {
  const fs = checkNumber('option', 'sampleRateHz', sampleRateHz, { min: 0, exclusiveMin: true });
  checkNumber('option', 'notch frequencyHz', frequencyHz, { min: 0, exclusiveMin: true, max: fs / 2 });
  checkNumber('option', 'notch q', q, { min: 0, exclusiveMin: true });
  const w0n = (2 * frequencyHz) / fs;
  const bw = (w0n / q) * Math.PI;
  const w0 = w0n * Math.PI;
  const gb = 1 / Math.sqrt(2);
  const beta = (Math.sqrt(1 - gb ** 2) / gb) * Math.tan(bw / 2);
  const gain = 1 / (1 + beta);
  return Float64Array.of(gain, -2 * gain * Math.cos(w0), gain, 1, -2 * gain * Math.cos(w0), 2 * gain - 1);
}

/**
 * Notches at `frequencyHz` and its harmonics up to `harmonics` × f (those below Nyquist), each
 * with quality factor `q` (default 30, as MNE's notch for 50/60 Hz lines is comparably narrow).
 */
export function designMainsNotch(frequencyHz: number, sampleRateHz: number, options: { harmonics?: number; q?: number } = {}): Sos {
  const harmonics = checkInteger('option', 'notch harmonics', options.harmonics ?? 1, { min: 1, max: 20 });
  const q = options.q ?? 30;
  const sections: Sos[] = [];
  for (let h = 1; h <= harmonics && h * frequencyHz < sampleRateHz / 2; h++) sections.push(designNotch(h * frequencyHz, q, sampleRateHz));
  const out = new Float64Array(sections.length * 6);
  sections.forEach((s, i) => out.set(s, 6 * i));
  return out;
}

/** Concatenates cascades (the output of one feeds the next). */
export function cascade(...parts: Sos[]): Sos {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
