/**
 * Numbers read straight from the bytes of a text field, without making a string: an optional
 * sign, digits, an optional fraction. Up to 15 significant digits and 22 decimals the result is
 * the correctly rounded double, identical to `Number(text)` (an exact integer divided by an exact
 * power of ten is rounded once); anything longer, or with an exponent, goes through `Number`.
 * Returns NaN for anything that is not a plain decimal number, and for one too large for a
 * double (`1e999` would be Infinity): every number returned is finite.
 */

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);
const PLAIN = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

const isBlank = (b: number): boolean => b === 0x20 || b === 0x09;

/** The field bytes[start, end) with surrounding blanks trimmed, as [start, end). */
export function trimField(bytes: Uint8Array, start: number, end: number): [number, number] {
  while (start < end && isBlank(bytes[start]!)) start++;
  while (end > start && isBlank(bytes[end - 1]!)) end--;
  return [start, end];
}

/** The number in bytes[start, end) (already trimmed), or NaN. */
export function parseDecimal(bytes: Uint8Array, start: number, end: number): number {
  if (start >= end) return NaN;
  let i = start;
  let negative = false;
  if (bytes[i] === 0x2d) {
    negative = true;
    i++;
  } else if (bytes[i] === 0x2b) {
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let decimals = 0;
  let dot = false;
  for (; i < end; i++) {
    const b = bytes[i]!;
    if (b >= 0x30 && b <= 0x39) {
      mantissa = mantissa * 10 + (b - 0x30);
      digits++;
      if (dot) decimals++;
    } else if (b === 0x2e && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (digits === 0) return NaN;
  if (i < end || digits > 15 || decimals > 22) return slow(bytes, start, end);
  const value = decimals === 0 ? mantissa : mantissa / POW10[decimals]!;
  return negative ? -value : value;
}

function slow(bytes: Uint8Array, start: number, end: number): number {
  const text = fieldText(bytes, start, end);
  const value = PLAIN.test(text) ? Number(text) : NaN;
  return Number.isFinite(value) ? value : NaN;
}

/** Whether `text` is written as a decimal number but overflows a double (`1e999`, `-1e400`). */
export function overflowsDouble(text: string): boolean {
  return PLAIN.test(text.trim()) && !Number.isFinite(Number(text));
}

/** The bytes as text (for error messages and header lines). */
export function fieldText(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
}
