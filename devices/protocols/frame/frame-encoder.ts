/**
 * Writes frames of the neurostream frame protocol (docs/frame-protocol.md) — used by the emulator,
 * the benchmarks and the tests; a reference for firmware authors.
 */
import { checkInteger, checkNumber, checkOneOf } from '../../../core/index.js';
import { crc32c } from './crc32c.js';
import {
  FRAME_HEADER_BYTES,
  FRAME_MAX_CHANNELS,
  FRAME_MAX_SCANS,
  FRAME_SYNC,
  FRAME_VERSION,
  FrameFormat,
  frameBytes,
} from './frame-constants.js';

export interface FrameEncoderOptions {
  format: FrameFormat;
  channels: number;
  sampleRateHz: number;
  /** µV per count for int16/int24; ignored (written as 1) for float32. */
  scaleUv: number;
}

export class FrameEncoder {
  readonly format: FrameFormat;
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly scaleUv: number;
  private readonly invScale: number;

  constructor(options: FrameEncoderOptions) {
    this.format = checkOneOf('option', 'format', options.format, [FrameFormat.Int16, FrameFormat.Int24, FrameFormat.Float32]);
    this.channels = checkInteger('option', 'channels', options.channels, { min: 1, max: FRAME_MAX_CHANNELS });
    this.sampleRateHz = checkNumber('option', 'sampleRateHz', options.sampleRateHz, { min: 0, exclusiveMin: true, max: 1e6 });
    this.scaleUv =
      this.format === FrameFormat.Float32 ? 1 : checkNumber('option', 'scaleUv', options.scaleUv, { min: 0, exclusiveMin: true });
    this.invScale = 1 / this.scaleUv;
  }

  /** Bytes of a frame of `scans` scans. */
  frameBytes(scans: number): number {
    return frameBytes(this.format, this.channels, scans);
  }

  /**
   * Writes one frame of `scans` scans taken from channel-major µV `data` (channel c at
   * `data[c * stride + offset + s]`) into `out` at `at`; returns the bytes written. Integer
   * formats round to the nearest count and saturate.
   */
  write(
    out: Uint8Array,
    at: number,
    data: Float32Array,
    stride: number,
    offset: number,
    scans: number,
    sequence: number,
    timestampUs: bigint,
  ): number {
    checkInteger('option', 'scans', scans, { min: 1, max: FRAME_MAX_SCANS });
    const C = this.channels;
    const view = new DataView(out.buffer, out.byteOffset + at);
    out.set(FRAME_SYNC, at);
    view.setUint8(4, FRAME_VERSION);
    view.setUint8(5, this.format);
    view.setUint16(6, C, true);
    view.setUint16(8, scans, true);
    view.setUint16(10, 0, true);
    view.setUint32(12, sequence >>> 0, true);
    view.setBigUint64(16, timestampUs, true);
    view.setFloat32(24, this.sampleRateHz, true);
    view.setFloat32(28, this.scaleUv, true);
    let p = at + FRAME_HEADER_BYTES;
    const inv = this.invScale;
    if (this.format === FrameFormat.Float32) {
      for (let s = 0; s < scans; s++) {
        for (let c = 0; c < C; c++, p += 4) view.setFloat32(p - at, data[c * stride + offset + s]!, true);
      }
    } else if (this.format === FrameFormat.Int16) {
      for (let s = 0; s < scans; s++) {
        for (let c = 0; c < C; c++, p += 2) {
          let v = Math.floor(data[c * stride + offset + s]! * inv + 0.5);
          v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
          out[p] = v & 0xff;
          out[p + 1] = (v >> 8) & 0xff;
        }
      }
    } else {
      for (let s = 0; s < scans; s++) {
        for (let c = 0; c < C; c++, p += 3) {
          let v = Math.floor(data[c * stride + offset + s]! * inv + 0.5);
          v = v > 8388607 ? 8388607 : v < -8388608 ? -8388608 : v;
          out[p] = v & 0xff;
          out[p + 1] = (v >> 8) & 0xff;
          out[p + 2] = (v >> 16) & 0xff;
        }
      }
    }
    view.setUint32(p - at, crc32c(out, at, p), true);
    return p + 4 - at;
  }

  /**
   * Gives the frame of `scans` scans at `at` in `out` (written by `write`) another sequence number
   * and timestamp, and its CRC anew: a recorded frame sent again as a new one.
   */
  renumber(out: Uint8Array, at: number, scans: number, sequence: number, timestampUs: bigint): void {
    const size = this.frameBytes(scans);
    const view = new DataView(out.buffer, out.byteOffset + at, size);
    view.setUint32(12, sequence >>> 0, true);
    view.setBigUint64(16, timestampUs, true);
    view.setUint32(size - 4, crc32c(out, at, at + size - 4), true);
  }
}
