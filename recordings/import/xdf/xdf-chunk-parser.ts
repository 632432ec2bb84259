/**
 * XdfChunkParser — an incremental parser of XDF 1.0 files (the format LabRecorder writes) fed
 * arbitrary byte chunks: `push(bytes)` any number of times, then `end()`. A state machine over
 * the file's layout:
 *
 *   "XDF:" magic, then chunks: [NumLengthBytes: 1, 4 or 8][Length: that many bytes, little-endian]
 *   [Tag: uint16][Content: Length − 2 bytes]. Tags: 1 FileHeader (XML), 2 StreamHeader (stream id
 *   uint32 + XML), 3 Samples (stream id + [NumSamples: varlen] then per sample a time-stamp flag
 *   byte — 8: a float64 time stamp follows, 0: deduced as the previous one + 1/nominal rate — and
 *   the values: channel_count × the channel format, little-endian, strings as [varlen][UTF-8]),
 *   4 ClockOffset (stream id, collection time float64, offset float64), 5 Boundary (16-byte UUID),
 *   6 StreamFooter (stream id + XML). Other tags are reported as `unknown` and skipped.
 *
 * Buffering is bounded: only the chunk being read is held (at most `maxChunkBytes`; a longer
 * chunk is an error naming it). Time stamps are deduced per stream across chunks, as pyxdf does
 * (`last_timestamp` starts at 0). A file that ends inside a chunk is not an error at `end()`:
 * what is whole is kept — for a Samples chunk, its whole samples — and `truncation` says what was
 * cut (pyxdf drops the whole cut chunk). Anything malformed is an InvalidDataError naming the
 * byte offset of the chunk.
 */
import { InvalidDataError } from '../../../core/index.js';
import { parseXml, textAt, type XmlElement } from '../../../core/xml.js';

/** XDF channel formats. */
export const XDF_FORMATS = ['float32', 'double64', 'int8', 'int16', 'int32', 'int64', 'string'] as const;
export type XdfFormat = (typeof XDF_FORMATS)[number];

/** Bytes per value of the numeric formats. */
export const XDF_FORMAT_BYTES: Record<Exclude<XdfFormat, 'string'>, number> = { float32: 4, double64: 8, int8: 1, int16: 2, int32: 4, int64: 8 };

/** Values of one Samples chunk, sample-major (sample k, channel c at `k * channels + c`). */
export type XdfValues = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | string[];

/** What a stream header says that the Samples chunks need. */
export interface XdfStreamLayout {
  readonly channels: number;
  readonly format: XdfFormat;
  readonly nominalRateHz: number;
}

export type XdfChunk =
  | { readonly tag: 'file-header'; readonly offset: number; readonly xml: string; readonly root: XmlElement }
  | { readonly tag: 'stream-header'; readonly offset: number; readonly streamId: number; readonly xml: string; readonly root: XmlElement; readonly layout: XdfStreamLayout }
  | { readonly tag: 'samples'; readonly offset: number; readonly streamId: number; readonly count: number; readonly timeStamps: Float64Array; readonly values: XdfValues }
  | { readonly tag: 'clock-offset'; readonly offset: number; readonly streamId: number; readonly collectionTime: number; readonly offsetValue: number }
  | { readonly tag: 'boundary'; readonly offset: number }
  | { readonly tag: 'stream-footer'; readonly offset: number; readonly streamId: number; readonly xml: string; readonly root: XmlElement }
  | { readonly tag: 'unknown'; readonly offset: number; readonly tagNumber: number; readonly bytes: number };

/** Where a cut file ended: inside which chunk, how much of it was there, what was kept of it. */
export interface XdfTruncation {
  /** Byte offset of the cut chunk (of its length field). */
  readonly offset: number;
  /** What was being read: `magic`, `chunk length`, or the chunk's tag name. */
  readonly within: string;
  readonly haveBytes: number;
  readonly needBytes: number;
  /** For a cut Samples chunk: its stream and how many whole samples were kept. */
  readonly streamId?: number;
  readonly keptSamples?: number;
}

export interface XdfChunkParserOptions {
  /** Name of the source in errors (a path). */
  source?: string;
  /** Longest chunk accepted, bytes (default 1 GiB). */
  maxChunkBytes?: number;
}

const TAG_NAMES: Record<number, string> = { 1: 'FileHeader', 2: 'StreamHeader', 3: 'Samples', 4: 'ClockOffset', 5: 'Boundary', 6: 'StreamFooter' };
const MAGIC = [0x58, 0x44, 0x46, 0x3a]; // "XDF:"
const utf8 = new TextDecoder('utf-8'); // invalid bytes → U+FFFD, as pyxdf's errors="replace"

type State = 'magic' | 'length-bytes' | 'length' | 'body';

/** Reads the layout (channel count, format, rate) from a stream header's XML. */
export function streamLayout(root: XmlElement, where: string): XdfStreamLayout {
  const count = textAt(root, 'channel_count');
  const channels = Number(count);
  if (!Number.isInteger(channels) || channels < 1) throw new InvalidDataError(`${where} <channel_count>`, 'a whole number ≥ 1', count ?? 'none');
  const format = textAt(root, 'channel_format');
  if (!(XDF_FORMATS as readonly string[]).includes(format ?? '')) throw new InvalidDataError(`${where} <channel_format>`, XDF_FORMATS.join(' | '), format ?? 'none');
  const rate = textAt(root, 'nominal_srate');
  const nominalRateHz = Number(rate);
  if (rate === undefined || rate === '' || !Number.isFinite(nominalRateHz) || nominalRateHz < 0) throw new InvalidDataError(`${where} <nominal_srate>`, 'a rate ≥ 0 (0: irregular)', rate ?? 'none');
  return { channels, format: format as XdfFormat, nominalRateHz };
}

export class XdfChunkParser {
  /** Bytes consumed so far. */
  position = 0;
  /** Set by `end()` when the file stopped inside a chunk. */
  truncation: XdfTruncation | undefined;
  private readonly source: string;
  private readonly maxChunkBytes: number;
  private state: State = 'magic';
  private small = new Uint8Array(8);
  private smallHave = 0;
  private lengthBytes = 0;
  private chunkOffset = 0;
  private body = new Uint8Array(0);
  private bodyLength = 0;
  private bodyHave = 0;
  private readonly layouts = new Map<number, XdfStreamLayout>();
  private readonly lastStamp = new Map<number, number>();
  private ended = false;

  constructor(
    private readonly onChunk: (chunk: XdfChunk) => void,
    options: XdfChunkParserOptions = {},
  ) {
    this.source = options.source ?? 'XDF';
    this.maxChunkBytes = options.maxChunkBytes ?? 2 ** 30;
  }

  /** Feeds the next bytes (any length, any boundary); calls `onChunk` for every chunk completed. */
  push(bytes: Uint8Array): void {
    if (this.ended) throw new InvalidDataError(`${this.source}`, 'no bytes after end()', bytes.length);
    let i = 0;
    while (i < bytes.length) {
      switch (this.state) {
        case 'magic': {
          const b = bytes[i++]!;
          if (b !== MAGIC[this.smallHave]) {
            throw new InvalidDataError(`${this.source} byte ${this.position}`, 'an XDF file starting with "XDF:"', `byte 0x${b.toString(16).padStart(2, '0')}`);
          }
          this.position++;
          if (++this.smallHave === 4) this.startChunk();
          break;
        }
        case 'length-bytes': {
          const b = bytes[i++]!;
          if (b !== 1 && b !== 4 && b !== 8) {
            throw new InvalidDataError(`${this.source} chunk at byte ${this.chunkOffset}`, 'a length of 1, 4 or 8 bytes (XDF NumLengthBytes)', b);
          }
          this.position++;
          this.lengthBytes = b;
          this.smallHave = 0;
          this.state = 'length';
          break;
        }
        case 'length': {
          const take = Math.min(this.lengthBytes - this.smallHave, bytes.length - i);
          this.small.set(bytes.subarray(i, i + take), this.smallHave);
          this.smallHave += take;
          i += take;
          this.position += take;
          if (this.smallHave === this.lengthBytes) this.startBody(readUint(this.small, 0, this.lengthBytes, `${this.source} chunk at byte ${this.chunkOffset} length`));
          break;
        }
        case 'body': {
          const take = Math.min(this.bodyLength - this.bodyHave, bytes.length - i);
          this.body.set(bytes.subarray(i, i + take), this.bodyHave);
          this.bodyHave += take;
          i += take;
          this.position += take;
          if (this.bodyHave === this.bodyLength) {
            this.finishChunk(this.body.subarray(0, this.bodyLength));
            this.startChunk();
          }
          break;
        }
      }
    }
  }

  /** The file ended: records a cut chunk (keeping its whole samples) in `truncation`. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.state === 'magic') {
      throw new InvalidDataError(`${this.source}`, 'an XDF file starting with "XDF:"', `${this.position} bytes`);
    }
    if (this.state === 'length-bytes') return; // between chunks: whole
    if (this.state === 'length') {
      this.truncation = { offset: this.chunkOffset, within: 'chunk length', haveBytes: this.smallHave, needBytes: this.lengthBytes };
      return;
    }
    const body = this.body.subarray(0, this.bodyHave);
    const tag = this.bodyHave >= 2 ? body[0]! | (body[1]! << 8) : -1;
    const within = TAG_NAMES[tag] ?? (tag < 0 ? 'chunk tag' : `chunk with tag ${tag}`);
    let cut: XdfTruncation = { offset: this.chunkOffset, within, haveBytes: this.bodyHave, needBytes: this.bodyLength };
    if (tag === 3 && this.bodyHave >= 6) {
      const streamId = readUint(body, 2, 4, '');
      const kept = this.samples(body, streamId, true);
      cut = { ...cut, streamId, keptSamples: kept };
    }
    this.truncation = cut;
  }

  private startChunk(): void {
    this.state = 'length-bytes';
    this.chunkOffset = this.position;
  }

  private startBody(length: number): void {
    if (length < 2) throw new InvalidDataError(`${this.source} chunk at byte ${this.chunkOffset}`, 'a length of at least 2 (the tag)', length);
    if (length > this.maxChunkBytes) throw new InvalidDataError(`${this.source} chunk at byte ${this.chunkOffset}`, `a chunk of at most ${this.maxChunkBytes} bytes`, length);
    if (this.body.length < length) this.body = new Uint8Array(Math.max(length, Math.min(this.maxChunkBytes, this.body.length * 2)));
    this.bodyLength = length;
    this.bodyHave = 0;
    this.state = 'body';
  }

  private where(what: string): string {
    return `${this.source} ${what} chunk at byte ${this.chunkOffset}`;
  }

  private finishChunk(body: Uint8Array): void {
    const tag = body[0]! | (body[1]! << 8);
    const offset = this.chunkOffset;
    const name = TAG_NAMES[tag];
    const needsId = tag === 2 || tag === 3 || tag === 4 || tag === 6;
    if (needsId && body.length < 6) throw new InvalidDataError(this.where(name!), 'a stream id (4 bytes) after the tag', `${body.length - 2} bytes`);
    const streamId = needsId ? readUint(body, 2, 4, '') : 0;
    switch (tag) {
      case 1: {
        const xml = utf8.decode(body.subarray(2));
        this.onChunk({ tag: 'file-header', offset, xml, root: parseXml(xml, this.where('FileHeader')) });
        return;
      }
      case 2: {
        const xml = utf8.decode(body.subarray(6));
        const root = parseXml(xml, this.where('StreamHeader'));
        const layout = streamLayout(root, this.where(`StreamHeader (stream ${streamId})`));
        this.layouts.set(streamId, layout);
        this.onChunk({ tag: 'stream-header', offset, streamId, xml, root, layout });
        return;
      }
      case 3:
        this.samples(body, streamId, false);
        return;
      case 4: {
        if (body.length !== 22) throw new InvalidDataError(this.where('ClockOffset'), '16 bytes (collection time and offset, float64)', `${body.length - 6} bytes`);
        const view = new DataView(body.buffer, body.byteOffset, body.length);
        this.onChunk({ tag: 'clock-offset', offset, streamId, collectionTime: view.getFloat64(6, true), offsetValue: view.getFloat64(14, true) });
        return;
      }
      case 5:
        this.onChunk({ tag: 'boundary', offset });
        return;
      case 6: {
        const xml = utf8.decode(body.subarray(6));
        this.onChunk({ tag: 'stream-footer', offset, streamId, xml, root: parseXml(xml, this.where('StreamFooter')) });
        return;
      }
      default:
        this.onChunk({ tag: 'unknown', offset, tagNumber: tag, bytes: body.length - 2 });
    }
  }

  /**
   * Decodes a Samples chunk's content; emits it. `partial`: the chunk was cut, keep its whole
   * samples and return how many (0: nothing emitted).
   */
  private samples(body: Uint8Array, streamId: number, partial: boolean): number {
    const where = this.where(`Samples (stream ${streamId})`);
    const layout = this.layouts.get(streamId);
    if (!layout) throw new InvalidDataError(where, 'a StreamHeader for the stream before its samples', 'none');
    const view = new DataView(body.buffer, body.byteOffset, body.length);
    let p = 6;
    const cut = (): never => {
      throw new InvalidDataError(where, 'as many samples as it declares', `the chunk ends at byte ${p} of ${body.length}`);
    };
    const varlen = (): number => {
      if (p >= body.length) return cut();
      const n = body[p]!;
      if (n !== 1 && n !== 4 && n !== 8) throw new InvalidDataError(`${where} byte ${p}`, 'a variable-length integer of 1, 4 or 8 bytes', n);
      if (p + 1 + n > body.length) return cut();
      const value = readUint(body, p + 1, n, `${where} byte ${p}`);
      p += 1 + n;
      return value;
    };
    let declared: number;
    try {
      declared = varlen();
    } catch (error) {
      if (partial) return 0;
      throw error;
    }
    const { channels, format, nominalRateHz } = layout;
    const tdiff = nominalRateHz > 0 ? 1 / nominalRateHz : 0;
    const valueBytes = format === 'string' ? 0 : XDF_FORMAT_BYTES[format];
    const minSampleBytes = 1 + (format === 'string' ? 2 * channels : valueBytes * channels);
    if (!partial && declared * minSampleBytes > body.length - p) {
      throw new InvalidDataError(where, `room for the ${declared} samples it declares`, `${body.length - p} bytes`);
    }
    const capacity = partial ? Math.min(declared, Math.floor((body.length - p) / minSampleBytes)) : declared;
    const stamps = new Float64Array(capacity);
    const values = allocate(format, capacity * channels);
    let last = this.lastStamp.get(streamId) ?? 0;
    let k = 0;
    try {
      for (; k < capacity; k++) {
        if (p >= body.length) cut();
        const flag = body[p++]!;
        let stamp: number;
        if (flag !== 0) {
          if (p + 8 > body.length) cut();
          stamp = view.getFloat64(p, true);
          p += 8;
        } else stamp = last + tdiff;
        const base = k * channels;
        if (format === 'string') {
          const texts = values as string[];
          for (let c = 0; c < channels; c++) {
            const length = varlen();
            if (p + length > body.length) cut();
            texts[base + c] = utf8.decode(body.subarray(p, p + length));
            p += length;
          }
        } else {
          if (p + valueBytes * channels > body.length) cut();
          readValues(view, p, format, values, base, channels);
          p += valueBytes * channels;
        }
        stamps[k] = stamp;
        last = stamp;
      }
    } catch (error) {
      if (!partial) throw error;
    }
    if (k === 0 && partial) return 0;
    if (!partial && p !== body.length) {
      throw new InvalidDataError(where, `${declared} samples filling the chunk`, `${body.length - p} bytes left after them`);
    }
    this.lastStamp.set(streamId, last);
    const count = k;
    this.onChunk({
      tag: 'samples',
      offset: this.chunkOffset,
      streamId,
      count,
      timeStamps: count === capacity ? stamps : stamps.slice(0, count),
      values: count === capacity ? values : sliceValues(values, count * channels),
    });
    return count;
  }
}

function allocate(format: XdfFormat, n: number): XdfValues {
  switch (format) {
    case 'float32':
      return new Float32Array(n);
    case 'double64':
      return new Float64Array(n);
    case 'int8':
      return new Int8Array(n);
    case 'int16':
      return new Int16Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'int64':
      return new BigInt64Array(n);
    case 'string':
      return new Array<string>(n).fill('');
  }
}

function sliceValues(values: XdfValues, n: number): XdfValues {
  return values.slice(0, n) as XdfValues;
}

function readValues(view: DataView, p: number, format: Exclude<XdfFormat, 'string'>, out: XdfValues, base: number, channels: number): void {
  switch (format) {
    case 'float32':
      for (let c = 0; c < channels; c++) (out as Float32Array)[base + c] = view.getFloat32(p + 4 * c, true);
      return;
    case 'double64':
      for (let c = 0; c < channels; c++) (out as Float64Array)[base + c] = view.getFloat64(p + 8 * c, true);
      return;
    case 'int8':
      for (let c = 0; c < channels; c++) (out as Int8Array)[base + c] = view.getInt8(p + c);
      return;
    case 'int16':
      for (let c = 0; c < channels; c++) (out as Int16Array)[base + c] = view.getInt16(p + 2 * c, true);
      return;
    case 'int32':
      for (let c = 0; c < channels; c++) (out as Int32Array)[base + c] = view.getInt32(p + 4 * c, true);
      return;
    case 'int64':
      for (let c = 0; c < channels; c++) (out as BigInt64Array)[base + c] = view.getBigInt64(p + 8 * c, true);
      return;
  }
}

/** Reads a little-endian unsigned integer of 1, 4 or 8 bytes; an 8-byte one beyond 2^53 is refused. */
function readUint(bytes: Uint8Array, at: number, size: number, where: string): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, size);
  if (size === 1) return view.getUint8(0);
  if (size === 4) return view.getUint32(0, true);
  const big = view.getBigUint64(0, true);
  if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidDataError(where, 'a length below 2^53', big.toString());
  return Number(big);
}
