/**
 * EDF+ Time-stamped Annotation Lists (TALs): parsing and encoding.
 *
 * Grammar (bytes of an `EDF Annotations` / `BDF Annotations` signal in one data record):
 * `+Onset[0x15Duration]0x14Text0x14[Text0x14…]0x00`, TALs back to back, unused bytes 0x00.
 * Onset has a mandatory sign, seconds since the header's start second; duration has no sign.
 * Texts are UTF-8. The first TAL of the first annotation signal of each record has no text:
 * its onset is the record's start time (the "time-keeping" TAL).
 *
 * Tolerated deviations (seen in real files): TALs not terminated by 0x00 (Nihon Kohden writes
 * `+0.000000\x14\x14+0.000000\x14Text\x14`) — a text that is itself a bare onset (`+1.14`,
 * optionally `\x15duration`) starts a new TAL; they are counted in `unterminated`. A TAL that
 * does not start with a signed number is skipped up to the next 0x00 and counted in `malformed`.
 */

export interface Tal {
  readonly onsetS: number;
  /** The onset as written (keeps its decimals: annotation-only files pick a clock from them). */
  readonly onsetText: string;
  readonly durationS?: number;
  readonly durationText?: string;
  /** Non-empty texts; each is one annotation at this onset. */
  readonly texts: readonly string[];
  /** The TAL's first text was empty (a time-keeping TAL when first in the record). */
  readonly emptyFirst: boolean;
}

export interface TalParse {
  readonly tals: Tal[];
  /** TALs that lacked their 0x00 terminator. */
  unterminated: number;
  /** Byte runs that were not TALs. */
  malformed: number;
}

const ONSET = /^([+-]\d+(?:\.\d*)?)(?:\x15(\d+(?:\.\d*)?)?)?$/;
const decoder = new TextDecoder('utf-8');

function startTal(head: string): { onsetS: number; onsetText: string; durationS?: number; durationText?: string } | null {
  const m = ONSET.exec(head);
  if (!m) return null;
  const onsetText = m[1]!;
  const durationText = m[2];
  return durationText !== undefined
    ? { onsetS: Number(onsetText), onsetText, durationS: Number(durationText), durationText }
    : { onsetS: Number(onsetText), onsetText };
}

/** Parses the TALs in `bytes[start, end)`. */
export function parseTals(bytes: Uint8Array, start = 0, end = bytes.length): TalParse {
  const result: TalParse = { tals: [], unterminated: 0, malformed: 0 };
  let p = start;
  while (p < end) {
    if (bytes[p] === 0) {
      p++;
      continue;
    }
    // One run of bytes up to the next 0x00: a TAL (or several run together).
    let q = p;
    while (q < end && bytes[q] !== 0) q++;
    const segments = decoder.decode(bytes.subarray(p, q)).split('\x14');
    p = q + 1;
    const head = startTal(segments[0]!);
    if (!head || segments.length < 2) {
      result.malformed++;
      continue;
    }
    let current = { ...head, texts: [] as string[], emptyFirst: segments[1] === '' };
    let count = 0;
    for (let i = 1; i < segments.length; i++) {
      const text = segments[i]!;
      const next = i > 1 && text !== '' ? startTal(text) : null;
      if (next) {
        result.tals.push(current);
        count++;
        current = { ...next, texts: [], emptyFirst: segments[i + 1] === '' };
        continue;
      }
      if (text !== '') current.texts.push(text);
    }
    result.tals.push(current);
    result.unterminated += count;
  }
  return result;
}

/** Seconds as an EDF+ TAL number: up to 9 decimals, no trailing zeros, no exponent. */
export function formatTalSeconds(seconds: number): string {
  let text = seconds.toFixed(9);
  if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
  return text === '-0' ? '0' : text;
}

const encoder = new TextEncoder();

/**
 * Encodes one TAL: `+onset[\x15duration]\x14text…\x14\x00`. Texts must already be free of
 * 0x00/0x14/0x15 (see `cleanAnnotationText`).
 */
export function encodeTal(onsetS: number, durationS: number | undefined, texts: readonly string[]): Uint8Array {
  const onset = formatTalSeconds(onsetS);
  let s = (onset.startsWith('-') ? onset : `+${onset}`) + (durationS !== undefined ? `\x15${formatTalSeconds(durationS)}` : '');
  s += '\x14';
  for (const t of texts) s += `${t}\x14`;
  if (texts.length === 0) s += '\x14';
  const body = encoder.encode(s);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

/**
 * Annotation text safe inside a TAL and at most `maxBytes` of UTF-8: separators and control
 * bytes become spaces; a long text is cut at a character boundary. `truncated` says so.
 */
export function cleanAnnotationText(text: string, maxBytes: number): { text: string; truncated: boolean } {
  let clean = text.replace(/[\x00-\x1f\x7f]/g, ' ');
  const bytes = encoder.encode(clean);
  if (bytes.length <= maxBytes) return { text: clean, truncated: false };
  let cut = maxBytes;
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  clean = decoder.decode(bytes.subarray(0, cut));
  return { text: clean, truncated: true };
}

/** Decimal places of a TAL number (`+12.250` → 3). */
export function decimalPlaces(text: string): number {
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}
