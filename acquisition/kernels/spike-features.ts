/**
 * Threshold crossings and spike-band power in fixed bins (kernel) — the standard features of
 * intracortical BCIs, computed on band-passed (300–3000 Hz) signals.
 *
 * Threshold: k × RMS per channel (k = −4.5 by default: negative-going crossings). RMS is the
 * cumulative mean square over the first `calibrationS` seconds (rounded up to whole bins); then
 * either frozen (`rms: 'calibration'`) or followed by an exponential moving average with time
 * constant `rmsTimeConstantS` (`rms: 'running'`; the threshold then moves once per bin). A crossing is a sample below the threshold whose
 * predecessor was not, at least `refractoryMs` after the channel's previous crossing.
 * Spike-band power is the mean of x² over the bin (µV²).
 *
 * Bins are aligned to the stream's sample clock: bin b covers samples [b·n, (b+1)·n), n =
 * round(binMs × rate / 1000). A bin is emitted when its last sample has been seen (or when a gap
 * jumps past it: then it holds the samples present). State is explicit; nothing is allocated per
 * call.
 */
import { InvalidOptionError, checkInteger, checkNumber, checkOneOf } from '../../core/index.js';

export interface SpikeFeatureOptions {
  channels: number;
  sampleRateHz: number;
  /** Bin width, ms. Default 20. */
  binMs?: number;
  /** Threshold in RMS units. Default −4.5. */
  k?: number;
  refractoryMs?: number;
  rms?: 'calibration' | 'running';
  calibrationS?: number;
  rmsTimeConstantS?: number;
}

export interface SpikeFeatureState {
  readonly channels: number;
  readonly binSamples: number;
  readonly k: number;
  readonly refractorySamples: number;
  readonly running: boolean;
  readonly calibrationSamples: number;
  readonly alpha: number;
  readonly meanSquare: Float64Array;
  /** Threshold per channel for the current bin (after calibration). */
  readonly threshold: Float64Array;
  seen: number;
  /** Calibration lasts until this bin begins (set by the first block). */
  calibrationEndBin: number;
  readonly prevBelow: Uint8Array;
  readonly sinceCrossing: Float64Array;
  /** Counts then power, per channel: the bin being filled. */
  readonly counts: Float64Array;
  readonly power: Float64Array;
  inBin: number;
  bin: number;
  nextSample: number;
}

export function createSpikeFeatureState(o: SpikeFeatureOptions): SpikeFeatureState {
  const channels = checkInteger('option', 'channels', o.channels, { min: 1, max: 4096 });
  const fs = checkNumber('option', 'sampleRateHz', o.sampleRateHz, { min: 0, exclusiveMin: true });
  const binMs = checkNumber('option', 'binMs', o.binMs ?? 20, { min: 0, exclusiveMin: true, max: 60_000 });
  const binSamples = Math.round((binMs * fs) / 1000);
  if (binSamples < 1) throw new InvalidOptionError('binMs', `a bin of at least one sample at ${fs} Hz`, binMs);
  const k = checkNumber('option', 'k', o.k ?? -4.5);
  if (k === 0) throw new InvalidOptionError('k', 'a non-zero multiple of the RMS', k);
  const refractoryMs = checkNumber('option', 'refractoryMs', o.refractoryMs ?? 1, { min: 0 });
  const rms = checkOneOf('option', 'rms', o.rms ?? 'calibration', ['calibration', 'running'] as const);
  const calibrationS = checkNumber('option', 'calibrationS', o.calibrationS ?? 1, { min: 0, exclusiveMin: true });
  const tau = checkNumber('option', 'rmsTimeConstantS', o.rmsTimeConstantS ?? 30, { min: 0, exclusiveMin: true });
  return {
    channels,
    binSamples,
    k,
    refractorySamples: Math.round((refractoryMs * fs) / 1000),
    running: rms === 'running',
    calibrationSamples: Math.max(1, Math.round(calibrationS * fs)),
    alpha: 1 - Math.exp(-1 / (tau * fs)),
    meanSquare: new Float64Array(channels),
    threshold: new Float64Array(channels),
    seen: 0,
    calibrationEndBin: -1,
    prevBelow: new Uint8Array(channels),
    sinceCrossing: new Float64Array(channels).fill(Infinity),
    counts: new Float64Array(channels),
    power: new Float64Array(channels),
    inBin: 0,
    bin: -1,
    nextSample: -1,
  };
}

/** Called for each completed bin; the arrays are the state's own (copy what you keep). */
export type BinSink = (bin: number, t0: number, counts: Float64Array, power: Float64Array, samples: number) => void;

/**
 * Feeds one block (channel-major, `length` samples starting at stream index `first`). With
 * `reference`, every channel's sample i is taken as fround(data − reference[i]): a common-average
 * reference applied on the fly, exactly as if the re-referenced Float32 block had been passed.
 */
export function spikeFeatures(
  s: SpikeFeatureState,
  data: Float32Array,
  length: number,
  first: number,
  emit: BinSink,
  reference?: Float64Array,
): void {
  const n = s.binSamples;
  if (s.nextSample >= 0 && first !== s.nextSample) {
    // A gap: no crossing may span it; finish the bin it jumped out of.
    s.prevBelow.fill(0);
    if (Math.floor(first / n) !== s.bin) flush(s, emit);
  }
  if (s.bin < 0 || Math.floor(first / n) !== s.bin) s.bin = Math.floor(first / n);
  // Calibration ends on a bin boundary, so a threshold never changes inside a bin.
  if (s.calibrationEndBin < 0) s.calibrationEndBin = s.bin + Math.ceil(s.calibrationSamples / n);
  let i0 = 0;
  while (i0 < length) {
    const binEnd = (s.bin + 1) * n;
    // An integer for V8 (first, a sample index, may be past the small-integer range: a double).
    const i1 = Math.min(length, binEnd - first) | 0;
    accumulate(s, data, length, i0, i1, reference ?? zeros(length));
    s.inBin += i1 - i0;
    i0 = i1;
    if (first + i1 === binEnd) flush(s, emit);
  }
  s.nextSample = first + length;
}

/** No reference: subtracting 0 from a Float32 value and rounding back gives the value itself. */
let noReference = new Float64Array(0);
function zeros(length: number): Float64Array {
  if (noReference.length < length) noReference = new Float64Array(length);
  return noReference;
}

function flush(s: SpikeFeatureState, emit: BinSink): void {
  if (s.inBin > 0) {
    const inv = 1 / s.inBin;
    for (let c = 0; c < s.channels; c++) s.power[c]! *= inv;
    emit(s.bin, s.bin * s.binSamples, s.counts, s.power, s.inBin);
  }
  s.counts.fill(0);
  s.power.fill(0);
  s.inBin = 0;
  s.bin++;
  // The next bin's thresholds: fixed when calibration ends, or following the running RMS.
  if (s.bin === s.calibrationEndBin || (s.running && s.bin > s.calibrationEndBin)) {
    for (let c = 0; c < s.channels; c++) s.threshold[c] = s.k * Math.sqrt(s.meanSquare[c]!);
  }
}

/**
 * Samples [i0, i1) of every channel into the current bin. During calibration the threshold follows
 * the cumulative RMS sample by sample; afterwards it is fixed (`calibration`) or set from the
 * running RMS at the start of each bin (`running`). Thresholds therefore change only on bin
 * boundaries, and the features are the same however the stream is cut into blocks.
 */
function accumulate(s: SpikeFeatureState, data: Float32Array, length: number, i0: number, i1: number, reference: Float64Array): void {
  const { channels: C, k, refractorySamples, running, alpha } = s;
  const calibrating = s.bin < s.calibrationEndBin;
  const seen0 = s.seen;
  const negative = k < 0;
  for (let c = 0; c < C; c++) {
    const base = c * length;
    let ms = s.meanSquare[c]!;
    let below = s.prevBelow[c]!;
    let since = s.sinceCrossing[c]!;
    let count = 0;
    // Continue the bin's running sum sample by sample: the same additions in the same order
    // however the stream is cut into blocks, so the result is bit-identical.
    let power = s.power[c]!;
    if (calibrating) {
      let seen = seen0;
      for (let i = i0; i < i1; i++) {
        const x = Math.fround(data[base + i]! - reference[i]!);
        const x2 = x * x;
        power += x2;
        ms += (x2 - ms) / (seen + 1);
        seen++;
        const threshold = k * Math.sqrt(ms);
        const isBelow = negative ? x < threshold : x > threshold;
        since++;
        if (isBelow && below === 0 && since > refractorySamples) {
          count++;
          since = 0;
        }
        below = isBelow ? 1 : 0;
      }
    } else {
      const threshold = s.threshold[c]!;
      for (let i = i0; i < i1; i++) {
        const x = Math.fround(data[base + i]! - reference[i]!);
        power += x * x;
        const isBelow = negative ? x < threshold : x > threshold;
        since++;
        if (isBelow && below === 0 && since > refractorySamples) {
          count++;
          since = 0;
        }
        below = isBelow ? 1 : 0;
      }
      if (running) {
        for (let i = i0; i < i1; i++) {
          const x = Math.fround(data[base + i]! - reference[i]!);
          ms += alpha * (x * x - ms);
        }
      }
    }
    s.meanSquare[c] = ms;
    s.prevBelow[c] = below;
    s.sinceCrossing[c] = since;
    s.counts[c]! += count;
    s.power[c] = power;
  }
  s.seen = seen0 + (i1 - i0);
}
