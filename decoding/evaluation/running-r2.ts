/**
 * RunningR2 — the coefficient of determination of live predictions against the truth the task
 * provides (e.g. the simulator's cursor velocity), over the last `window` bins: what a clinician
 * watches to see whether decoding holds up. R² per dimension is 1 − SS_res/SS_tot about the
 * window's mean of the truth (as scikit-learn's r2_score); NaN until the window holds 2 bins.
 * Ring buffers, no allocation per bin.
 */
import { InvalidOptionError } from '../../core/index.js';

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
    const { residual, total } = this.sums(d);
    return total > 0 ? 1 - residual / total : Number.NaN;
  }

  /** Σ(truth − predicted)² and Σ(truth − mean of the truth)² of dimension `d` over the window. */
  private sums(d: number): { residual: number; total: number } {
    const n = this.count;
    const D = this.dimensions;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += this.truth[i * D + d]!;
    mean /= n;
    let residual = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const t = this.truth[i * D + d]!;
      const e = t - this.predicted[i * D + d]!;
      residual += e * e;
      total += (t - mean) * (t - mean);
    }
    return { residual, total };
  }

  /**
   * R² of all dimensions together, each weighted by the variance of its truth (scikit-learn's
   * `multioutput='variance_weighted'`): 1 − ΣSS_res / ΣSS_tot. Defined as long as any dimension's
   * truth varies in the window (a centre-out task holds one axis still for whole trials).
   */
  pooledR2(): number {
    if (this.count < 2) return Number.NaN;
    let residual = 0;
    let total = 0;
    for (let d = 0; d < this.dimensions; d++) {
      const s = this.sums(d);
      residual += s.residual;
      total += s.total;
    }
    return total > 0 ? 1 - residual / total : Number.NaN;
  }

  /** Mean R² over the dimensions. */
  meanR2(): number {
    let sum = 0;
    for (let d = 0; d < this.dimensions; d++) sum += this.r2(d);
    return sum / this.dimensions;
  }
}
