/**
 * `readSpikeGlx` — a SpikeGLX recording (`NAME.bin` + `NAME.meta`: an imec probe's `.ap`/`.lf`
 * stream or a `.nidq` stream) as an ImportedRecording of one stream, read lazily in blocks.
 *
 * The `.bin` is headerless: nSavedChans int16 values (little-endian) per time point, channels
 * interleaved in the order of `snsSaveChanSubset`. Everything else comes from the `.meta`
 * (spikeglx-meta.ts): rate (imSampRate / niSampRate, the calibrated rate, as written), channels
 * and names (spikeglx-channel-map.ts), µV per count (spikeglx-imec.ts, spikeglx-nidq.ts). Each
 * value is `Math.fround(count × scale)`: the stream promises exact counts (`exactCounts`), so a
 * recording stores the int16 counts themselves with the scale (format version 2).
 *
 * Opening reads only the `.meta` and the `.bin`'s size: `fileSizeBytes` must be a whole number
 * of time points and equal the file's size. A `.bin` shorter than its `.meta` says (a copy cut
 * short) is refused, naming both sizes, unless `allowTruncated` — then the whole time points it
 * holds are read and a `TRUNCATED:` note says what is missing. `blocks()` reads the `.bin` again
 * each time, one block at a time (at most 2²⁰ values, about 1 s), through one buffer.
 *
 * Time: sample 0 is the file's first sample (the run's sample `firstSample`, noted). The start
 * time is `fileCreateTime`, which SpikeGLX writes in the recording machine's local time with no
 * zone: it is taken as UTC, and the note says so, unless `startTime` is given.
 */
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, extname } from 'node:path';
import {
  type SampleBlock,
  type StreamInfo,
  InvalidDataError,
  InvalidOptionError,
  checkInteger,
  createSampleBlock,
  createStreamInfo,
} from '../../../core/index.js';
import type { ImportedRecording } from '../../imported-recording.js';
import { type SpikeGlxChannel, chanMapNames, countTypes, savedChannels } from './spikeglx-channel-map.js';
import { imecChannels } from './spikeglx-imec.js';
import { type SpikeGlxMeta, readSpikeGlxMeta } from './spikeglx-meta.js';
import { nidqChannels } from './spikeglx-nidq.js';

export interface SpikeGlxOptions {
  /** UTC ISO time of sample 0, instead of fileCreateTime (the machine's local time, taken as UTC). */
  startTime?: string;
  /** Stream id. Default `spikeglx-<file name without .bin>`. */
  id?: string;
  /** Samples per block (at most 2²⁴ values per block). Default: one second, at most 2²⁰ values per block. */
  blockLength?: number;
  /** Read a `.bin` shorter than its `.meta` says (the whole time points it holds; noted) instead of refusing it. */
  allowTruncated?: boolean;
}

/** The `.bin` and `.meta` of a SpikeGLX file pair, from either of them. */
export function spikeGlxPaths(path: string): { bin: string; meta: string } {
  const extension = extname(path);
  const stem = path.slice(0, path.length - extension.length);
  return extension.toLowerCase() === '.meta' ? { bin: `${stem}.bin`, meta: path } : { bin: path, meta: `${stem}.meta` };
}

const MAX_BLOCK_VALUES = 1 << 20;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

export function readSpikeGlx(path: string, options: SpikeGlxOptions = {}): ImportedRecording {
  if (options.blockLength !== undefined) checkInteger('option', 'blockLength', options.blockLength, { min: 1 });
  if (options.startTime !== undefined && (!ISO_UTC.test(options.startTime) || Number.isNaN(Date.parse(options.startTime)))) {
    throw new InvalidOptionError('startTime', 'a UTC ISO-8601 time like 2026-01-31T12:00:00.000Z', options.startTime);
  }
  const paths = spikeGlxPaths(path);
  for (const file of [paths.meta, paths.bin]) {
    if (!existsSync(file)) {
      throw new InvalidOptionError('input', `a SpikeGLX recording: a .bin with its .meta beside it (the same name), or the .meta; ${basename(file)} is not in ${dirname(file)}`, path);
    }
  }
  const meta = readSpikeGlxMeta(paths.meta);
  const notes: string[] = [];

  const stream = meta.string('typeThis', "the stream type, 'imec' or 'nidq'");
  if (stream !== 'imec' && stream !== 'nidq') {
    throw meta.error('typeThis', `'imec' or 'nidq' (${stream === 'obx' ? 'OneBox obx streams are not read yet' : 'the SpikeGLX stream types neurostream reads'})`, stream);
  }
  const nSaved = meta.integer('nSavedChans', 'the number of channels in each time point (a whole number ≥ 1)', 1);
  const saved = savedChannels(meta, nSaved);
  const rateKey = stream === 'imec' ? 'imSampRate' : 'niSampRate';
  const rateHz = meta.number(rateKey, 'the sample rate in Hz (a positive number)', { positive: true });
  if (rateHz > 1e6) throw meta.error(rateKey, 'a sample rate in Hz up to 1e6', rateHz);

  const layout: { channels: SpikeGlxChannel[]; notes: string[]; probeType?: number } = stream === 'imec' ? imecChannels(meta, saved) : nidqChannels(meta, saved);
  const channels = named(meta, saved, layout.channels, notes);
  checkSavedCounts(meta, stream, channels);

  // Size: fileSizeBytes must be whole time points, and the file as big.
  const bytesPerSample = 2 * nSaved;
  const metaBytes = meta.integer('fileSizeBytes', `the .bin's size in bytes (whole time points of ${nSaved} channels × 2 bytes)`);
  if (metaBytes % bytesPerSample !== 0 || metaBytes === 0) {
    throw meta.error('fileSizeBytes', `a positive multiple of ${bytesPerSample} bytes (${nSaved} channels × 2 bytes per time point)`, metaBytes);
  }
  const metaSamples = metaBytes / bytesPerSample;
  const fileBytes = statSync(paths.bin).size;
  let totalSamples = metaSamples;
  if (fileBytes !== metaBytes) {
    const whole = Math.floor(fileBytes / bytesPerSample);
    const rest = fileBytes - whole * bytesPerSample;
    const seen = `${fileBytes} bytes (${whole} whole samples${rest > 0 ? ` + ${rest} bytes` : ''})`;
    const expected = `${metaBytes} bytes, as fileSizeBytes in ${basename(paths.meta)} says (${metaSamples} samples × ${nSaved} channels × 2 bytes)`;
    if (fileBytes > metaBytes) throw new InvalidDataError(paths.bin, `${expected}: the .meta belongs to another file?`, seen);
    if (!options.allowTruncated) throw new InvalidDataError(paths.bin, `${expected}; a file cut short is read only with allowTruncated (convert --allow-truncated)`, seen);
    if (whole === 0) throw new InvalidDataError(paths.bin, `${expected}; at least one whole sample even when cut short`, seen);
    totalSamples = whole;
    notes.push(
      `TRUNCATED: ${basename(paths.bin)} holds ${fileBytes} of the ${metaBytes} bytes its .meta says: ${whole} of ${metaSamples} samples are read (${metaSamples - whole} missing at the end${rest > 0 ? `, and ${rest} bytes of a cut sample dropped` : ''})`,
    );
  }

  notes.push(`${stream} stream, ${describeCounts(stream, channels)} of ${nSaved} saved channels; ${rateHz} Hz (${rateKey}); ${totalSamples} samples (${(totalSamples / rateHz).toFixed(3)} s)`);
  notes.push(...layout.notes);
  const startTime = chooseStartTime(meta, options.startTime, notes);
  describeFirstSample(meta, rateHz, notes);
  const userNotes = meta.get('userNotes');
  if (userNotes !== undefined && userNotes.trim() !== '') notes.push(`userNotes: ${userNotes.trim()}`);

  const info = createStreamInfo({
    id: options.id ?? `spikeglx-${basename(paths.bin).replace(/\.bin$/i, '')}`,
    device: deviceOf(meta, stream, layout.probeType ?? 0),
    channelNames: channels.map((c) => c.name),
    channelKinds: channels.map((c) => c.kind),
    units: channels.map((c) => c.unit),
    sampleRateHz: rateHz,
    adcScale: channels.map((c) => c.scale),
    adcBits: channels.map((c) => c.bits),
    exactCounts: true, // readBlocks: every value is Math.fround(int16 count × scale)
    startTime,
  });
  if (options.blockLength !== undefined && options.blockLength * nSaved > 2 ** 24) {
    throw new InvalidOptionError('blockLength', `at most ${Math.floor(2 ** 24 / nSaved)} time points (2²⁴ values, bounded memory) for ${nSaved} channels`, options.blockLength);
  }
  const blockLength = options.blockLength ?? Math.max(1, Math.min(Math.round(rateHz), Math.floor(MAX_BLOCK_VALUES / nSaved)));
  const scales = Float64Array.from(channels, (c) => c.scale);
  return {
    source: paths.bin,
    format: `SpikeGLX ${stream}${bandsOf(channels)}${totalSamples < metaSamples ? ' — TRUNCATED (the .bin is shorter than its .meta says)' : ''}`,
    streams: [{ info, totalSamples, blocks: () => readBlocks(paths.bin, info, scales, totalSamples, blockLength) }],
    markers: [],
    markerClockHz: rateHz,
    notes,
  };
}

/** Names from ~snsChanMap where the meta has one, else SpikeGLX's own names by type (noted). */
function named(meta: SpikeGlxMeta, saved: readonly number[], channels: SpikeGlxChannel[], notes: string[]): SpikeGlxChannel[] {
  const names = chanMapNames(meta, saved);
  if (!names) {
    notes.push('no ~snsChanMap: channels named by type and number (AP0…, LF0…, SY0; MN0…, MA0…, XA0…, XD0…)');
    return channels;
  }
  return channels.map((c, i) => ({ ...c, name: names[i]! }));
}

/** The saved channels by type must be what snsApLfSy / snsMnMaXaDw say the file holds. */
function checkSavedCounts(meta: SpikeGlxMeta, stream: 'imec' | 'nidq', channels: readonly SpikeGlxChannel[]): void {
  const [key, types] = stream === 'imec' ? (['snsApLfSy', ['AP', 'LF', 'SY']] as const) : (['snsMnMaXaDw', ['MN', 'MA', 'XA', 'XD']] as const);
  const counted = countTypes(channels, types);
  const stated = meta.integers(key, types.length, `the saved ${types.join(', ')} channel counts, e.g. ${stream === 'imec' ? '384,0,1' : '192,64,0,1'}`);
  if (stated.some((n, i) => n !== counted[i])) {
    throw meta.error(key, `${counted.join(',')}: the ${types.join(', ')} channels among snsSaveChanSubset`, stated.join(','));
  }
}

function describeCounts(stream: 'imec' | 'nidq', channels: readonly SpikeGlxChannel[]): string {
  const types = stream === 'imec' ? (['AP', 'LF', 'SY'] as const) : (['MN', 'MA', 'XA', 'XD'] as const);
  return countTypes(channels, types)
    .map((n, i) => (n > 0 ? `${n} ${types[i]}` : ''))
    .filter((s) => s !== '')
    .join(' + ');
}

function bandsOf(channels: readonly SpikeGlxChannel[]): string {
  const ap = channels.some((c) => c.type === 'AP');
  const lf = channels.some((c) => c.type === 'LF');
  return ap && lf ? ' ap+lf' : ap ? ' ap' : lf ? ' lf' : '';
}

function deviceOf(meta: SpikeGlxMeta, stream: 'imec' | 'nidq', probeType: number): StreamInfo['device'] {
  if (stream === 'nidq') return { name: 'spikeglx', model: `SpikeGLX nidq ${meta.get('niDev1ProductName') ?? 'NI-DAQ'}`.trim(), serial: '' };
  const part = meta.get('imDatPrb_pn')?.trim();
  return {
    name: 'spikeglx',
    model: `${part ? `Neuropixels ${part}` : 'imec probe'} (probe type ${probeType})`,
    serial: meta.get('imDatPrb_sn')?.trim() ?? '',
  };
}

function chooseStartTime(meta: SpikeGlxMeta, given: string | undefined, notes: string[]): string {
  const created = meta.get('fileCreateTime')?.trim();
  if (created !== undefined && !LOCAL_TIME.test(created)) throw meta.error('fileCreateTime', 'a local date and time like 2020-11-09T18:12:06', created);
  const valid = created !== undefined && !Number.isNaN(Date.parse(`${created}Z`));
  if (created !== undefined && !valid) throw meta.error('fileCreateTime', 'a valid local date and time like 2020-11-09T18:12:06', created);
  if (given !== undefined) {
    notes.push(`start time ${given} given by the caller${created ? ` (fileCreateTime ${created}, the recording machine's local time)` : ''}`);
    return given;
  }
  if (created === undefined) {
    notes.push('no fileCreateTime: start time unknown, written as 1970-01-01T00:00:00.000Z (pass startTime)');
    return '1970-01-01T00:00:00.000Z';
  }
  const iso = `${created}.000Z`;
  notes.push(
    `start time: fileCreateTime ${created} is the recording machine's local time, with no time zone: written as ${iso} (UTC), off by the machine's UTC offset — pass startTime for the true instant`,
  );
  return iso;
}

function describeFirstSample(meta: SpikeGlxMeta, rateHz: number, notes: string[]): void {
  if (!meta.has('firstSample')) return;
  const first = meta.integer('firstSample', 'the run sample number of the file\'s first sample (a whole number ≥ 0)');
  notes.push(`firstSample ${first}: sample 0 here is sample ${first} of the SpikeGLX run (${(first / rateHz).toFixed(3)} s after the run started); other streams of the run align by it`);
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** The .bin from the start, `blockLength` time points at a time, through one buffer. */
function* readBlocks(path: string, info: StreamInfo, scales: Float64Array, totalSamples: number, blockLength: number): Generator<SampleBlock, void, undefined> {
  const C = scales.length;
  const bytesPerSample = 2 * C;
  const bytes = new Uint8Array(blockLength * bytesPerSample);
  const counts = new Int16Array(bytes.buffer, 0, blockLength * C);
  const fd = openSync(path, 'r');
  try {
    for (let first = 0; first < totalSamples; ) {
      const n = Math.min(blockLength, totalSamples - first);
      const want = n * bytesPerSample;
      const position = first * bytesPerSample;
      let got = 0;
      while (got < want) {
        const read = readSync(fd, bytes, got, want - got, position + got);
        if (read === 0) break;
        got += read;
      }
      if (got < want) {
        throw new InvalidDataError(`${path} (changed since it was opened?)`, `${want} bytes at byte ${position} (samples ${first}–${first + n - 1} of ${totalSamples})`, `${got} bytes`);
      }
      if (!LITTLE_ENDIAN) for (let i = 0; i < want; i += 2) [bytes[i], bytes[i + 1]] = [bytes[i + 1]!, bytes[i]!];
      const data = new Float32Array(C * n);
      for (let c = 0; c < C; c++) {
        const scale = scales[c]!;
        const row = c * n;
        for (let i = 0, k = c; i < n; i++, k += C) data[row + i] = counts[k]! * scale;
      }
      yield createSampleBlock({ info, first, length: n, data, hostTime: ((first + n) * 1000) / info.sampleRateHz });
      first += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** The sibling `.meta` of a `.bin` exists (what openInput asks before reading a `.bin` as SpikeGLX). */
export function hasSpikeGlxMeta(binPath: string): boolean {
  return existsSync(spikeGlxPaths(binPath).meta);
}
