/**
 * `neurostream/decoding` — from FeatureFrames to Intents: fit a built-in decoder (`calibrate`) or
 * load an ONNX model (`loadModel`), then run it with the `decode` operator. Also the models'
 * ONNX export and the offline evaluation metrics.
 *
 * @packageDocumentation
 */
export { calibrate, loadModel, type Training, type ContinuousTraining, type DiscreteTraining, type LoadModelOptions } from './calibrate.js';
export { decode, type DecodeOptions, type DecodeStats } from './operators/decode.js';
export {
  calibrateThenDecode,
  RECALIBRATE_MARKER,
  type CalibrateThenDecodeOptions,
  type CalibrateThenDecodeInput,
  type CalibrateThenDecodeEvent,
  type CalibrateThenDecodePhase,
  type CalibrateThenDecodeState,
  type CalibrateThenDecodeView,
  type ReadyDecoder,
} from './operators/calibrate-then-decode.js';
export { runningR2Validation, type RunningR2ValidationOptions, type R2Sample, type RunningR2Score } from './operators/running-r2-validation.js';
export { decodeTrials, type DecodeTrialsOptions, type DecodeTrialsEvent, type DecodeTrialsState, type DecodeTrialsView } from './operators/decode-trials.js';
export { trialAccuracy, ACCURACY_TRIALS, type TrialAccuracyOptions, type DecodedTrial, type TrialScore } from './operators/trial-accuracy.js';
export type { DecoderValidation } from './decoder-validation.js';
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
export { KinematicsTruth, KINEMATICS_MARKER, KINEMATICS_NAMES, KINEMATICS_UNITS } from './datasets/kinematics-truth.js';
export { RunningR2 } from './evaluation/running-r2.js';
export { r2Scores, pearsonCorrelations, type RegressionScores } from './evaluation/regression-metrics.js';
export { accuracy, confusionMatrix, cohensKappa, chanceLevel, type ConfusionMatrix } from './evaluation/classification-metrics.js';
export { startOipServer, checkOipAccess, type OipServer, type OipServerOptions, type OipAccessNames } from './oip/oip-server.js';
export { ModelBatcher, QueueFullError, checkBatchOptions, stacksRows, batchAxes, type BatchOptions, type Tensors, type TensorsOut } from './oip/oip-batcher.js';
export { calibrateKalman, type KalmanCalibrationOptions } from './calibration/kalman-calibration.js';
export { calibrateRidge, DEFAULT_ALPHAS, type RidgeCalibrationOptions } from './calibration/ridge-calibration.js';
export { calibrateLda, type LdaCalibrationOptions } from './calibration/lda-calibration.js';
export { calibrateCspLda, type CspOptions, type CspLdaCalibrationOptions } from './calibration/csp-calibration.js';
export { crossValidateContinuous, type ContinuousData, type ContinuousEvaluationOptions, type ContinuousEvaluation, type FoldResult } from './evaluation/continuous-evaluation.js';
export { crossValidateDiscrete, logPowerFeatures, DISCRETE_DECODERS, type DiscreteDecoderName, type DiscreteDataset, type DiscreteEvaluationOptions, type DiscreteEvaluation, type SplitResult } from './evaluation/discrete-evaluation.js';
export { contiguousFolds, shuffleSplits, type Split } from './evaluation/cross-validation.js';
export { itrBitsPerTrial, itrBitsPerMinute } from './evaluation/classification-metrics.js';
export { regressionScores, truthVaries, undefinedR2Notes } from './evaluation/regression-metrics.js';
export { readEpochs, EPOCH_FILTERS, type EpochFilter, type ReadEpochsOptions, type EpochSource, type EpochSet } from './datasets/epochs.js';
export { readFeatureTable, type FeatureTable, type ReadFeatureTableOptions } from './datasets/feature-table.js';
export { readRecordingFeatures, type RecordingFeaturesOptions } from './datasets/recording-features.js';
export type { EpochMetadata } from './onnx/onnx-convention.js';
