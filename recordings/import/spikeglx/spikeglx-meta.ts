/**
 * SpikeGLX `.meta` files: one `key=value` per line (keys of tables start with `~`, e.g.
 * `~imroTbl`, `~snsChanMap`), written by SpikeGLX next to each `.bin` (metadata guide:
 * billkarsh.github.io/SpikeGLX, "Metadata_30"). Lines may end in CRLF (the files come from
 * Windows); a value may itself hold `=` (userNotes). A line without `=` or a key given twice
 * is an error naming the file and the line.
 *
 * The typed getters name the file, the key, what was expected and what was seen, so a meta that
 * lacks or garbles a key the importer needs is one clear `InvalidDataError`.
 */
import { readFileSync } from 'node:fs';
import { InvalidDataError } from '../../../core/index.js';

/** A decimal number as SpikeGLX writes them (`30000`, `0.6`, `-0.6`, `2.5e-3`). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export class SpikeGlxMeta {
  /** The `.meta` file. */
  readonly path: string;
  /** Every key as written (`~` kept) and its value, in file order. */
  readonly entries: ReadonlyMap<string, string>;

  constructor(path: string, entries: ReadonlyMap<string, string>) {
    this.path = path;
    this.entries = entries;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The value, or undefined when the key is absent. */
  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  /** The value of a key that must be present. */
  string(key: string, expected: string): string {
    const value = this.entries.get(key);
    if (value === undefined) throw this.error(key, expected, undefined);
    return value;
  }

  /** A finite number; `positive` refuses 0 and below. */
  number(key: string, expected: string, options: { positive?: boolean } = {}): number {
    const text = this.string(key, expected);
    const value = DECIMAL.test(text.trim()) ? Number(text.trim()) : NaN;
    if (!Number.isFinite(value) || (options.positive && !(value > 0))) throw this.error(key, expected, text);
    return value;
  }

  /** A whole number ≥ `min` (default 0). */
  integer(key: string, expected: string, min = 0): number {
    const text = this.string(key, expected);
    const value = /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min) throw this.error(key, expected, text);
    return value;
  }

  /** A comma-separated list of `count` whole numbers ≥ 0 (`acqApLfSy=384,384,1`). */
  integers(key: string, count: number, expected: string): number[] {
    const text = this.string(key, expected);
    const parts = text.split(',').map((s) => s.trim());
    const values = parts.map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
    if (values.length !== count || values.some((v) => !Number.isSafeInteger(v))) throw this.error(key, expected, text);
    return values;
  }

  /** An InvalidDataError about `key` of this file (`seen` undefined: the key is missing). */
  error(key: string, expected: string, seen: unknown): InvalidDataError {
    return new InvalidDataError(`${this.path}: ${key}`, expected, seen === undefined ? `no ${key} line` : seen);
  }
}

/** Parses the text of a `.meta` file; `path` names it in errors. */
export function parseSpikeGlxMeta(text: string, path: string): SpikeGlxMeta {
  const entries = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const at = line.indexOf('=');
    const key = at > 0 ? line.slice(0, at).trim() : '';
    if (key === '') {
      throw new InvalidDataError(`${path}: line ${index + 1}`, 'a key=value line (SpikeGLX metadata)', line);
    }
    if (entries.has(key)) throw new InvalidDataError(`${path}: line ${index + 1}`, `${key} given once`, `a second ${key} line`);
    entries.set(key, line.slice(at + 1));
  });
  if (entries.size === 0) throw new InvalidDataError(path, 'SpikeGLX metadata (key=value lines)', 'an empty file');
  return new SpikeGlxMeta(path, entries);
}

/** Reads and parses a `.meta` file. */
export function readSpikeGlxMeta(path: string): SpikeGlxMeta {
  return parseSpikeGlxMeta(readFileSync(path, 'utf8'), path);
}
