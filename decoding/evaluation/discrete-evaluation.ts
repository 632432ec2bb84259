/**
 * crossValidateDiscrete — trial-wise evaluation of a discrete decoder on epochs: for each split,
 * calibrate on the training epochs, then decode every test epoch through BuiltinDecoder (the very
 * decoder a live session runs) and take the most probable class.
 *
 * Decoders:
 *   - 'csp-lda': calibrateCspLda (MNE's CSP(components, log=True) + LDA; no LDA shrinkage unless
 *     asked); the decoder's input is the epoch [C × T] itself.
 *   - 'lda': LDA on a fixed feature per channel, the log band power of the (band-passed) epoch,
 *     f_c = log(mean_t(x_c²)) (`logPowerFeatures`; features named `<channel>:logpower`), with
 *     Ledoit–Wolf shrinkage by default (C features are many for a few dozen epochs); the decoder's
 *     input is that feature vector.
 *
 * Summary: `accuracy` = mean of the per-split accuracies (as MNE's `np.mean(scores)`), `std` their
 * population standard deviation (numpy's default), `kappa` the mean per-split Cohen's κ,
 * `confusion` summed over splits, `chance` the majority-class share of all the dataset's labels
 * (the MNE example's chance level; each split's test-set share is in `perSplit`), ITR (Wolpaw)
 * from the mean accuracy with one trial every `trialS` seconds (default: the epoch window's
 * length, samples / rate — pass the paradigm's real trial period, e.g. 4.1 s cue + 4.2 s rest on
 * EEGMMIDB, for a rate a user would see).
 */
import { InvalidDataError, InvalidOptionError, checkNumber, checkOneOf } from '../../core/index.js';
import { calibrateCspLda } from '../calibration/csp-calibration.js';
import { calibrateLda } from '../calibration/lda-calibration.js';
import { BuiltinDecoder } from '../decoders/builtin-decoder.js';
import type { DecoderModel } from '../models.js';
import {
  accuracy,
  addConfusion,
  chanceLevel,
  cohensKappa,
  confusionMatrix,
  itrBitsPerMinute,
  itrBitsPerTrial,
  type ConfusionMatrix,
} from './classification-metrics.js';
import type { Split } from './cross-validation.js';

export const DISCRETE_DECODERS = ['lda', 'csp-lda'] as const;
export type DiscreteDecoderName = (typeof DISCRETE_DECODERS)[number];

/** What evaluation needs of an EpochSet (decoding/datasets/epochs.ts). */
export interface DiscreteDataset {
  readonly epochs: readonly Float32Array[];
  readonly labels: readonly string[];
  readonly classes: readonly string[];
  readonly channelNames: readonly string[];
  readonly samples: number;
  readonly sampleRateHz: number;
}

export interface DiscreteEvaluationOptions {
  decoder: DiscreteDecoderName;
  splits: readonly Split[];
  /** CSP filters kept (default 4). */
  components?: number;
  /** LDA shrinkage: default none for 'csp-lda', 'auto' for 'lda'. */
  shrinkage?: number | 'auto';
  /** Seconds per trial for the ITR (default samples / sampleRateHz). */
  trialS?: number;
}

export interface SplitResult {
  readonly accuracy: number;
  readonly kappa: number;
  /** Majority-class share of this split's test set. */
  readonly chance: number;
  readonly confusion: ConfusionMatrix;
  readonly testSize: number;
}

export interface DiscreteEvaluation {
  readonly decoder: DiscreteDecoderName;
  readonly classes: readonly string[];
  readonly perSplit: SplitResult[];
  readonly accuracy: number;
  readonly std: number;
  readonly chance: number;
  readonly kappa: number;
  readonly confusion: ConfusionMatrix;
  readonly trialS: number;
  readonly itrBitsPerTrial: number;
  readonly itrBitsPerMin: number;
}

/** Log band power per channel of an epoch [C × T]: f_c = log(mean_t(x²)), into `out` [C]. */
export function logPowerFeatures(epoch: ArrayLike<number>, channels: number, samples: number, out: Float32Array | Float64Array = new Float32Array(channels)): Float32Array | Float64Array {
  for (let c = 0; c < channels; c++) {
    let power = 0;
    for (let t = 0; t < samples; t++) power += epoch[c * samples + t]! ** 2;
    out[c] = Math.log(power / samples);
  }
  return out;
}

function calibrate(dataset: DiscreteDataset, train: Int32Array, options: DiscreteEvaluationOptions): DecoderModel {
  const labels = Array.from(train, (i) => dataset.labels[i]!);
  if (options.decoder === 'csp-lda') {
    return calibrateCspLda(
      Array.from(train, (i) => dataset.epochs[i]!),
      labels,
      {
        channelNames: dataset.channelNames,
        samples: dataset.samples,
        classes: dataset.classes,
        ...(options.components !== undefined ? { components: options.components } : {}),
        ...(options.shrinkage !== undefined ? { shrinkage: options.shrinkage } : {}),
      },
    );
  }
  const C = dataset.channelNames.length;
  const X = new Float64Array(train.length * C);
  train.forEach((i, r) => logPowerFeatures(dataset.epochs[i]!, C, dataset.samples, X.subarray(r * C, (r + 1) * C)));
  return calibrateLda(X, train.length, C, labels, {
    featureNames: dataset.channelNames.map((c) => `${c}:logpower`),
    classes: dataset.classes,
    shrinkage: options.shrinkage ?? 'auto',
  });
}

function checkSplit(split: Split, n: number, s: number): void {
  for (const [name, list] of [['train', split.train], ['test', split.test]] as const) {
    if (list.length === 0) throw new InvalidOptionError(`splits[${s}].${name}`, 'at least one epoch', list);
    for (const i of list) if (!(i >= 0 && i < n)) throw new InvalidOptionError(`splits[${s}].${name}`, `epoch indexes from 0 to ${n - 1}`, i);
  }
}

export function crossValidateDiscrete(dataset: DiscreteDataset, options: DiscreteEvaluationOptions): DiscreteEvaluation {
  const decoderName = checkOneOf('option', 'decoder', options.decoder, DISCRETE_DECODERS);
  const n = dataset.epochs.length;
  if (dataset.labels.length !== n) throw new InvalidDataError('dataset labels', `${n} labels, one per epoch`, dataset.labels);
  if (!Array.isArray(options.splits) || options.splits.length === 0) throw new InvalidOptionError('splits', 'at least one train/test split', options.splits);
  const trialS = options.trialS === undefined ? dataset.samples / dataset.sampleRateHz : checkNumber('option', 'trialS', options.trialS, { min: 0, exclusiveMin: true });
  const classes = [...dataset.classes];
  const C = dataset.channelNames.length;
  const features = new Float32Array(C);

  const perSplit: SplitResult[] = options.splits.map((split, s) => {
    checkSplit(split, n, s);
    const decoder = new BuiltinDecoder(calibrate(dataset, split.train, options));
    const truth: string[] = [];
    const predicted: string[] = [];
    for (const i of split.test) {
      const epoch = dataset.epochs[i]!;
      const input = decoderName === 'csp-lda' ? epoch : (logPowerFeatures(epoch, C, dataset.samples, features) as Float32Array);
      const p = decoder.decode(input);
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
      truth.push(dataset.labels[i]!);
      predicted.push(decoder.outputNames[best]!);
    }
    const confusion = confusionMatrix(truth, predicted, classes);
    return { accuracy: accuracy(truth, predicted), kappa: cohensKappa(confusion), chance: chanceLevel(truth), confusion, testSize: truth.length };
  });

  const accs = perSplit.map((r) => r.accuracy);
  const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
  const std = Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / accs.length);
  const kappa = perSplit.reduce((a, r) => a + r.kappa, 0) / perSplit.length;
  const confusion = perSplit.slice(1).reduce((acc, r) => addConfusion(acc, r.confusion), perSplit[0]!.confusion);
  return {
    decoder: decoderName,
    classes,
    perSplit,
    accuracy: mean,
    std,
    chance: chanceLevel(dataset.labels),
    kappa,
    confusion,
    trialS,
    itrBitsPerTrial: itrBitsPerTrial(classes.length, mean),
    itrBitsPerMin: itrBitsPerMinute(classes.length, mean, trialS),
  };
}
