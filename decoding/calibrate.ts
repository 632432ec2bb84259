/**
 * `calibrate(training)` and `loadModel(file)` — the two ways to a Decoder in the public API:
 * fit a built-in decoder (Kalman, ridge, LDA) on labelled FeatureFrames, or load an ONNX model.
 * Both hand back a Decoder that the `decode` operator runs.
 */
import { type FeatureFrame, InvalidDataError, InvalidOptionError } from '../core/index.js';
import { calibrateInWorker } from './calibration/calibrate-in-worker.js';
import { calibrateKalman } from './calibration/kalman-calibration.js';
import { calibrateLda } from './calibration/lda-calibration.js';
import { calibrateRidge } from './calibration/ridge-calibration.js';
import { BuiltinDecoder } from './decoders/builtin-decoder.js';
import { OnnxDecoder, type OnnxDecoderOptions } from './onnx/onnx-decoder.js';

/** Training data of a continuous decoder: one target vector per FeatureFrame. */
export interface ContinuousTraining {
  decoder: 'kalman' | 'ridge';
  /** The frames to fit on, in time order (all with the same feature names). */
  features: readonly FeatureFrame[];
  /** `targets[i]` is the truth (e.g. the cursor's kinematics) for `features[i]`. */
  targets: readonly ArrayLike<number>[];
  /** One name per target entry, e.g. `['pos_x', 'pos_y', 'vel_x', 'vel_y']`. */
  targetNames: readonly string[];
  /** Ridge only: bins of history besides the current one. Default 0. */
  lags?: number;
  /** Fit in a worker thread (the caller's thread stays free for acquisition). Default true. */
  worker?: boolean;
  /** Aborting ends a fit in a worker at once (the promise rejects). */
  signal?: AbortSignal;
}

/** Training data of a discrete decoder: one class label per FeatureFrame. */
export interface DiscreteTraining {
  decoder: 'lda';
  features: readonly FeatureFrame[];
  /** `labels[i]` is the class of `features[i]`. */
  labels: readonly string[];
  /** Output order of the classes. Default: the labels' distinct values, sorted. */
  classes?: readonly string[];
  /** Shrinkage of the covariance: a number in [0, 1] or `'auto'` (Ledoit–Wolf, the default). */
  shrinkage?: number | 'auto';
}

/** What {@link calibrate} fits. */
export type Training = ContinuousTraining | DiscreteTraining;

/** The frames as one row-major matrix [n × F], after checking they agree on their features. */
function featureMatrix(frames: readonly FeatureFrame[], rows: number, rowsName: string): { X: Float64Array; names: readonly string[] } {
  const first = frames[0];
  if (!first) throw new InvalidOptionError('features', 'at least one FeatureFrame', 'none');
  if (rows !== frames.length) throw new InvalidOptionError(rowsName, `one per feature frame (${frames.length})`, rows);
  const names = first.names;
  const F = names.length;
  const X = new Float64Array(frames.length * F);
  frames.forEach((frame, i) => {
    if (frame.values.length !== F || (frame.names !== names && frame.names.some((n, j) => n !== names[j]))) {
      throw new InvalidDataError(`features[${i}]`, `the ${F} features of features[0] (${names.slice(0, 3).join(', ')}…)`, `${frame.values.length} features`);
    }
    X.set(frame.values, i * F);
  });
  return { X, names };
}

/**
 * Fits a built-in decoder and returns it ready to run (`decode(decoder)`); `decoder.model` holds
 * the parameters, which `exportOnnx` writes as an ONNX model. Kalman and ridge fit targets (a
 * cursor's kinematics), LDA class labels. Bad data (too few rows, constant features …) rejects
 * with one error saying what was expected.
 *
 * @example
 * ```ts
 * const decoder = await calibrate({ decoder: 'kalman', features: frames, targets, targetNames: ['pos_x', 'pos_y', 'vel_x', 'vel_y'] });
 * ```
 */
export async function calibrate(training: Training): Promise<BuiltinDecoder> {
  if (training.decoder === 'lda') {
    const { X, names } = featureMatrix(training.features, training.labels.length, 'labels');
    const model = calibrateLda(X, training.features.length, names.length, training.labels, {
      featureNames: names,
      shrinkage: training.shrinkage ?? 'auto',
      ...(training.classes ? { classes: training.classes } : {}),
    });
    return new BuiltinDecoder(model);
  }
  if (training.decoder !== 'kalman' && training.decoder !== 'ridge') {
    throw new InvalidOptionError('decoder', "'kalman', 'ridge' or 'lda'", (training as { decoder: unknown }).decoder);
  }
  const { X, names } = featureMatrix(training.features, training.targets.length, 'targets');
  const n = training.features.length;
  const D = training.targetNames.length;
  const Y = new Float64Array(n * D);
  training.targets.forEach((t, i) => {
    if (t.length < D) throw new InvalidDataError(`targets[${i}]`, `${D} values (${training.targetNames.join(', ')})`, `${t.length}`);
    for (let d = 0; d < D; d++) Y[i * D + d] = t[d]!;
  });
  const lags = training.lags ?? 0;
  if (training.worker ?? true) {
    const model = await calibrateInWorker(
      { decoder: training.decoder, X, Y, n, featureNames: [...names], targetNames: [...training.targetNames], lags },
      training.signal,
    );
    return new BuiltinDecoder(model);
  }
  const common = { featureNames: names, targetNames: training.targetNames };
  const model = training.decoder === 'kalman' ? calibrateKalman(X, Y, n, names.length, D, common) : calibrateRidge(X, Y, n, names.length, D, { ...common, lags });
  return new BuiltinDecoder(model);
}

/** Options of {@link loadModel}: execution providers (`['cuda', 'cpu']` by default), expected inputs … */
export type LoadModelOptions = OnnxDecoderOptions;

/**
 * Loads an ONNX model (a file path or its bytes) as a Decoder run by onnxruntime-node, e.g.
 * `await loadModel('kalman.onnx', { providers: ['cpu'] })`. The model is checked against the ONNX
 * convention (docs/onnx.md) before the first decode; `dispose()` frees its session.
 */
export function loadModel(file: string | Uint8Array, options: LoadModelOptions = {}): Promise<OnnxDecoder> {
  return OnnxDecoder.load(file, options);
}
