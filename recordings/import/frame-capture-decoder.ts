/**
 * FrameCaptureDecoder — the bytes of a neurostream frame-protocol capture (docs/frame-protocol.md)
 * → samples on a BlockAssembler, as the live driver (devices/drivers/frame-source.ts) places
 * them: a frame's first sample is its device timestamp × rate (rounded), so lost frames leave
 * gaps of exactly the samples missing. The stream's sample 0 is the first frame's first sample
 * (`origin`, the device's own sample number, is kept for the notes).
 *
 * The first frame fixes the shape (channels, format, rate, scale); a frame that changes it is an
 * error, as live. A device clock that goes backwards (a restart) continues the stream right after
 * the last sample: the driver measures the time away on the host's clock, which a capture lacks,
 * so no gap can be stated — `restarts` counts these and the importer notes them.
 */
import { InvalidDataError } from '../../core/index.js';
import { FrameParser, type FrameView, decodeFrame } from '../../devices/protocols/frame/frame-parser.js';
import type { BlockAssembler } from '../../core/block-assembler.js';

export interface FrameShape {
  channels: number;
  format: number;
  sampleRateHz: number;
  scaleUv: number;
}

export function describeShape(s: FrameShape): string {
  const name = s.format === 1 ? 'int16' : s.format === 2 ? 'int24' : 'float32';
  return `${s.channels} channels, ${name}, ${s.sampleRateHz} Hz, ${s.scaleUv} µV/count`;
}

export class FrameCaptureDecoder {
  readonly parser: FrameParser;
  /** The first frame's shape and device sample number, once seen. */
  shape: FrameShape | null = null;
  origin = 0;
  /** Frames after which the device clock went back. */
  restarts: { frame: number; sample: number }[] = [];
  private readonly source: string;
  private readonly assembler: (first: FrameShape) => BlockAssembler | null;
  private target: BlockAssembler | null = null;
  private offset = 0;
  private nextSample = 0;
  private frames = 0;

  /** `assembler` is asked for the assembler when the first frame's shape is known. */
  constructor(source: string, assembler: (first: FrameShape) => BlockAssembler | null, maxFrameBytes?: number) {
    this.source = source;
    this.assembler = assembler;
    this.parser = new FrameParser({ onFrame: (f) => this.onFrame(f), ...(maxFrameBytes ? { maxFrameBytes } : {}) });
  }

  push(chunk: Uint8Array): void {
    this.parser.push(chunk);
  }

  end(): void {
    this.target?.flush();
  }

  /** Samples placed so far, gaps included. */
  get samples(): number {
    return this.nextSample;
  }

  private onFrame(f: FrameView): void {
    const frameNo = ++this.frames;
    if (!(f.sampleRateHz > 0 && f.sampleRateHz <= 1e6) || !Number.isFinite(f.scaleUv) || f.scaleUv === 0) {
      throw new InvalidDataError(
        `${this.source}: frame ${frameNo} (sequence ${f.sequence}) header`,
        'a sample rate in (0, 1 MHz] and a non-zero scale',
        `${f.sampleRateHz} Hz and ${f.scaleUv} µV/count`,
      );
    }
    const shape: FrameShape = { channels: f.channels, format: f.format, sampleRateHz: f.sampleRateHz, scaleUv: f.scaleUv };
    const deviceSample = Math.round((Number(f.timestampUs) * f.sampleRateHz) / 1e6);
    if (!this.shape) {
      this.shape = shape;
      this.origin = deviceSample;
      this.offset = -deviceSample;
      this.target = this.assembler(shape);
    } else if (describeShape(shape) !== describeShape(this.shape)) {
      throw new InvalidDataError(
        `${this.source}: frame ${frameNo} (sequence ${f.sequence})`,
        `the stream's shape, ${describeShape(this.shape)}`,
        describeShape(shape),
      );
    }
    let index = deviceSample + this.offset;
    if (index < this.nextSample) {
      this.restarts.push({ frame: frameNo, sample: this.nextSample });
      this.offset = this.nextSample - deviceSample;
      index = this.nextSample;
    }
    const missing = index - this.nextSample;
    const a = this.target;
    if (a) {
      a.gap(missing);
      const col = a.reserve(f.scans);
      decodeFrame(f, a.staging, a.stride, col);
      a.commit(f.scans);
    }
    this.nextSample = index + f.scans;
  }
}
