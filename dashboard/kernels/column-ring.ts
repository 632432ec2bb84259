/**
 * A ring of the latest `columns` columns of `rows` values each, addressed by absolute column
 * index (a bin number): what the dashboard keeps of per-bin streams (decoded intents and their
 * latencies) so that each client can be sent just the columns it has not seen.
 *
 * Layout contract
 * ---------------
 * - Column `k` lives in slot `k mod columns`; `push(k, values, offset)` writes
 *   `values[offset … offset + rows)` into it.
 * - Columns must arrive in increasing order; skipped columns (a decoder that dropped bins) are
 *   empty: NaN.
 * - `copyColumns(from, count, out)` writes channel-major `[rows × count]`: row `r`, column `j` at
 *   `out[r * count + j]`, oldest first; columns before the first one pushed are NaN.
 *
 * Allocation happens once, in the constructor.
 */
import { InvalidDataError, InvalidOptionError } from '../../core/errors.js';
import { checkInteger } from '../../core/validate.js';

export class ColumnRing {
  readonly rows: number;
  readonly columns: number;
  private readonly ring: Float32Array;
  private end = 0;
  private start = -1;

  constructor(rows: number, columns: number) {
    this.rows = checkInteger('option', 'ColumnRing.rows', rows, { min: 1, max: 65535 });
    this.columns = checkInteger('option', 'ColumnRing.columns', columns, { min: 1, max: 65535 });
    this.ring = new Float32Array(this.rows * this.columns).fill(NaN);
  }

  /** One past the newest column pushed (0 before any). */
  get endColumn(): number {
    return this.end;
  }

  /** The first column ever pushed (-1 before any). */
  get startColumn(): number {
    return this.start;
  }

  /** The oldest column worth sending: the window's first, or the first pushed if later. */
  get oldestColumn(): number {
    return Math.max(this.start, this.end - this.columns);
  }

  /** Writes column `column` (≥ every column pushed before) from `values[offset … offset + rows)`. */
  push(column: number, values: ArrayLike<number>, offset = 0): void {
    if (!Number.isSafeInteger(column) || column < this.end) {
      throw new InvalidDataError('ColumnRing column', `an integer ≥ ${this.end} (columns in order)`, column);
    }
    if (values.length < offset + this.rows) throw new InvalidDataError('ColumnRing values', `at least ${offset + this.rows} values`, values.length);
    const C = this.columns;
    for (let k = Math.max(this.end, column - C + 1); k < column; k++) {
      const slot = k % C;
      for (let r = 0; r < this.rows; r++) this.ring[r * C + slot] = NaN;
    }
    const slot = column % C;
    for (let r = 0; r < this.rows; r++) this.ring[r * C + slot] = values[offset + r]!;
    if (this.start < 0) this.start = column;
    this.end = column + 1;
  }

  /** Copies columns `[fromColumn, fromColumn + count)`, which must lie inside `[endColumn - columns, endColumn)`. */
  copyColumns(fromColumn: number, count: number, out: Float32Array): void {
    const C = this.columns;
    if (!Number.isSafeInteger(fromColumn) || !Number.isSafeInteger(count) || count < 0 || fromColumn < this.end - C || fromColumn + count > this.end) {
      throw new InvalidOptionError('ColumnRing.copyColumns', `columns inside the window [${this.end - C}, ${this.end})`, `[${fromColumn}, ${fromColumn + count})`);
    }
    if (out.length < this.rows * count) throw new InvalidOptionError('ColumnRing.out', `at least ${this.rows * count} values`, out.length);
    for (let j = 0; j < count; j++) {
      const column = fromColumn + j;
      const slot = ((column % C) + C) % C;
      for (let r = 0; r < this.rows; r++) out[r * count + j] = column < 0 ? NaN : this.ring[r * C + slot]!;
    }
  }
}
