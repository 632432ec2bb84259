/**
 * XDF 1.0 chunk encoders — the byte layout LabRecorder's xdfwriter writes (see
 * xdf-chunk-parser.ts for the layout): lengths as variable-length integers of 1, 4 or 8 bytes
 * (the smallest that holds them), little-endian values, a time stamp on every sample (flag 8) or
 * deduced (flag 0, `null` stamp). Pure: each function returns the chunk's bytes.
 */
import { InvalidDataError } from '../../../core/index.js';
import { XDF_FORMAT_BYTES, type XdfFormat } from './xdf-chunk-parser.js';

/** "XDF:" — the file's first four bytes. */
export const XDF_MAGIC = new Uint8Array([0x58, 0x44, 0x46, 0x3a]);

/** The Boundary chunk's UUID (pyxdf scans for it to resynchronise). */
export const XDF_BOUNDARY_UUID = new Uint8Array([0x43, 0xa5, 0x46, 0xdc, 0xcb, 0xf5, 0x41, 0x0f, 0xb3, 0x0e, 0xd5, 0x46, 0x73, 0x83, 0xcb, 0xe4]);

const utf8 = new TextEncoder();

/** A variable-length integer: [1|4|8][the value in that many bytes]. */
export function varlen(value: number): Uint8Array {
  if (value < 256) return new Uint8Array([1, value]);
  if (value < 2 ** 32) {
    const out = new Uint8Array(5);
    out[0] = 4;
    new DataView(out.buffer).setUint32(1, value, true);
    return out;
  }
  const out = new Uint8Array(9);
  out[0] = 8;
  new DataView(out.buffer).setBigUint64(1, BigInt(value), true);
  return out;
}

function join(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** [varlen length][tag uint16][stream id uint32, for tags 2, 3, 4, 6][content]. */
export function chunk(tag: number, content: Uint8Array, streamId?: number): Uint8Array {
  const head = new Uint8Array(streamId === undefined ? 2 : 6);
  const view = new DataView(head.buffer);
  view.setUint16(0, tag, true);
  if (streamId !== undefined) view.setUint32(2, streamId, true);
  return join([varlen(head.length + content.length), head, content]);
}

export function fileHeaderChunk(xml: string): Uint8Array {
  return chunk(1, utf8.encode(xml));
}

export function streamHeaderChunk(streamId: number, xml: string): Uint8Array {
  return chunk(2, utf8.encode(xml), streamId);
}

export function streamFooterChunk(streamId: number, xml: string): Uint8Array {
  return chunk(6, utf8.encode(xml), streamId);
}

export function clockOffsetChunk(streamId: number, collectionTime: number, offsetValue: number): Uint8Array {
  const content = new Uint8Array(16);
  const view = new DataView(content.buffer);
  view.setFloat64(0, collectionTime, true);
  view.setFloat64(8, offsetValue, true);
  return chunk(4, content, streamId);
}

export function boundaryChunk(): Uint8Array {
  return chunk(5, XDF_BOUNDARY_UUID);
}

/**
 * A Samples chunk: `stamps[k]` (null: deduced from the previous one and the nominal rate) and
 * `values` sample-major, `channels` per sample, in `format` (int64 as bigint, strings as text).
 */
export function samplesChunk(streamId: number, format: XdfFormat, channels: number, stamps: readonly (number | null)[], values: ArrayLike<number | bigint | string>): Uint8Array {
  const n = stamps.length;
  if (values.length !== n * channels) throw new InvalidDataError('XDF samples', `${n * channels} values (${n} samples × ${channels} channels)`, values.length);
  const parts: Uint8Array[] = [varlen(n)];
  const size = format === 'string' ? 0 : XDF_FORMAT_BYTES[format];
  for (let k = 0; k < n; k++) {
    const stamp = stamps[k];
    if (stamp === null || stamp === undefined) parts.push(new Uint8Array([0]));
    else {
      const s = new Uint8Array(9);
      s[0] = 8;
      new DataView(s.buffer).setFloat64(1, stamp, true);
      parts.push(s);
    }
    if (format === 'string') {
      for (let c = 0; c < channels; c++) {
        const text = utf8.encode(String(values[k * channels + c]));
        parts.push(varlen(text.length), text);
      }
      continue;
    }
    const row = new Uint8Array(size * channels);
    const view = new DataView(row.buffer);
    for (let c = 0; c < channels; c++) {
      const v = values[k * channels + c]!;
      const at = c * size;
      switch (format) {
        case 'float32':
          view.setFloat32(at, Number(v), true);
          break;
        case 'double64':
          view.setFloat64(at, Number(v), true);
          break;
        case 'int8':
          view.setInt8(at, Number(v));
          break;
        case 'int16':
          view.setInt16(at, Number(v), true);
          break;
        case 'int32':
          view.setInt32(at, Number(v), true);
          break;
        case 'int64':
          view.setBigInt64(at, typeof v === 'bigint' ? v : BigInt(v), true);
          break;
      }
    }
    parts.push(row);
  }
  return chunk(3, join(parts), streamId);
}

/** Concatenates chunks (and the magic) into one byte array. */
export function xdfBytes(chunks: Uint8Array[]): Uint8Array {
  return join([XDF_MAGIC, ...chunks]);
}
