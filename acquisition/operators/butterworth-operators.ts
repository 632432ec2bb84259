/**
 * The named filters of the public API — `bandpass`, `highpass`, `lowpass`, `notch` — each an
 * `iirFilter` (iir-filter.ts) over a cascade designed from the stream's own sample rate when the
 * first block arrives (a stream without a rate is refused, never given a default). Causal
 * (one pass, as a live session filters); filter state belongs to each subscription.
 */
import type { OperatorFunction } from 'rxjs';
import type { SampleBlock } from '../../core/index.js';
import { designButterworth } from '../filters/butterworth.js';
import { designMainsNotch } from '../filters/notch.js';
import { iirFilter } from './iir-filter.js';

/** Options of {@link bandpass}. */
export interface BandpassOptions {
  /** Lower cut-off (−3 dB), Hz. */
  lowHz: number;
  /** Upper cut-off (−3 dB), Hz; below the stream's Nyquist frequency. */
  highHz: number;
  /** Butterworth order of each edge (the cascade has `order` sections). Default 4. */
  order?: number;
}

/** Options of {@link highpass} and {@link lowpass}. */
export interface CutoffOptions {
  /** Cut-off (−3 dB), Hz; below the stream's Nyquist frequency. */
  cutoffHz: number;
  /** Butterworth order. Default 4. */
  order?: number;
}

/** Options of {@link notch}. */
export interface NotchOptions {
  /** Frequency to remove (mains: 50 or 60), Hz. */
  hz: number;
  /** Also notch the harmonics up to `harmonics` × `hz` (those below Nyquist). Default 1: the fundamental only. */
  harmonics?: number;
  /** Quality factor (bandwidth at −3 dB = hz / q). Default 30. */
  q?: number;
}

/**
 * Butterworth band-pass of every channel, e.g. `bandpass({ lowHz: 300, highHz: 3000, order: 4 })`
 * for the spike band.
 */
export function bandpass(options: BandpassOptions): OperatorFunction<SampleBlock, SampleBlock> {
  const { lowHz, highHz, order = 4 } = options;
  return iirFilter((sampleRateHz) => designButterworth({ type: 'bandpass', order, cutoffHz: [lowHz, highHz], sampleRateHz }));
}

/** Butterworth high-pass of every channel, e.g. `highpass({ cutoffHz: 0.5 })` against drift. */
export function highpass(options: CutoffOptions): OperatorFunction<SampleBlock, SampleBlock> {
  const { cutoffHz, order = 4 } = options;
  return iirFilter((sampleRateHz) => designButterworth({ type: 'highpass', order, cutoffHz, sampleRateHz }));
}

/** Butterworth low-pass of every channel, e.g. `lowpass({ cutoffHz: 40 })`. */
export function lowpass(options: CutoffOptions): OperatorFunction<SampleBlock, SampleBlock> {
  const { cutoffHz, order = 4 } = options;
  return iirFilter((sampleRateHz) => designButterworth({ type: 'lowpass', order, cutoffHz, sampleRateHz }));
}

/** Narrow notch of every channel (scipy's `iirnotch`), e.g. `notch({ hz: 60, harmonics: 3 })`. */
export function notch(options: NotchOptions): OperatorFunction<SampleBlock, SampleBlock> {
  const { hz, harmonics = 1, q = 30 } = options;
  return iirFilter((sampleRateHz) => designMainsNotch(hz, sampleRateHz, { harmonics, q }));
}
