/**
 * calibrateLda — linear discriminant analysis (Gaussian classes sharing one covariance Σ) as an
 * LdaModel: p(k | x) = softmax_k(coef_k · x + intercept_k) with
 *   coef_k = Σ⁻¹ μ_k,   intercept_k = −½ μ_kᵀ Σ⁻¹ μ_k + log π_k,
 * μ_k the class means and π_k the class shares of the training set (the priors).
 *
 * Σ, as scikit-learn's LinearDiscriminantAnalysis computes it, so both give the same
 * posteriors:
 *   - no shrinkage (absent or 0): the pooled within-class scatter / (n − K) — what the default
 *     solver='svd' uses (its decisions, and posteriors, equal this form when Σ has full rank);
 *   - `shrinkage: α` in [0, 1] or `'auto'` (solver='lsqr'/'eigen' with shrinkage): Σ = Σ_k π_k S_k,
 *     each class's biased covariance S_k shrunk on its own towards (tr S_k / F)·I:
 *     (1 − α) S_k + α (tr S_k / F) I; 'auto' picks α per class by Ledoit–Wolf on the class's
 *     standardised features (sklearn's `_cov(X, 'auto')`: standardise, ledoit_wolf, rescale).
 *     The model records α (for 'auto', the prior-weighted mean of the per-class α).
 * Σ⁻¹ μ_k is solved with ml-matrix's SVD (the minimum-norm solution when Σ is singular, e.g.
 * more features than epochs without shrinkage). Arithmetic in Float64.
 */
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import { InvalidDataError, InvalidOptionError, checkInteger, checkNumber } from '../../core/index.js';
import type { LdaModel } from '../models.js';

export interface LdaCalibrationOptions {
  /** 0 / absent: none; a number in [0, 1]; 'auto': Ledoit–Wolf. */
  shrinkage?: number | 'auto';
  /** Class order of the model's outputs; default the labels' distinct values, sorted. */
  classes?: readonly string[];
  /** F names, one per feature. */
  featureNames: readonly string[];
}

/** Distinct labels, sorted (scikit-learn's `np.unique` order). */
export function sortedClasses(labels: readonly string[]): string[] {
  return [...new Set(labels)].sort();
}

/**
 * Ledoit–Wolf shrinkage intensity of `X` [n × p] (rows are samples), as scikit-learn's
 * `ledoit_wolf_shrinkage(X, assume_centered=False)`.
 */
export function ledoitWolfShrinkage(X: Float64Array, n: number, p: number): number {
  if (n < 2 || p < 2) return 0; // sklearn: one feature gives no shrinkage
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] = mean[j]! + X[i * p + j]! / n;
  const Xc = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) Xc[i * p + j] = X[i * p + j]! - mean[j]!;
  // emp_cov_trace_j = Σ_i x_ij² / n; mu = Σ_j / p
  let traceSum = 0;
  let beta_ = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < p; j++) row += Xc[i * p + j]! ** 2;
    traceSum += row / n;
    beta_ += row * row; // Σ of (X²)ᵀ(X²) = Σ_i (Σ_j x_ij²)²
  }
  const mu = traceSum / p;
  let delta_ = 0; // Σ of (XᵀX)², / n²
  for (let a = 0; a < p; a++) {
    for (let b = 0; b < p; b++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += Xc[i * p + a]! * Xc[i * p + b]!;
      delta_ += s * s;
    }
  }
  delta_ /= n * n;
  let beta = (1 / (p * n)) * (beta_ / n - delta_);
  const delta = (delta_ - 2 * mu * traceSum + p * mu * mu) / p;
  beta = Math.min(beta, delta);
  return beta === 0 ? 0 : beta / delta;
}

/** Biased covariance [p × p] of the rows of X [n × p]. */
function covariance(X: Float64Array, n: number, p: number): Float64Array {
  const mean = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) mean[j] = mean[j]! + X[i * p + j]! / n;
  const S = new Float64Array(p * p);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < p; a++) {
      const da = X[i * p + a]! - mean[a]!;
      for (let b = a; b < p; b++) S[a * p + b] = S[a * p + b]! + da * (X[i * p + b]! - mean[b]!);
    }
  }
  for (let a = 0; a < p; a++) {
    for (let b = a; b < p; b++) {
      S[a * p + b] = S[a * p + b]! / n;
      S[b * p + a] = S[a * p + b]!;
    }
  }
  return S;
}

function shrinkInPlace(S: Float64Array, p: number, alpha: number): void {
  let trace = 0;
  for (let j = 0; j < p; j++) trace += S[j * p + j]!;
  const target = (alpha * trace) / p;
  for (let i = 0; i < p * p; i++) S[i] = (1 - alpha) * S[i]!;
  for (let j = 0; j < p; j++) S[j * p + j] = S[j * p + j]! + target;
}

/** scikit-learn's `_cov(X, 'auto')`: Ledoit–Wolf on standardised features, rescaled. */
function ledoitWolfCovariance(X: Float64Array, n: number, p: number): { cov: Float64Array; alpha: number } {
  const S = covariance(X, n, p);
  const scale = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    const sd = Math.sqrt(S[j * p + j]!);
    scale[j] = sd > 0 ? sd : 1;
  }
  const Z = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) Z[i * p + j] = X[i * p + j]! / scale[j]!;
  const alpha = ledoitWolfShrinkage(Z, n, p);
  const R = covariance(Z, n, p);
  shrinkInPlace(R, p, alpha);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) R[a * p + b] = R[a * p + b]! * scale[a]! * scale[b]!;
  return { cov: R, alpha };
}

/**
 * Fits an LdaModel on X [n × F] (row-major, one row per sample) and one label per row.
 */
export function calibrateLda(X: Float64Array, n: number, F: number, labels: readonly string[], options: LdaCalibrationOptions): LdaModel {
  checkInteger('option', 'n', n, { min: 1 });
  checkInteger('option', 'F', F, { min: 1 });
  if (!(X instanceof Float64Array) || X.length !== n * F) throw new InvalidDataError('lda X', `a Float64Array of ${n} × ${F} values`, X);
  if (labels.length !== n) throw new InvalidDataError('lda labels', `${n} labels, one per row`, labels);
  const featureNames = options.featureNames;
  if (!Array.isArray(featureNames) || featureNames.length !== F) throw new InvalidOptionError('featureNames', `${F} names`, featureNames);
  for (let i = 0; i < X.length; i++) if (!Number.isFinite(X[i]!)) throw new InvalidDataError(`lda X[${Math.floor(i / F)}][${i % F}]`, 'a finite number', X[i]);
  const shrinkage = options.shrinkage ?? 0;
  if (shrinkage !== 'auto') checkNumber('option', 'shrinkage', shrinkage, { min: 0, max: 1 });
  const classes = options.classes ? [...options.classes] : sortedClasses(labels);
  if (classes.length < 2 || new Set(classes).size !== classes.length) throw new InvalidOptionError('classes', 'at least two distinct classes', classes.join(', '));
  const K = classes.length;
  const members: number[][] = classes.map(() => []);
  labels.forEach((label, i) => {
    const k = classes.indexOf(label);
    if (k < 0) throw new InvalidDataError(`lda labels[${i}]`, `one of ${classes.join(', ')}`, label);
    members[k]!.push(i);
  });
  members.forEach((rows, k) => {
    if (rows.length === 0) throw new InvalidDataError(`lda class ${classes[k]}`, 'at least one training sample', 0);
  });

  const means = new Float64Array(K * F);
  const priors = new Float64Array(K);
  const sigma = new Float64Array(F * F);
  let recorded = 0;
  for (let k = 0; k < K; k++) {
    const rows = members[k]!;
    const nk = rows.length;
    priors[k] = nk / n;
    const Xk = new Float64Array(nk * F);
    rows.forEach((r, i) => Xk.set(X.subarray(r * F, (r + 1) * F), i * F));
    for (let i = 0; i < nk; i++) for (let f = 0; f < F; f++) means[k * F + f] = means[k * F + f]! + Xk[i * F + f]! / nk;
    if (shrinkage === 0) {
      // Scatter, pooled below.
      const S = covariance(Xk, nk, F);
      for (let j = 0; j < F * F; j++) sigma[j] = sigma[j]! + S[j]! * nk;
    } else if (shrinkage === 'auto') {
      const { cov, alpha } = ledoitWolfCovariance(Xk, nk, F);
      for (let j = 0; j < F * F; j++) sigma[j] = sigma[j]! + priors[k]! * cov[j]!;
      recorded += priors[k]! * alpha;
    } else {
      const S = covariance(Xk, nk, F);
      shrinkInPlace(S, F, shrinkage);
      for (let j = 0; j < F * F; j++) sigma[j] = sigma[j]! + priors[k]! * S[j]!;
    }
  }
  if (shrinkage === 0) {
    const dof = n - K;
    if (dof < 1) throw new InvalidDataError('lda training set', `more samples than classes (${K}) without shrinkage`, n);
    for (let j = 0; j < F * F; j++) sigma[j] = sigma[j]! / dof;
  } else if (shrinkage !== 'auto') {
    recorded = shrinkage;
  }

  // Σ⁻¹ μ_k for every class at once: solve Σ B = Mᵀ.
  const S = new Matrix(F, F);
  for (let a = 0; a < F; a++) for (let b = 0; b < F; b++) S.set(a, b, sigma[a * F + b]!);
  const Mt = new Matrix(F, K);
  for (let k = 0; k < K; k++) for (let f = 0; f < F; f++) Mt.set(f, k, means[k * F + f]!);
  const B = new SingularValueDecomposition(S, { autoTranspose: true }).solve(Mt);
  const coef = new Float64Array(K * F);
  const intercept = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let quad = 0;
    for (let f = 0; f < F; f++) {
      const w = B.get(f, k);
      coef[k * F + f] = w;
      quad += w * means[k * F + f]!;
    }
    intercept[k] = -0.5 * quad + Math.log(priors[k]!);
  }
  for (let i = 0; i < coef.length; i++) {
    if (!Number.isFinite(coef[i]!)) throw new InvalidDataError('lda covariance', 'an invertible within-class covariance (try shrinkage)', 'a singular one');
  }
  return { type: 'lda', inputNames: [...featureNames], classes, coef, intercept, shrinkage: recorded };
}
