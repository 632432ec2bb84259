/**
 * BlockAssembler — turns samples decoded one at a time (or a frame's worth at a time) into
 * channel-major SampleBlocks of a target length, for importers. A gap ends the block being built;
 * the next block carries `gap: { missing }`. Markers added for the sample being written travel in
 * the block that holds it.
 *
 * Writing: `reserve(n)` returns the column of the first of n new samples; write channel c of
 * sample k at `staging[c * stride + column + k]`, then `commit(n)`. Nothing is allocated per
 * sample: the staging buffer is reused and each block gets one new array, as blocks are immutable.
 *
 * `hostTime` of an imported block is not an arrival time (there was none): it is the time of the
 * block's end on the stream's own clock, `(first + length) × 1000 / rate` ms — monotonic and
 * reproducible.
 */
import { type Marker, type SampleBlock, type StreamInfo, channelCount, createSampleBlock } from '../../core/index.js';

export class BlockAssembler {
  readonly info: StreamInfo;
  private readonly channels: number;
  private readonly sink: ((block: SampleBlock) => void) | null;
  private capacity: number;
  private buffer: Float32Array;
  private staged = 0;
  private nextSample = 0;
  private pendingGap = 0;
  private markers: Marker[] = [];

  /**
   * `sink` receives each finished block (null: only count — nothing is copied or created);
   * `blockLength` is the target samples per block.
   */
  constructor(info: StreamInfo, blockLength: number, sink: ((block: SampleBlock) => void) | null) {
    this.info = info;
    this.channels = channelCount(info);
    this.sink = sink;
    this.capacity = Math.max(1, Math.floor(blockLength));
    this.buffer = new Float32Array(this.channels * this.capacity);
  }

  /** Stream index of the next sample to be written. */
  get next(): number {
    return this.nextSample;
  }

  /** The staging buffer (valid until the next `reserve`). */
  get staging(): Float32Array {
    return this.buffer;
  }

  /** Distance between channels in `staging`. */
  get stride(): number {
    return this.capacity;
  }

  /** `missing` samples were lost before the next one: ends the current block. */
  gap(missing: number): void {
    if (missing <= 0) return;
    this.flush();
    this.pendingGap += missing;
    this.nextSample += missing;
  }

  /** Room for n samples; returns the column of the first. */
  reserve(n: number): number {
    if (this.staged + n > this.capacity) this.flush();
    if (n > this.capacity) {
      this.capacity = n;
      this.buffer = new Float32Array(this.channels * n);
    }
    return this.staged;
  }

  /** A marker on a sample of the current block (normally the one being written, `next`). */
  mark(marker: Marker): void {
    this.markers.push(marker);
  }

  /** The n reserved samples are written; a full block is emitted. */
  commit(n: number): void {
    this.staged += n;
    this.nextSample += n;
    if (this.staged >= this.capacity) this.flush();
  }

  /** Emits the samples staged so far as a block (nothing if none). */
  flush(): void {
    const length = this.staged;
    if (length === 0) return;
    if (!this.sink) {
      this.staged = 0;
      this.pendingGap = 0;
      this.markers = [];
      return;
    }
    const C = this.channels;
    const stride = this.capacity;
    const data = new Float32Array(C * length);
    for (let c = 0; c < C; c++) data.set(this.buffer.subarray(c * stride, c * stride + length), c * length);
    const end = this.nextSample;
    const block = createSampleBlock({
      info: this.info,
      first: end - length,
      length,
      data,
      hostTime: (end * 1000) / this.info.sampleRateHz,
      ...(this.pendingGap > 0 ? { gap: { missing: this.pendingGap } } : {}),
      ...(this.markers.length > 0 ? { markers: this.markers } : {}),
    });
    this.staged = 0;
    this.pendingGap = 0;
    this.markers = [];
    this.sink(block);
  }
}
