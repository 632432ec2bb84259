/**
 * What `calibrate` and `evaluate` decode, read from their INPUT… arguments and flags:
 *   - continuous decoders (kalman, ridge): a CSV table of binned features (`--features GLOB
 *     --target COLS`), or recording directories (features.arrows + their kinematics markers;
 *     `--target` among pos_x, pos_y, vel_x, vel_y, default vel_x,vel_y);
 *   - discrete decoders (lda, csp-lda): epochs around cue markers/annotations of EDF/BDF files or
 *     recordings (`--classes T1,T2 --window 1,2 [--band 7,30]`).
 */
import { statSync } from 'node:fs';
import { extname } from 'node:path';
import type { Command } from 'commander';
import { InvalidOptionError, checkInteger, type ChannelMap } from '../core/index.js';
import { readEpochs, type EpochSet, readFeatureTable, type FeatureTable, readRecordingFeatures } from '../decoding/index.js';
import { integerFlag } from './parse-flag.js';

export const CONTINUOUS_DECODERS = ['kalman', 'ridge'] as const;
export const DISCRETE_DECODER_NAMES = ['lda', 'csp-lda'] as const;
export const DECODER_NAMES = [...CONTINUOUS_DECODERS, ...DISCRETE_DECODER_NAMES] as const;
export type DecoderName = (typeof DECODER_NAMES)[number];

export interface DecodingInputFlags {
  features?: string;
  target?: string;
  classes?: string;
  window?: string;
  band?: string;
  allowTruncated?: boolean;
}

export function isContinuous(decoder: DecoderName): decoder is (typeof CONTINUOUS_DECODERS)[number] {
  return (CONTINUOUS_DECODERS as readonly string[]).includes(decoder);
}

/** `--lags` is a ridge setting: 1 (no history) for the others; at most 100. */
export function checkLags(decoder: DecoderName | undefined, lags: number): void {
  checkInteger('option', '--lags', lags, { min: 1, max: 100 });
  if (lags !== 1 && decoder !== 'ridge') throw new InvalidOptionError('--lags', 'a ridge decoder (the others take no history)', `--lags ${lags} with ${decoder ?? '--model'}`);
}

/** The lagged design must stay a size the solver can take: (lags × features) ≤ MAX_LAGGED_COLUMNS. */
export function checkLagColumns(lags: number, features: number): void {
  if (lags * features > MAX_LAGGED_COLUMNS) {
    throw new InvalidOptionError('--lags', `at most ${MAX_LAGGED_COLUMNS} lagged columns (lags × ${features} features)`, `${lags} (${lags * features} columns)`);
  }
}

/** The most columns of a lagged ridge design (a 4096² normal matrix is 128 MB and a Cholesky of minutes). */
export const MAX_LAGGED_COLUMNS = 4096;

/** The flags saying what to decode, shared by `calibrate` and `evaluate`. */
export function withDecodingInputOptions(command: Command): Command {
  return command
    .option('--features <glob>', "tables: feature columns, e.g. 'unit_*'")
    .option('--target <cols>', 'continuous: target columns, e.g. vel_x,vel_y')
    .option('--lags <n>', 'ridge: bins of history the decoder sees, the current one included (5 = 0–200 ms of 50 ms bins)', integerFlag('--lags'), 1)
    .option('--classes <list>', 'discrete: cue texts, one class each, e.g. T1,T2')
    .option('--window <s>', 'discrete: epoch window after the cue, seconds, e.g. 1,2')
    .option('--band <hz>', 'discrete: band-pass before epoching, Hz, e.g. 7,30')
    .option('--allow-truncated', 'read recordings whose files hold less than their session.json says (with a warning)')
}

function list(flag: string, raw: string): string[] {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new InvalidOptionError(flag, 'a comma-separated list', raw);
  return items;
}

function pair(flag: string, raw: string, what: string): [number, number] {
  const parts = raw.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 2 || parts.some((x) => !Number.isFinite(x)) || !(parts[0]! < parts[1]!)) {
    throw new InvalidOptionError(flag, `two increasing numbers ${what}, e.g. ${flag === '--band' ? '7,30' : '1,2'}`, raw);
  }
  return [parts[0]!, parts[1]!];
}

/** The continuous dataset of the inputs (one CSV table, or recordings). */
export async function readContinuousInputs(inputs: readonly string[], flags: DecodingInputFlags): Promise<FeatureTable & { runStarts?: number[]; notes?: string[] }> {
  const tables = inputs.filter((p) => extname(p).toLowerCase() === '.csv');
  if (tables.length > 0) {
    if (tables.length !== inputs.length || tables.length > 1) throw new InvalidOptionError('INPUT', 'one CSV table of binned features (or recording directories)', inputs.join(' '));
    if (flags.features === undefined || flags.target === undefined) {
      throw new InvalidOptionError('--features/--target', "the feature columns and the targets of the table, e.g. --features 'unit_*' --target vel_x,vel_y", 'nothing');
    }
    return readFeatureTable(tables[0]!, { features: flags.features, target: list('--target', flags.target) });
  }
  for (const input of inputs) {
    if (!isDirectory(input)) throw new InvalidOptionError(`INPUT ${input}`, 'a CSV table of binned features or a recording directory (continuous decoders)', 'neither');
  }
  return readRecordingFeatures(inputs, { ...(flags.target !== undefined ? { target: list('--target', flags.target) } : {}), ...(flags.allowTruncated ? { allowTruncated: true } : {}) });
}

/** The epochs of the inputs (EDF/BDF files or recordings) around the cues of `--classes`. */
export function readDiscreteInputs(inputs: readonly string[], flags: DecodingInputFlags, select: { channels?: readonly string[]; channelMap?: ChannelMap; channelsOwner?: string } = {}): EpochSet {
  if (flags.classes === undefined || flags.window === undefined) {
    throw new InvalidOptionError('--classes/--window', 'the cue classes and the epoch window, e.g. --classes T1,T2 --window 1,2', 'nothing');
  }
  return readEpochs(inputs, {
    classes: list('--classes', flags.classes),
    windowS: pair('--window', flags.window, '(seconds after the cue)'),
    ...(flags.band !== undefined ? { bandHz: pair('--band', flags.band, '(Hz)') } : {}),
    ...(flags.allowTruncated ? { allowTruncated: true } : {}),
    ...select,
  });
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
