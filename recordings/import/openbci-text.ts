/**
 * `readOpenBciText` — an OpenBCI GUI text recording as an ImportedRecording: the GUI v5/v6 format
 * (`%` header, a column-title line `Sample Index, EXG Channel 0, …`) and the older one
 * (`%OpenBCI Raw EEG Data`, rows of index, EXG, accelerometer[, HH:MM:SS.mmm, Unix ms]).
 *
 * One stream: EXG channels `EXG1…` (µV, 'eeg'), then `AccelX/Y/Z` (g, 'accel') — the live Cyton
 * driver's names. The accelerometer updates at 25 Hz; older files write 0, 0, 0 between updates,
 * so a row of three zeros holds the last reading (as the driver does). Rate and channel count come
 * from the header; a rate is never assumed unless the %Board line fixes it.
 *
 * Gaps: the Sample Index is the Cyton's 8-bit packet counter; a jump is a gap of exactly that many
 * samples modulo 256, made longer by whole periods when the Unix timestamps say so
 * (SampleIndexClock). Markers: non-zero values of the v5/v6 Marker Channel, type 'marker'.
 *
 * Opening reads the file once (header, layout, every row checked, gaps, markers, sample count);
 * `blocks()` reads it again lazily, 1 MiB at a time, in blocks of about one second that end
 * before each gap.
 */
import { basename } from 'node:path';
import {
  type Marker,
  type SampleBlock,
  type StreamInfo,
  InvalidDataError,
  checkInteger,
  createMarker,
  createStreamInfo,
} from '../../core/index.js';
import type { ImportedRecording, ImportedStream } from '../imported-recording.js';
import { BlockAssembler } from '../../core/block-assembler.js';
import { CYTON_ACCEL_G_PER_COUNT, CYTON_DEFAULT_GAIN, microvoltsPerCount } from '../../devices/protocols/cyton/cyton-constants.js';
import { fileChunks } from './file-chunks.js';
import {
  type OpenBciHeader,
  type OpenBciLayout,
  boardModel,
  legacyLayout,
  readOpenBciHeader,
  titledLayout,
} from './openbci-text-layout.js';
import { OpenBciTextParser, type ParsedRow } from './openbci-text-parser.js';
import { type IndexJump, SampleIndexClock } from './sample-index-clock.js';

/** Cyton EXG scale at gain 24: 4.5 V / 24 / (2²³ − 1), in µV per count. */
export const CYTON_GAIN24_UV_PER_COUNT = microvoltsPerCount(CYTON_DEFAULT_GAIN);
/** LIS3DH scale the Cyton uses, g per count. */
export { CYTON_ACCEL_G_PER_COUNT };

export interface OpenBciTextOptions {
  /** Samples per block. Default: one second's worth (250 at 250 Hz). */
  blockLength?: number;
  /** UTC ISO start time, for files that carry none (the older format without timestamps). */
  startTime?: string;
  /** Stream id. Default `openbci-<file name>`. */
  id?: string;
}

/** What the first rows tell (layout, counter step, first timestamp). */
interface Probe {
  header: OpenBciHeader;
  layout: OpenBciLayout;
  step: number;
  /** First row's timestamp in ms, NaN if none. */
  firstTimeMs: number;
  /** Multiplier from the file's timestamp unit to ms. */
  timeToMs: number;
}

const PROBE_ROWS = 64;

export function readOpenBciText(path: string, options: OpenBciTextOptions = {}): ImportedRecording {
  const probe = probeFile(path);
  const { header, layout } = probe;
  const notes: string[] = [...layout.notes];
  const board = boardModel(header.board);
  let rateHz = header.sampleRateHz;
  if (rateHz === null) {
    if (board.rateHz === null) {
      throw new InvalidDataError(
        `${path}: header`,
        'a "%Sample Rate = <rate> Hz" line (or a "%Board" line naming a Cyton, Cyton+Daisy or Ganglion, whose rate is fixed)',
        `none in the ${header.lines} % header lines`,
      );
    }
    rateHz = board.rateHz;
    notes.push(`no "%Sample Rate" line: ${rateHz} Hz, the fixed rate of the ${board.model} (%Board = ${header.board})`);
  }
  if (layout.skipped.length > 0) notes.push(`columns left out: ${layout.skipped.join(', ')}`);
  if (layout.accel === 3 && layout.format === 'OpenBCI GUI legacy text') {
    notes.push('accelerometer: rows of 0, 0, 0 (no new reading) hold the previous reading, as the live Cyton driver does');
  }
  if (probe.step !== 1) notes.push(`the Sample Index advances by ${probe.step} per sample: gaps counted modulo ${256 / probe.step} samples`);
  if (probe.timeToMs !== 1) notes.push('Timestamp column in seconds: converted to ms');

  const startTime = chooseStartTime(path, probe, options.startTime, notes);
  const info = buildInfo(options.id ?? `openbci-${basename(path).replace(/\.[^.]*$/, '')}`, layout, rateHz, board, startTime);

  // Pass 1: check every row; count samples, gaps and markers.
  const jumps: IndexJump[] = [];
  const markers: Marker[] = [];
  const clock = new SampleIndexClock(rateHz, probe.step);
  const parser = runParser(path, probe, (row) => {
    clock.advance(row.index, row.timestamp * probe.timeToMs, row.line, (j) => jumps.push(j));
    if (row.marker !== 0) markers.push(createMarker(clock.next - 1, 'marker', row.marker));
  });
  const rows = parser.rows;
  if (rows === 0) throw new InvalidDataError(`${path}`, 'at least one data row', 'none');
  const totalSamples = clock.next;
  describeJumps(jumps, clock, layout.hasTimestamp, notes);
  if (parser.dropped) {
    notes.push(
      `line ${parser.dropped.line} dropped: the last line is incomplete (a recording cut short) — ${parser.dropped.reason}`,
    );
  } else if (parser.unterminatedLastLine) {
    notes.push(`the last line (${parser.lines}) has no line end; it parsed completely and is kept`);
  }
  if (layout.hasMarker) notes.push(`${markers.length} non-zero Marker Channel values → markers of type 'marker'`);

  const blockLength = options.blockLength !== undefined ? checkInteger('option', 'blockLength', options.blockLength, { min: 1 }) : Math.max(1, Math.round(rateHz));
  const stream: ImportedStream = {
    info,
    totalSamples,
    blocks: () => readBlocks(path, probe, info, blockLength),
  };
  return {
    source: path,
    format: layout.format,
    streams: [stream],
    markers,
    markerClockHz: rateHz,
    notes,
  };
}

function* readBlocks(path: string, probe: Probe, info: StreamInfo, blockLength: number): Generator<SampleBlock, void, undefined> {
  const { layout } = probe;
  const out: SampleBlock[] = [];
  const assembler = new BlockAssembler(info, blockLength, (b) => out.push(b));
  const clock = new SampleIndexClock(info.sampleRateHz, probe.step);
  const C = layout.channels;
  const exg = layout.exg;
  const held = new Float64Array(layout.accel);
  const onRow = (row: ParsedRow): void => {
    assembler.gap(clock.advance(row.index, row.timestamp * probe.timeToMs, row.line));
    const col = assembler.reserve(1);
    const staging = assembler.staging;
    const stride = assembler.stride;
    const v = row.values;
    for (let c = 0; c < exg; c++) staging[c * stride + col] = v[c]!;
    if (layout.accel > 0) {
      let fresh = false;
      for (let k = exg; k < C; k++) if (v[k] !== 0) fresh = true;
      if (fresh) for (let k = exg; k < C; k++) held[k - exg] = v[k]!;
      for (let k = exg; k < C; k++) staging[k * stride + col] = held[k - exg]!;
    }
    if (row.marker !== 0) assembler.mark(createMarker(assembler.next, 'marker', row.marker));
    assembler.commit(1);
  };
  const parser = new OpenBciTextParser({ source: path, onLayout: () => layout, onRow });
  for (const chunk of fileChunks(path)) {
    parser.push(chunk);
    yield* out;
    out.length = 0;
  }
  parser.end();
  assembler.flush();
  yield* out;
}

/** Parses the whole file, calling onRow per row; returns the parser (for its counts). */
function runParser(path: string, probe: Probe, onRow: (row: ParsedRow) => void): OpenBciTextParser {
  const parser = new OpenBciTextParser({ source: path, onLayout: () => probe.layout, onRow });
  for (const chunk of fileChunks(path)) parser.push(chunk);
  parser.end();
  return parser;
}

/** Reads the header and the first rows: layout, counter step, first timestamp. */
function probeFile(path: string): Probe {
  let header: OpenBciHeader | undefined;
  let layout: OpenBciLayout | undefined;
  const indices: number[] = [];
  let firstTime = NaN;
  const parser = new OpenBciTextParser({
    source: path,
    onLayout: (request) => {
      header = readOpenBciHeader(path, request.header, request.titles !== null);
      layout = request.titles !== null ? titledLayout(path, header, request) : legacyLayout(path, header, request);
      return layout;
    },
    onRow: (row) => {
      if (indices.length === 0) firstTime = row.timestamp;
      indices.push(row.index);
      return indices.length < PROBE_ROWS;
    },
  });
  for (const chunk of fileChunks(path)) {
    parser.push(chunk);
    if (parser.stopped) break;
  }
  parser.end();
  if (!header || !layout) {
    throw new InvalidDataError(`${path}`, 'an OpenBCI GUI text file: % header lines, then data rows', `${parser.lines} lines and no data row`);
  }
  // Counter step: the most frequent difference between consecutive indices (1; 2 for paired packets).
  let ones = 0;
  let twos = 0;
  for (let i = 1; i < indices.length; i++) {
    const d = (indices[i]! - indices[i - 1]!) & 0xff;
    if (d === 1) ones++;
    else if (d === 2) twos++;
  }
  const step = twos > ones ? 2 : 1;
  const timeToMs = Number.isFinite(firstTime) && firstTime < 1e11 ? 1000 : 1;
  return { header, layout, step, firstTimeMs: firstTime * timeToMs, timeToMs };
}

function chooseStartTime(path: string, probe: Probe, given: string | undefined, notes: string[]): string {
  if (given !== undefined) {
    notes.push(`start time ${given} given by the caller`);
    return given;
  }
  if (Number.isFinite(probe.firstTimeMs)) return new Date(probe.firstTimeMs).toISOString();
  const dated = /(\d{4})-(\d{2})-(\d{2})/.exec(basename(path));
  if (dated) {
    const iso = `${dated[1]}-${dated[2]}-${dated[3]}T00:00:00.000Z`;
    if (!Number.isNaN(Date.parse(iso))) {
      notes.push(`no timestamps in the file: start time ${iso} is only the date in the file name (time of day unknown)`);
      return iso;
    }
  }
  notes.push('no timestamps in the file and no date in its name: start time unknown, written as 1970-01-01T00:00:00.000Z');
  return '1970-01-01T00:00:00.000Z';
}

function buildInfo(
  id: string,
  layout: OpenBciLayout,
  rateHz: number,
  board: { model: string; cyton: boolean },
  startTime: string,
): StreamInfo {
  const axes = ['AccelX', 'AccelY', 'AccelZ'];
  const accelNames = Array.from({ length: layout.accel }, (_, k) => axes[k] ?? `Accel${k + 1}`);
  return createStreamInfo({
    id,
    device: { name: 'openbci-gui', model: board.model, serial: '' },
    channelNames: [...Array.from({ length: layout.exg }, (_, c) => `EXG${c + 1}`), ...accelNames],
    channelKinds: [...new Array<'eeg'>(layout.exg).fill('eeg'), ...new Array<'accel'>(layout.accel).fill('accel')],
    units: [...new Array<'uV'>(layout.exg).fill('uV'), ...new Array<'g'>(layout.accel).fill('g')],
    sampleRateHz: rateHz,
    adcBits: [...new Array<number>(layout.exg).fill(board.cyton ? 24 : 0), ...new Array<number>(layout.accel).fill(board.cyton ? 16 : 0)],
    adcScale: [
      ...new Array<number>(layout.exg).fill(board.cyton ? CYTON_GAIN24_UV_PER_COUNT : 0),
      ...new Array<number>(layout.accel).fill(board.cyton ? CYTON_ACCEL_G_PER_COUNT : 0),
    ],
    startTime,
  });
}

function describeJumps(jumps: readonly IndexJump[], clock: SampleIndexClock, timestamps: boolean, notes: string[]): void {
  if (jumps.length === 0) return;
  const total = jumps.reduce((s, j) => s + j.missing, 0);
  const listed = jumps
    .slice(0, 20)
    .map((j) => `line ${j.line}: ${j.fromIndex}→${j.toIndex}, ${j.missing} missing before sample ${j.sample}${j.periods > 0 ? ` (${j.periods} × ${clock.period} from the timestamps)` : ''}`)
    .join('; ');
  notes.push(
    `${jumps.length} Sample Index jump${jumps.length > 1 ? 's' : ''} (dropped packets), ${total} samples missing: ${listed}${jumps.length > 20 ? '; …' : ''}`,
  );
  const periods = jumps.filter((j) => j.periods > 0).length;
  if (periods > 0) {
    notes.push(
      `${periods} gap${periods > 1 ? 's' : ''} longer than the counter can tell (it wraps every ${clock.period} samples): whole periods estimated from the Unix timestamps`,
    );
  }
  if (!timestamps) {
    notes.push(
      `no timestamps: gaps are counted modulo ${clock.period} samples — a loss of ${clock.period} or more is undercounted by whole periods`,
    );
  }
  if (jumps.length >= 2 && jumps.every((j) => j.toIndex === 0)) {
    notes.push(
      'every jump lands on Sample Index 0, as a restart of streaming (the board resets its counter on "b") would; the gaps are the counter\'s count and may not be the time that passed',
    );
  }
}
