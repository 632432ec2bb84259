/**
 * OpenBciTextParser — an incremental state machine over the bytes of an OpenBCI GUI text file,
 * fed chunks split anywhere: lines (LF or CRLF) → header lines (`%…`), an optional column-title
 * line, then data rows whose fields are read in place (no string per field, no object per row).
 *
 * The caller decides the layout: when the first data line arrives, `onLayout` gets the header
 * lines, the column titles (if any) and the first row's fields as text, and returns which field
 * is what. Each row is then parsed into the reused `row` and handed to `onRow`.
 *
 * Bad lines: a data line that does not parse (wrong field count, a value that is not a number)
 * is held back. If another data line follows, it was in the middle of the file and its error is
 * thrown (file, line, column, field, expected, seen). If the file ends instead, it was the last
 * line — a recording cut short — and it is dropped and reported in `dropped`. Empty lines and `%`
 * comment lines are skipped anywhere. A UTF-8 byte-order mark before the first line is ignored.
 * Values must be finite: `NaN`, and `1e999` (which overflows to Infinity), are not numbers here.
 */
import { InvalidDataError } from '../../core/index.js';
import { fieldText, overflowsDouble, parseDecimal, trimField } from './decimal-field.js';

export type FieldRole = 'index' | 'value' | 'timestamp' | 'marker' | 'skip';

export interface RowLayout {
  /** Fields per data row. */
  readonly fields: number;
  /** What each field is. */
  readonly roles: readonly FieldRole[];
  /** For 'value' fields: the channel written; −1 for others. */
  readonly channel: readonly number[];
  /** Each field's name, for error messages. */
  readonly names: readonly string[];
  /** Channels in `row.values`. */
  readonly channels: number;
}

export interface HeaderLine {
  readonly line: number;
  readonly text: string;
}

export interface LayoutRequest {
  readonly header: readonly HeaderLine[];
  /** The column-title line's fields (trimmed), or null when the file has none. */
  readonly titles: readonly string[] | null;
  readonly titleLine: number;
  /** The first data row's fields (trimmed) and its line number. */
  readonly firstFields: readonly string[];
  readonly firstLine: number;
}

/** One parsed row; reused — read it inside `onRow`. */
export interface ParsedRow {
  /** 1-based line number. */
  line: number;
  /** The Sample Index field. */
  index: number;
  /** The Unix timestamp field (as written), NaN when the layout has none. */
  timestamp: number;
  /** The marker field, 0 when the layout has none. */
  marker: number;
  /** One value per channel, in channel order. */
  readonly values: Float64Array;
}

export interface OpenBciTextParserOptions {
  /** The file, for error messages. */
  source: string;
  onLayout: (request: LayoutRequest) => RowLayout;
  /** Return false to stop parsing (the rest of the input is ignored). */
  onRow: (row: ParsedRow) => boolean | void;
  /** Longest line accepted, bytes. Default 64 KiB. */
  maxLineBytes?: number;
}

interface PendingError {
  line: number;
  error: InvalidDataError;
}

const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const PERCENT = 0x25;

export class OpenBciTextParser {
  /** Lines seen so far (the number of the last complete line). */
  lines = 0;
  /** Data rows delivered. */
  rows = 0;
  /** `%` lines after the data began, and empty lines, skipped. */
  skippedLines = 0;
  /** The malformed last line that was dropped, if any. */
  dropped: { line: number; text: string; reason: string } | null = null;
  /** The file's last line had no line end (and was parsed, or dropped). */
  unterminatedLastLine = false;
  stopped = false;

  private readonly source: string;
  private readonly onLayout: (request: LayoutRequest) => RowLayout;
  private readonly onRow: (row: ParsedRow) => boolean | void;
  private readonly maxLineBytes: number;
  private carry = new Uint8Array(1024);
  private carried = 0;
  private readonly header: HeaderLine[] = [];
  private titles: string[] | null = null;
  private titleLine = 0;
  private layout: RowLayout | null = null;
  private row: ParsedRow | null = null;
  private pending: PendingError | null = null;

  constructor(options: OpenBciTextParserOptions) {
    this.source = options.source;
    this.onLayout = options.onLayout;
    this.onRow = options.onRow;
    this.maxLineBytes = options.maxLineBytes ?? 64 * 1024;
  }

  /** The layout, once the first data row has been seen. */
  get rowLayout(): RowLayout | null {
    return this.layout;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    while (start < chunk.length && !this.stopped) {
      const nl = chunk.indexOf(LF, start);
      if (nl < 0) {
        this.keep(chunk, start, chunk.length);
        return;
      }
      if (this.carried > 0) {
        this.keep(chunk, start, nl);
        this.handleLine(this.carry, 0, this.carried);
        this.carried = 0;
      } else {
        this.handleLine(chunk, start, nl);
      }
      start = nl + 1;
    }
  }

  /** The input is complete: parses a last line without a line end; settles a held-back error. */
  end(): void {
    if (this.stopped) return;
    if (this.carried > 0) {
      this.unterminatedLastLine = true;
      this.handleLine(this.carry, 0, this.carried);
      this.carried = 0;
    }
    if (this.pending) {
      const p = this.pending;
      this.dropped = { line: p.line, text: String(p.error.received), reason: p.error.message };
      this.pending = null;
    }
  }

  private keep(bytes: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (this.carried + n > this.maxLineBytes) {
      throw new InvalidDataError(
        `${this.source}: line ${this.lines + 1}`,
        `a line of at most ${this.maxLineBytes} bytes (is this an OpenBCI GUI text file?)`,
        `a longer one`,
      );
    }
    if (this.carried + n > this.carry.length) {
      const bigger = new Uint8Array(Math.max(this.carried + n, 2 * this.carry.length));
      bigger.set(this.carry.subarray(0, this.carried));
      this.carry = bigger;
    }
    this.carry.set(bytes.subarray(start, end), this.carried);
    this.carried += n;
  }

  private handleLine(bytes: Uint8Array, start: number, end: number): void {
    const line = ++this.lines;
    // A UTF-8 byte-order mark (Windows editors write one) is not part of the first line.
    if (line === 1 && end - start >= 3 && bytes[start] === 0xef && bytes[start + 1] === 0xbb && bytes[start + 2] === 0xbf) start += 3;
    if (end > start && bytes[end - 1] === CR) end--;
    if (end - start > this.maxLineBytes) {
      throw new InvalidDataError(`${this.source}: line ${line}`, `a line of at most ${this.maxLineBytes} bytes`, 'a longer one');
    }
    const [s, e] = trimField(bytes, start, end);
    if (s === e) {
      this.skippedLines++;
      return;
    }
    if (bytes[s] === PERCENT) {
      if (this.layout) this.skippedLines++;
      else if (this.titles === null) this.header.push({ line, text: fieldText(bytes, s, e) });
      else this.skippedLines++;
      return;
    }
    if (!this.layout) {
      const b = bytes[s]!;
      const isLetter = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
      if (isLetter && this.titles === null) {
        this.titles = splitText(bytes, s, e);
        this.titleLine = line;
        return;
      }
      this.layout = this.onLayout({
        header: this.header,
        titles: this.titles,
        titleLine: this.titleLine,
        firstFields: splitText(bytes, s, e),
        firstLine: line,
      });
      this.row = { line: 0, index: 0, timestamp: NaN, marker: 0, values: new Float64Array(this.layout.channels) };
    }
    // A data line: an earlier held-back bad line was not the last one.
    if (this.pending) throw this.pending.error;
    const error = this.parseRow(bytes, start, end, line);
    if (error) {
      this.pending = { line, error };
      return;
    }
    this.rows++;
    if (this.onRow(this.row!) === false) this.stopped = true;
  }

  /** Parses a data line into `row`; returns the error instead of throwing it. */
  private parseRow(bytes: Uint8Array, start: number, end: number, line: number): InvalidDataError | null {
    const layout = this.layout!;
    const row = this.row!;
    row.line = line;
    row.timestamp = NaN;
    row.marker = 0;
    let field = 0;
    let fieldStart = start;
    for (let i = start; i <= end; i++) {
      if (i < end && bytes[i] !== COMMA) continue;
      if (field >= layout.fields) break;
      const role = layout.roles[field]!;
      if (role !== 'skip') {
        const [s, e] = trimField(bytes, fieldStart, i);
        const v = parseDecimal(bytes, s, e);
        const bad = (expected: string): InvalidDataError =>
          new InvalidDataError(
            `${this.source}: line ${line}, column ${s - start + 1} (field ${field + 1}, ${layout.names[field]})`,
            expected,
            fieldText(bytes, s, e),
          );
        if (Number.isNaN(v)) return bad(overflowsDouble(fieldText(bytes, s, e)) ? 'a finite number (this one overflows a double)' : 'a number');
        if (role === 'value') {
          row.values[layout.channel[field]!] = v;
        } else if (role === 'index') {
          if (!Number.isInteger(v) || v < 0 || v > 255) return bad('a sample index, an integer from 0 to 255');
          row.index = v;
        } else if (role === 'timestamp') {
          row.timestamp = v;
        } else {
          row.marker = v;
        }
      }
      field++;
      fieldStart = i + 1;
    }
    const count = countFields(bytes, start, end);
    if (count !== layout.fields) {
      return new InvalidDataError(
        `${this.source}: line ${line}, column ${end - start + 1}`,
        `${layout.fields} comma-separated fields, as in the first data row`,
        `${count} fields: ${fieldText(bytes, start, Math.min(end, start + 120))}`,
      );
    }
    return null;
  }
}

function countFields(bytes: Uint8Array, start: number, end: number): number {
  let n = 1;
  for (let i = start; i < end; i++) if (bytes[i] === COMMA) n++;
  return n;
}

function splitText(bytes: Uint8Array, start: number, end: number): string[] {
  return fieldText(bytes, start, end)
    .split(',')
    .map((f) => f.trim());
}
