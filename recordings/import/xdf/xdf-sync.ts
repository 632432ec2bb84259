/**
 * XDF time-stamp post-processing, as pyxdf's `load_xdf` does it by default (pyxdf.py is the
 * spec; names below follow it), pure over Float64Arrays:
 *
 *   1. `truncateCorruptedOffsets` — the pylsl#67 / liblsl#246 defect: more samples than the
 *      footer's `sample_count` AND a statistically anomalous last clock offset → both dropped.
 *   2. `clockSync` — clock offsets fitted per clock segment by a robust (Huber, ADMM, 1000
 *      iterations) linear regression of offset on collection time, winsorised at 0.1 ms, and
 *      added to the time stamps. Clock resets (a collection time going back, or a time AND value
 *      glitch beyond 5 s / 5 MADs and 1 s / 10 MADs) split the offsets into segments; each run of
 *      time stamps is corrected by its own segment's fit.
 *   3. `jitterRemoval` — regular streams: breaks where consecutive stamps differ by more than
 *      max(1 s, 500 samples); within each segment the stamps are replaced by their least-squares
 *      line over the sample index. `effectiveRateHz` is the weighted rate over the segments.
 *      Irregular streams (rate 0) and streams whose desc says `can_drop_samples` are kept as
 *      they are.
 */

/** pyxdf's defaults. */
export const XDF_SYNC_DEFAULTS = {
  jitterBreakThresholdSeconds: 1,
  jitterBreakThresholdSamples: 500,
  clockResetThresholdSeconds: 5,
  clockResetThresholdStds: 5,
  clockResetThresholdOffsetSeconds: 1,
  clockResetThresholdOffsetStds: 10,
  winsorThreshold: 0.0001,
} as const;

/** Inclusive [start, end] index range. */
export type Segment = readonly [number, number];

const EPS = 2.220446049250313e-16;

export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return NaN;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function diff(values: ArrayLike<number>): Float64Array {
  const out = new Float64Array(Math.max(0, values.length - 1));
  for (let i = 0; i < out.length; i++) out[i] = values[i + 1]! - values[i]!;
  return out;
}

/** Segments between breaks (`breaks[i]`: a break between element i and i + 1), inclusive. */
export function segmentsBetween(breaks: ArrayLike<boolean>): Segment[] {
  const segments: Segment[] = [];
  let start = 0;
  for (let i = 0; i < breaks.length; i++) {
    if (breaks[i]) {
      segments.push([start, i]);
      start = i + 1;
    }
  }
  segments.push([start, breaks.length]);
  return segments;
}

function segmentClockDiff(d: Float64Array, threshStds: number, threshSecs: number): boolean[] {
  const m = median(d);
  const shifted = d.map((v) => v - m);
  const mad = median(shifted.map(Math.abs)) + EPS;
  return Array.from(shifted, (s) => Math.abs(s / mad) > threshStds && Math.abs(s) > threshSecs);
}

/** Clock-reset segments of a stream's clock offsets (pyxdf `_detect_clock_resets`). */
export function detectClockResets(clockTimes: readonly number[], clockValues: readonly number[], o = XDF_SYNC_DEFAULTS): Segment[] {
  const timeDiff = diff(clockTimes);
  const valueDiff = diff(clockValues);
  const timeGlitch = segmentClockDiff(timeDiff, o.clockResetThresholdStds, o.clockResetThresholdSeconds);
  const valueGlitch = segmentClockDiff(valueDiff, o.clockResetThresholdOffsetStds, o.clockResetThresholdOffsetSeconds);
  const resets = Array.from(timeDiff, (t, i) => t < 0 || (timeGlitch[i]! && valueGlitch[i]!));
  return segmentsBetween(resets);
}

/**
 * Huber-loss linear regression y ≈ x0 + x1·t by ADMM (pyxdf `_robust_fit`, rho 1, 1000
 * iterations) over the design [1, t]; null where the normal matrix is singular.
 */
export function robustFit(t: ArrayLike<number>, y: ArrayLike<number>, rho = 1, iters = 1000): [number, number] | null {
  const n = t.length;
  let offset = Infinity;
  for (let i = 0; i < n; i++) offset = Math.min(offset, t[i]!);
  const a1 = new Float64Array(n);
  for (let i = 0; i < n; i++) a1[i] = t[i]! - offset;
  // AᵀA and its Cholesky factor L (lower).
  let s1 = 0;
  let s11 = 0;
  let aty0 = 0;
  let aty1 = 0;
  for (let i = 0; i < n; i++) {
    s1 += a1[i]!;
    s11 += a1[i]! * a1[i]!;
    aty0 += y[i]!;
    aty1 += a1[i]! * y[i]!;
  }
  const l00 = Math.sqrt(n);
  const l10 = s1 / l00;
  const l11sq = s11 - l10 * l10;
  if (!(l11sq > 0)) return null;
  const l11 = Math.sqrt(l11sq);
  const z = new Float64Array(n);
  const u = new Float64Array(n);
  let x0 = 0;
  let x1 = 0;
  for (let k = 0; k < iters; k++) {
    // rhs = Aᵀy + Aᵀ(z − u)
    let r0 = aty0;
    let r1 = aty1;
    for (let i = 0; i < n; i++) {
      const w = z[i]! - u[i]!;
      r0 += w;
      r1 += a1[i]! * w;
    }
    // solve L w = rhs, then Lᵀ x = w
    const w0 = r0 / l00;
    const w1 = (r1 - l10 * w0) / l11;
    x1 = w1 / l11;
    x0 = (w0 - l10 * x1) / l00;
    for (let i = 0; i < n; i++) {
      const d = x0 + a1[i]! * x1 - y[i]! + u[i]!;
      const dInv = d !== 0 ? 1 / d : 0;
      const tmp = Math.max(0, 1 - (1 + 1 / rho) * Math.abs(dInv));
      const zi = (rho / (1 + rho)) * d + (1 / (1 + rho)) * tmp * d;
      z[i] = zi;
      u[i] = d - zi;
    }
  }
  return [x0 - x1 * offset, x1];
}

function detectCorruptedClockOffset(times: readonly number[], values: readonly number[], timeThresh = 10, valueThresh = 10): boolean {
  if (times.length < 3) return false;
  const intervals = diff(times);
  const medianInterval = median(intervals.subarray(0, intervals.length - 1));
  const lastInterval = Math.abs(intervals[intervals.length - 1]!);
  const timeRatio = medianInterval > 0 ? lastInterval / medianInterval : lastInterval > 0 ? Infinity : 1;
  const head = values.slice(0, -1);
  const medianValue = median(head);
  const mad = median(head.map((v) => Math.abs(v - medianValue)));
  const z = mad > EPS ? Math.abs(values[values.length - 1]! - medianValue) / (1.4826 * mad) : 0;
  return timeRatio > timeThresh || z > valueThresh;
}

/** The per-stream state the steps read and update (pyxdf's StreamData). */
export interface SyncStream {
  timeStamps: Float64Array;
  clockTimes: number[];
  clockValues: number[];
  readonly nominalRateHz: number;
  /** Footer's sample_count, if any. */
  readonly footerSampleCount?: number;
  /** desc/synchronization/can_drop_samples is "true". */
  readonly canDropSamples: boolean;
  segments: Segment[];
  clockSegments: Segment[];
  effectiveRateHz: number;
}

/**
 * pylsl#67 / liblsl#246: truncates the extra samples and the last clock offset when both are
 * wrong. Returns how many samples were dropped (0 when nothing was), so the caller says so.
 */
export function truncateCorruptedOffsets(s: SyncStream): number {
  if (s.footerSampleCount === undefined || s.timeStamps.length <= s.footerSampleCount) return 0;
  if (s.clockTimes.length < 3 || !detectCorruptedClockOffset(s.clockTimes, s.clockValues)) return 0;
  s.clockTimes = s.clockTimes.slice(0, -1);
  s.clockValues = s.clockValues.slice(0, -1);
  const dropped = s.timeStamps.length - s.footerSampleCount;
  s.timeStamps = s.timeStamps.slice(0, s.footerSampleCount);
  return dropped;
}

/** Applies the clock offsets to the time stamps (pyxdf `_clock_sync`), in place. */
export function clockSync(s: SyncStream, o = XDF_SYNC_DEFAULTS): void {
  const ts = s.timeStamps;
  const { clockTimes, clockValues } = s;
  if (ts.length === 0 || clockTimes.length === 0) return;
  const ranges: Segment[] = clockTimes.length > 1 ? detectClockResets(clockTimes, clockValues, o) : [[0, clockTimes.length - 1]];
  const w = o.winsorThreshold;
  const coefs = ranges.map(([start, stop]): [number, number] => {
    if (start === stop) return [clockValues[start]!, 0];
    const t = clockTimes.slice(start, stop + 1).map((v) => v / w);
    const y = clockValues.slice(start, stop + 1).map((v) => v / w);
    const fit = robustFit(t, y);
    return fit ? [fit[0] * w, fit[1]] : [0, 0];
  });
  if (ranges.length === 1) {
    const [c0, c1] = coefs[0]!;
    for (let i = 0; i < ts.length; i++) ts[i] = ts[i]! + (c0 + c1 * ts[i]!);
    s.clockSegments.push([0, ts.length - 1]);
    return;
  }
  let tsStart = 0;
  ranges.forEach(([, end], r) => {
    const [c0, c1] = coefs[r]!;
    const stop = end + 1;
    let tsStop: number;
    if (stop < clockTimes.length) {
      const currentEnd = clockTimes[end]!;
      const nextStart = clockTimes[stop]!;
      tsStop = ts.length;
      for (let i = tsStart; i < ts.length; i++) {
        if (!(Math.abs(ts[i]! - currentEnd) < Math.abs(ts[i]! - nextStart))) {
          tsStop = i;
          break;
        }
      }
    } else tsStop = ts.length;
    if (tsStart === tsStop) return; // pyxdf: no samples in this clock segment
    s.clockSegments.push([tsStart, tsStop - 1]);
    for (let i = tsStart; i < tsStop; i++) ts[i] = ts[i]! + (c0 + c1 * ts[i]!);
    tsStart = tsStop;
  });
}

/** Replaces regular streams' time stamps by their per-segment least-squares lines (pyxdf `_jitter_removal`), in place. */
export function jitterRemoval(s: SyncStream, o = XDF_SYNC_DEFAULTS): void {
  s.effectiveRateHz = 0;
  const ts = s.timeStamps;
  const n = ts.length;
  if (n === 0) return;
  if (s.nominalRateHz === 0) {
    s.segments.push([0, n - 1]);
    return;
  }
  if (s.canDropSamples) {
    s.segments.push([0, n - 1]);
    if (n > 1 && ts[n - 1]! - ts[0]! > 0) s.effectiveRateHz = (n - 1) / (ts[n - 1]! - ts[0]!);
    return;
  }
  const threshold = Math.max(o.jitterBreakThresholdSeconds, o.jitterBreakThresholdSamples / s.nominalRateHz);
  const breaks = Array.from(diff(ts), (d) => Math.abs(d) > threshold);
  const segments = segmentsBetween(breaks);
  s.segments.push(...segments);
  for (const [start, stop] of segments) {
    const m = stop - start + 1;
    if (m < 2) continue; // one stamp: its own line
    const meanI = (start + stop) / 2;
    let meanY = 0;
    for (let i = start; i <= stop; i++) meanY += ts[i]!;
    meanY /= m;
    let sxy = 0;
    let sxx = 0;
    for (let i = start; i <= stop; i++) {
      sxy += (i - meanI) * (ts[i]! - meanY);
      sxx += (i - meanI) * (i - meanI);
    }
    const slope = sxy / sxx;
    for (let i = start; i <= stop; i++) ts[i] = meanY + slope * (i - meanI);
  }
  let samples = 0;
  let duration = 0;
  let any = false;
  for (const [start, stop] of segments) {
    if (stop > start) any = true;
    samples += stop - start;
    duration += ts[stop]! - ts[start]!;
  }
  if (any) s.effectiveRateHz = samples / duration;
}
