/**
 * `neurostream calibrate INPUT… --decoder kalman|ridge|lda|csp-lda --out model.onnx` — fits a
 * built-in decoder on all the data and writes it as an ONNX model (docs/onnx.md) that
 * `evaluate --model`, `serve` and any ONNX runtime run.
 */
import { Command } from 'commander';
import { InvalidOptionError } from '../../core/index.js';
import { calibrateCspLda, calibrateKalman, calibrateLda, calibrateRidge, logPowerFeatures, type DecoderModel, exportOnnx } from '../../decoding/index.js';
import { DECODER_NAMES, isContinuous, readContinuousInputs, readDiscreteInputs, type DecoderName, type DecodingInputFlags } from '../decoding-inputs.js';
import { checkLagColumns, checkLags, withDecodingInputOptions } from '../decoding-inputs.js';
import { checkNewFile, writeNewFile } from '../../recordings/index.js';
import { choiceFlag } from '../parse-flag.js';

interface CalibrateFlags extends DecodingInputFlags {
  decoder: DecoderName;
  out: string;
  lags: number;
}

export function calibrateCommand(): Command {
  return withDecodingInputOptions(new Command('calibrate'))
    .description('fit a built-in decoder on recordings, EDF/BDF files or a CSV feature table, and write it as ONNX')
    .argument('<input...>', 'recording directories, EDF/BDF files (discrete), or one CSV table of binned features (continuous)')
    .requiredOption('--decoder <name>', DECODER_NAMES.join(' | '), choiceFlag('--decoder', DECODER_NAMES))
    .requiredOption('--out <file>', 'the ONNX model to write (must not exist)')
    .action(async (inputs: string[], flags: CalibrateFlags) => {
      await calibrate(inputs, flags);
    });
}

export async function calibrate(inputs: readonly string[], flags: CalibrateFlags): Promise<void> {
  checkLags(flags.decoder, flags.lags);
  if (!flags.out.toLowerCase().endsWith('.onnx')) throw new InvalidOptionError('--out', 'a file name ending in .onnx', flags.out);
  checkNewFile(flags.out, '--out'); // before the fit: models are never overwritten
  const { model, summary, notes, epoch } = await fitDecoder(inputs, flags);
  for (const note of notes) process.stderr.write(`neurostream calibrate: ${note.startsWith('TRUNCATED:') ? 'WARNING' : 'note'}: ${note}\n`);
  // A trial decoder carries its epochs' window and band, so that a live session cuts the same epochs.
  const bytes = exportOnnx(model, { docString: `neurostream calibrate ${flags.decoder} on ${inputs.join(' ')}`, ...(epoch ? { epoch } : {}) });
  writeNewFile(flags.out, bytes, '--out');
  process.stdout.write(`calibrated ${flags.decoder} on ${summary}; wrote ${flags.out} (${(bytes.length / 1024).toFixed(1)} kB ONNX)\n`);
}

/**
 * Fits a built-in decoder on all of the inputs; returns the model, a one-line summary, the
 * inputs' notes, and the decoder's inputs (rows of features, or epochs) for timing it.
 */
export async function fitDecoder(
  inputs: readonly string[],
  flags: DecodingInputFlags & { decoder: DecoderName; lags: number },
): Promise<{ model: DecoderModel; summary: string; notes: string[]; samples: Float32Array[]; epoch?: { windowS: readonly [number, number]; bandHz: readonly [number, number] | null } }> {
  checkLags(flags.decoder, flags.lags);
  let model: DecoderModel;
  let summary: string;
  if (isContinuous(flags.decoder)) {
    const data = await readContinuousInputs(inputs, flags);
    const F = data.featureNames.length;
    checkLagColumns(flags.lags, F);
    const D = data.targetNames.length;
    const common = { featureNames: data.featureNames, targetNames: data.targetNames, ...(data.runStarts ? { runStarts: data.runStarts } : {}) };
    model = flags.decoder === 'ridge' ? calibrateRidge(data.X, data.Y, data.n, F, D, { ...common, lags: flags.lags - 1 }) : calibrateKalman(data.X, data.Y, data.n, F, D, common);
    summary = `${data.n} bins, ${F} features → ${data.targetNames.join(', ')}${model.type === 'ridge' ? `, ${model.lags + 1} bins of history, alpha ${model.alpha}` : ''}`;
    const rows = Array.from({ length: Math.min(data.n, 2000) }, (_, i) => Float32Array.from(data.X.subarray(i * F, (i + 1) * F)));
    return { model, summary, notes: [...(data.notes ?? [])], samples: rows };
  } else {
    const set = readDiscreteInputs(inputs, flags);
    const common = { channelNames: set.channelNames, samples: set.samples, classes: set.classes };
    if (flags.decoder === 'csp-lda') {
      model = calibrateCspLda(set.epochs, set.labels, common);
    } else {
      const C = set.channelNames.length;
      const X = new Float64Array(set.epochs.length * C);
      set.epochs.forEach((epoch, i) => X.set(logPowerFeatures(epoch, C, set.samples), i * C));
      model = calibrateLda(X, set.epochs.length, C, set.labels, { shrinkage: 'auto', classes: set.classes, featureNames: set.channelNames.map((c) => `${c}:logpower`) });
    }
    summary = `${set.epochs.length} epochs of ${set.channelNames.length} ch × ${set.samples} samples (${set.filter}) → ${set.classes.join(', ')}`;
    const C = set.channelNames.length;
    const samples = flags.decoder === 'csp-lda' ? set.epochs : set.epochs.map((epoch) => Float32Array.from(logPowerFeatures(epoch, C, set.samples)));
    return { model, summary, notes: [...set.notes], samples, epoch: { windowS: set.windowS, bandHz: set.bandHz } };
  }
}
