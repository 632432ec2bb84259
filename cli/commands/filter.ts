/**
 * `neurostream filter IN OUT --bandpass LO HI [--order N] [--notch HZ] [--car] [--zero-phase]`
 * — filters a raw interleaved file offline with the session's kernels (causal unless
 * `--zero-phase`). Until recordings land (issue 5), IN is a raw file of interleaved samples
 * described by flags (`--channels`, `--rate`, `--format int16|float32`, `--scale µV/count`), or by
 * an `info.json` beside it (`sample_rate`, `shape: [-1, channels]`, `dtype`, as the tridesclous
 * datasets ship). OUT is float32 little-endian, interleaved, in µV, with OUT.json describing it.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command } from 'commander';
import { designButterworth, type Sos, cascade, designMainsNotch, createSosState, sosFilter, sosFiltFilt, commonAverageReference, createReferenceLayout } from '../../acquisition/index.js';
import { InvalidOptionError, NeurostreamError, ErrorCode, checkInteger, checkNumber } from '../../core/index.js';
import { checkNewFile, removeQuietly, writeNewFile } from '../../recordings/index.js';
import { choiceFlag, integerFlag, numberFlag, positiveNumberFlag } from '../parse-flag.js';

interface FilterFlags {
  bandpass?: [string, string];
  order: number;
  notch?: number;
  car: boolean;
  zeroPhase: boolean;
  channels?: number;
  rate?: number;
  format?: 'int16' | 'float32';
  scale: number;
}

class InputFileError extends NeurostreamError {
  constructor(message: string) {
    super(ErrorCode.InvalidData, message);
  }
}

export function filterCommand(): Command {
  return new Command('filter')
    .description('filter a raw interleaved file offline (band-pass, notch, common-average reference; causal or zero-phase)')
    .argument('<in>', 'raw interleaved samples (int16 or float32, little-endian)')
    .argument('<out>', 'output: a new file (never overwritten), float32 µV, interleaved; OUT.json describes it')
    .option('--bandpass <hz...>', 'band-pass LO HI in Hz (Butterworth)')
    .option('--order <n>', 'band-pass order', integerFlag('--order'), 4)
    .option('--notch <hz>', 'notch mains at this frequency and its harmonics', positiveNumberFlag('--notch'))
    .option('--car', 'common-average reference over all channels', false)
    .option('--zero-phase', 'filter forward and backward (no phase shift; offline only)', false)
    .option('--channels <n>', 'channels in IN (default: from info.json beside it)', integerFlag('--channels'))
    .option('--rate <hz>', 'sample rate of IN (default: from info.json)', positiveNumberFlag('--rate'))
    .option('--format <type>', 'int16 | float32 (default: from info.json)', choiceFlag('--format', ['int16', 'float32'] as const))
    .option('--scale <uv>', 'µV per count for int16 input', positiveNumberFlag('--scale'), 1)
    .action((input: string, output: string, flags: FilterFlags) => {
      filterFile(input, output, flags);
    });
}

function describeInput(input: string, flags: FilterFlags): { channels: number; rate: number; format: 'int16' | 'float32' } {
  const infoPath = join(dirname(input), 'info.json');
  let info: { sample_rate?: unknown; shape?: unknown; dtype?: unknown } = {};
  if (existsSync(infoPath) && (flags.channels === undefined || flags.rate === undefined || flags.format === undefined)) {
    try {
      info = JSON.parse(readFileSync(infoPath, 'utf8')) as typeof info;
    } catch (error) {
      throw new InputFileError(`${infoPath}: expected JSON with sample_rate, shape and dtype, got unreadable text (${(error as Error).message})`);
    }
  }
  const shape = Array.isArray(info.shape) ? (info.shape as unknown[]) : [];
  const channels = checkInteger('option', '--channels', flags.channels ?? shape[1] ?? missing('--channels', infoPath), { min: 1, max: 4096 });
  const rate = checkNumber('option', '--rate', flags.rate ?? info.sample_rate ?? missing('--rate', infoPath), { min: 0, exclusiveMin: true });
  const dtype = flags.format ?? info.dtype ?? missing('--format', infoPath);
  if (dtype !== 'int16' && dtype !== 'float32') throw new InvalidOptionError('--format', 'int16 or float32', dtype);
  return { channels, rate, format: dtype };
}

function missing(flag: string, infoPath: string): never {
  throw new InvalidOptionError(flag, `a value (or ${infoPath} saying it)`, undefined);
}

export function filterFile(input: string, output: string, flags: FilterFlags): void {
  let size: number;
  try {
    const stat = statSync(input);
    if (!stat.isFile()) throw new InputFileError(`${input}: expected a file of samples, got ${stat.isDirectory() ? 'a directory' : 'something else'}`);
    size = stat.size;
  } catch (error) {
    if (error instanceof NeurostreamError) throw error;
    throw new InputFileError(`${input}: expected a file of samples, got ${(error as { code?: string }).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  // Both outputs are new files in a writable directory — never the input, never anything existing.
  checkNewFile(output, 'OUT');
  checkNewFile(`${output}.json`, 'OUT.json');
  const { channels, rate, format } = describeInput(input, flags);
  const bytesPer = format === 'int16' ? 2 : 4;
  if (size % (bytesPer * channels) !== 0) {
    throw new InputFileError(`${input}: expected a whole number of ${channels}-channel ${format} samples (${bytesPer * channels} bytes each), got ${size} bytes`);
  }
  const length = size / bytesPer / channels;
  if (!flags.bandpass && flags.notch === undefined && !flags.car) {
    throw new InvalidOptionError('filter', 'at least one of --bandpass LO HI, --notch HZ, --car', 'none');
  }
  const parts: Sos[] = [];
  if (flags.bandpass) {
    if (flags.bandpass.length !== 2) throw new InvalidOptionError('--bandpass', 'two frequencies: LO HI', flags.bandpass.join(' '));
    const [lo, hi] = flags.bandpass.map((v) => numberFlag('--bandpass')(v)) as [number, number];
    parts.push(designButterworth({ type: 'bandpass', order: flags.order, cutoffHz: [lo, hi], sampleRateHz: rate }));
  }
  if (flags.notch !== undefined) parts.push(designMainsNotch(flags.notch, rate, { harmonics: 3 }));
  // Channel-major µV.
  let raw: Buffer;
  try {
    raw = readFileSync(input);
  } catch (error) {
    throw new InputFileError(`${input}: expected a readable file of samples, got ${(error as { code?: string }).code ?? (error as Error).message}`);
  }
  const data = new Float32Array(channels * length);
  const view = format === 'int16' ? new Int16Array(raw.buffer, raw.byteOffset, channels * length) : new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + size));
  for (let i = 0; i < length; i++) for (let c = 0; c < channels; c++) data[c * length + i] = view[i * channels + c]! * (format === 'int16' ? flags.scale : 1);
  let x = data;
  if (flags.car) {
    const referenced = new Float32Array(x.length);
    commonAverageReference(createReferenceLayout(new Array<number>(channels).fill(0), new Array<number>(channels).fill(1)), x, referenced, length, new Float64Array(length));
    x = referenced;
  }
  if (parts.length > 0) {
    const sos = cascade(...parts);
    const filtered = new Float32Array(x.length);
    if (flags.zeroPhase) sosFiltFilt(sos, x, filtered, channels, length);
    else sosFilter(sos, createSosState(sos, channels), x, filtered, channels, length);
    x = filtered;
  }
  const out = new Float32Array(channels * length);
  for (let i = 0; i < length; i++) for (let c = 0; c < channels; c++) out[i * channels + c] = x[c * length + i]!;
  writeNewFile(output, new Uint8Array(out.buffer), 'OUT');
  const description = {
    sample_rate: rate,
    shape: [-1, channels],
    dtype: 'float32',
    units: 'uV',
    source: input,
    filters: { bandpassHz: flags.bandpass?.map(Number) ?? null, order: flags.bandpass ? flags.order : null, notchHz: flags.notch ?? null, car: flags.car, zeroPhase: flags.zeroPhase },
  };
  try {
    writeNewFile(`${output}.json`, `${JSON.stringify(description, null, 2)}\n`, 'OUT.json');
  } catch (error) {
    removeQuietly(output); // no data without its description
    throw error;
  }
  process.stdout.write(`filtered ${length} samples × ${channels} channels at ${rate} Hz → ${output} (+ ${output}.json)\n`);
}
