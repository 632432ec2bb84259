/**
 * Regression scores of continuous decoders, per output dimension, over n samples of D dimensions
 * (row-major [n × D] arrays of truth and prediction):
 *   - R² = 1 − SS_res / SS_tot, SS_tot about the mean of the truth in the set scored (scikit-learn's
 *     `r2_score`). It is negative for predictions worse than the mean; the mean itself scores 0.
 *     A truth without variance (SS_tot within rounding of zero: `truthVaries`) has no R²: NaN
 *     (null in JSON), never the ±1e13 that rounding noise in SS_tot would give, nor
 *     scikit-learn's `force_finite` 0 or 1, which would pass for a score.
 *   - Pearson's correlation between truth and prediction (NaN when either is constant, as SciPy).
 *   - Their means over the dimensions where they are defined (scikit-learn's `uniform_average`
 *     when all are); NaN when none is.
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

/**
 * Relative tolerance of "no variance": a truth whose standard deviation is at most this fraction
 * of its largest magnitude is constant up to rounding (a constant column's computed mean is off
 * by up to n·ε of its value, which leaves SS_tot tiny but not zero).
 */
export const NO_VARIANCE_RELATIVE_STD = 1e-10;

/**
 * Whether values of sum of squares about their mean `sumSquares` over `n` samples, the largest
 * of magnitude `maxAbs`, vary beyond rounding (see NO_VARIANCE_RELATIVE_STD).
 */
export function variesBeyondRounding(sumSquares: number, n: number, maxAbs: number): boolean {
  const tolerance = NO_VARIANCE_RELATIVE_STD * maxAbs;
  return sumSquares > n * tolerance * tolerance;
}

/** Per dimension: whether the truth varies (R² is defined), as in `r2Scores`. */
export function truthVaries(truth: ArrayLike<number>, n: number, D: number): boolean[] {
  const out: boolean[] = [];
  for (let d = 0; d < D; d++) {
    const mean = columnMean(truth, n, D, d);
    let tot = 0;
    let maxAbs = 0;
    for (let i = 0; i < n; i++) {
      const y = truth[i * D + d]!;
      tot += (y - mean) * (y - mean);
      maxAbs = Math.max(maxAbs, Math.abs(y));
    }
    out.push(variesBeyondRounding(tot, n, maxAbs));
  }
  return out;
}

/** R² per dimension (scikit-learn's r2_score with multioutput='raw_values'); NaN where the truth has no variance. */
export function r2Scores(truth: ArrayLike<number>, predicted: ArrayLike<number>, n: number, D: number): number[] {
  checkShapes(truth, predicted, n, D);
  const out: number[] = [];
  for (let d = 0; d < D; d++) {
    const mean = columnMean(truth, n, D, d);
    let res = 0;
    let tot = 0;
    let maxAbs = 0;
    for (let i = 0; i < n; i++) {
      const y = truth[i * D + d]!;
      const e = y - predicted[i * D + d]!;
      res += e * e;
      tot += (y - mean) * (y - mean);
      maxAbs = Math.max(maxAbs, Math.abs(y));
    }
    out.push(variesBeyondRounding(tot, n, maxAbs) ? 1 - res / tot : Number.NaN);
  }
  return out;
}

/** Pearson's r per dimension; NaN where the truth or the prediction is constant (within rounding). */
export function pearsonCorrelations(truth: ArrayLike<number>, predicted: ArrayLike<number>, n: number, D: number): number[] {
  checkShapes(truth, predicted, n, D);
  const out: number[] = [];
  for (let d = 0; d < D; d++) {
    const mt = columnMean(truth, n, D, d);
    const mp = columnMean(predicted, n, D, d);
    let stt = 0;
    let spp = 0;
    let stp = 0;
    let maxT = 0;
    let maxP = 0;
    for (let i = 0; i < n; i++) {
      const a = truth[i * D + d]! - mt;
      const b = predicted[i * D + d]! - mp;
      stt += a * a;
      spp += b * b;
      stp += a * b;
      maxT = Math.max(maxT, Math.abs(truth[i * D + d]!));
      maxP = Math.max(maxP, Math.abs(predicted[i * D + d]!));
    }
    const defined = variesBeyondRounding(stt, n, maxT) && variesBeyondRounding(spp, n, maxP);
    out.push(defined ? Math.max(-1, Math.min(1, stp / Math.sqrt(stt * spp))) : Number.NaN);
  }
  return out;
}

export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/** Mean of the values that are defined (not NaN); NaN when none is. */
export function definedMean(values: readonly number[]): number {
  const defined = values.filter((v) => !Number.isNaN(v));
  return defined.length > 0 ? mean(defined) : Number.NaN;
}

export function regressionScores(truth: ArrayLike<number>, predicted: ArrayLike<number>, n: number, D: number): RegressionScores {
  const r2 = r2Scores(truth, predicted, n, D);
  const correlation = pearsonCorrelations(truth, predicted, n, D);
  return { r2, correlation, meanR2: definedMean(r2), meanCorrelation: definedMean(correlation) };
}

/**
 * Why R² is undefined, one note per target concerned: `varies[fold][d]` says whether target d's
 * truth varies in the part scored by each fold (one fold: scored on all the data).
 */
export function undefinedR2Notes(targetNames: readonly string[], varies: readonly (readonly boolean[])[]): string[] {
  const notes: string[] = [];
  targetNames.forEach((name, d) => {
    const still = varies.flatMap((v, fold) => (v[d] ? [] : [fold]));
    if (still.length === 0) return;
    if (still.length === varies.length) notes.push(`R² undefined: target ${name} has no variance${varies.length > 1 ? ' in any fold' : ''}`);
    else notes.push(`R² of ${name}: mean over ${varies.length - still.length} of ${varies.length} folds; undefined in fold${still.length > 1 ? 's' : ''} ${still.join(', ')} (target ${name} has no variance there)`);
  });
  return notes;
}
