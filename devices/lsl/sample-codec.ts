/**
 * LSL data protocol 110 samples on the wire (liblsl `sample::save_streambuf`/`load_streambuf`):
 * a tag byte (1: timestamp deduced from the previous one at the nominal rate, 2: an 8-byte
 * double timestamp follows), then the values — fixed-size numbers in the negotiated byte order,
 * or for strings, per channel a length-size byte (1, 2, 4 or 8), the length, and the bytes.
 *
 * {@link LslSampleDecoder} is an incremental state machine: it accepts the byte stream in chunks
 * cut anywhere and emits every complete sample once, in order.
 */
import { InvalidDataError } from '../../core/errors.js';
import { LSL_VALUE_BYTES, type LslChannelFormat } from './stream-info.js';

/** Tag byte: the timestamp is the previous one plus 1/rate (or equal to it when irregular). */
export const TAG_DEDUCED_TIMESTAMP = 1;
/** Tag byte: an 8-byte timestamp follows. */
export const TAG_TRANSMITTED_TIMESTAMP = 2;
/** The timestamp value liblsl uses for "deduce it". */
export const DEDUCED_TIMESTAMP = -1.0;

/** Samples decoded from one chunk, sample-major. */
export interface LslSampleBatch {
  count: number;
  /** Each sample's timestamp on the sender's clock (deduced ones filled in). */
  timestamps: Float64Array;
  /** count × channels numbers (numeric formats; an int64 beyond ±2^53 is refused, see {@link assertSafeInt64}). */
  values: Float64Array;
  /** count × channels strings (string format). */
  strings: string[];
  /** How many of these samples carried a deduced timestamp. */
  deduced: number;
}

export interface LslCodecOptions {
  format: LslChannelFormat;
  channelCount: number;
  nominalSrateHz: number;
  /** Byte order of the values on the wire (negotiated; 1234 little, 4321 big). */
  littleEndian: boolean;
  /** Zero subnormal floats (the outlet said `Suppress-Subnormals: 1`). */
  suppressSubnormals?: boolean;
}

const MIN_FLOAT32 = 1.1754943508222875e-38;
const MIN_FLOAT64 = 2.2250738585072014e-308;
const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

/**
 * An int64 value as a number, or — when it is beyond ±(2^53 − 1), where a double can no longer
 * hold every integer — an {@link InvalidDataError} naming `field`: neurostream's signal path is
 * float64, and silently rounding a count or an ID would invent a value.
 */
export function assertSafeInt64(v: bigint, field: string): number {
  if (v > 9007199254740991n || v < -9007199254740991n) {
    throw new InvalidDataError(field, 'an integer within ±2^53 − 1 (neurostream holds values as float64)', v.toString());
  }
  return Number(v);
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Typed arrays that convert to float64 exactly (int64 is checked value by value instead). */
const FAST_ARRAYS: Partial<Record<LslChannelFormat, Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor | Int16ArrayConstructor | Int8ArrayConstructor>> = {
  float32: Float32Array,
  double64: Float64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
};

/** Decodes protocol-110 samples from a byte stream fed in arbitrary chunks. */
export class LslSampleDecoder {
  readonly #o: Required<LslCodecOptions>;
  readonly #size: number;
  #leftover: Uint8Array = new Uint8Array(0);
  #lastTimestamp = 0;
  readonly #fast: { bytes: Uint8Array; view: Float32Array | Float64Array | Int32Array | Int16Array | Int8Array } | undefined;
  /** Samples decoded so far. */
  samples = 0;

  constructor(options: LslCodecOptions, lastTimestamp = 0) {
    this.#o = { suppressSubnormals: false, ...options };
    this.#size = LSL_VALUE_BYTES[options.format];
    const Typed = HOST_LITTLE_ENDIAN && !this.#o.suppressSubnormals ? FAST_ARRAYS[options.format] : undefined;
    if (Typed) {
      const view = new Typed(options.channelCount);
      this.#fast = { bytes: new Uint8Array(view.buffer), view };
    }
    this.#lastTimestamp = lastTimestamp;
  }

  /** Sets the timestamp a following deduced timestamp counts from. */
  resetTimestamp(t: number): void {
    this.#lastTimestamp = t;
  }

  /** Bytes held back because the sample they start is not complete yet. */
  get pendingBytes(): number {
    return this.#leftover.length;
  }

  /** Decodes every sample completed by `chunk`; an incomplete tail waits for the next chunk. */
  push(chunk: Uint8Array, maxSamples = Infinity): LslSampleBatch {
    let buf = chunk;
    if (this.#leftover.length > 0) {
      buf = new Uint8Array(this.#leftover.length + chunk.length);
      buf.set(this.#leftover, 0);
      buf.set(chunk, this.#leftover.length);
    }
    const { format, channelCount: n, littleEndian: le } = this.#o;
    const isString = format === 'string';
    const minSample = 1 + (isString ? 2 * n : this.#size * n);
    const capacity = Math.min(maxSamples, Math.floor(buf.length / Math.max(1, minSample)) + 1);
    const timestamps = new Float64Array(capacity);
    const values = new Float64Array(isString ? 0 : capacity * n);
    const strings: string[] = [];
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const period = this.#o.nominalSrateHz > 0 ? 1 / this.#o.nominalSrateHz : 0;
    let off = 0;
    let count = 0;
    let deduced = 0;
    const len = buf.length;
    while (off < len && count < maxSamples) {
      const start = off;
      const tag = buf[off]!;
      let p = off + 1;
      let ts: number;
      if (tag === TAG_DEDUCED_TIMESTAMP) ts = NaN;
      else if (tag === TAG_TRANSMITTED_TIMESTAMP) {
        if (p + 8 > len) break;
        ts = view.getFloat64(p, le);
        p += 8;
      } else {
        throw new InvalidDataError('LSL sample', `tag byte ${TAG_DEDUCED_TIMESTAMP} or ${TAG_TRANSMITTED_TIMESTAMP} (after ${this.samples + count} samples)`, tag);
      }
      if (!isString) {
        const bytes = this.#size * n;
        if (p + bytes > len) break;
        const base = count * n;
        const fast = this.#fast;
        if (fast && le) {
          // Host order on the wire: copy the values to an aligned scratch and convert natively.
          fast.bytes.set(buf.subarray(p, p + bytes));
          values.set(fast.view, base);
          p += bytes;
        } else {
          switch (format) {
            case 'float32':
              for (let c = 0; c < n; c++, p += 4) {
                let v = view.getFloat32(p, le);
                if (this.#o.suppressSubnormals && v !== 0 && Math.abs(v) < MIN_FLOAT32) v = v < 0 ? -0 : 0;
                values[base + c] = v;
              }
              break;
            case 'double64':
              for (let c = 0; c < n; c++, p += 8) {
                let v = view.getFloat64(p, le);
                if (this.#o.suppressSubnormals && v !== 0 && Math.abs(v) < MIN_FLOAT64) v = v < 0 ? -0 : 0;
                values[base + c] = v;
              }
              break;
            case 'int32':
              for (let c = 0; c < n; c++, p += 4) values[base + c] = view.getInt32(p, le);
              break;
            case 'int16':
              for (let c = 0; c < n; c++, p += 2) values[base + c] = view.getInt16(p, le);
              break;
            case 'int8':
              for (let c = 0; c < n; c++, p += 1) values[base + c] = view.getInt8(p);
              break;
            case 'int64':
              for (let c = 0; c < n; c++, p += 8) values[base + c] = assertSafeInt64(view.getBigInt64(p, le), `LSL int64 sample ${this.samples + count} channel ${c}`);
              break;
          }
        }
      } else {
        const row: string[] = [];
        let complete = true;
        for (let c = 0; c < n; c++) {
          if (p >= len) {
            complete = false;
            break;
          }
          const lenBytes = buf[p]!;
          if (lenBytes !== 1 && lenBytes !== 2 && lenBytes !== 4 && lenBytes !== 8) {
            throw new InvalidDataError('LSL string sample', `a length size of 1, 2, 4 or 8 bytes (sample ${this.samples + count}, channel ${c})`, lenBytes);
          }
          if (p + 1 + lenBytes > len) {
            complete = false;
            break;
          }
          const strLen =
            lenBytes === 1 ? buf[p + 1]! : lenBytes === 2 ? view.getUint16(p + 1, le) : lenBytes === 4 ? view.getUint32(p + 1, le) : Number(view.getBigUint64(p + 1, le));
          p += 1 + lenBytes;
          if (p + strLen > len) {
            complete = false;
            break;
          }
          row.push(utf8.decode(buf.subarray(p, p + strLen)));
          p += strLen;
        }
        if (!complete) {
          off = start;
          break;
        }
        strings.push(...row);
      }
      if (Number.isNaN(ts)) {
        ts = this.#lastTimestamp + period;
        deduced++;
      }
      this.#lastTimestamp = ts;
      timestamps[count++] = ts;
      off = p;
    }
    this.#leftover = off < len ? buf.slice(off) : new Uint8Array(0);
    this.samples += count;
    return { count, timestamps: timestamps.subarray(0, count), values: values.subarray(0, count * n), strings, deduced };
  }
}

/**
 * Encodes samples for protocol 110. `timestamps[i]` = {@link DEDUCED_TIMESTAMP} sends tag 1.
 * `values` is sample-major (count × channels): numbers, or strings for the string format.
 */
export function encodeSamples(
  options: Pick<LslCodecOptions, 'format' | 'channelCount' | 'littleEndian'>,
  timestamps: ArrayLike<number>,
  values: ArrayLike<number> | readonly string[],
): Uint8Array {
  const { format, channelCount: n, littleEndian: le } = options;
  const count = timestamps.length;
  if (format === 'string') {
    const encoded = (values as readonly string[]).map((s) => utf8Encoder.encode(s));
    let total = 0;
    for (let i = 0; i < count; i++) total += timestamps[i] === DEDUCED_TIMESTAMP ? 1 : 9;
    for (const e of encoded) total += e.length + (e.length <= 0xff ? 2 : 5);
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    let p = 0;
    for (let i = 0; i < count; i++) {
      p = writeTimestamp(out, view, p, timestamps[i]!, le);
      for (let c = 0; c < n; c++) {
        const e = encoded[i * n + c]!;
        if (e.length <= 0xff) {
          out[p++] = 1;
          out[p++] = e.length;
        } else {
          out[p++] = 4;
          view.setUint32(p, e.length, le);
          p += 4;
        }
        out.set(e, p);
        p += e.length;
      }
    }
    return out;
  }
  const size = LSL_VALUE_BYTES[format];
  let total = count * n * size;
  for (let i = 0; i < count; i++) total += timestamps[i] === DEDUCED_TIMESTAMP ? 1 : 9;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const v = values as ArrayLike<number>;
  const Typed = HOST_LITTLE_ENDIAN ? FAST_ARRAYS[format] : undefined;
  let scratch: { bytes: Uint8Array; view: Float32Array | Float64Array | Int32Array | Int16Array | Int8Array } | undefined;
  if (Typed) {
    const view = new Typed(n);
    scratch = { bytes: new Uint8Array(view.buffer), view };
  }
  let p = 0;
  for (let i = 0; i < count; i++) {
    p = writeTimestamp(out, view, p, timestamps[i]!, le);
    const base = i * n;
    if (scratch && le) {
      for (let c = 0; c < n; c++) scratch.view[c] = v[base + c]!; // ToInt32/ToInt16/ToInt8/fround: as DataView's setters after Math.trunc
      out.set(scratch.bytes, p);
      p += n * size;
    } else {
      switch (format) {
        case 'float32':
          for (let c = 0; c < n; c++, p += 4) view.setFloat32(p, v[base + c]!, le);
          break;
        case 'double64':
          for (let c = 0; c < n; c++, p += 8) view.setFloat64(p, v[base + c]!, le);
          break;
        case 'int32':
          for (let c = 0; c < n; c++, p += 4) view.setInt32(p, Math.trunc(v[base + c]!), le);
          break;
        case 'int16':
          for (let c = 0; c < n; c++, p += 2) view.setInt16(p, Math.trunc(v[base + c]!), le);
          break;
        case 'int8':
          for (let c = 0; c < n; c++, p += 1) view.setInt8(p, Math.trunc(v[base + c]!));
          break;
        case 'int64':
          for (let c = 0; c < n; c++, p += 8) view.setBigInt64(p, BigInt(Math.trunc(v[base + c]!)), le);
          break;
      }
    }
  }
  return out;
}

function writeTimestamp(out: Uint8Array, view: DataView, p: number, ts: number, le: boolean): number {
  if (ts === DEDUCED_TIMESTAMP) {
    out[p] = TAG_DEDUCED_TIMESTAMP;
    return p + 1;
  }
  out[p] = TAG_TRANSMITTED_TIMESTAMP;
  view.setFloat64(p + 1, ts, le);
  return p + 9;
}

/** The timestamp of liblsl's test-pattern samples. */
export const TEST_PATTERN_TIMESTAMP = 123456.789;

const INT_MAX: Partial<Record<LslChannelFormat, number>> = { int8: 127, int16: 32767, int32: 2147483647 };

/**
 * liblsl's test-pattern sample (`sample::assign_test_pattern`), which an outlet sends twice
 * (offsets 4 and 2) after the feed header so the inlet can check that both read the format alike.
 */
export function testPatternValues(format: LslChannelFormat, channelCount: number, offset: number): number[] | string[] {
  if (format === 'string') return Array.from({ length: channelCount }, (_, k) => String((k + 10) * (k % 2 === 0 ? 1 : -1)));
  const base = { float32: 0, double64: 16777217, int32: 65537, int16: 257, int8: 1, int64: 2147483649 }[format] + offset;
  return Array.from({ length: channelCount }, (_, k) => {
    let val = k + base;
    const max = INT_MAX[format];
    if (max !== undefined) val %= max;
    return k % 2 === 0 ? val : -val;
  });
}
