/**
 * calibrateCspLda — common spatial patterns + LDA for two classes, as MNE-Python's
 * `CSP(n_components, reg=None, log=True, norm_trace=False)` followed by scikit-learn's
 * `LinearDiscriminantAnalysis()`:
 *
 *   1. class covariances by concatenating each class's epochs (MNE's default cov_est='concat'),
 *      without removing the mean (MNE's 'empirical' estimator with assume_centered=True) and, as
 *      MNE's `_compute_covariance_auto` rescales it, by N − 1: C_k = Σ_{e ∈ k} X_e X_eᵀ / (n_k·T − 1)
 *      (the divisor matters: the classes' sizes differ, so it moves the eigenvalues);
 *   2. the generalised eigenproblem C_a w = λ (C_a + C_b) w (scipy's `eigh(C_a, C_a + C_b)`),
 *      solved by whitening with ml-matrix's symmetric eigendecompositions:
 *      C_a + C_b = V D Vᵀ, P = V D^{-1/2} (directions with eigenvalue ≤ 1e-12·max dropped: a
 *      rank-deficient montage such as an average reference), M = Pᵀ C_a P = U Λ Uᵀ, w_i = P u_i —
 *      normalised as scipy's (wᵀ (C_a + C_b) w = 1), sign fixed so the largest |weight| is positive;
 *   3. components ordered by |λ − 0.5| descending (MNE's order for two classes), the first
 *      `components` kept as the model's filters;
 *   4. features f_k = log(mean_t((w_k · X)²)) — computed with models.ts's `cspFeatures`, the
 *      kernel the decoder runs — and calibrateLda on them (no shrinkage by default, as the example).
 *
 * Epochs must be band-passed already (decoding/datasets/epochs.ts). Float64 throughout.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { InvalidDataError, InvalidOptionError, checkInteger } from '../../core/index.js';
import { cspFeatures, type CspLdaModel } from '../models.js';
import { calibrateLda, sortedClasses } from './lda-calibration.js';

export interface CspOptions {
  /** C channel names (the epochs' rows). */
  channelNames: readonly string[];
  /** T samples per epoch. */
  samples: number;
  /** The two classes, [a, b]: λ is the share of class a's power; default the labels sorted. */
  classes?: readonly string[];
}

export interface CspLdaCalibrationOptions extends CspOptions {
  /** Filters kept (default 4). */
  components?: number;
  /** LDA shrinkage (default none, as the MNE example). */
  shrinkage?: number | 'auto';
}

export interface CspFit {
  readonly classes: string[];
  /** [R × C], all R filters (R = C unless the covariance is rank-deficient), in MNE's order. */
  readonly filters: Float64Array;
  /** [R] generalised eigenvalues, in the same order. */
  readonly eigenvalues: Float64Array;
}

function symmetricEigen(m: Matrix): { values: number[]; vectors: Matrix } {
  const e = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  return { values: e.realEigenvalues, vectors: e.eigenvectorMatrix };
}

function checkEpochs(epochs: readonly Float32Array[], labels: readonly string[], options: CspOptions): { C: number; T: number; classes: string[] } {
  const C = options.channelNames.length;
  if (C < 2) throw new InvalidOptionError('channelNames', 'at least two channels', options.channelNames);
  const T = checkInteger('option', 'samples', options.samples, { min: 1 });
  if (epochs.length !== labels.length) throw new InvalidDataError('csp labels', `${epochs.length} labels, one per epoch`, labels);
  epochs.forEach((e, i) => {
    if (!(e instanceof Float32Array) || e.length !== C * T) throw new InvalidDataError(`csp epochs[${i}]`, `a Float32Array of ${C} × ${T} values`, e);
  });
  const classes = options.classes ? [...options.classes] : sortedClasses(labels);
  if (classes.length !== 2 || classes[0] === classes[1]) throw new InvalidOptionError('classes', 'two distinct classes (CSP here is two-class)', classes.join(', '));
  labels.forEach((label, i) => {
    if (!classes.includes(label)) throw new InvalidDataError(`csp labels[${i}]`, `one of ${classes.join(', ')}`, label);
  });
  return { C, T, classes };
}

/** All CSP filters and eigenvalues of two-class epochs [C × T]. */
export function fitCsp(epochs: readonly Float32Array[], labels: readonly string[], options: CspOptions): CspFit {
  const { C, T, classes } = checkEpochs(epochs, labels, options);
  const covs = classes.map(() => new Float64Array(C * C));
  const counts = [0, 0];
  const row = new Float64Array(T);
  epochs.forEach((epoch, e) => {
    const k = classes.indexOf(labels[e]!);
    const cov = covs[k]!;
    counts[k]!++;
    for (let a = 0; a < C; a++) {
      for (let t = 0; t < T; t++) row[t] = epoch[a * T + t]!;
      for (let b = a; b < C; b++) {
        let s = 0;
        const at = b * T;
        for (let t = 0; t < T; t++) s += row[t]! * epoch[at + t]!;
        cov[a * C + b] = cov[a * C + b]! + s;
      }
    }
  });
  counts.forEach((count, k) => {
    if (count === 0) throw new InvalidDataError(`csp class ${classes[k]}`, 'at least one epoch', 0);
  });
  const Ca = new Matrix(C, C);
  const Cs = new Matrix(C, C);
  for (let a = 0; a < C; a++) {
    for (let b = a; b < C; b++) {
      const va = covs[0]![a * C + b]! / Math.max(1, counts[0]! * T - 1);
      const vb = covs[1]![a * C + b]! / Math.max(1, counts[1]! * T - 1);
      Ca.set(a, b, va);
      Ca.set(b, a, va);
      Cs.set(a, b, va + vb);
      Cs.set(b, a, va + vb);
    }
  }
  // Whitening of C_a + C_b.
  const sum = symmetricEigen(Cs);
  const maxValue = Math.max(...sum.values);
  if (!(maxValue > 0)) throw new InvalidDataError('csp epochs', 'signals with non-zero power', 'all zeros');
  const kept = sum.values.flatMap((v, i) => (v > 1e-12 * maxValue ? [i] : []));
  const R = kept.length;
  const P = new Matrix(C, R);
  kept.forEach((i, j) => {
    const s = 1 / Math.sqrt(sum.values[i]!);
    for (let c = 0; c < C; c++) P.set(c, j, sum.vectors.get(c, i) * s);
  });
  const M = P.transpose().mmul(Ca).mmul(P);
  // Symmetrise against rounding before the symmetric solver.
  const Ms = M.add(M.transpose()).mul(0.5);
  const eig = symmetricEigen(Ms);
  const W = P.mmul(eig.vectors); // [C × R], columns are the filters
  const order = eig.values.map((v, i) => ({ v, i })).sort((x, y) => Math.abs(y.v - 0.5) - Math.abs(x.v - 0.5) || x.i - y.i);
  const filters = new Float64Array(R * C);
  const eigenvalues = new Float64Array(R);
  order.forEach(({ v, i }, r) => {
    eigenvalues[r] = v;
    let big = 0;
    for (let c = 0; c < C; c++) if (Math.abs(W.get(c, i)) > Math.abs(big)) big = W.get(c, i);
    const sign = big < 0 ? -1 : 1;
    for (let c = 0; c < C; c++) filters[r * C + c] = sign * W.get(c, i);
  });
  return { classes, filters, eigenvalues };
}

/** Fits CSP filters and an LDA on their log-power features: a CspLdaModel for BuiltinDecoder. */
export function calibrateCspLda(epochs: readonly Float32Array[], labels: readonly string[], options: CspLdaCalibrationOptions): CspLdaModel {
  const components = checkInteger('option', 'components', options.components ?? 4, { min: 1, max: options.channelNames.length });
  const fit = fitCsp(epochs, labels, options);
  const C = options.channelNames.length;
  if (components > fit.eigenvalues.length) {
    throw new InvalidOptionError('components', `at most the rank of the epochs' covariance (${fit.eigenvalues.length})`, components);
  }
  const featureNames = Array.from({ length: components }, (_, k) => `csp${k + 1}`);
  const lda0 = { type: 'lda' as const, inputNames: featureNames, classes: fit.classes, coef: new Float64Array(0), intercept: new Float64Array(0), shrinkage: 0 };
  const partial: CspLdaModel = {
    type: 'csp-lda',
    channelNames: [...options.channelNames],
    samples: options.samples,
    classes: fit.classes,
    filters: fit.filters.slice(0, components * C),
    components,
    lda: lda0,
  };
  const X = new Float64Array(epochs.length * components);
  const f = new Float64Array(components);
  epochs.forEach((epoch, e) => {
    cspFeatures(partial, epoch, f);
    X.set(f, e * components);
  });
  const lda = calibrateLda(X, epochs.length, components, labels, {
    featureNames,
    classes: fit.classes,
    ...(options.shrinkage !== undefined ? { shrinkage: options.shrinkage } : {}),
  });
  return { ...partial, lda };
}
