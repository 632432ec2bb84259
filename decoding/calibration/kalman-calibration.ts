/**
 * Kalman filter calibration by least squares (Wu et al. 2003, "Neural decoding of cursor motion
 * using a Kalman filter"), for the steady-state filter of models.ts (kalmanStep):
 *
 *   state x_t = [targets_t…, 1] (N = D + 1). The appended constant lets the observation model
 *     have an offset (H's last column), so the features need not be centred on the mean of the
 *     targets — standard for velocity decoders (e.g. Gilja et al. 2012). Its row of A is exactly
 *     [0 … 0 1] and its process noise exactly 0, so it stays 1. `offset: false` drops it.
 *   observation z_t = the features z-scored on the training rows (standardizer.ts).
 *
 *   A = X₂X₁ᵀ(X₁X₁ᵀ)⁻¹ over consecutive pairs within each run (`runStarts`: a transition never
 *     crosses a gap between runs), W = the covariance of its residuals (divided by the number of
 *     transitions);
 *   H = ZXᵀ(XXᵀ)⁻¹ over all rows, Q = the covariance of its residuals. With many units Q can be
 *     ill-conditioned (a silent unit makes it singular): when a Cholesky pivot of Q is below 1e-10
 *     of the largest (or Cholesky fails), λ·tr(Q)/M·I is added with λ = `qRidge` (default 1e-6).
 *
 * Then the Riccati recursion from P = 0 (x0 known: the training mean state):
 *   P⁻ = A P Aᵀ + W,  K = P⁻Hᵀ(HP⁻Hᵀ + Q)⁻¹,  P = (I − KH)P⁻
 * until ‖ΔK‖_F < `tolerance` (1e-10) or `maxIterations` (1000): K is the steady-state gain.
 * Linear algebra by ml-matrix (solves, Cholesky, eigenvalues).
 */
import { CholeskyDecomposition, Matrix, solve } from 'ml-matrix';
import { InvalidDataError, checkInteger, checkNumber } from '../../core/index.js';
import type { KalmanModel } from '../models.js';
import { applyStandardizer, checkTrainingData, fitStandardizer, runFirstRows } from './standardizer.js';

export interface KalmanCalibrationOptions {
  featureNames: readonly string[];
  targetNames: readonly string[];
  /** Append a constant 1 to the state (an offset in H); default true. */
  offset?: boolean;
  /** Rows where a new contiguous run begins (no transition crosses them); default [0]. */
  runStarts?: readonly number[];
  /** Relative ridge added to an ill-conditioned Q; default 1e-6. */
  qRidge?: number;
  /**
   * Observation noise model: `full` covariance (Wu et al.), or `diagonal` (independent features).
   * Default: full up to FULL_Q_MAX_FEATURES features, diagonal beyond — a full Q of 2048 features
   * costs tens of seconds of O(M³) algebra, which a live session's calibration cannot spend.
   */
  qStructure?: 'full' | 'diagonal';
  /** Riccati recursion: stop when ‖ΔK‖_F < tolerance (default 1e-10) or after maxIterations (1000). */
  tolerance?: number;
  maxIterations?: number;
  /** Called with how the Riccati recursion ended. */
  onRiccati?: (info: { iterations: number; change: number; converged: boolean; qRidgeApplied: number }) => void;
}

/** Above this many features the default observation noise model is diagonal (see qStructure). */
export const FULL_Q_MAX_FEATURES = 512;

function toMatrix(a: Float64Array, rows: number, columns: number): Matrix {
  return Matrix.from1DArray(rows, columns, a);
}

function toArray(m: Matrix): Float64Array {
  return Float64Array.from(m.to1DArray());
}

/** Solves S X = B for symmetric positive definite S (Cholesky), falling back to the SVD. */
function solveSymmetric(S: Matrix, B: Matrix): Matrix {
  const chol = new CholeskyDecomposition(S);
  return chol.isPositiveDefinite() ? chol.solve(B) : solve(S, B, true);
}

function symmetrize(m: Matrix): Matrix {
  return m.add(m.transpose()).mul(0.5);
}

export interface SteadyStateGain {
  /** [N × M] */
  readonly K: Float64Array;
  readonly iterations: number;
  /** ‖ΔK‖_F at the last iteration. */
  readonly change: number;
  readonly converged: boolean;
}

/**
 * The steady-state Kalman gain of (A [N×N], W [N×N], H [M×N], Q [M×M]) by the Riccati recursion,
 * in a form whose cost per iteration does not grow with the number of features M: with
 * R = HᵀQ⁻¹ [N×M] and S = R H [N×N] computed once,
 *   K = P⁻Hᵀ(HP⁻Hᵀ + Q)⁻¹ = (I + P⁻S)⁻¹ P⁻R
 * (the push-through identity; no inverse of P⁻, which is singular for the constant state). The
 * textbook form solves an M×M system every iteration — for 2048 features, minutes.
 */
export function steadyStateGain(A: Matrix, W: Matrix, H: Matrix, Q: Matrix, options: { tolerance?: number; maxIterations?: number } = {}): SteadyStateGain {
  const R = solveSymmetric(Q, H).transpose(); // (Q⁻¹H)ᵀ = HᵀQ⁻¹, Q symmetric
  return gainFromR(A, W, H, R, options);
}

/** The recursion given R = HᵀQ⁻¹ [N×M] (a diagonal Q gives R without any M×M algebra). */
function gainFromR(A: Matrix, W: Matrix, H: Matrix, R: Matrix, options: { tolerance?: number; maxIterations?: number }): SteadyStateGain {
  const tolerance = options.tolerance ?? 1e-10;
  const maxIterations = options.maxIterations ?? 1000;
  const N = A.rows;
  const M = H.rows;
  const S = symmetrize(R.mmul(H));
  let P = Matrix.zeros(N, N);
  let K = Matrix.zeros(N, M);
  let change = Number.POSITIVE_INFINITY;
  let iterations = 0;
  const I = Matrix.eye(N, N);
  while (iterations < maxIterations) {
    iterations++;
    const prior = symmetrize(A.mmul(P).mmul(A.transpose()).add(W));
    const next = solve(I.clone().add(prior.mmul(S)), prior.mmul(R));
    P = symmetrize(I.clone().sub(next.mmul(H)).mmul(prior));
    change = next.clone().sub(K).norm('frobenius');
    K = next;
    if (change < tolerance) break;
  }
  return { K: toArray(K), iterations, change, converged: change < tolerance };
}

export function calibrateKalman(X: Float64Array, Y: Float64Array, n: number, F: number, D: number, options: KalmanCalibrationOptions): KalmanModel {
  const offset = options.offset ?? true;
  const qRidge = checkNumber('option', 'qRidge', options.qRidge ?? 1e-6, { min: 0 });
  const tolerance = checkNumber('option', 'tolerance', options.tolerance ?? 1e-10, { min: 0, exclusiveMin: true });
  const maxIterations = checkInteger('option', 'maxIterations', options.maxIterations ?? 1000, { min: 1 });
  const N = D + (offset ? 1 : 0);
  const M = F;
  checkTrainingData(X, Y, n, F, D, options.featureNames, options.targetNames, N + 2);
  const first = runFirstRows(n, options.runStarts);

  const standardizer = fitStandardizer(X, n, F);
  const Z = applyStandardizer(standardizer, X, n, F);
  const states = new Float64Array(n * N);
  for (let t = 0; t < n; t++) {
    for (let d = 0; d < D; d++) states[t * N + d] = Y[t * D + d]!;
    if (offset) states[t * N + D] = 1;
  }
  const x = (t: number, i: number): number => states[t * N + i]!;

  // A by least squares over transitions t−1 → t within runs
  const S11 = new Float64Array(N * N);
  const S21 = new Float64Array(N * N);
  let transitions = 0;
  for (let t = 1; t < n; t++) {
    if (first[t]! > t - 1) continue;
    transitions++;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        S11[i * N + j] = S11[i * N + j]! + x(t - 1, i) * x(t - 1, j);
        S21[i * N + j] = S21[i * N + j]! + x(t, i) * x(t - 1, j);
      }
    }
  }
  if (transitions < N) throw new InvalidDataError('kalman calibration', `at least ${N} consecutive pairs of rows`, transitions);
  // A = S21 S11⁻¹ ⇔ Aᵀ = S11⁻¹ S21ᵀ (S11 symmetric)
  const A = solveSymmetric(toMatrix(S11, N, N), toMatrix(S21, N, N).transpose()).transpose();
  if (offset) for (let j = 0; j < N; j++) A.set(D, j, j === D ? 1 : 0);
  const W = Matrix.zeros(N, N);
  const e = new Float64Array(N);
  for (let t = 1; t < n; t++) {
    if (first[t]! > t - 1) continue;
    for (let i = 0; i < N; i++) {
      let p = 0;
      for (let j = 0; j < N; j++) p += A.get(i, j) * x(t - 1, j);
      e[i] = x(t, i) - p;
    }
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) W.set(i, j, W.get(i, j) + e[i]! * e[j]!);
  }
  W.div(transitions);
  if (offset) {
    for (let j = 0; j < N; j++) {
      W.set(D, j, 0);
      W.set(j, D, 0);
    }
  }

  // H by least squares: H = ZXᵀ(XXᵀ)⁻¹; Q = residual covariance = (ZZᵀ − H XZᵀ)/n
  const Sxx = new Float64Array(N * N);
  const Sxz = new Float64Array(N * M);
  const diagonal = (options.qStructure ?? (M <= FULL_Q_MAX_FEATURES ? 'full' : 'diagonal')) === 'diagonal';
  const Szz = new Float64Array(diagonal ? M : M * M);
  for (let t = 0; t < n; t++) {
    const zo = t * M;
    for (let i = 0; i < N; i++) {
      const xi = x(t, i);
      for (let j = 0; j < N; j++) Sxx[i * N + j] = Sxx[i * N + j]! + xi * x(t, j);
      for (let m = 0; m < M; m++) Sxz[i * M + m] = Sxz[i * M + m]! + xi * Z[zo + m]!;
    }
    if (diagonal) {
      for (let a = 0; a < M; a++) Szz[a] = Szz[a]! + Z[zo + a]! * Z[zo + a]!;
      continue;
    }
    for (let a = 0; a < M; a++) {
      const za = Z[zo + a]!;
      if (za === 0) continue;
      const row = a * M;
      for (let b = a; b < M; b++) Szz[row + b] = Szz[row + b]! + za * Z[zo + b]!;
    }
  }
  const Ht = solveSymmetric(toMatrix(Sxx, N, N), toMatrix(Sxz, N, M)); // [N × M] = Hᵀ
  const H = Ht.transpose(); // [M × N]
  let gain: SteadyStateGain;
  let qRidgeApplied = 0;
  let qArray: Float64Array;
  if (diagonal) {
    // Q = diag(residual variances): q_a = (Σz_a² − (H Sxz)_aa)/n, and R = HᵀQ⁻¹ needs no M×M algebra.
    const q = new Float64Array(M);
    let qMax = 0;
    let qSum = 0;
    for (let a = 0; a < M; a++) {
      let hs = 0;
      for (let i = 0; i < N; i++) hs += H.get(a, i) * Sxz[i * M + a]!;
      q[a] = Math.max(0, (Szz[a]! - hs) / n);
      qMax = Math.max(qMax, q[a]!);
      qSum += q[a]!;
    }
    if (q.some((v) => !(v > 1e-10 * qMax))) {
      qRidgeApplied = qRidge * Math.max(qSum / M, Number.MIN_VALUE);
      for (let a = 0; a < M; a++) q[a] = q[a]! + qRidgeApplied;
    }
    qArray = new Float64Array(M * M);
    for (let a = 0; a < M; a++) qArray[a * M + a] = q[a]!;
    const R = new Matrix(N, M);
    for (let i = 0; i < N; i++) for (let a = 0; a < M; a++) R.set(i, a, H.get(a, i) / q[a]!);
    gain = gainFromR(A, W, H, R, { tolerance, maxIterations });
  } else {
    const HSxz = H.mmul(toMatrix(Sxz, N, M)); // [M × M]
    const Q = new Matrix(M, M);
    for (let a = 0; a < M; a++) {
      for (let b = a; b < M; b++) {
        const v = (Szz[a * M + b]! - 0.5 * (HSxz.get(a, b) + HSxz.get(b, a))) / n;
        Q.set(a, b, v);
        Q.set(b, a, v);
      }
    }
    // Conditioning from Cholesky's pivots (O(M³/3), where a full eigendecomposition costs ~10× that):
    // a pivot below 1e-10 of the largest — or none (a silent unit) — calls for the ridge.
    const cholesky = new CholeskyDecomposition(Q);
    let pivotMin = 0;
    let pivotMax = 0;
    if (cholesky.isPositiveDefinite()) {
      const L = cholesky.lowerTriangularMatrix;
      pivotMin = Number.POSITIVE_INFINITY;
      for (let m = 0; m < M; m++) {
        const p = L.get(m, m) ** 2;
        pivotMin = Math.min(pivotMin, p);
        pivotMax = Math.max(pivotMax, p);
      }
    }
    if (!(pivotMin > 1e-10 * pivotMax)) {
      qRidgeApplied = qRidge * Math.max(Q.trace() / M, Number.MIN_VALUE);
      for (let m = 0; m < M; m++) Q.set(m, m, Q.get(m, m) + qRidgeApplied);
    }
    gain = steadyStateGain(A, W, H, Q, { tolerance, maxIterations });
    qArray = toArray(Q);
  }
  options.onRiccati?.({ iterations: gain.iterations, change: gain.change, converged: gain.converged, qRidgeApplied });

  const x0 = new Float64Array(N);
  for (let t = 0; t < n; t++) for (let i = 0; i < N; i++) x0[i] = x0[i]! + x(t, i);
  for (let i = 0; i < N; i++) x0[i] = x0[i]! / n;
  if (offset) x0[D] = 1;

  return {
    type: 'kalman',
    inputNames: [...options.featureNames],
    outputNames: [...options.targetNames],
    stateNames: [...options.targetNames, ...(offset ? ['constant'] : [])],
    standardizer,
    A: toArray(A),
    W: toArray(W),
    H: toArray(H),
    Q: qArray,
    x0,
    K: gain.K,
  };
}
