/**
 * Reads a table of binned features and targets from CSV (e.g. ../shared/data/spiking/m1_binned.csv:
 * `time_s, unit_001..unit_171, vel_x, vel_y, pos_x, pos_y`) into the row-major Float64 matrices
 * calibration and evaluation take.
 *
 * Format: a header line naming the columns, then one line per bin of comma-separated numbers
 * (no quoting; CRLF or LF; blank lines ignored). Only the selected columns are parsed. The file
 * is streamed: memory is the output plus one line (at most `maxLineChars`), whatever the size.
 *
 * Selection: `features` is a comma list of names or globs (`unit_*`); targets and the time column
 * are never features, even when a pattern matches them. `target` lists the target columns.
 * `time` names the time column (default `time_s` when the header has it; `null` for none).
 */
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidDataError, InvalidOptionError } from '../../core/index.js';
import { describeColumns, selectColumns, splitList } from './column-selection.js';

export interface FeatureTable {
  /** [n × F] row-major */
  readonly X: Float64Array;
  /** [n × D] row-major */
  readonly Y: Float64Array;
  readonly n: number;
  readonly featureNames: string[];
  readonly targetNames: string[];
  /** [n] the time column, when there is one */
  readonly time?: Float64Array;
}

export interface ReadFeatureTableOptions {
  /** Comma list of column names or globs, e.g. `unit_*`. */
  features: string;
  /** Target columns, e.g. `['vel_x', 'vel_y']` (or `'vel_x,vel_y'`). */
  target: readonly string[] | string;
  /** The time column; default `time_s` when present, `null` for none. */
  time?: string | null;
  /** Longest line accepted (characters); default 1 MiB. */
  maxLineChars?: number;
}

/** A Float64Array that grows by doubling. */
class Growable {
  data: Float64Array;
  length = 0;

  constructor(capacity: number) {
    this.data = new Float64Array(Math.max(16, capacity));
  }

  reserve(count: number): void {
    if (this.length + count <= this.data.length) return;
    let capacity = this.data.length * 2;
    while (capacity < this.length + count) capacity *= 2;
    const next = new Float64Array(capacity);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }

  toArray(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The numeric value of a CSV cell, or NaN when it is not a plain finite decimal number. */
export function parseCell(cell: string): number {
  const text = cell.trim();
  if (!NUMBER.test(text)) return Number.NaN;
  const value = Number(text);
  return Number.isFinite(value) ? value : Number.NaN;
}

export async function readFeatureTable(path: string | URL, options: ReadFeatureTableOptions): Promise<FeatureTable> {
  const file = typeof path === 'string' ? path : fileURLToPath(path);
  if (typeof options.features !== 'string') throw new InvalidOptionError('--features', 'a comma list of column names or patterns', options.features);
  const targetSpec = typeof options.target === 'string' ? splitList(options.target) : [...options.target];
  if (targetSpec.length === 0) throw new InvalidOptionError('--target', 'one or more target column names', options.target);
  const maxLineChars = options.maxLineChars ?? 1 << 20;

  let header: string[] | undefined;
  let featureIndex: Int32Array = new Int32Array(0);
  let targetIndex: Int32Array = new Int32Array(0);
  let timeIndex = -1;
  let featureNames: string[] = [];
  let targetNames: string[] = [];
  const X = new Growable(1 << 16);
  const Y = new Growable(1 << 12);
  const T = new Growable(1 << 12);
  let n = 0;
  let lineNumber = 0;

  const onHeader = (line: string): void => {
    header = line.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
    const positions = new Map<string, number>();
    header.forEach((name, i) => {
      if (name.length === 0) throw new InvalidDataError(`${file} line 1 (header), column ${i + 1}`, 'a column name', name);
      if (positions.has(name)) throw new InvalidDataError(`${file} line 1 (header)`, 'distinct column names', name);
      positions.set(name, i);
    });
    const cols = header;
    for (const name of targetSpec) {
      if (!positions.has(name)) throw new InvalidOptionError('--target', `a column of ${file} (it has ${describeColumns(cols)})`, name);
    }
    targetNames = targetSpec;
    let timeName: string | null = null;
    if (options.time === undefined) timeName = positions.has('time_s') ? 'time_s' : null;
    else if (options.time !== null) {
      if (!positions.has(options.time)) throw new InvalidOptionError('--time', `a column of ${file} (it has ${describeColumns(cols)})`, options.time);
      timeName = options.time;
    }
    const exclude = new Set<string>(targetNames);
    if (timeName !== null) exclude.add(timeName);
    featureNames = selectColumns(cols, options.features, '--features', file, exclude);
    featureIndex = Int32Array.from(featureNames, (name) => positions.get(name)!);
    targetIndex = Int32Array.from(targetNames, (name) => positions.get(name)!);
    timeIndex = timeName === null ? -1 : positions.get(timeName)!;
  };

  const onRow = (line: string): void => {
    const cells = line.split(',');
    const columns = header!;
    if (cells.length !== columns.length) {
      throw new InvalidDataError(`${file} line ${lineNumber}`, `${columns.length} comma-separated cells, as the header`, `${cells.length} cells`);
    }
    const read = (index: number): number => {
      const value = parseCell(cells[index]!);
      if (Number.isNaN(value)) throw new InvalidDataError(`${file} line ${lineNumber}, column "${columns[index]}"`, 'a finite number', cells[index]!);
      return value;
    };
    X.reserve(featureIndex.length);
    for (let f = 0; f < featureIndex.length; f++) X.data[X.length++] = read(featureIndex[f]!);
    Y.reserve(targetIndex.length);
    for (let d = 0; d < targetIndex.length; d++) Y.data[Y.length++] = read(targetIndex[d]!);
    if (timeIndex >= 0) {
      T.reserve(1);
      T.data[T.length++] = read(timeIndex);
    }
    n++;
  };

  const onLine = (raw: string): void => {
    lineNumber++;
    if (raw.length > maxLineChars) throw new InvalidDataError(`${file} line ${lineNumber}`, `a line of at most ${maxLineChars} characters`, `${raw.length} characters`);
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (header === undefined) {
      if (line.trim().length === 0) throw new InvalidDataError(`${file} line ${lineNumber}`, 'a header line naming the columns', line);
      onHeader(line);
      return;
    }
    if (line.trim().length === 0) return;
    onRow(line);
  };

  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  let carry = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let start = 0;
      let end = chunk.indexOf('\n');
      while (end >= 0) {
        const piece = chunk.slice(start, end);
        onLine(carry.length > 0 ? carry + piece : piece);
        carry = '';
        start = end + 1;
        end = chunk.indexOf('\n', start);
      }
      carry += chunk.slice(start);
      if (carry.length > maxLineChars) throw new InvalidDataError(`${file} line ${lineNumber + 1}`, `a line of at most ${maxLineChars} characters`, `${carry.length} characters without a line break`);
    }
    if (carry.length > 0) onLine(carry);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new InvalidOptionError('feature table', 'an existing CSV file', file);
    throw error;
  } finally {
    stream.destroy();
  }
  if (header === undefined) throw new InvalidDataError(file, 'a header line naming the columns', 'an empty file');
  if (n === 0) throw new InvalidDataError(file, 'at least one data row after the header', 'only a header');
  return {
    X: X.toArray(),
    Y: Y.toArray(),
    n,
    featureNames,
    targetNames,
    ...(timeIndex >= 0 ? { time: T.toArray() } : {}),
  };
}
