/**
 * `neurostream/acquisition` — RxJS operators over SampleBlock streams: filters, re-referencing,
 * features (spike band, band power), epochs, the stream health monitor, signal quality per channel
 * (railed, flat, line noise) and lead-off impedance. Every operator
 * designs itself from the sample rate in the blocks' StreamInfo (never a default) and keeps its
 * state per subscription: one operator instance may be used in several pipelines.
 *
 * @packageDocumentation
 */
import type { OperatorFunction } from 'rxjs';
import type { FeatureFrame, SampleBlock } from '../core/index.js';
import { type BandPowerOptions, bandPowerFeatures } from './operators/band-power-features.js';
import { type ReReferenceOptions, reReference } from './operators/re-reference.js';
import { type SpikeBandFeatureOptions, spikeBandFeatures } from './operators/spike-band-features.js';

export { bandpass, highpass, lowpass, notch, type BandpassOptions, type CutoffOptions, type NotchOptions } from './operators/butterworth-operators.js';
export { iirFilter } from './operators/iir-filter.js';
export { reReference, type ReReferenceOptions } from './operators/re-reference.js';
export { spikeBandFeatures, SPIKE_BAND_HZ, type SpikeBandFeatureOptions } from './operators/spike-band-features.js';
export type { SpikeFeatureOptions } from './kernels/spike-features.js';
export { bandPowerFeatures, EEG_BANDS, type Band, type BandPowerOptions } from './operators/band-power-features.js';
export { epochs, type Epoch, type EpochOptions } from './operators/epochs.js';
export { decimate } from './operators/decimate.js';
export { zScore, type ZScoreOptions } from './operators/z-score.js';
export { intracorticalChain, eegChain, type IntracorticalChainOptions, type EegChainOptions } from './chains.js';
export { intracorticalChainSteps, defaultChainWorkers, type IntracorticalChainStepsOptions, type ChainView, type ChainStep } from './parallel/intracortical-chain-steps.js';
export { designButterworth, FILTER_TYPES, type ButterworthOptions, type FilterType, type Sos } from './filters/butterworth.js';
export { designNotch, designMainsNotch, cascade } from './filters/notch.js';
export { createSosState, sosFilter } from './filters/sos-filter.js';
export { sosFiltFilt } from './filters/zero-phase.js';
export { StreamHealth, type HealthSnapshot } from './health/stream-health.js';
export {
  signalQuality,
  signalQualityMarkers,
  channelFullScale,
  SIGNAL_QUALITY_STATUSES,
  type SignalQualityStatus,
  type SignalQualityOptions,
  type SignalQualityReport,
  type ChannelQuality,
} from './operators/signal-quality.js';
export { createSignalQualityState, pushSignalQuality, type SignalQualityState, type SignalQualityKernelOptions } from './kernels/signal-quality.js';
export { toneAmplitude, leadOffImpedanceOhms, leadOffAmplitudeUv, type LeadOffDrive } from './kernels/lead-off-impedance.js';

/** Options of {@link commonAverage}: the groups and bad channels of `reReference`. */
export type CommonAverageOptions = Omit<ReReferenceOptions, 'method'>;

/**
 * Common-average reference: each neural channel minus the mean of its group (default: all neural
 * channels), `bad` channels left out of the mean; aux and accelerometer channels pass through.
 * The same operator as `reReference({ method: 'average' })`.
 */
export function commonAverage(options: CommonAverageOptions = {}): OperatorFunction<SampleBlock, SampleBlock> {
  return reReference({ ...options, method: 'average' });
}

/** Options of {@link spikeFeatures}: bin width (`binMs`, default 20), threshold (`k` RMS units, default −4.5) … */
export type SpikeFeaturesOptions = SpikeBandFeatureOptions;

/**
 * Threshold crossings and spike-band power per neural channel in fixed bins, as FeatureFrames
 * named `tc:<channel>…, sbp:<channel>…`. Apply to band-passed (300–3000 Hz), re-referenced
 * blocks. The same operator as `spikeBandFeatures`.
 */
export function spikeFeatures(options: SpikeFeaturesOptions = {}): OperatorFunction<SampleBlock, FeatureFrame> {
  return spikeBandFeatures(options);
}

/**
 * Band power per channel and band (Welch over the last `windowS` seconds, every `stepS`), as
 * FeatureFrames named `<band>:<channel>` in µV², e.g.
 * `bandPower({ bands: [{ name: 'mu', loHz: 8, hiHz: 13 }], windowS: 1 })`. The same operator as
 * `bandPowerFeatures`.
 */
export function bandPower(options: BandPowerOptions = {}): OperatorFunction<SampleBlock, FeatureFrame> {
  return bandPowerFeatures(options);
}
export { commonAverageReference, commonMedianReference, createReferenceLayout, type ReferenceLayout } from './kernels/re-reference.js';
