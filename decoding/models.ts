/**
 * The parameters of the built-in decoders and their forward computations — pure functions over
 * typed arrays, the single definition that the TypeScript decoders run, that calibration
 * (decoding/calibration/) produces and that ONNX export (decoding/onnx/) writes as graphs.
 *
 * Layout contract: every matrix is a Float64Array in row-major order with its dimensions named
 * in the comment beside it (`[rows × columns]`). Inputs are standardised first when a model has
 * a `standardizer`: x' = (x − mean) / std, per input.
 */
import { InvalidDataError } from '../core/index.js';

export interface Standardizer {
  /** [F] */
  readonly mean: Float64Array;
  /** [F], all > 0 */
  readonly std: Float64Array;
}

/**
 * Ridge (Wiener filter) with lags: y_t = b + Σ_{l=0..L} W_l · x'_{t−l}. The lagged input is
 * `[x'_t, x'_{t−1}, …, x'_{t−L}]` (lag-major, F values per lag; zeros before the first bins).
 */
export interface RidgeModel {
  readonly type: 'ridge';
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly lags: number;
  readonly standardizer: Standardizer;
  /** [(L+1)·F × D] — row l·F + f is lag l of input f. */
  readonly weights: Float64Array;
  /** [D] */
  readonly bias: Float64Array;
  /** The regularisation chosen at calibration. */
  readonly alpha: number;
}

/**
 * Kalman filter (Wu et al. 2003) in its steady-state form (as clinical cursor BCIs run it, e.g.
 * Gilja et al. 2012): state x (N), observation z = standardised features (M),
 *   x⁻ = A x,   x = x⁻ + K (z − H x⁻)
 * with the gain K the limit of the Riccati recursion (P⁻ = A P Aᵀ + W, K = P⁻Hᵀ(HP⁻Hᵀ + Q)⁻¹,
 * P = (I − KH)P⁻), computed at calibration — it converges within a few bins, after which the
 * time-varying filter and this one are the same. The state is the only thing carried between bins.
 * Output: the first `outputNames.length` entries of x (the state may carry extra entries).
 */
export interface KalmanModel {
  readonly type: 'kalman';
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly stateNames: readonly string[];
  readonly standardizer: Standardizer;
  /** [N × N] */ readonly A: Float64Array;
  /** [N × N] */ readonly W: Float64Array;
  /** [M × N] */ readonly H: Float64Array;
  /** [M × M] */ readonly Q: Float64Array;
  /** [N] initial state */ readonly x0: Float64Array;
  /** [N × M] steady-state gain */ readonly K: Float64Array;
}

/** Linear discriminant: p = softmax(coef · x' + intercept), one row per class. */
export interface LdaModel {
  readonly type: 'lda';
  readonly inputNames: readonly string[];
  readonly classes: readonly string[];
  readonly standardizer?: Standardizer;
  /** [K × F] */ readonly coef: Float64Array;
  /** [K] */ readonly intercept: Float64Array;
  /** Ledoit–Wolf or fixed shrinkage used at calibration (0 = none). */
  readonly shrinkage: number;
}

/**
 * CSP + LDA on an epoch X [C × T] (already band-passed): f_k = log(mean_t((w_k · X)²)), then LDA
 * on f (as MNE's CSP(log=True) + LinearDiscriminantAnalysis).
 */
export interface CspLdaModel {
  readonly type: 'csp-lda';
  readonly channelNames: readonly string[];
  readonly samples: number;
  readonly classes: readonly string[];
  /** [k × C] spatial filters, one per row. */
  readonly filters: Float64Array;
  readonly components: number;
  readonly lda: LdaModel;
}

export type DecoderModel = RidgeModel | KalmanModel | LdaModel | CspLdaModel;

function check(name: string, array: Float64Array, length: number): void {
  if (array.length !== length) throw new InvalidDataError(name, `${length} values`, array);
}

/** Checks every array of a model against its dimensions (a loaded or hand-made model). */
export function checkModel(model: DecoderModel): void {
  switch (model.type) {
    case 'ridge': {
      const F = model.inputNames.length;
      const D = model.outputNames.length;
      check('ridge.standardizer.mean', model.standardizer.mean, F);
      check('ridge.standardizer.std', model.standardizer.std, F);
      check('ridge.weights', model.weights, (model.lags + 1) * F * D);
      check('ridge.bias', model.bias, D);
      return;
    }
    case 'kalman': {
      const M = model.inputNames.length;
      const N = model.stateNames.length;
      check('kalman.standardizer.mean', model.standardizer.mean, M);
      check('kalman.standardizer.std', model.standardizer.std, M);
      check('kalman.A', model.A, N * N);
      check('kalman.W', model.W, N * N);
      check('kalman.H', model.H, M * N);
      check('kalman.Q', model.Q, M * M);
      check('kalman.x0', model.x0, N);
      check('kalman.K', model.K, N * M);
      if (model.outputNames.length > N) throw new InvalidDataError('kalman.outputNames', `at most ${N} names`, model.outputNames);
      return;
    }
    case 'lda': {
      const F = model.inputNames.length;
      const K = model.classes.length;
      if (model.standardizer) {
        check('lda.standardizer.mean', model.standardizer.mean, F);
        check('lda.standardizer.std', model.standardizer.std, F);
      }
      check('lda.coef', model.coef, K * F);
      check('lda.intercept', model.intercept, K);
      return;
    }
    case 'csp-lda':
      check('csp-lda.filters', model.filters, model.components * model.channelNames.length);
      if (model.lda.inputNames.length !== model.components) throw new InvalidDataError('csp-lda.lda.inputNames', `${model.components} names`, model.lda.inputNames);
      checkModel(model.lda);
  }
}

/** x' = (x − mean) / std into `out` (may be `x` itself only if both are Float64Array). */
export function standardize(s: Standardizer, x: ArrayLike<number>, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = (x[i]! - s.mean[i]!) / s.std[i]!;
}

/** Softmax of `z` in place (max-shifted). */
export function softmaxInPlace(z: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < z.length; i++) if (z[i]! > max) max = z[i]!;
  let sum = 0;
  for (let i = 0; i < z.length; i++) {
    z[i] = Math.exp(z[i]! - max);
    sum += z[i]!;
  }
  for (let i = 0; i < z.length; i++) z[i] = z[i]! / sum;
}

/** LDA probabilities for one standardised-or-raw input (standardised here when the model says). */
export function ldaForward(model: LdaModel, x: ArrayLike<number>, scratch: Float64Array, out: Float64Array): void {
  const F = model.inputNames.length;
  const K = model.classes.length;
  if (model.standardizer) standardize(model.standardizer, x, scratch);
  else for (let f = 0; f < F; f++) scratch[f] = x[f]!;
  for (let k = 0; k < K; k++) {
    let z = model.intercept[k]!;
    for (let f = 0; f < F; f++) z += model.coef[k * F + f]! * scratch[f]!;
    out[k] = z;
  }
  softmaxInPlace(out);
}

/** CSP log-power features of one epoch X [C × T] (channel-major) into `features` [k]. */
export function cspFeatures(model: CspLdaModel, epoch: ArrayLike<number>, features: Float64Array): void {
  const C = model.channelNames.length;
  const T = model.samples;
  for (let k = 0; k < model.components; k++) {
    let power = 0;
    for (let t = 0; t < T; t++) {
      let y = 0;
      for (let c = 0; c < C; c++) y += model.filters[k * C + c]! * epoch[c * T + t]!;
      power += y * y;
    }
    features[k] = Math.log(power / T);
  }
}

/** One ridge step: `history` [(L+1)·F] holds the standardised lags, newest first; shifted in place. */
export function ridgeStep(model: RidgeModel, x: ArrayLike<number>, history: Float64Array, out: Float64Array): void {
  const F = model.inputNames.length;
  const D = model.outputNames.length;
  history.copyWithin(F, 0, history.length - F);
  for (let f = 0; f < F; f++) history[f] = (x[f]! - model.standardizer.mean[f]!) / model.standardizer.std[f]!;
  for (let d = 0; d < D; d++) out[d] = model.bias[d]!;
  const rows = history.length;
  for (let r = 0; r < rows; r++) {
    const v = history[r]!;
    if (v === 0) continue;
    for (let d = 0; d < D; d++) out[d] = out[d]! + model.weights[r * D + d]! * v;
  }
}

/** One Kalman step: `state` [N] updated in place; `z` and `predicted` are scratch ([M], [N]). */
export function kalmanStep(model: KalmanModel, x: ArrayLike<number>, state: Float64Array, z: Float64Array, predicted: Float64Array): void {
  const N = model.stateNames.length;
  const M = model.inputNames.length;
  standardize(model.standardizer, x, z);
  for (let i = 0; i < N; i++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += model.A[i * N + j]! * state[j]!;
    predicted[i] = s;
  }
  // innovation z − H x⁻ (into z)
  for (let m = 0; m < M; m++) {
    let s = 0;
    for (let j = 0; j < N; j++) s += model.H[m * N + j]! * predicted[j]!;
    z[m] = z[m]! - s;
  }
  for (let i = 0; i < N; i++) {
    let s = predicted[i]!;
    for (let m = 0; m < M; m++) s += model.K[i * M + m]! * z[m]!;
    state[i] = s;
  }
}
