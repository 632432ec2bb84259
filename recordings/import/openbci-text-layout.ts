/**
 * What an OpenBCI GUI text file holds, from its header and first rows: the format (GUI v5/v6 with
 * a column-title line, or the older `%OpenBCI Raw EEG Data` files without one), the board, the
 * channel count, the sample rate, and which field of a row is what.
 *
 * Columns kept: the Sample Index, EXG channels (µV), accelerometer channels (g), the Unix
 * timestamp (ms) and, in v5/v6 files, the Marker Channel. Digital, analog, "Not Used" and the
 * formatted (local-time) timestamp columns are left out.
 */
import { InvalidDataError } from '../../core/index.js';
import type { FieldRole, HeaderLine, LayoutRequest, RowLayout } from './openbci-text-parser.js';

export type OpenBciTextFormat = 'OpenBCI GUI v6 text' | 'OpenBCI GUI v5 text' | 'OpenBCI GUI legacy text';

export interface OpenBciHeader {
  format: 'titled' | 'legacy';
  /** Exact first line, e.g. `%OpenBCI Raw EXG Data`. */
  firstLine: string;
  channels: number | null;
  channelsLine: number;
  sampleRateHz: number | null;
  /** The %Board line's value, e.g. `OpenBCI_GUI$BoardCytonSerial`. */
  board: string | null;
  /** Number of % header lines. */
  lines: number;
}

export interface OpenBciLayout extends RowLayout {
  format: OpenBciTextFormat;
  /** EXG channels (the first ones), then accelerometer channels. */
  exg: number;
  accel: number;
  hasTimestamp: boolean;
  hasMarker: boolean;
  /** Titles (or descriptions) of the columns left out, distinct. */
  skipped: string[];
  /** Remarks for the recording's notes. */
  notes: string[];
}

/** Reads the `%` header lines. */
export function readOpenBciHeader(source: string, header: readonly HeaderLine[], titled: boolean): OpenBciHeader {
  const first = header[0];
  if (!first || !/^%\s*OpenBCI Raw (EEG|EXG) Data/i.test(first.text)) {
    throw new InvalidDataError(
      `${source}: line ${first?.line ?? 1}`,
      'an OpenBCI GUI text header starting "%OpenBCI Raw EEG Data" or "%OpenBCI Raw EXG Data"',
      first?.text ?? 'no % header line',
    );
  }
  const out: OpenBciHeader = {
    format: titled ? 'titled' : 'legacy',
    firstLine: first.text,
    channels: null,
    channelsLine: 0,
    sampleRateHz: null,
    board: null,
    lines: header.length,
  };
  for (const { line, text } of header) {
    let m = /^%\s*Number of channels\s*=\s*(.*)$/i.exec(text);
    if (m) {
      const n = Number(m[1]!.trim());
      if (!Number.isInteger(n) || n < 1 || n > 64) {
        throw new InvalidDataError(`${source}: line ${line} (Number of channels)`, 'an integer from 1 to 64', m[1]!.trim());
      }
      out.channels = n;
      out.channelsLine = line;
      continue;
    }
    m = /^%\s*Sample Rate\s*=\s*(.*)$/i.exec(text);
    if (m) {
      const r = /^([0-9]+(?:\.[0-9]*)?)\s*Hz$/i.exec(m[1]!.trim());
      const hz = r ? Number(r[1]) : NaN;
      if (!(hz > 0 && hz <= 100000)) {
        throw new InvalidDataError(`${source}: line ${line} (Sample Rate)`, 'a rate like "250 Hz" or "250.0 Hz"', m[1]!.trim());
      }
      out.sampleRateHz = hz;
      continue;
    }
    m = /^%\s*Board\s*=\s*(.*)$/i.exec(text);
    if (m) out.board = m[1]!.trim();
  }
  return out;
}

/** Board model and its nominal rate (when the protocol fixes it) from a %Board value. */
export function boardModel(board: string | null): { model: string; rateHz: number | null; cyton: boolean } {
  if (board === null) return { model: 'OpenBCI Cyton', rateHz: null, cyton: true };
  const name = board.replace(/^.*\$Board/, '');
  if (/Daisy/i.test(name)) return { model: 'OpenBCI Cyton+Daisy', rateHz: 125, cyton: true };
  if (/Cyton/i.test(name)) return { model: 'OpenBCI Cyton', rateHz: 250, cyton: true };
  if (/Ganglion/i.test(name)) return { model: 'OpenBCI Ganglion', rateHz: 200, cyton: false };
  return { model: name || board, rateHz: null, cyton: false };
}

/** The row layout of a file with a column-title line (GUI v5/v6). */
export function titledLayout(source: string, header: OpenBciHeader, request: LayoutRequest): OpenBciLayout {
  const titles = request.titles!;
  const roles: FieldRole[] = [];
  const channel: number[] = [];
  const exgCols: number[] = [];
  const accelCols: number[] = [];
  const skipped: string[] = [];
  let hasIndex = false;
  let hasTimestamp = false;
  let hasMarker = false;
  titles.forEach((title, f) => {
    if (/^Sample Index$/i.test(title)) {
      roles.push('index');
      hasIndex = true;
    } else if (/^EXG Channel \d+$/i.test(title)) {
      roles.push('value');
      exgCols.push(f);
    } else if (/^Accel Channel \d+$/i.test(title)) {
      roles.push('value');
      accelCols.push(f);
    } else if (/^Timestamp$/i.test(title)) {
      roles.push('timestamp');
      hasTimestamp = true;
    } else if (/^Marker Channel$/i.test(title)) {
      roles.push('marker');
      hasMarker = true;
    } else {
      roles.push('skip');
      const kind = title.replace(/\s*\d+(\s*\(.*\))?$/, '');
      if (!skipped.includes(kind)) skipped.push(kind);
    }
    channel.push(-1);
  });
  if (!hasIndex) {
    throw new InvalidDataError(`${source}: line ${request.titleLine}`, 'a "Sample Index" column title', titles.join(', '));
  }
  if (exgCols.length === 0) {
    throw new InvalidDataError(`${source}: line ${request.titleLine}`, '"EXG Channel 0", … column titles', titles.join(', '));
  }
  if (header.channels !== null && header.channels !== exgCols.length) {
    throw new InvalidDataError(
      `${source}: line ${request.titleLine}`,
      `${header.channels} "EXG Channel" columns (line ${header.channelsLine}: Number of channels = ${header.channels})`,
      `${exgCols.length}`,
    );
  }
  exgCols.forEach((f, c) => (channel[f] = c));
  accelCols.forEach((f, k) => (channel[f] = exgCols.length + k));
  const notes: string[] = [];
  if (header.channels === null) notes.push(`no "%Number of channels" line: ${exgCols.length} EXG channels from the column titles`);
  return {
    format: /EXG/i.test(header.firstLine) ? 'OpenBCI GUI v6 text' : 'OpenBCI GUI v5 text',
    fields: titles.length,
    roles,
    channel,
    names: titles,
    channels: exgCols.length + accelCols.length,
    exg: exgCols.length,
    accel: accelCols.length,
    hasTimestamp,
    hasMarker,
    skipped,
    notes,
  };
}

const FORMATTED_TIME = /^\d{1,2}:\d{2}:\d{2}(\.\d+)?$/;

/**
 * The row layout of an older file (no column titles): index, N EXG, then 3 accelerometer values
 * (0 when no new reading), then optionally the local time `HH:MM:SS.mmm` and the Unix time in ms.
 * N comes from "%Number of channels", or else from the field count (with a note).
 */
export function legacyLayout(source: string, header: OpenBciHeader, request: LayoutRequest): OpenBciLayout {
  const fields = request.firstFields;
  let numeric = fields.length - 1;
  let formatted = -1;
  let hasTimestamp = false;
  const timeAt = fields.findIndex((f) => FORMATTED_TIME.test(f));
  if (timeAt > 0) {
    formatted = timeAt;
    numeric = timeAt - 1;
    if (fields.length > timeAt + 1) hasTimestamp = true;
    if (fields.length > timeAt + 2) {
      throw new InvalidDataError(
        `${source}: line ${request.firstLine}`,
        'at most a Unix timestamp after the HH:MM:SS.mmm time',
        `${fields.length - timeAt - 1} fields`,
      );
    }
  } else {
    const last = Number(fields[fields.length - 1]);
    if (fields.length > 2 && Number.isInteger(last) && last > 1e11) {
      hasTimestamp = true;
      numeric--;
    }
  }
  const notes: string[] = [];
  let exg: number;
  let accel: number;
  if (header.channels !== null) {
    exg = header.channels;
    accel = numeric - exg;
    if (accel !== 0 && accel !== 3) {
      throw new InvalidDataError(
        `${source}: line ${request.firstLine}`,
        `the sample index, ${exg} EXG values (line ${header.channelsLine}: Number of channels = ${exg}) and 0 or 3 accelerometer values`,
        `${numeric} values after the index`,
      );
    }
  } else if ([4, 8, 16].includes(numeric - 3)) {
    exg = numeric - 3;
    accel = 3;
    notes.push(`no "%Number of channels" line: ${exg} EXG + 3 accelerometer channels inferred from the ${fields.length} fields of line ${request.firstLine}`);
  } else if ([4, 8, 16].includes(numeric)) {
    exg = numeric;
    accel = 0;
    notes.push(`no "%Number of channels" line: ${exg} EXG channels inferred from the ${fields.length} fields of line ${request.firstLine}`);
  } else {
    throw new InvalidDataError(
      `${source}: line ${request.firstLine}`,
      'a "%Number of channels" header line, or rows of the sample index, 4, 8 or 16 EXG values and 3 accelerometer values',
      `${numeric} values after the index and no channel count`,
    );
  }
  const roles: FieldRole[] = [];
  const channel: number[] = [];
  const names: string[] = [];
  for (let f = 0; f < fields.length; f++) {
    if (f === 0) {
      roles.push('index');
      channel.push(-1);
      names.push('Sample Index');
    } else if (f <= exg) {
      roles.push('value');
      channel.push(f - 1);
      names.push(`EXG Channel ${f - 1}`);
    } else if (f <= exg + accel) {
      roles.push('value');
      channel.push(f - 1);
      names.push(`Accel Channel ${f - 1 - exg}`);
    } else if (f === formatted) {
      roles.push('skip');
      channel.push(-1);
      names.push('Timestamp (Formatted)');
    } else {
      roles.push('timestamp');
      channel.push(-1);
      names.push('Timestamp');
    }
  }
  return {
    format: 'OpenBCI GUI legacy text',
    fields: fields.length,
    roles,
    channel,
    names,
    channels: exg + accel,
    exg,
    accel,
    hasTimestamp,
    hasMarker: false,
    skipped: formatted > 0 ? ['Timestamp (Formatted)'] : [],
    notes,
  };
}
