/**
 * RunningR2 — the coefficient of determination of live predictions against the truth the task
 * provides (e.g. the simulator's cursor velocity), over the last `window` bins: what a clinician
 * watches to see whether decoding holds up. R² per dimension is 1 − SS_res/SS_tot about the
 * window's mean of the truth (as scikit-learn's r2_score); NaN until the window holds 2 bins, and
 * NaN (undefined) for a dimension whose truth has no variance in the window (within rounding:
 * `variesBeyondRounding`), never the huge negative number that rounding noise would give.
 * Ring buffers, no allocation per bin.
 */
import { InvalidOptionError } from '../../core/index.js';
import { variesBeyondRounding } from './regression-metrics.js';

export class RunningR2 {
  private readonly predicted: Float64Array;
  private readonly truth: Float64Array;
  private count = 0;
  private next = 0;

  constructor(
    readonly dimensions: number,
    readonly window: number,
  ) {
    if (!Number.isInteger(dimensions) || dimensions < 1) throw new InvalidOptionError('RunningR2 dimensions', 'a positive integer', dimensions);
    if (!Number.isInteger(window) || window < 2) throw new InvalidOptionError('RunningR2 window', 'an integer ≥ 2', window);
    this.predicted = new Float64Array(dimensions * window);
    this.truth = new Float64Array(dimensions * window);
  }

  /** Bins in the window. */
  get size(): number {
    return this.count;
  }

  add(predicted: ArrayLike<number>, truth: ArrayLike<number>): void {
    const D = this.dimensions;
    for (let d = 0; d < D; d++) {
      this.predicted[this.next * D + d] = predicted[d]!;
      this.truth[this.next * D + d] = truth[d]!;
    }
    this.next = (this.next + 1) % this.window;
    if (this.count < this.window) this.count++;
  }

  /** R² of dimension `d` over the window. */
  r2(d: number): number {
    if (this.count < 2) return Number.NaN;
    const { residual, total, maxAbs } = this.sums(d);
    return variesBeyondRounding(total, this.count, maxAbs) ? 1 - residual / total : Number.NaN;
  }

  /** Σ(truth − predicted)², Σ(truth − mean of the truth)² and max |truth| of dimension `d` over the window. */
  private sums(d: number): { residual: number; total: number; maxAbs: number } {
    const n = this.count;
    const D = this.dimensions;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += this.truth[i * D + d]!;
    mean /= n;
    let residual = 0;
    let total = 0;
    let maxAbs = 0;
    for (let i = 0; i < n; i++) {
      const t = this.truth[i * D + d]!;
      const e = t - this.predicted[i * D + d]!;
      residual += e * e;
      total += (t - mean) * (t - mean);
      maxAbs = Math.max(maxAbs, Math.abs(t));
    }
    return { residual, total, maxAbs };
  }

  /**
   * R² of all dimensions together, each weighted by the variance of its truth (as scikit-learn's
   * `multioutput='variance_weighted'`, except that the error on a dimension held still counts):
   * 1 − ΣSS_res / ΣSS_tot. Defined as long as any dimension's truth varies in the window (a
   * centre-out task holds one axis still for whole trials); NaN when none does.
   */
  pooledR2(): number {
    if (this.count < 2) return Number.NaN;
    let residual = 0;
    let total = 0;
    let maxAbs = 0;
    for (let d = 0; d < this.dimensions; d++) {
      const s = this.sums(d);
      residual += s.residual;
      total += s.total;
      maxAbs = Math.max(maxAbs, s.maxAbs);
    }
    return variesBeyondRounding(total, this.count, maxAbs) ? 1 - residual / total : Number.NaN;
  }

  /** Mean R² over the dimensions where it is defined; NaN when none is. */
  meanR2(): number {
    let sum = 0;
    let defined = 0;
    for (let d = 0; d < this.dimensions; d++) {
      const r2 = this.r2(d);
      if (Number.isNaN(r2)) continue;
      sum += r2;
      defined++;
    }
    return defined > 0 ? sum / defined : Number.NaN;
  }
}
