/**
 * Parsers for command-line flag values. Each returns a commander-compatible parser that throws
 * an InvalidOptionError naming the flag, what was expected and what was given.
 */
import { InvalidOptionError } from '../core/index.js';

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function integerFlag(flag: string): (raw: string) => number {
  return (raw) => {
    const value = NUMBER.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value)) throw new InvalidOptionError(flag, 'an integer', raw);
    return value;
  };
}

export function numberFlag(flag: string): (raw: string) => number {
  return (raw) => {
    const value = NUMBER.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isFinite(value)) throw new InvalidOptionError(flag, 'a number', raw);
    return value;
  };
}

export function choiceFlag<T extends string>(flag: string, choices: readonly T[]): (raw: string) => T {
  return (raw) => {
    if (!choices.includes(raw as T)) throw new InvalidOptionError(flag, `one of ${choices.join(', ')}`, raw);
    return raw as T;
  };
}

/**
 * A number that must be greater than 0 (durations, rates, scales): 0, negatives, NaN and ±∞ are
 * refused with "a number greater than 0", at most `max` where one is given.
 */
export function positiveNumberFlag(flag: string, max?: number): (raw: string) => number {
  return (raw) => {
    const value = NUMBER.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isFinite(value) || value <= 0 || (max !== undefined && value > max)) {
      throw new InvalidOptionError(flag, `a number greater than 0${max !== undefined ? ` and at most ${max}` : ''}`, raw);
    }
    return value;
  };
}

/** `MIN:MAX` (µV, e.g. `-500:500`) → [min, max], two finite numbers with MIN < MAX. */
export function physicalRangeFlag(flag: string): (raw: string) => readonly [number, number] {
  return (raw) => {
    const parts = raw.split(':');
    const [lo, hi] = parts.map((p) => (NUMBER.test(p.trim()) ? Number(p) : NaN));
    if (parts.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo! < hi!)) {
      throw new InvalidOptionError(flag, 'MIN:MAX in µV with MIN < MAX, e.g. -500:500', raw);
    }
    return [lo!, hi!];
  };
}
