/**
 * Regression scores of continuous decoders, per output dimension, over n samples of D dimensions
 * (row-major [n × D] arrays of truth and prediction):
 *   - R² = 1 − SS_res / SS_tot, SS_tot about the mean of the truth in the set scored (scikit-learn's
 *     `r2_score`, `force_finite`: a constant truth scores 1 when predicted exactly, else 0). It is
 *     negative for predictions worse than the mean; the mean itself scores 0.
 *   - Pearson's correlation between truth and prediction (NaN when either is constant, as SciPy).
 *   - Their means over dimensions (scikit-learn's `uniform_average`).
 */
import { InvalidDataError } from '../../core/index.js';

export interface RegressionScores {
  readonly r2: number[];
  readonly correlation: number[];
  readonly meanR2: number;
  readonly meanCorrelation: number;
}

function checkShapes(truth: ArrayLike<number>, predicted: ArrayLike<number>, n: number, D: number): void {
  if (!Number.isInteger(n) || n < 1) throw new InvalidDataError('regression scores n', 'at least one sample', n);
  if (truth.length !== n * D) throw new InvalidDataError('regression scores truth', `${n} × ${D} = ${n * D} values`, truth);
  if (predicted.length !== n * D) throw new InvalidDataError('regression scores prediction', `${n} × ${D} = ${n * D} values`, predicted);
}

function columnMean(a: ArrayLike<number>, n: number, D: number, d: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i * D + d]!;
  return s / n;
}

/** R² per dimension (scikit-learn's r2_score with multioutput='raw_values'). */
export function r2Scores(truth: ArrayLike<number>, predicted: ArrayLike<number>, n: number, D: number): number[] {
  checkShapes(truth, predicted, n, D);
  const out: number[] = [];
  for (let d = 0; d < D; d++) {
    const mean = columnMean(truth, n, D, d);
    let res = 0;
    let tot = 0;
    for (let i = 0; i < n; i++) {
      const y = truth[i * D + d]!;
      const e = y - predicted[i * D + d]!;
      res += e * e;
      tot += (y - mean) * (y - mean);
    }
    out.push(tot === 0 ? (res === 0 ? 1 : 0) : 1 - res / tot);
  }
  return out;
}

/** Pearson's r per dimension; NaN where the truth or the prediction is constant. */
export function pearsonCorrelations(truth: ArrayLike<number>, predicted: ArrayLike<number>, n: number, D: number): number[] {
  checkShapes(truth, predicted, n, D);
  const out: number[] = [];
  for (let d = 0; d < D; d++) {
    const mt = columnMean(truth, n, D, d);
    const mp = columnMean(predicted, n, D, d);
    let stt = 0;
    let spp = 0;
    let stp = 0;
    for (let i = 0; i < n; i++) {
      const a = truth[i * D + d]! - mt;
      const b = predicted[i * D + d]! - mp;
      stt += a * a;
      spp += b * b;
      stp += a * b;
    }
    out.push(stt === 0 || spp === 0 ? Number.NaN : Math.max(-1, Math.min(1, stp / Math.sqrt(stt * spp))));
  }
  return out;
}

export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

export function regressionScores(truth: ArrayLike<number>, predicted: ArrayLike<number>, n: number, D: number): RegressionScores {
  const r2 = r2Scores(truth, predicted, n, D);
  const correlation = pearsonCorrelations(truth, predicted, n, D);
  return { r2, correlation, meanR2: mean(r2), meanCorrelation: mean(correlation) };
}
