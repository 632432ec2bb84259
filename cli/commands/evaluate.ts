/**
 * `neurostream evaluate INPUT… (--decoder NAME | --model FILE.onnx) [--json]` — how well a decoder
 * decodes the data:
 *   - `--decoder`: cross-validated — `--folds K` contiguous folds (default 5, no shuffling: the
 *     default for time series) or `--splits N --test-size F --seed S` random splits; each fold
 *     calibrates on its training part and decodes its test part through the live decoder;
 *   - `--model`: a calibrated ONNX model decodes every bin or epoch as it is (no fitting).
 * Continuous: R² and Pearson correlation per target and their means. Discrete: accuracy, chance
 * level, Cohen's κ and the information-transfer rate. JSON keys: README ("evaluate --json").
 */
import { Command } from 'commander';
import { InvalidOptionError, checkNumber } from '../../core/index.js';
import { crossValidateContinuous, contiguousFolds, shuffleSplits, type Split, accuracy, chanceLevel, cohensKappa, confusionMatrix, itrBitsPerMinute, itrBitsPerTrial, type ConfusionMatrix, crossValidateDiscrete, logPowerFeatures, regressionScores, truthVaries, undefinedR2Notes, OnnxDecoder } from '../../decoding/index.js';
import { DECODER_NAMES, checkLagColumns, checkLags, isContinuous, withDecodingInputOptions, readContinuousInputs, readDiscreteInputs, type DecoderName, type DecodingInputFlags } from '../decoding-inputs.js';
import { choiceFlag, integerFlag, numberFlag } from '../parse-flag.js';
import { readChannelMapFile } from '../../session/index.js';

const LOGPOWER = ':logpower';

interface EvaluateFlags extends DecodingInputFlags {
  decoder?: DecoderName;
  model?: string;
  /** `--channel-map FILE`: the model's channel names → the files' (JSON or two-column CSV). */
  channelMap?: string;
  json: boolean;
  lags: number;
  folds?: number;
  splits?: number;
  testSize?: number;
  seed?: number;
}

export function evaluateCommand(): Command {
  return withDecodingInputOptions(new Command('evaluate'))
    .description('cross-validate a built-in decoder, or score an ONNX model, on recordings, EDF/BDF files or a CSV feature table')
    .argument('<input...>', 'recording directories, EDF/BDF files (discrete), or one CSV table of binned features (continuous)')
    .option('--decoder <name>', DECODER_NAMES.join(' | '), choiceFlag('--decoder', DECODER_NAMES))
    .option('--model <file>', 'a calibrated ONNX model (instead of --decoder)')
    .option('--channel-map <file>', '--model: model channel name → file channel name, a JSON object or two-column CSV (names also match after normalising case, trailing dots and 10-20 aliases)')
    .option('--json', 'print JSON (keys in the README)', false)
    .option('--folds <k>', 'contiguous folds (default 5)', integerFlag('--folds'))
    .option('--splits <n>', 'random train/test splits instead of folds', integerFlag('--splits'))
    .option('--test-size <f>', 'with --splits: test fraction (default 0.2)', numberFlag('--test-size'))
    .option('--seed <s>', 'with --splits: seed (default 42)', integerFlag('--seed'))
    .action(async (inputs: string[], flags: EvaluateFlags) => {
      const report = await evaluate(inputs, flags);
      // Inputs accepted though truncated (--allow-truncated) are a warning even with --json.
      for (const note of (report.notes as string[] | undefined) ?? []) {
        if (note.startsWith('TRUNCATED:')) process.stderr.write(`neurostream evaluate: WARNING: ${note}\n`);
        else if (!flags.json) process.stderr.write(`neurostream evaluate: note: ${note}\n`);
      }
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    });
}

type Report = Record<string, unknown> & { kind: 'continuous' | 'discrete' };

function protocol(flags: EvaluateFlags, n: number): { splits: Split[]; description: Record<string, unknown> } {
  if (flags.splits !== undefined) {
    if (flags.folds !== undefined) throw new InvalidOptionError('--folds', 'either --folds or --splits, not both', flags.folds);
    const testSize = flags.testSize ?? 0.2;
    const seed = flags.seed ?? 42;
    return { splits: shuffleSplits(n, { splits: flags.splits, testSize, seed }), description: { splits: flags.splits, testSize, seed, shuffled: true } };
  }
  if (flags.testSize !== undefined || flags.seed !== undefined) throw new InvalidOptionError('--test-size/--seed', 'with --splits only', flags.testSize ?? flags.seed);
  const folds = flags.folds ?? 5;
  return { splits: contiguousFolds(n, folds), description: { folds, shuffled: false } };
}

const named = (names: readonly string[], values: readonly number[]): Record<string, number> => Object.fromEntries(names.map((n, i) => [n, values[i]!]));

export async function evaluate(inputs: readonly string[], flags: EvaluateFlags): Promise<Report> {
  if ((flags.decoder === undefined) === (flags.model === undefined)) throw new InvalidOptionError('--decoder/--model', 'exactly one of --decoder NAME or --model FILE.onnx', flags.decoder ?? flags.model ?? 'neither');
  checkLags(flags.decoder, flags.lags);
  if (flags.channelMap !== undefined && flags.model === undefined) throw new InvalidOptionError('--channel-map', 'a --model whose channels it maps', flags.channelMap);
  if (flags.testSize !== undefined) checkNumber('option', '--test-size', flags.testSize, { min: 0, exclusiveMin: true, max: 1 });
  if (flags.model !== undefined) {
    const cv = flags.folds ?? flags.splits ?? flags.testSize ?? flags.seed;
    if (cv !== undefined) throw new InvalidOptionError('--folds/--splits/--test-size/--seed', 'a --decoder to cross-validate (a --model is scored as it is, on all the data)', cv);
    return evaluateModel(inputs, flags.model, flags);
  }
  const decoder = flags.decoder!;
  if (isContinuous(decoder)) {
    const data = await readContinuousInputs(inputs, flags);
    checkLagColumns(flags.lags, data.featureNames.length);
    const { description } = protocol(flags, data.n);
    const result = crossValidateContinuous(data, {
      decoder,
      lags: flags.lags - 1, // the model's lags are the bins besides the current one
      ...(flags.splits !== undefined ? { splits: flags.splits, testSize: flags.testSize ?? 0.2, seed: flags.seed ?? 42 } : { folds: flags.folds ?? 5 }),
    });
    return {
      kind: 'continuous',
      decoder,
      inputs: [...inputs],
      bins: data.n,
      features: data.featureNames.length,
      targets: data.targetNames,
      ...(decoder === 'ridge' ? { lags: flags.lags } : {}),
      protocol: description,
      r2: named(data.targetNames, result.r2),
      meanR2: result.meanR2,
      correlation: named(data.targetNames, result.correlation),
      meanCorrelation: result.meanCorrelation,
      perFold: result.perFold,
      notes: [...(data.notes ?? []), ...result.notes],
    };
  }
  const set = readDiscreteInputs(inputs, flags);
  const { splits, description } = protocol(flags, set.epochs.length);
  const result = crossValidateDiscrete(set, { decoder, splits });
  return {
    kind: 'discrete',
    decoder,
    inputs: [...inputs],
    epochs: set.epochs.length,
    channels: set.channelNames.length,
    samples: set.samples,
    filter: set.filter,
    classes: set.classes,
    protocol: description,
    accuracy: result.accuracy,
    std: result.std,
    chance: result.chance,
    kappa: result.kappa,
    trialS: result.trialS,
    itrBitsPerTrial: result.itrBitsPerTrial,
    itrBitsPerMin: result.itrBitsPerMin,
    confusion: confusionJson(result.confusion),
    perSplit: result.perSplit.map((split) => ({ ...split, confusion: confusionJson(split.confusion) })),
    notes: set.notes,
  };
}

async function evaluateModel(inputs: readonly string[], path: string, flags: EvaluateFlags): Promise<Report> {
  // A first look at the model (its kind and input shape) decides how the data are read.
  const probe = await OnnxDecoder.load(path, { providers: ['cpu'] });
  const { kind } = probe;
  const epochInput = probe.inputShape.length === 2;
  // A trial model's channels, taken from the files by name (normalised, or --channel-map) in the model's order.
  const logpower = !epochInput && probe.inputNames.every((n) => n.endsWith(LOGPOWER));
  const modelChannels = kind === 'discrete' && (epochInput || logpower) && !probe.inputNames.every((n, i) => n === `input_${i}`)
    ? probe.inputNames.map((n) => (epochInput ? n : n.slice(0, -LOGPOWER.length)))
    : undefined;
  await probe.dispose();
  if (kind === 'continuous') {
    const data = await readContinuousInputs(inputs, flags);
    // Loaded again against the data's feature names: a model fed its columns in another order is refused.
    const decoder = await OnnxDecoder.load(path, { providers: ['cpu'], expectInputNames: data.featureNames });
    try {
      const F = data.featureNames.length;
      const D = data.targetNames.length;
      const outputs = decoder.outputNames.length;
      const take = data.targetNames.map((t) => decoder.outputNames.indexOf(t));
      if (take.some((i) => i < 0)) throw new InvalidOptionError(`--model ${path}`, `outputs named ${data.targetNames.join(', ')}`, decoder.outputNames.join(', '));
      const predicted = new Float64Array(data.n * D);
      const starts = new Set(data.runStarts ?? [0]);
      const row = new Float32Array(F);
      for (let i = 0; i < data.n; i++) {
        if (starts.has(i)) decoder.reset();
        for (let f = 0; f < F; f++) row[f] = data.X[i * F + f]!;
        const out = await decoder.decode(row);
        if (out.length !== outputs) throw new InvalidOptionError(`--model ${path}`, `${outputs} outputs`, out.length);
        take.forEach((k, d) => (predicted[i * D + d] = out[k]!));
      }
      const scores = regressionScores(data.Y, predicted, data.n, D);
      const notes = [...(data.notes ?? []), ...undefinedR2Notes(data.targetNames, [truthVaries(data.Y, data.n, D)])];
      return { kind: 'continuous', model: path, provider: decoder.provider, inputs: [...inputs], bins: data.n, features: F, targets: data.targetNames, protocol: { fitted: false }, r2: named(data.targetNames, scores.r2), meanR2: scores.meanR2, correlation: named(data.targetNames, scores.correlation), meanCorrelation: scores.meanCorrelation, notes };
    } finally {
      await decoder.dispose();
    }
  }
  const set = readDiscreteInputs(inputs, flags, {
    ...(modelChannels ? { channels: modelChannels, channelsOwner: `--model ${path}` } : {}),
    ...(flags.channelMap !== undefined ? { channelMap: readChannelMapFile(flags.channelMap) } : {}),
  });
  const C = set.channelNames.length;
  const decoder = await OnnxDecoder.load(path, { providers: ['cpu'], expectInputNames: epochInput ? set.channelNames : set.channelNames.map((c) => `${c}:logpower`) });
  try {
    if (epochInput ? decoder.inputShape[0] !== C || decoder.inputShape[1] !== set.samples : decoder.inputShape[0] !== C) {
      throw new InvalidOptionError(`--model ${path}`, `a model of ${epochInput ? `${C} channels × ${set.samples} samples` : `${C} per-channel features`}`, `input shape [${decoder.inputShape.join(', ')}]`);
    }
    const predicted: string[] = [];
    for (const epoch of set.epochs) {
      const p = await decoder.decode(epochInput ? epoch : Float32Array.from(logPowerFeatures(epoch, C, set.samples)));
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
      predicted.push(decoder.outputNames[best]!);
    }
    const classes = [...decoder.outputNames];
    if (classes.length !== set.classes.length || set.classes.some((c) => !classes.includes(c))) {
      throw new InvalidOptionError(`--model ${path}`, `a model of the classes ${set.classes.join(', ')} (--classes)`, `one of ${classes.join(', ')}`);
    }
    const acc = accuracy(set.labels, predicted);
    const trialS = set.samples / set.sampleRateHz;
    return {
      kind: 'discrete',
      model: path,
      provider: decoder.provider,
      inputs: [...inputs],
      epochs: set.epochs.length,
      channels: C,
      samples: set.samples,
      filter: set.filter,
      classes,
      protocol: { fitted: false },
      accuracy: acc,
      chance: chanceLevel(set.labels),
      kappa: cohensKappa(confusionMatrix(set.labels, predicted, classes)),
      trialS,
      itrBitsPerTrial: itrBitsPerTrial(classes.length, acc),
      itrBitsPerMin: itrBitsPerMinute(classes.length, acc, trialS),
      confusion: confusionJson(confusionMatrix(set.labels, predicted, classes)),
      notes: set.notes,
    };
  } finally {
    await decoder.dispose();
  }
}

/** A confusion matrix as JSON: `counts[truth][predicted]`, rows and columns in `classes` order. */
function confusionJson(confusion: ConfusionMatrix): { classes: readonly string[]; counts: number[][] } {
  const K = confusion.classes.length;
  return { classes: confusion.classes, counts: Array.from({ length: K }, (_, i) => Array.from(confusion.counts.subarray(i * K, (i + 1) * K))) };
}

function f3(x: unknown): string {
  return typeof x === 'number' ? x.toFixed(3) : String(x);
}

/** A score that may be undefined (NaN: an R² of a target without variance, a correlation with a constant). */
function score3(x: unknown): string {
  return typeof x === 'number' && Number.isNaN(x) ? 'undefined' : f3(x);
}

/** " (of vel_x)" when a mean leaves out targets whose score is undefined. */
function meanOver(scores: Record<string, number>): string {
  const defined = Object.keys(scores).filter((k) => !Number.isNaN(scores[k]));
  return defined.length > 0 && defined.length < Object.keys(scores).length ? ` (of ${defined.join(', ')})` : '';
}

export function formatReport(r: Report): string {
  const what = r.decoder ?? `model ${String(r.model)} (${String(r.provider)})`;
  const protocolText = Object.entries(r.protocol as Record<string, unknown>).map(([k, v]) => `${k} ${String(v)}`).join(', ');
  if (r.kind === 'continuous') {
    const r2 = r.r2 as Record<string, number>;
    const corr = r.correlation as Record<string, number>;
    return [
      `${String(what)}: ${String(r.bins)} bins, ${String(r.features)} features → ${(r.targets as string[]).join(', ')} (${protocolText})`,
      `  R²:          ${Object.entries(r2).map(([k, v]) => `${k} ${score3(v)}`).join(', ')}; mean ${score3(r.meanR2)}${meanOver(r2)}`,
      `  correlation: ${Object.entries(corr).map(([k, v]) => `${k} ${score3(v)}`).join(', ')}; mean ${score3(r.meanCorrelation)}${meanOver(corr)}`,
      '',
    ].join('\n');
  }
  return [
    `${String(what)}: ${String(r.epochs)} epochs, classes ${(r.classes as string[]).join(', ')} (${protocolText})`,
    `  accuracy ${f3(r.accuracy)}${r.std !== undefined ? ` ± ${f3(r.std)}` : ''} (chance ${f3(r.chance)}), κ ${f3(r.kappa)}, ITR ${f3(r.itrBitsPerTrial)} bits/trial = ${f3(r.itrBitsPerMin)} bits/min at ${f3(r.trialS)} s/trial`,
    '',
  ].join('\n');
}
