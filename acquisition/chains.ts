/**
 * The processing chains a session composes from options: the standard intracortical chain
 * (band-pass 300–3000 Hz, order 4 → common-average reference → threshold crossings and spike-band
 * power in 20 ms bins) and the EEG chain (band-pass 1–40 Hz, order 4, plus a mains notch).
 * Filters are designed from each stream's own sample rate.
 */
import { type OperatorFunction, pipe } from 'rxjs';
import type { FeatureFrame, SampleBlock } from '../core/index.js';
import { designButterworth } from './filters/butterworth.js';
import { cascade, designMainsNotch } from './filters/notch.js';
import { iirFilter } from './operators/iir-filter.js';
import { reReference } from './operators/re-reference.js';
import { type SpikeBandFeatureOptions, spikeBandFeatures } from './operators/spike-band-features.js';

export interface IntracorticalChainOptions extends SpikeBandFeatureOptions {
  bandHz?: readonly [number, number];
  order?: number;
  reference?: 'average' | 'median' | 'none';
}

export function intracorticalChain(options: IntracorticalChainOptions = {}): OperatorFunction<SampleBlock, FeatureFrame> {
  const { bandHz = [300, 3000], order = 4, reference = 'average', ...features } = options;
  const filter = iirFilter((fs) => designButterworth({ type: 'bandpass', order, cutoffHz: bandHz, sampleRateHz: fs }));
  const features$ = spikeBandFeatures(features);
  return reference === 'none' ? pipe(filter, features$) : pipe(filter, reReference({ method: reference }), features$);
}

export interface EegChainOptions {
  bandHz?: readonly [number, number];
  order?: number;
  /** Mains frequency to notch (with its harmonics below Nyquist); omit for none. */
  notchHz?: number;
}

export function eegChain(options: EegChainOptions = {}): OperatorFunction<SampleBlock, SampleBlock> {
  const { bandHz = [1, 40], order = 4, notchHz } = options;
  return iirFilter((fs) => {
    const band = designButterworth({ type: 'bandpass', order, cutoffHz: bandHz, sampleRateHz: fs });
    return notchHz === undefined ? band : cascade(band, designMainsNotch(notchHz, fs, { harmonics: 3 }));
  });
}
