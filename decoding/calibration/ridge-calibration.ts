/**
 * Ridge regression (Wiener filter) with lags, calibrated as the field's reference decoders are
 * (e.g. scikit-learn Ridge on lagged, z-scored spike counts; Glaser et al. 2020):
 *
 *   1. z-score every feature with the mean and population std of the training rows
 *      (standardizer.ts; std 0 → 1);
 *   2. lagged design, lag-major as RidgeModel documents: row t = [x'_t, x'_{t−1}, …, x'_{t−L}],
 *      with zeros (= the training mean) before the first bins of each contiguous run. Training rows
 *      gathered from both sides of a test fold are two runs (`runStarts`): no lag reaches across
 *      the gap. At test time the decoder (ridgeStep) starts each run from reset(), so the first L
 *      bins of a test fold see zeros and later bins see the fold's own previous bins — exactly
 *      what a live session does after calibration, and what evaluation measures;
 *   3. alpha chosen from `alphas` by inner contiguous K-fold CV (KFold without shuffle on the
 *      lagged training rows; score = R² averaged over targets (those with variance in the inner
 *      fold: a constant target has no R²), then over inner folds; the first
 *      best wins, as GridSearchCV);
 *   4. fit with an intercept: X and Y centred on the training rows, no penalty on the bias,
 *      (XᶜᵀXᶜ + αI) w = XᶜᵀYᶜ solved by Cholesky (ml-matrix), b = ȳ − x̄ᵀw.
 *
 * `lags` is RidgeModel.lags = L, the bins of history besides the current one: L + 1 bins in all
 * (the m1 reference's "5 bins of history, 0–200 ms" is lags 4).
 *
 * Cost: the sufficient statistics (XᵀX per inner block, skipping exact zeros, which spike counts
 * are full of) are accumulated once; each inner fold and alpha is then one P × P Cholesky solve
 * (P = (L+1)·F). With 171 units and L = 4, P = 855 and a calibration takes a few seconds.
 */
import { CholeskyDecomposition, Matrix, solve } from 'ml-matrix';
import { InvalidOptionError, checkInteger, checkNumber } from '../../core/index.js';
import type { RidgeModel } from '../models.js';
import { contiguousFolds } from '../evaluation/cross-validation.js';
import { r2Scores } from '../evaluation/regression-metrics.js';
import { checkTrainingData, fitStandardizer, runFirstRows } from './standardizer.js';

export const DEFAULT_ALPHAS: readonly number[] = [0.1, 1, 10, 100, 1000, 10000];

export interface RidgeCalibrationOptions {
  /** L: bins of history besides the current one (RidgeModel.lags). */
  lags: number;
  /** Candidate regularisations; default 0.1 … 10000 by decades. One value: no inner CV. */
  alphas?: readonly number[];
  /** Inner contiguous folds choosing alpha; default 5. */
  innerFolds?: number;
  featureNames: readonly string[];
  targetNames: readonly string[];
  /** Rows where a new contiguous run begins (lags do not cross them); default [0]. */
  runStarts?: readonly number[];
  /** Called with the inner-CV score (mean R²) of every alpha. */
  onAlphaScores?: (scores: ReadonlyArray<{ alpha: number; meanR2: number }>) => void;
}

/**
 * The lagged design [n × (L+1)·F] of Z [n × F] (already standardised): row t, columns
 * l·F … l·F + F − 1 hold Z[t − l], or zeros when t − l is before the start of t's run.
 */
export function laggedDesign(Z: Float64Array, n: number, F: number, lags: number, runStarts: readonly number[] = [0]): Float64Array {
  checkInteger('option', '--lags', lags, { min: 0 });
  const P = (lags + 1) * F;
  const first = runFirstRows(n, runStarts);
  const out = new Float64Array(n * P);
  for (let t = 0; t < n; t++) {
    for (let l = 0; l <= lags && t - l >= first[t]!; l++) {
      out.set(Z.subarray((t - l) * F, (t - l + 1) * F), t * P + l * F);
    }
  }
  return out;
}

/** Sufficient statistics of one block of rows: Σuuᵀ (upper triangle), Σu, ΣuYᵀ, ΣY, count. */
interface Block {
  readonly G: Float64Array;
  readonly s: Float64Array;
  readonly C: Float64Array;
  readonly t: Float64Array;
  count: number;
}

/**
 * Solves (G + αI) W = C for W [P × D], G symmetric positive semi-definite [P × P] (full, both
 * triangles): Cholesky, or the SVD where Cholesky fails numerically.
 */
export function solveRidge(G: Float64Array, C: Float64Array, P: number, D: number, alpha: number): Float64Array {
  const regularised = Float64Array.from(G);
  for (let i = 0; i < P; i++) regularised[i * P + i] = regularised[i * P + i]! + alpha;
  const A = Matrix.from1DArray(P, P, regularised);
  const B = Matrix.from1DArray(P, D, C);
  const chol = new CholeskyDecomposition(A);
  const W = chol.isPositiveDefinite() ? chol.solve(B) : solve(A, B, true);
  return Float64Array.from(W.to1DArray());
}

/** G (upper triangle, [P × P]) += v vᵀ for the sparse vector (index, value)[0 … nnz), indices ascending. */
function accumulateOuter(G: Float64Array, P: number, index: Int32Array, value: Float64Array, nnz: number): void {
  for (let a = 0; a < nnz; a++) {
    const row = index[a]! * P;
    const vi = value[a]!;
    for (let c = a; c < nnz; c++) {
      const k = row + index[c]!;
      G[k] = G[k]! + vi * value[c]!;
    }
  }
}

export function calibrateRidge(X: Float64Array, Y: Float64Array, n: number, F: number, D: number, options: RidgeCalibrationOptions): RidgeModel {
  const L = checkInteger('option', '--lags', options.lags, { min: 0 });
  const alphas = options.alphas ?? DEFAULT_ALPHAS;
  if (!Array.isArray(alphas) || alphas.length === 0) throw new InvalidOptionError('--alphas', 'one or more regularisations > 0', alphas);
  alphas.forEach((a, i) => checkNumber('option', `--alphas[${i}]`, a, { min: 0, exclusiveMin: true }));
  const innerFolds = alphas.length > 1 ? checkInteger('option', '--inner-folds', options.innerFolds ?? 5, { min: 2 }) : 1;
  checkTrainingData(X, Y, n, F, D, options.featureNames, options.targetNames, Math.max(2, innerFolds));

  const standardizer = fitStandardizer(X, n, F);
  const P = (L + 1) * F;
  const first = runFirstRows(n, options.runStarts);

  // Work in u = (x − c) / std with c = 0 where the mean is within 10 std of 0 (spike counts: their
  // many exact zeros are then skipped), the mean otherwise (no cancellation in the centring
  // below). Centred statistics do not depend on the shift. The padding before a run's start is
  // z = 0, i.e. u = (mean − c) / std.
  const shift = new Float64Array(F);
  for (let f = 0; f < F; f++) {
    const mu = standardizer.mean[f]!;
    shift[f] = Math.abs(mu) <= 10 * standardizer.std[f]! ? 0 : mu;
  }
  const pad = new Float64Array(F);
  for (let f = 0; f < F; f++) pad[f] = (standardizer.mean[f]! - shift[f]!) / standardizer.std[f]!;

  const u = new Float64Array(P);
  const lagRow = (t: number): void => {
    for (let l = 0; l <= L; l++) {
      const o = l * F;
      if (t - l >= first[t]!) {
        const src = (t - l) * F;
        for (let f = 0; f < F; f++) u[o + f] = (X[src + f]! - shift[f]!) / standardizer.std[f]!;
      } else u.set(pad, o);
    }
  };

  const blockSplits = innerFolds > 1 ? contiguousFolds(n, innerFolds).map((s) => s.test) : [Int32Array.from({ length: n }, (_, i) => i)];
  const blocks: Block[] = blockSplits.map(() => ({ G: new Float64Array(P * P), s: new Float64Array(P), C: new Float64Array(P * D), t: new Float64Array(D), count: 0 }));
  const index = new Int32Array(P);
  const value = new Float64Array(P);
  blockSplits.forEach((rows, b) => {
    const { G, s, C, t: ty } = blocks[b]!;
    for (const t of rows) {
      lagRow(t);
      let nnz = 0;
      for (let j = 0; j < P; j++) {
        const v = u[j]!;
        if (v !== 0) {
          index[nnz] = j;
          value[nnz++] = v;
        }
      }
      accumulateOuter(G, P, index, value, nnz);
      for (let a = 0; a < nnz; a++) {
        const i = index[a]!;
        const vi = value[a]!;
        s[i] = s[i]! + vi;
        for (let d = 0; d < D; d++) C[i * D + d] = C[i * D + d]! + vi * Y[t * D + d]!;
      }
      for (let d = 0; d < D; d++) ty[d] = ty[d]! + Y[t * D + d]!;
    }
    blocks[b]!.count = rows.length;
  });

  /** Centred system over all blocks except `leaveOut` (−1: all): full Gc, Cc, means. */
  const centred = (leaveOut: number) => {
    const G = new Float64Array(P * P);
    const C = new Float64Array(P * D);
    const s = new Float64Array(P);
    const ty = new Float64Array(D);
    let m = 0;
    blocks.forEach((block, b) => {
      if (b === leaveOut) return;
      for (let i = 0; i < P; i++) {
        const row = i * P;
        for (let j = i; j < P; j++) G[row + j] = G[row + j]! + block.G[row + j]!;
      }
      for (let k = 0; k < P * D; k++) C[k] = C[k]! + block.C[k]!;
      for (let k = 0; k < P; k++) s[k] = s[k]! + block.s[k]!;
      for (let d = 0; d < D; d++) ty[d] = ty[d]! + block.t[d]!;
      m += block.count;
    });
    for (let k = 0; k < P; k++) s[k] = s[k]! / m;
    for (let d = 0; d < D; d++) ty[d] = ty[d]! / m;
    for (let i = 0; i < P; i++) {
      for (let j = i; j < P; j++) {
        const v = G[i * P + j]! - m * s[i]! * s[j]!;
        G[i * P + j] = v;
        G[j * P + i] = v;
      }
      for (let d = 0; d < D; d++) C[i * D + d] = C[i * D + d]! - m * s[i]! * ty[d]!;
    }
    return { G, C, uMean: s, yMean: ty };
  };

  let alpha = alphas[0]!;
  if (alphas.length > 1) {
    const scores = new Float64Array(alphas.length);
    blockSplits.forEach((rows, b) => {
      const { G, C, uMean, yMean } = centred(b);
      const truth = new Float64Array(rows.length * D);
      for (let i = 0; i < rows.length; i++) for (let d = 0; d < D; d++) truth[i * D + d] = Y[rows[i]! * D + d]!;
      const weights = alphas.map((a) => solveRidge(G, C, P, D, a));
      const predicted = weights.map(() => new Float64Array(rows.length * D));
      for (let i = 0; i < rows.length; i++) {
        lagRow(rows[i]!);
        for (let j = 0; j < P; j++) u[j] = u[j]! - uMean[j]!;
        weights.forEach((w, a) => {
          const out = predicted[a]!;
          for (let d = 0; d < D; d++) {
            let y = yMean[d]!;
            for (let j = 0; j < P; j++) y += u[j]! * w[j * D + d]!;
            out[i * D + d] = y;
          }
        });
      }
      predicted.forEach((p, a) => {
        // A target without variance in this block has no R² and says nothing about alpha.
        const r2 = r2Scores(truth, p, rows.length, D).filter((v) => !Number.isNaN(v));
        if (r2.length > 0) scores[a] = scores[a]! + r2.reduce((x, y) => x + y, 0) / r2.length / blockSplits.length;
      });
    });
    let best = 0;
    for (let a = 1; a < alphas.length; a++) if (scores[a]! > scores[best]!) best = a;
    alpha = alphas[best]!;
    options.onAlphaScores?.(alphas.map((a, i) => ({ alpha: a, meanR2: scores[i]! })));
  }

  const { G, C, uMean, yMean } = centred(-1);
  const weights = solveRidge(G, C, P, D, alpha);
  // ŷ = ȳ + (u − ū)ᵀw with u = z + pad (per lag): bias = ȳ − ūᵀw + padᵀw on the model's z.
  const bias = new Float64Array(D);
  for (let d = 0; d < D; d++) {
    let b = yMean[d]!;
    for (let j = 0; j < P; j++) b += (pad[j % F]! - uMean[j]!) * weights[j * D + d]!;
    bias[d] = b;
  }
  return {
    type: 'ridge',
    inputNames: [...options.featureNames],
    outputNames: [...options.targetNames],
    lags: L,
    standardizer,
    weights,
    bias,
    alpha,
  };
}
