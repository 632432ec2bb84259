/**
 * Small checks shared by every validating constructor. Each throws the error class given by
 * `kind` ('option' for user-supplied settings, 'data' for data-model contracts) and returns the
 * checked value, so checks read as assignments.
 */
import { InvalidDataError, InvalidOptionError } from './errors.js';

export type CheckKind = 'option' | 'data';

function fail(kind: CheckKind, name: string, expected: string, received: unknown): never {
  throw kind === 'option'
    ? new InvalidOptionError(name, expected, received)
    : new InvalidDataError(name, expected, received);
}

export interface Range {
  min?: number;
  max?: number;
}

function rangeText(range: Range): string {
  if (range.min !== undefined && range.max !== undefined) return ` from ${range.min} to ${range.max}`;
  if (range.min !== undefined) return ` ≥ ${range.min}`;
  if (range.max !== undefined) return ` ≤ ${range.max}`;
  return '';
}

export function checkInteger(kind: CheckKind, name: string, value: unknown, range: Range = {}): number {
  if (
    typeof value !== 'number' ||
    !Number.isSafeInteger(value) ||
    (range.min !== undefined && value < range.min) ||
    (range.max !== undefined && value > range.max)
  ) {
    fail(kind, name, `an integer${rangeText(range)}`, value);
  }
  return value;
}

export function checkNumber(
  kind: CheckKind,
  name: string,
  value: unknown,
  range: Range & { exclusiveMin?: boolean } = {},
): number {
  const belowMin =
    range.min !== undefined &&
    typeof value === 'number' &&
    (range.exclusiveMin ? value <= range.min : value < range.min);
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    belowMin ||
    (range.max !== undefined && value > range.max)
  ) {
    const low = range.exclusiveMin && range.min !== undefined ? ` > ${range.min}` : '';
    const text = low
      ? `a finite number${low}${range.max !== undefined ? ` and ≤ ${range.max}` : ''}`
      : `a finite number${rangeText(range)}`;
    fail(kind, name, text, value);
  }
  return value;
}

export function checkString(kind: CheckKind, name: string, value: unknown, opts: { nonEmpty?: boolean } = {}): string {
  if (typeof value !== 'string' || (opts.nonEmpty && value.length === 0)) {
    fail(kind, name, opts.nonEmpty ? 'a non-empty string' : 'a string', value);
  }
  return value;
}

export function checkOneOf<T extends string | number>(
  kind: CheckKind,
  name: string,
  value: unknown,
  allowed: readonly T[],
): T {
  if (!allowed.includes(value as T)) fail(kind, name, `one of ${allowed.map((a) => String(a)).join(', ')}`, value);
  return value as T;
}

export { fail as failCheck };

/** A `[low, high]` pair of finite numbers with `min ≤ low ≤ high`. */
export function checkInterval(
  kind: CheckKind,
  name: string,
  value: unknown,
  min = -Infinity,
): readonly [number, number] {
  if (!Array.isArray(value) || value.length !== 2) fail(kind, name, 'a pair [low, high]', value);
  const pair = value as unknown[];
  const low = checkNumber(kind, `${name}[0]`, pair[0], Number.isFinite(min) ? { min } : {});
  const high = checkNumber(kind, `${name}[1]`, pair[1], { min: low });
  return [low, high];
}
