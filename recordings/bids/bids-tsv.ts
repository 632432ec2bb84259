/**
 * BIDS tab-separated tables: written with a header row, `n/a` for missing values, and read back
 * (for `participants.tsv` and `scans.tsv`, which an export adds a row to rather than overwrites).
 */
import { readFileSync } from 'node:fs';
import { InvalidDataError } from '../../core/index.js';

/** A cell: a number, a string, or null (written `n/a`). */
export type TsvCell = string | number | null;

/** A table: its columns and rows (one cell per column). */
export interface TsvTable {
  columns: string[];
  rows: TsvCell[][];
}

function cellText(cell: TsvCell): string {
  if (cell === null) return 'n/a';
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : 'n/a';
  // A tab or line break inside a value would break the table: BIDS has no quoting.
  return cell.replace(/[\t\r\n]+/g, ' ');
}

/** The text of a table: header row, then one line per row, each ending in a newline. */
export function formatTsv(table: TsvTable): string {
  const lines = [table.columns.join('\t'), ...table.rows.map((row) => row.map(cellText).join('\t'))];
  return `${lines.join('\n')}\n`;
}

/** Reads a table written by anyone: a header row, then rows with as many cells (empty lines skipped). */
export function readTsv(path: string): TsvTable {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).filter((line) => line !== '');
  const [header, ...body] = lines;
  if (header === undefined) throw new InvalidDataError(path, 'a table with a header row', 'an empty file');
  const columns = header.split('\t');
  const rows = body.map((line, i) => {
    const cells = line.split('\t');
    if (cells.length !== columns.length) throw new InvalidDataError(`${path}: line ${i + 2}`, `${columns.length} tab-separated cells, as in the header`, `${cells.length}`);
    return cells.map((c) => (c === 'n/a' ? null : c));
  });
  return { columns, rows };
}

/** The table with a row added: `row` maps column names to cells; its new columns are appended (n/a for the rows before). */
export function addTsvRow(table: TsvTable, row: Record<string, TsvCell>): TsvTable {
  const columns = [...table.columns, ...Object.keys(row).filter((c) => !table.columns.includes(c))];
  const rows = table.rows.map((r) => [...r, ...new Array<TsvCell>(columns.length - r.length).fill(null)]);
  rows.push(columns.map((c) => row[c] ?? null));
  return { columns, rows };
}
