/**
 * LSL data protocol 100 (liblsl 1.00 framing, still spoken by liblsl 1.17): after the feed
 * request the outlet writes an EOS portable binary archive (liblsl `src/portable_archive`):
 * the archive header (magic byte 127, library version 9), the stream's shortinfo XML as a
 * string, then samples serialised by `sample::serialize` — the first one preceded by two zero
 * bytes (the Boost class-tracking field, `slimarchive.hpp`).
 *
 * Every integer (tags, lengths, values, and the bit patterns of floats and doubles) is written
 * as a signed size byte (0 for the value 0, −k for a negative value) followed by k bytes,
 * little-endian, with leading 0x00 (positive) or 0xFF (negative) bytes left out.
 *
 * {@link LslArchiveDecoder} is an incremental state machine like {@link LslSampleDecoder}: it
 * accepts the byte stream cut anywhere and emits every complete sample once, in order.
 */
import { InvalidDataError } from '../../core/errors.js';
import { assertSafeInt64, DEDUCED_TIMESTAMP, TAG_DEDUCED_TIMESTAMP, TAG_TRANSMITTED_TIMESTAMP, type LslSampleBatch } from './sample-codec.js';
import { LSL_VALUE_BYTES, type LslChannelFormat } from './stream-info.js';

/** The archive's first byte ('e' | 'o' | 's'). */
export const ARCHIVE_MAGIC = 127;
/** The library version liblsl writes into the archive header. */
export const ARCHIVE_VERSION = 9;

const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Growable byte sink for archive encoding. */
class Sink {
  bytes = new Uint8Array(256);
  length = 0;
  #room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
  }
  byte(b: number): void {
    this.#room(1);
    this.bytes[this.length++] = b & 0xff;
  }
  raw(b: Uint8Array): void {
    this.#room(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }
  /** A signed or unsigned integer of `size` bytes (liblsl's `portable_oarchive::save`). */
  int(value: bigint, size: number, signed: boolean): void {
    if (value === 0n) {
      this.byte(0);
      return;
    }
    let temp = signed ? BigInt.asIntN(size * 8, value) : BigInt.asUintN(size * 8, value);
    let n = 0;
    if (size === 1) n = 1;
    else {
      do {
        temp >>= 8n;
        n++;
      } while (temp !== 0n && temp !== -1n);
    }
    this.byte(value > 0n ? n : -n);
    let le = BigInt.asUintN(size * 8, value);
    for (let k = 0; k < n; k++) {
      this.byte(Number(le & 0xffn));
      le >>= 8n;
    }
  }
  small(value: number, size: number): void {
    this.int(BigInt(value), size, true);
  }
  double(v: number): void {
    f64[0] = v;
    this.int(u64[0]!, 8, false);
  }
  float(v: number): void {
    f32[0] = v;
    this.int(BigInt(u32[0]!), 4, false);
  }
  string(s: string | Uint8Array): void {
    const b = typeof s === 'string' ? utf8Encoder.encode(s) : s;
    this.int(BigInt(b.length), 8, false);
    this.raw(b);
  }
  done(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** The archive header and the shortinfo message, as an outlet writes them after a protocol-100 request. */
export function encodeArchivePreamble(shortinfo: string): Uint8Array {
  const s = new Sink();
  s.byte(ARCHIVE_MAGIC);
  s.int(BigInt(ARCHIVE_VERSION), 1, false);
  s.string(shortinfo);
  return s.done();
}

/**
 * Encodes samples as liblsl's `sample::serialize` writes them into the archive. `first` adds
 * the two-byte class-tracking field that precedes the first sample of an archive.
 * `timestamps[i]` = {@link DEDUCED_TIMESTAMP} writes tag 1.
 */
export function encodeArchiveSamples(
  options: { format: LslChannelFormat; channelCount: number },
  timestamps: ArrayLike<number>,
  values: ArrayLike<number> | readonly string[],
  first = false,
): Uint8Array {
  const { format, channelCount: n } = options;
  const s = new Sink();
  if (first && timestamps.length > 0) {
    s.byte(0);
    s.byte(0);
  }
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i]!;
    if (t === DEDUCED_TIMESTAMP) s.small(TAG_DEDUCED_TIMESTAMP, 1);
    else {
      s.small(TAG_TRANSMITTED_TIMESTAMP, 1);
      s.double(t);
    }
    for (let c = 0; c < n; c++) {
      const v = values[i * n + c]!;
      switch (format) {
        case 'string':
          s.string(v as string);
          break;
        case 'float32':
          s.float(v as number);
          break;
        case 'double64':
          s.double(v as number);
          break;
        case 'int64':
          s.int(BigInt(Math.trunc(v as number)), 8, true);
          break;
        default:
          s.int(BigInt(Math.trunc(v as number)), LSL_VALUE_BYTES[format], true);
      }
    }
  }
  return s.done();
}

/** Thrown inside the decoder when the bytes run out mid-item; never escapes. */
const INCOMPLETE = Symbol('incomplete');

/** Decodes a protocol-100 archive (header, shortinfo, samples) from a byte stream fed in arbitrary chunks. */
export class LslArchiveDecoder {
  readonly #format: LslChannelFormat;
  readonly #n: number;
  readonly #period: number;
  readonly #what: string;
  #leftover: Uint8Array = new Uint8Array(0);
  #lastTimestamp: number;
  #seenClass = false;
  #buf: Uint8Array = new Uint8Array(0);
  #p = 0;
  /** The shortinfo XML from the archive, once read. */
  shortinfo: string | undefined;
  /** Samples decoded so far. */
  samples = 0;

  constructor(options: { format: LslChannelFormat; channelCount: number; nominalSrateHz: number; what?: string }, lastTimestamp = 0) {
    this.#format = options.format;
    this.#n = options.channelCount;
    this.#period = options.nominalSrateHz > 0 ? 1 / options.nominalSrateHz : 0;
    this.#what = options.what ?? 'LSL protocol-100 feed';
    this.#lastTimestamp = lastTimestamp;
  }

  /** Sets the timestamp a following deduced timestamp counts from. */
  resetTimestamp(t: number): void {
    this.#lastTimestamp = t;
  }

  /** Bytes held back because the item they start is not complete yet. */
  get pendingBytes(): number {
    return this.#leftover.length;
  }

  #need(k: number): void {
    if (this.#p + k > this.#buf.length) throw INCOMPLETE;
  }

  #size(maxBytes: number, signed: boolean, field: string): number {
    this.#need(1);
    const raw = this.#buf[this.#p]!;
    const size = raw > 127 ? raw - 256 : raw;
    if (size < 0 && !signed) throw new InvalidDataError(`${this.#what} ${field}`, 'a non-negative size byte for an unsigned value', size);
    if (Math.abs(size) > maxBytes) throw new InvalidDataError(`${this.#what} ${field}`, `at most ${maxBytes} bytes`, Math.abs(size));
    this.#need(1 + Math.abs(size));
    this.#p++;
    return size;
  }

  /** An integer of at most 4 bytes. */
  #small(bytes: number, field: string): number {
    const size = this.#size(bytes, true, field);
    if (size === 0) return 0;
    const k = Math.abs(size);
    let v = 0;
    for (let j = k - 1; j >= 0; j--) v = v * 256 + this.#buf[this.#p + j]!;
    this.#p += k;
    if (size < 0) v -= 2 ** (8 * k); // sign-extend (bytes beyond k are 0xFF)
    return v;
  }

  /** An integer of up to 8 bytes as a bigint (signed: sign-extended when the size is negative). */
  #big(bytes: number, signed: boolean, field: string): bigint {
    const size = this.#size(bytes, signed, field);
    if (size === 0) return 0n;
    const k = Math.abs(size);
    let v = 0n;
    for (let j = k - 1; j >= 0; j--) v = (v << 8n) | BigInt(this.#buf[this.#p + j]!);
    this.#p += k;
    if (size < 0) v -= 1n << BigInt(8 * k);
    return v;
  }

  #double(field: string): number {
    u64[0] = this.#big(8, false, field);
    return f64[0]!;
  }

  #string(field: string): string {
    const len = Number(this.#big(8, false, `${field} length`));
    this.#need(len);
    const s = utf8.decode(this.#buf.subarray(this.#p, this.#p + len));
    this.#p += len;
    return s;
  }

  /** Decodes every sample completed by `chunk` (after the header and shortinfo); an incomplete tail waits. */
  push(chunk: Uint8Array, maxSamples = Infinity): LslSampleBatch {
    let buf = chunk;
    if (this.#leftover.length > 0) {
      buf = new Uint8Array(this.#leftover.length + chunk.length);
      buf.set(this.#leftover, 0);
      buf.set(chunk, this.#leftover.length);
    }
    this.#buf = buf;
    this.#p = 0;
    const n = this.#n;
    const isString = this.#format === 'string';
    const timestamps: number[] = [];
    const values: number[] = [];
    const strings: string[] = [];
    let deduced = 0;
    let done = 0;
    try {
      if (this.shortinfo === undefined) {
        this.#need(1);
        if (buf[0] !== ARCHIVE_MAGIC) throw new InvalidDataError(`${this.#what} archive header`, `the magic byte ${ARCHIVE_MAGIC}`, buf[0]);
        this.#p = 1;
        const version = this.#small(1, 'archive version');
        if (version > 17) throw new InvalidDataError(`${this.#what} archive header`, 'library version ≤ 17', version);
        const info = this.#string('shortinfo');
        this.shortinfo = info;
        done = this.#p;
      }
      while (this.#p < buf.length && timestamps.length < maxSamples) {
        if (!this.#seenClass) {
          this.#need(2);
          this.#p += 2;
        }
        const tag = this.#small(1, 'sample tag');
        let ts: number;
        if (tag === TAG_DEDUCED_TIMESTAMP) ts = NaN;
        else if (tag === TAG_TRANSMITTED_TIMESTAMP) ts = this.#double('timestamp');
        else throw new InvalidDataError(`${this.#what} sample`, `tag ${TAG_DEDUCED_TIMESTAMP} or ${TAG_TRANSMITTED_TIMESTAMP} (after ${this.samples + timestamps.length} samples)`, tag);
        const row: (number | string)[] = [];
        for (let c = 0; c < n; c++) {
          const field = `sample ${this.samples + timestamps.length} channel ${c}`;
          switch (this.#format) {
            case 'string':
              row.push(this.#string(field));
              break;
            case 'float32':
              u32[0] = Number(this.#big(4, false, field));
              row.push(f32[0]!);
              break;
            case 'double64':
              row.push(this.#double(field));
              break;
            case 'int64':
              row.push(assertSafeInt64(this.#big(8, true, field), `${this.#what} int64 ${field}`));
              break;
            default:
              row.push(this.#small(LSL_VALUE_BYTES[this.#format], field));
          }
        }
        // The sample is complete: commit it.
        this.#seenClass = true;
        if (Number.isNaN(ts)) {
          ts = this.#lastTimestamp + this.#period;
          deduced++;
        }
        this.#lastTimestamp = ts;
        timestamps.push(ts);
        if (isString) strings.push(...(row as string[]));
        else values.push(...(row as number[]));
        done = this.#p;
      }
    } catch (e) {
      if (e !== INCOMPLETE) throw e;
    }
    this.#leftover = done < buf.length ? buf.slice(done) : new Uint8Array(0);
    this.#buf = new Uint8Array(0);
    this.samples += timestamps.length;
    return { count: timestamps.length, timestamps: Float64Array.from(timestamps), values: Float64Array.from(values), strings, deduced };
  }
}
