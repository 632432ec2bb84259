/**
 * Latency per stage as a histogram on log-spaced bins, plus exact recent percentiles.
 *
 * Layout contract
 * ---------------
 * - Bin edges (ms): `LATENCY_EDGES_MS[i] = 10^(-2 + i/4)`, i = 0 … 24 (0.01 ms … 10 s, four bins
 *   a decade). Bin `j` counts values in `[edges[j], edges[j + 1])`; values below 0.01 ms go to bin
 *   0, values of 10 s or more to the last bin (j = 23). Negative or NaN values are not counted.
 * - `copyCounts(out)` writes `[stages × bins]` row-major (stage `s`, bin `j` at `s * bins + j`):
 *   counts since the session started.
 * - Percentiles are over the last `recent` values of a stage (a ring), exact.
 */
import { InvalidOptionError } from '../../core/errors.js';
import { checkInteger } from '../../core/validate.js';

export const LATENCY_EDGES_MS: readonly number[] = Array.from({ length: 25 }, (_, i) => 10 ** (-2 + i / 4));
export const LATENCY_BINS = LATENCY_EDGES_MS.length - 1;

const LOG_LOW = -2;
const PER_DECADE = 4;

/** The bin of a latency in ms (-1 when it is not a number ≥ 0). */
export function latencyBin(ms: number): number {
  if (!(ms >= 0)) return -1;
  if (ms < LATENCY_EDGES_MS[0]!) return 0;
  let j = Math.floor((Math.log10(ms) - LOG_LOW) * PER_DECADE);
  // Guard the edges against rounding in log10.
  if (j < LATENCY_BINS && ms < LATENCY_EDGES_MS[j]!) j -= 1;
  else if (j + 1 < LATENCY_EDGES_MS.length && ms >= LATENCY_EDGES_MS[j + 1]!) j += 1;
  return Math.min(LATENCY_BINS - 1, Math.max(0, j));
}

export class LatencyHistogram {
  readonly stages: number;
  readonly recent: number;
  private readonly counts: Float64Array;
  private readonly rings: Float64Array;
  private readonly filled: Int32Array;
  private readonly heads: Int32Array;
  private readonly scratch: Float64Array;

  constructor(stages: number, recent = 2048) {
    this.stages = checkInteger('option', 'LatencyHistogram.stages', stages, { min: 1, max: 64 });
    this.recent = checkInteger('option', 'LatencyHistogram.recent', recent, { min: 1, max: 1 << 20 });
    this.counts = new Float64Array(this.stages * LATENCY_BINS);
    this.rings = new Float64Array(this.stages * this.recent);
    this.filled = new Int32Array(this.stages);
    this.heads = new Int32Array(this.stages);
    this.scratch = new Float64Array(this.recent);
  }

  /** Counts one latency (ms) of stage `stage`. */
  add(stage: number, ms: number): void {
    if (!(stage >= 0 && stage < this.stages)) throw new InvalidOptionError('LatencyHistogram.stage', `0 … ${this.stages - 1}`, stage);
    const bin = latencyBin(ms);
    if (bin < 0) return;
    this.counts[stage * LATENCY_BINS + bin]! += 1;
    const head = this.heads[stage]!;
    this.rings[stage * this.recent + head] = ms;
    this.heads[stage] = (head + 1) % this.recent;
    if (this.filled[stage]! < this.recent) this.filled[stage]! += 1;
  }

  /** Values counted for a stage since the start. */
  total(stage: number): number {
    let n = 0;
    for (let j = 0; j < LATENCY_BINS; j++) n += this.counts[stage * LATENCY_BINS + j]!;
    return n;
  }

  /** The q-quantile (0 … 1, nearest rank) of the stage's recent values; NaN when there are none. */
  percentile(stage: number, q: number): number {
    const n = this.filled[stage]!;
    if (n === 0) return NaN;
    const values = this.scratch.subarray(0, n);
    values.set(this.rings.subarray(stage * this.recent, stage * this.recent + n));
    values.sort();
    const rank = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
    return values[rank]!;
  }

  /** Writes the counts, `[stages × LATENCY_BINS]`. */
  copyCounts(out: Float32Array): void {
    if (out.length < this.counts.length) throw new InvalidOptionError('LatencyHistogram.out', `at least ${this.counts.length} values`, out.length);
    for (let i = 0; i < this.counts.length; i++) out[i] = this.counts[i]!;
  }
}
