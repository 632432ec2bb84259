/**
 * The signal-quality kernel: per channel, over consecutive windows of the sample clock,
 *
 * - **railed** — the largest |value| in the window is at or above `railedFraction` (OpenBCI's rule:
 *   0.9) of the channel's full scale (the ADC's range in the channel's unit);
 * - **flat** — the channel has not changed (|x[n] − x[n−1]| ≤ `flatTolerance`) for `flatS` seconds
 *   or more, up to the window's end;
 * - **line noise** — the power in a ±2 Hz band around the mains frequency relative to the power in
 *   1–40 Hz, in dB (both from 4th-order Butterworth band-passes running on the stream; their
 *   state starts at the first sample's steady state, so a DC offset rings neither); none (NaN)
 *   for a window in which the channel never changed or has no 1–40 Hz power (mean < 1e-9 unit²).
 *
 * The sample rate and the mains frequency are always given. State lives in one object of typed
 * arrays made by {@link createSignalQualityState}; {@link pushSignalQuality} allocates nothing.
 */
import { InvalidOptionError, checkInteger, checkNumber } from '../../core/index.js';
import { designButterworth } from '../filters/butterworth.js';

/** What a channel's quality is, worst first: railed, then flat, then line noise. */
export const SIGNAL_QUALITY_STATUSES = ['railed', 'flat', 'line-noise', 'ok'] as const;
export type SignalQualityStatus = (typeof SIGNAL_QUALITY_STATUSES)[number];

export interface SignalQualityKernelOptions {
  /** Sample rate of the stream, Hz. Never defaulted. */
  sampleRateHz: number;
  /** Mains frequency, Hz: 50 or 60. Never defaulted. */
  mainsHz: 50 | 60;
  /** Full scale per analysed channel, in the channel's unit; 0 where unknown (never railed). */
  fullScale: ArrayLike<number>;
  /** Window over which a verdict is given, seconds. Default 1. */
  windowS?: number;
  /** Fraction of full scale at or above which a channel is railed. Default 0.9 (OpenBCI GUI). */
  railedFraction?: number;
  /** Seconds without change after which a channel is flat. Default 1. */
  flatS?: number;
  /** Largest sample-to-sample change that still counts as no change, in the channel's unit. Default 0. */
  flatTolerance?: number;
  /** Mains-to-band power ratio (dB) above which a channel has line noise. Default 0 dB. */
  lineNoiseMaxDb?: number;
}

/** The kernel's state and its latest verdicts (read them in `onWindow`). */
export interface SignalQualityState {
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly mainsHz: number;
  readonly windowSamples: number;
  readonly flatSamples: number;
  readonly railedFraction: number;
  readonly flatTolerance: number;
  readonly lineNoiseMaxDb: number;
  readonly fullScale: Float64Array;
  /** Per channel: the window's largest |value|. */
  readonly peak: Float64Array;
  /** Per channel: samples in the current run of unchanged values (1 = the last sample alone). */
  readonly flatRun: Float64Array;
  readonly last: Float64Array;
  readonly bandPower: Float64Array;
  readonly mainsPower: Float64Array;
  readonly bandSos: Float64Array;
  readonly mainsSos: Float64Array;
  readonly bandZ: Float64Array;
  readonly mainsZ: Float64Array;
  /** Samples in the current window. */
  count: number;
  /** Sample index (exclusive) at which the current window ends. */
  windowEnd: number;
  started: boolean;
  /** Verdicts of the last completed window: index into {@link SIGNAL_QUALITY_STATUSES} per channel. */
  readonly status: Uint8Array;
  /** The last completed window's peak |value| as a fraction of full scale (NaN where unknown). */
  readonly peakFraction: Float64Array;
  /** Seconds the channel had not changed at the last window's end. */
  readonly flatSeconds: Float64Array;
  /** Mains power relative to 1–40 Hz power, dB (NaN where there is no 1–40 Hz power). */
  readonly lineNoiseDb: Float64Array;
  /** Sample index (exclusive) where the last completed window ended. */
  lastWindowEnd: number;
}

/** Normalised second-order sections (a0 = 1): [b0, b1, b2, a1, a2] each. */
function normalised(sos: Float64Array): Float64Array {
  const n = sos.length / 6;
  const out = new Float64Array(n * 5);
  for (let s = 0; s < n; s++) {
    const a0 = sos[6 * s + 3]!;
    out[5 * s] = sos[6 * s]! / a0;
    out[5 * s + 1] = sos[6 * s + 1]! / a0;
    out[5 * s + 2] = sos[6 * s + 2]! / a0;
    out[5 * s + 3] = sos[6 * s + 4]! / a0;
    out[5 * s + 4] = sos[6 * s + 5]! / a0;
  }
  return out;
}

/** State for `fullScale.length` channels. */
export function createSignalQualityState(options: SignalQualityKernelOptions): SignalQualityState {
  const fs = checkNumber('option', 'sampleRateHz', options.sampleRateHz, { min: 0, exclusiveMin: true });
  const mainsHz = options.mainsHz;
  if (mainsHz !== 50 && mainsHz !== 60) throw new InvalidOptionError('mainsHz', '50 or 60', mainsHz);
  if (fs <= 2 * (mainsHz + 2)) {
    throw new InvalidOptionError('sampleRateHz', `a rate above ${2 * (mainsHz + 2)} Hz (to see ${mainsHz} Hz mains)`, fs);
  }
  const windowS = checkNumber('option', 'windowS', options.windowS ?? 1, { min: 0, exclusiveMin: true, max: 3600 });
  const flatS = checkNumber('option', 'flatS', options.flatS ?? 1, { min: 0, exclusiveMin: true, max: 3600 });
  const railedFraction = checkNumber('option', 'railedFraction', options.railedFraction ?? 0.9, { min: 0, exclusiveMin: true, max: 1 });
  const flatTolerance = checkNumber('option', 'flatTolerance', options.flatTolerance ?? 0, { min: 0 });
  const lineNoiseMaxDb = checkNumber('option', 'lineNoiseMaxDb', options.lineNoiseMaxDb ?? 0);
  const channels = checkInteger('option', 'fullScale.length', options.fullScale.length, { min: 0 });
  const fullScale = Float64Array.from(options.fullScale, (v, c) => checkNumber('option', `fullScale[${c}]`, v, { min: 0 }));
  const bandSos = normalised(designButterworth({ type: 'bandpass', order: 2, cutoffHz: [1, 40], sampleRateHz: fs }));
  const mainsSos = normalised(designButterworth({ type: 'bandpass', order: 2, cutoffHz: [mainsHz - 2, mainsHz + 2], sampleRateHz: fs }));
  return {
    channels,
    sampleRateHz: fs,
    mainsHz,
    windowSamples: Math.max(1, Math.round(windowS * fs)),
    flatSamples: Math.max(2, Math.round(flatS * fs)),
    railedFraction,
    flatTolerance,
    lineNoiseMaxDb,
    fullScale,
    peak: new Float64Array(channels),
    flatRun: new Float64Array(channels),
    last: new Float64Array(channels),
    bandPower: new Float64Array(channels),
    mainsPower: new Float64Array(channels),
    bandSos,
    mainsSos,
    bandZ: new Float64Array(channels * (bandSos.length / 5) * 2),
    mainsZ: new Float64Array(channels * (mainsSos.length / 5) * 2),
    count: 0,
    windowEnd: 0,
    started: false,
    status: new Uint8Array(channels).fill(SIGNAL_QUALITY_STATUSES.indexOf('ok')),
    peakFraction: new Float64Array(channels).fill(NaN),
    flatSeconds: new Float64Array(channels),
    lineNoiseDb: new Float64Array(channels).fill(NaN),
    lastWindowEnd: 0,
  };
}

/** Sets a cascade's state to its steady state for a constant input `x` (scipy's `sosfilt_zi` × x). */
function steadyState(sos: Float64Array, z: Float64Array, at: number, x: number): void {
  const sections = sos.length / 5;
  let input = x;
  for (let s = 0; s < sections; s++) {
    const b0 = sos[5 * s]!;
    const b1 = sos[5 * s + 1]!;
    const b2 = sos[5 * s + 2]!;
    const a1 = sos[5 * s + 3]!;
    const a2 = sos[5 * s + 4]!;
    const y = ((b0 + b1 + b2) / (1 + a1 + a2)) * input;
    const z1 = b2 * input - a2 * y;
    z[at + 2 * s + 1] = z1;
    z[at + 2 * s] = b1 * input - a1 * y + z1;
    input = y;
  }
}

/** One sample through a cascade (transposed direct form II); returns the output. */
function step(sos: Float64Array, z: Float64Array, at: number, x: number): number {
  const sections = sos.length / 5;
  let v = x;
  for (let s = 0; s < sections; s++) {
    const k = 5 * s;
    const i = at + 2 * s;
    const y = sos[k]! * v + z[i]!;
    z[i] = sos[k + 1]! * v - sos[k + 3]! * y + z[i + 1]!;
    z[i + 1] = sos[k + 2]! * v - sos[k + 4]! * y;
    v = y;
  }
  return v;
}

/** Closes the current window: verdicts into `status`, `peakFraction`, `flatSeconds`, `lineNoiseDb`. */
function closeWindow(state: SignalQualityState): void {
  const railed = SIGNAL_QUALITY_STATUSES.indexOf('railed');
  const flat = SIGNAL_QUALITY_STATUSES.indexOf('flat');
  const noisy = SIGNAL_QUALITY_STATUSES.indexOf('line-noise');
  const ok = SIGNAL_QUALITY_STATUSES.indexOf('ok');
  for (let c = 0; c < state.channels; c++) {
    const full = state.fullScale[c]!;
    const fraction = full > 0 ? state.peak[c]! / full : NaN;
    const band = state.bandPower[c]!;
    // No line-noise figure for a channel that did not change all window (the filters only ring
    // down) or whose 1–40 Hz power is numerically nothing.
    const still = state.flatRun[c]! >= state.count;
    const db = !still && band / state.count > 1e-9 ? 10 * Math.log10(state.mainsPower[c]! / band) : NaN;
    state.peakFraction[c] = fraction;
    state.flatSeconds[c] = state.flatRun[c]! >= 2 ? state.flatRun[c]! / state.sampleRateHz : 0;
    state.lineNoiseDb[c] = db;
    state.status[c] =
      fraction >= state.railedFraction ? railed : state.flatRun[c]! >= state.flatSamples ? flat : db > state.lineNoiseMaxDb ? noisy : ok;
    state.peak[c] = 0;
    state.bandPower[c] = 0;
    state.mainsPower[c] = 0;
  }
  state.lastWindowEnd = state.windowEnd;
  state.count = 0;
}

/**
 * Feeds one channel-major block (`channels` rows of `length` samples; row `rows[k]` is analysed
 * channel k, or row k without `rows`) whose first sample is `first` on the stream's clock.
 * `gap`: samples were lost before this block (the flat run starts again; a window the gap
 * passes is closed). Calls `onWindow(state)` each time a window completes.
 */
export function pushSignalQuality(
  state: SignalQualityState,
  data: Float32Array,
  length: number,
  first: number,
  gap: boolean,
  onWindow: (state: SignalQualityState) => void,
  rows?: ArrayLike<number>,
): void {
  const W = state.windowSamples;
  const C = state.channels;
  if (!state.started) {
    state.started = true;
    state.windowEnd = (Math.floor(first / W) + 1) * W;
    for (let c = 0; c < C; c++) {
      const x = data[(rows ? rows[c]! : c) * length] ?? 0;
      steadyState(state.bandSos, state.bandZ, c * (state.bandSos.length / 5) * 2, x);
      steadyState(state.mainsSos, state.mainsZ, c * (state.mainsSos.length / 5) * 2, x);
    }
  } else if (first >= state.windowEnd) {
    if (state.count > 0) {
      closeWindow(state);
      onWindow(state);
    }
    state.windowEnd = (Math.floor(first / W) + 1) * W;
  }
  if (gap) state.flatRun.fill(0);
  let i0 = 0;
  while (i0 < length) {
    const i1 = Math.min(length, state.windowEnd - first);
    if (state.bandSos.length === 10 && state.mainsSos.length === 10) accumulateTwoSections(state, data, length, i0, i1, rows);
    else accumulate(state, data, length, i0, i1, rows);
    state.count += i1 - i0;
    if (first + i1 === state.windowEnd) {
      closeWindow(state);
      onWindow(state);
      state.windowEnd += W;
    }
    i0 = i1;
  }
}

/** Samples `[i0, i1)` of each analysed row into the window's figures (any number of sections). */
function accumulate(state: SignalQualityState, data: Float32Array, length: number, i0: number, i1: number, rows: ArrayLike<number> | undefined): void {
  const tol = state.flatTolerance;
  for (let c = 0; c < state.channels; c++) {
    const base = (rows ? rows[c]! : c) * length;
    const bandAt = c * (state.bandSos.length / 5) * 2;
    const mainsAt = c * (state.mainsSos.length / 5) * 2;
    let peak = state.peak[c]!;
    let run = state.flatRun[c]!;
    let last = state.last[c]!;
    let band = state.bandPower[c]!;
    let mains = state.mainsPower[c]!;
    for (let i = i0; i < i1; i++) {
      const x = data[base + i]!;
      const a = x < 0 ? -x : x;
      if (a > peak) peak = a;
      run = run > 0 && Math.abs(x - last) <= tol ? run + 1 : 1;
      last = x;
      const yb = step(state.bandSos, state.bandZ, bandAt, x);
      const ym = step(state.mainsSos, state.mainsZ, mainsAt, x);
      band += yb * yb;
      mains += ym * ym;
    }
    state.peak[c] = peak;
    state.flatRun[c] = run;
    state.last[c] = last;
    state.bandPower[c] = band;
    state.mainsPower[c] = mains;
  }
}

/**
 * `accumulate` for two sections per band-pass (the order-2 designs this kernel makes), with the
 * coefficients and each channel's filter state in locals: the same operations in the same order
 * as `step`, so the same bits, ~3× faster (the kernel runs on every raw block of a session).
 */
function accumulateTwoSections(state: SignalQualityState, data: Float32Array, length: number, i0: number, i1: number, rows: ArrayLike<number> | undefined): void {
  const tol = state.flatTolerance;
  const bs = state.bandSos;
  const ms = state.mainsSos;
  const bz = state.bandZ;
  const mz = state.mainsZ;
  const p0 = bs[0]!, p1 = bs[1]!, p2 = bs[2]!, p3 = bs[3]!, p4 = bs[4]!;
  const q0 = bs[5]!, q1 = bs[6]!, q2 = bs[7]!, q3 = bs[8]!, q4 = bs[9]!;
  const r0 = ms[0]!, r1 = ms[1]!, r2 = ms[2]!, r3 = ms[3]!, r4 = ms[4]!;
  const s0 = ms[5]!, s1 = ms[6]!, s2 = ms[7]!, s3 = ms[8]!, s4 = ms[9]!;
  for (let c = 0; c < state.channels; c++) {
    const base = (rows ? rows[c]! : c) * length;
    const at = 4 * c;
    let peak = state.peak[c]!;
    let run = state.flatRun[c]!;
    let last = state.last[c]!;
    let band = state.bandPower[c]!;
    let mains = state.mainsPower[c]!;
    let b0 = bz[at]!, b1 = bz[at + 1]!, b2 = bz[at + 2]!, b3 = bz[at + 3]!;
    let m0 = mz[at]!, m1 = mz[at + 1]!, m2 = mz[at + 2]!, m3 = mz[at + 3]!;
    for (let i = base + i0, end = base + i1; i < end; i++) {
      const x = data[i]!;
      const a = x < 0 ? -x : x;
      if (a > peak) peak = a;
      run = run > 0 && Math.abs(x - last) <= tol ? run + 1 : 1;
      last = x;
      const u = p0 * x + b0;
      b0 = p1 * x - p3 * u + b1;
      b1 = p2 * x - p4 * u;
      const yb = q0 * u + b2;
      b2 = q1 * u - q3 * yb + b3;
      b3 = q2 * u - q4 * yb;
      const v = r0 * x + m0;
      m0 = r1 * x - r3 * v + m1;
      m1 = r2 * x - r4 * v;
      const ym = s0 * v + m2;
      m2 = s1 * v - s3 * ym + m3;
      m3 = s2 * v - s4 * ym;
      band += yb * yb;
      mains += ym * ym;
    }
    bz[at] = b0;
    bz[at + 1] = b1;
    bz[at + 2] = b2;
    bz[at + 3] = b3;
    mz[at] = m0;
    mz[at + 1] = m1;
    mz[at + 2] = m2;
    mz[at + 3] = m3;
    state.peak[c] = peak;
    state.flatRun[c] = run;
    state.last[c] = last;
    state.bandPower[c] = band;
    state.mainsPower[c] = mains;
  }
}
