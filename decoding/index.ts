/**
 * `neurostream/decoding` — from FeatureFrames to Intents: fit a built-in decoder (`calibrate`) or
 * load an ONNX model (`loadModel`), then run it with the `decode` operator. Also the models'
 * ONNX export and the offline evaluation metrics.
 *
 * @packageDocumentation
 */
export { calibrate, loadModel, type Training, type ContinuousTraining, type DiscreteTraining, type LoadModelOptions } from './calibrate.js';
export { decode, type DecodeOptions, type DecodeStats } from './operators/decode.js';
export type { Decoder } from './decoder.js';
export { BuiltinDecoder } from './decoders/builtin-decoder.js';
export type { DecoderModel, RidgeModel, KalmanModel, LdaModel, CspLdaModel, Standardizer } from './models.js';
export { CalibrationError } from './calibration/calibrate-in-worker.js';
export {
  OnnxDecoder,
  ONNX_PROVIDERS,
  DEFAULT_PROVIDERS,
  type OnnxProvider,
  type OnnxDecoderOptions,
  type OnnxDecoderEvent,
  type TensorSignature,
} from './onnx/onnx-decoder.js';
export { exportOnnx, writeOnnx, type ExportOnnxOptions } from './onnx/onnx-export.js';
export { KinematicsTruth, KINEMATICS_MARKER, KINEMATICS_NAMES } from './datasets/kinematics-truth.js';
export { RunningR2 } from './evaluation/running-r2.js';
export type { DecoderValidation } from './decoder-validation.js';
export { r2Scores, pearsonCorrelations, type RegressionScores } from './evaluation/regression-metrics.js';
export { accuracy, confusionMatrix, cohensKappa, chanceLevel, type ConfusionMatrix } from './evaluation/classification-metrics.js';
