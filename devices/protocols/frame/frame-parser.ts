/**
 * FrameParser — an incremental state machine for the neurostream frame protocol
 * (docs/frame-protocol.md): bytes in any chunking → validated frames.
 *
 * States: SYNC (matching the 4-byte sync word) → HEADER (32 bytes, checked field by field) →
 * BODY (payload and CRC, copied in bulk). A bad header or CRC rejects the candidate: its first
 * byte is skipped and every byte after it is scanned again, so a good frame that began inside a
 * damaged one is found. Skipped bytes, CRC errors, bad headers and frames missing (from the
 * sequence number) are counted in `stats`. The sequence number is covered by the CRC, so it is
 * never taken from a damaged frame: a corrupt frame is rejected whole (its samples are a gap).
 * Frames missing between two good ones are told apart: where about a frame's worth of bytes
 * arrived but was skipped (a damaged frame), it is counted corrupt; the rest never arrived and
 * are counted lost.
 *
 * `onFrame` receives a reused FrameView: read or decode it inside the callback.
 */
import { checkInteger } from '../../../core/index.js';
import { crc32c } from './crc32c.js';
import {
  FRAME_DEFAULT_MAX_BYTES,
  FRAME_HEADER_BYTES,
  FRAME_MAX_CHANNELS,
  FRAME_MAX_SCANS,
  FRAME_SYNC,
  FRAME_VERSION,
  FrameFormat,
  frameBytes,
} from './frame-constants.js';

export interface FrameView {
  sequence: number;
  /** Device time of the first scan, µs. */
  timestampUs: bigint;
  format: FrameFormat;
  channels: number;
  scans: number;
  sampleRateHz: number;
  scaleUv: number;
  /** Frames lost immediately before this one, from the sequence number. */
  lostBefore: number;
  /** The whole frame (header, payload, CRC). */
  bytes: Uint8Array;
}

export interface FrameParserStats {
  frames: number;
  skippedBytes: number;
  crcErrors: number;
  badHeaders: number;
  /** Frames that never arrived, from the sequence number (less those counted corrupt). */
  lostFrames: number;
  /** Frames missing from the sequence whose bytes arrived damaged (rejected or unrecognisable). */
  corruptFrames: number;
  /** Times the sequence number went backwards (a device restart). */
  sequenceRestarts: number;
}

export interface FrameParserOptions {
  onFrame: (frame: FrameView) => void;
  /** Largest frame accepted, bytes. Default 4 MiB. */
  maxFrameBytes?: number;
}

const enum State {
  Sync,
  Header,
  Body,
}

export class FrameParser {
  readonly stats: FrameParserStats = { frames: 0, skippedBytes: 0, crcErrors: 0, badHeaders: 0, lostFrames: 0, corruptFrames: 0, sequenceRestarts: 0 };
  private readonly onFrame: (frame: FrameView) => void;
  private readonly maxFrameBytes: number;
  private state = State.Sync;
  private matched = 0;
  private frame = new Uint8Array(4096);
  private have = 0;
  private frameLength = 0;
  private replay: Uint8Array | null = null;
  private lastSequence = -1;
  /** Length of the last good frame, and the skipped-byte count when it ended. */
  private lastFrameBytes = 0;
  private skippedAtLastFrame = 0;
  private readonly view: FrameView = {
    sequence: 0,
    timestampUs: 0n,
    format: FrameFormat.Int16,
    channels: 0,
    scans: 0,
    sampleRateHz: 0,
    scaleUv: 0,
    lostBefore: 0,
    bytes: new Uint8Array(0),
  };

  constructor(options: FrameParserOptions) {
    this.onFrame = options.onFrame;
    this.maxFrameBytes = checkInteger('option', 'maxFrameBytes', options.maxFrameBytes ?? FRAME_DEFAULT_MAX_BYTES, {
      min: FRAME_HEADER_BYTES + 8,
      max: 256 * 1024 * 1024,
    });
  }

  /** Bytes held in an incomplete frame or sync match. */
  get bufferedBytes(): number {
    return this.state === State.Sync ? this.matched : this.have;
  }

  /** Forget the sequence number and any partial frame (the link was reopened: a new byte stream). */
  reset(): void {
    this.lastSequence = -1;
    this.skippedAtLastFrame = this.stats.skippedBytes;
    this.state = State.Sync;
    this.matched = 0;
    this.have = 0;
  }

  push(chunk: Uint8Array): void {
    let data = chunk;
    let pos = 0;
    // Rejected candidates are scanned again before the rest of the data that followed them.
    const suspended: { data: Uint8Array; pos: number }[] = [];
    for (;;) {
      pos = this.consume(data, pos);
      const replay = this.replay;
      if (replay) {
        this.replay = null;
        suspended.push({ data, pos });
        data = replay;
        pos = 0;
        continue;
      }
      const next = suspended.pop();
      if (!next) return;
      data = next.data;
      pos = next.pos;
    }
  }

  /** Consumes data from pos until its end or a rejected candidate; returns the position reached. */
  private consume(data: Uint8Array, pos: number): number {
    const end = data.length;
    while (pos < end) {
      if (this.state === State.Sync) {
        const b = data[pos++]!;
        if (b === FRAME_SYNC[this.matched]) {
          if (++this.matched === FRAME_SYNC.length) {
            this.frame.set(FRAME_SYNC, 0);
            this.have = FRAME_SYNC.length;
            this.matched = 0;
            this.state = State.Header;
          }
        } else {
          // The sync word has no self-overlap: the bytes matched so far are skipped.
          this.stats.skippedBytes += this.matched;
          if (b === FRAME_SYNC[0]) {
            this.matched = 1;
          } else {
            this.matched = 0;
            this.stats.skippedBytes++;
          }
        }
        continue;
      }
      const target = this.state === State.Header ? FRAME_HEADER_BYTES : this.frameLength;
      const n = Math.min(target - this.have, end - pos);
      this.frame.set(data.subarray(pos, pos + n), this.have);
      this.have += n;
      pos += n;
      if (this.have < target) continue;
      if (this.state === State.Header) {
        const length = this.checkHeader();
        if (length < 0) {
          this.stats.badHeaders++;
          this.reject();
          return pos;
        }
        this.frameLength = length;
        if (this.frame.length < length) {
          const bigger = new Uint8Array(Math.max(length, 2 * this.frame.length));
          bigger.set(this.frame.subarray(0, this.have));
          this.frame = bigger;
        }
        this.state = State.Body;
        continue;
      }
      // Body complete: check the CRC.
      const L = this.frameLength;
      const f = this.frame;
      const stored = (f[L - 4]! | (f[L - 3]! << 8) | (f[L - 2]! << 16) | (f[L - 1]! << 24)) >>> 0;
      if (crc32c(f, 0, L - 4) !== stored) {
        this.stats.crcErrors++;
        this.reject();
        return pos;
      }
      this.emit();
      this.state = State.Sync;
      this.have = 0;
    }
    return pos;
  }

  /** Validates the header in frame[0..32); returns the frame length, or −1 if invalid. */
  private checkHeader(): number {
    const f = this.frame;
    const version = f[4]!;
    const format = f[5]!;
    const channels = f[6]! | (f[7]! << 8);
    const scans = f[8]! | (f[9]! << 8);
    if (version !== FRAME_VERSION) return -1;
    if (format !== FrameFormat.Int16 && format !== FrameFormat.Int24 && format !== FrameFormat.Float32) return -1;
    if (channels < 1 || channels > FRAME_MAX_CHANNELS || scans < 1 || scans > FRAME_MAX_SCANS) return -1;
    const length = frameBytes(format as FrameFormat, channels, scans);
    return length > this.maxFrameBytes ? -1 : length;
  }

  private reject(): void {
    this.stats.skippedBytes++;
    this.replay = this.frame.slice(1, this.have);
    this.state = State.Sync;
    this.matched = 0;
    this.have = 0;
  }

  private emit(): void {
    const f = this.frame;
    const dv = new DataView(f.buffer, f.byteOffset, FRAME_HEADER_BYTES);
    const v = this.view;
    const sequence = dv.getUint32(12, true);
    let lost = 0;
    if (this.lastSequence >= 0) {
      lost = (sequence - this.lastSequence - 1) >>> 0;
      if (lost >= 0x80000000) {
        this.stats.sequenceRestarts++;
        lost = 0;
      }
    }
    this.lastSequence = sequence;
    this.stats.frames++;
    // Bytes skipped since the last good frame: about one frame's worth per damaged frame.
    const damaged = this.lastFrameBytes > 0 ? Math.min(lost, Math.round((this.stats.skippedBytes - this.skippedAtLastFrame) / this.lastFrameBytes)) : 0;
    this.stats.corruptFrames += damaged;
    this.stats.lostFrames += lost - damaged;
    this.lastFrameBytes = this.frameLength;
    this.skippedAtLastFrame = this.stats.skippedBytes;
    v.sequence = sequence;
    v.timestampUs = dv.getBigUint64(16, true);
    v.format = f[5]! as FrameFormat;
    v.channels = dv.getUint16(6, true);
    v.scans = dv.getUint16(8, true);
    v.sampleRateHz = dv.getFloat32(24, true);
    v.scaleUv = dv.getFloat32(28, true);
    v.lostBefore = lost;
    v.bytes = f.subarray(0, this.frameLength);
    this.onFrame(v);
  }
}

/**
 * Decodes a frame's payload into channel-major µV: channel c, scan s → out[c * stride + offset + s].
 */
export function decodeFrame(frame: FrameView, out: Float32Array, stride: number, offset: number): void {
  const C = frame.channels;
  const S = frame.scans;
  const b = frame.bytes;
  const scale = frame.scaleUv;
  let p = FRAME_HEADER_BYTES;
  if (frame.format === FrameFormat.Int16) {
    for (let s = 0; s < S; s++) {
      for (let c = 0; c < C; c++, p += 2) {
        const v = b[p]! | (b[p + 1]! << 8);
        out[c * stride + offset + s] = (v & 0x8000 ? v - 0x10000 : v) * scale;
      }
    }
  } else if (frame.format === FrameFormat.Int24) {
    for (let s = 0; s < S; s++) {
      for (let c = 0; c < C; c++, p += 3) {
        const v = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
        out[c * stride + offset + s] = (v & 0x800000 ? v - 0x1000000 : v) * scale;
      }
    }
  } else {
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    for (let s = 0; s < S; s++) {
      for (let c = 0; c < C; c++, p += 4) out[c * stride + offset + s] = dv.getFloat32(p, true);
    }
  }
}
