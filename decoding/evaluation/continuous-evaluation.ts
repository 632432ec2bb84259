/**
 * Cross-validation of a continuous decoder (ridge with lags, Kalman) on a feature table: for each
 * split, calibrate on the training rows, then decode the test rows in order through the
 * BuiltinDecoder — the TypeScript decoder a live session runs, so what is scored is what runs —
 * starting from reset() at the start of each contiguous run of test rows (once per contiguous
 * fold; at every gap of a shuffled split). Training rows from both sides of a test fold are two
 * runs for calibration: no lag or state transition crosses the gap.
 *
 * Splits: `folds` contiguous folds without shuffling (default 5; the standard for time series),
 * or `splits` random train/test splits of `testSize` from `seed` (cross-validation.ts).
 * Scores per fold (regression-metrics.ts), and their means over folds per dimension.
 */
import { InvalidOptionError, checkOneOf } from '../../core/index.js';
import { calibrateKalman } from '../calibration/kalman-calibration.js';
import { calibrateRidge } from '../calibration/ridge-calibration.js';
import { BuiltinDecoder } from '../decoders/builtin-decoder.js';
import type { KalmanModel, RidgeModel } from '../models.js';
import { type Split, contiguousFolds, shuffleSplits } from './cross-validation.js';
import { definedMean, regressionScores, truthVaries, undefinedR2Notes } from './regression-metrics.js';

export interface ContinuousData {
  /** [n × F] row-major */
  readonly X: Float64Array;
  /** [n × D] row-major */
  readonly Y: Float64Array;
  readonly n: number;
  readonly featureNames: readonly string[];
  readonly targetNames: readonly string[];
  /** Rows where a new recording (contiguous run) begins; default [0]. No lag, transition or state crosses them. */
  readonly runStarts?: readonly number[];
}

export interface ContinuousEvaluationOptions {
  decoder: 'ridge' | 'kalman';
  /** Ridge: bins of history besides the current one (RidgeModel.lags); default 0. */
  lags?: number;
  /** Ridge: candidate alphas and inner folds (ridge-calibration.ts defaults). */
  alphas?: readonly number[];
  innerFolds?: number;
  /** Contiguous folds (default 5) … */
  folds?: number;
  /** … or random splits. */
  splits?: number;
  testSize?: number;
  seed?: number;
  /** Called after each fold (progress). */
  onFold?: (fold: FoldResult) => void;
}

export interface FoldResult {
  readonly fold: number;
  readonly trainSize: number;
  readonly testSize: number;
  readonly r2: number[];
  readonly correlation: number[];
  readonly meanR2: number;
  readonly meanCorrelation: number;
  /** Ridge: the alpha the inner CV chose. */
  readonly alpha?: number;
}

export interface ContinuousEvaluation {
  readonly decoder: 'ridge' | 'kalman';
  readonly targetNames: readonly string[];
  readonly perFold: FoldResult[];
  /** Means over folds, per dimension (over the folds where defined; NaN where none is). */
  readonly r2: number[];
  readonly correlation: number[];
  /** Means over the dimensions where defined. */
  readonly meanR2: number;
  readonly meanCorrelation: number;
  /** Why an R² is undefined (a target without variance), one note per target concerned. */
  readonly notes: string[];
}

/** Rows of a [n × width] matrix, gathered. */
function gather(a: Float64Array, width: number, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length * width);
  for (let i = 0; i < rows.length; i++) out.set(a.subarray(rows[i]! * width, (rows[i]! + 1) * width), i * width);
  return out;
}

/** Positions in `rows` (sorted) where a new contiguous run starts: a gap in the rows, or a new input. */
function runStarts(rows: Int32Array, inputStarts: ReadonlySet<number>): number[] {
  const starts: number[] = [];
  for (let i = 0; i < rows.length; i++) if (i === 0 || rows[i]! !== rows[i - 1]! + 1 || inputStarts.has(rows[i]!)) starts.push(i);
  return starts;
}

export function crossValidateContinuous(data: ContinuousData, options: ContinuousEvaluationOptions): ContinuousEvaluation {
  const decoder = checkOneOf('option', '--decoder', options.decoder, ['ridge', 'kalman'] as const);
  const { X, Y, n } = data;
  const F = data.featureNames.length;
  const D = data.targetNames.length;
  if (options.folds !== undefined && options.splits !== undefined) throw new InvalidOptionError('--folds', 'either contiguous folds or random splits (--splits), not both', options.folds);
  const splits: Split[] =
    options.splits !== undefined
      ? shuffleSplits(n, { splits: options.splits, testSize: options.testSize ?? 0.2, seed: options.seed ?? 42 })
      : contiguousFolds(n, options.folds ?? 5);

  const inputStarts = new Set(data.runStarts ?? [0]);
  const perFold: FoldResult[] = [];
  const varies: boolean[][] = [];
  splits.forEach((split, fold) => {
    const trainX = gather(X, F, split.train);
    const trainY = gather(Y, D, split.train);
    const common = { featureNames: data.featureNames, targetNames: data.targetNames, runStarts: runStarts(split.train, inputStarts) };
    let model: RidgeModel | KalmanModel;
    if (decoder === 'ridge') {
      model = calibrateRidge(trainX, trainY, split.train.length, F, D, {
        ...common,
        lags: options.lags ?? 0,
        ...(options.alphas ? { alphas: options.alphas } : {}),
        ...(options.innerFolds !== undefined ? { innerFolds: options.innerFolds } : {}),
      });
    } else {
      model = calibrateKalman(trainX, trainY, split.train.length, F, D, common);
    }
    const live = new BuiltinDecoder(model);
    const input = new Float32Array(F);
    const m = split.test.length;
    const truth = gather(Y, D, split.test);
    const predicted = new Float64Array(m * D);
    for (let i = 0; i < m; i++) {
      const row = split.test[i]!;
      if (i === 0 || row !== split.test[i - 1]! + 1 || inputStarts.has(row)) live.reset();
      for (let f = 0; f < F; f++) input[f] = X[row * F + f]!;
      predicted.set(live.decode(input), i * D);
    }
    const scores = regressionScores(truth, predicted, m, D);
    varies.push(truthVaries(truth, m, D));
    const result: FoldResult = {
      fold,
      trainSize: split.train.length,
      testSize: m,
      ...scores,
      ...(model.type === 'ridge' ? { alpha: model.alpha } : {}),
    };
    perFold.push(result);
    options.onFold?.(result);
  });

  const r2 = data.targetNames.map((_, d) => definedMean(perFold.map((f) => f.r2[d]!)));
  const correlation = data.targetNames.map((_, d) => definedMean(perFold.map((f) => f.correlation[d]!)));
  const notes = undefinedR2Notes(data.targetNames, varies);
  return { decoder, targetNames: data.targetNames, perFold, r2, correlation, meanR2: definedMean(r2), meanCorrelation: definedMean(correlation), notes };
}
