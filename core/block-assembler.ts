/**
 * BlockAssembler — the one place where samples are staged into channel-major blocks: a device
 * driver or a capture importer writes the samples it decodes one at a time (or a frame's worth at
 * a time), the recorder appends whole blocks on their way to its worker thread.
 *
 * Writing samples: `reserve(n)` returns the column of the first of n new samples; write channel c
 * of sample k at `staging[c * stride + column + k]`, then `commit(n)`. Appending blocks:
 * `push(block)` copies a block's samples (and its markers) in, starting a new block wherever the
 * stream does not continue. Nothing is allocated per sample: the staging buffer is reused.
 *
 * A block never spans a discontinuity: `gap(missing)` ends the block being built, and the next
 * one carries `gap: { missing }`. Markers added with `mark` travel in the block that holds their
 * sample.
 *
 * Two outputs:
 * - SampleBlocks (`sink`): each block gets one new, compact array, as blocks are immutable
 *   (`null`: only count — nothing is copied or created);
 * - staged chunks (`{ chunks }`): the staging buffer itself is handed over (channel c's sample i
 *   at `data[c * capacity + i]`, `i < length`) and comes back through `recycle` once the receiver
 *   is done with it — for crossing to another thread without allocating per block.
 *
 * `hostTime`: by default the time of the block's end on the stream's own clock,
 * `(first + length) × 1000 / rate` ms — monotonic and reproducible, for sources with no arrival
 * times (files). A live source passes `{ hostTime: 'arrival' }` and sets `arrivalMs` (when its
 * bytes arrived); `push` sets it to each block's own `hostTime`.
 */
import { copyChannelRows } from './copy-channel-rows.js';
import { InvalidOptionError } from './errors.js';
import type { Marker } from './marker.js';
import { type SampleBlock, createSampleBlock } from './sample-block.js';
import { type StreamInfo, channelCount } from './stream-info.js';

/** A block handed over with its staging buffer (the chunk output). */
export interface StagedChunk {
  first: number;
  length: number;
  /** Distance between channels in `data`. */
  capacity: number;
  data: Float32Array<ArrayBuffer>;
  hostTime: number;
  missing?: number;
  markers?: Marker[];
}

/** Where finished blocks go: SampleBlocks to a sink (null: only count), or staged chunks. */
export type BlockAssemblerOutput = ((block: SampleBlock) => void) | null | { chunks: (chunk: StagedChunk) => void };

export interface BlockAssemblerOptions {
  /** `'stream'` (default): a block's end on the stream clock; `'arrival'`: `arrivalMs` when it was emitted. */
  hostTime?: 'stream' | 'arrival';
  /**
   * A block ends only at `flush()` or a gap, however long: the staging grows to hold it (a live
   * driver's one block per read). Default false: a block is emitted when `blockLength` are staged.
   */
  grow?: boolean;
}

export class BlockAssembler {
  readonly info: StreamInfo;
  readonly channels: number;
  /** When the bytes being decoded arrived, ms (`hostTime: 'arrival'`). */
  arrivalMs = 0;
  private readonly sink: ((block: SampleBlock) => void) | null;
  private readonly chunks: ((chunk: StagedChunk) => void) | null;
  private readonly arrival: boolean;
  private readonly grow: boolean;
  private readonly pool: Float32Array<ArrayBuffer>[] = [];
  private capacity: number;
  private buffer: Float32Array<ArrayBuffer>;
  private staged = 0;
  private nextSample = 0;
  private pendingGap = 0;
  private markers: Marker[] = [];

  /** `blockLength`: the samples per block (the initial staging with `grow`), a positive integer. */
  constructor(info: StreamInfo, blockLength: number, output: BlockAssemblerOutput, options: BlockAssemblerOptions = {}) {
    if (!Number.isInteger(blockLength) || blockLength < 1) throw new InvalidOptionError('BlockAssembler blockLength', 'a positive integer', blockLength);
    this.info = info;
    this.channels = channelCount(info);
    this.sink = typeof output === 'function' ? output : null;
    this.chunks = output !== null && typeof output === 'object' ? output.chunks : null;
    this.arrival = options.hostTime === 'arrival';
    this.grow = options.grow === true;
    this.capacity = blockLength;
    this.buffer = new Float32Array(this.channels * blockLength);
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
    if (this.staged + n > this.capacity) {
      if (this.grow) {
        const capacity = Math.max(2 * this.capacity, this.staged + n);
        const bigger = new Float32Array(this.channels * capacity);
        copyChannelRows(this.buffer, this.capacity, 0, bigger, capacity, 0, this.channels, this.staged);
        this.buffer = bigger;
        this.capacity = capacity;
        return this.staged;
      }
      this.flush();
    }
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

  /** The n reserved samples are written; a full block is emitted (unless `grow`). */
  commit(n: number): void {
    this.staged += n;
    this.nextSample += n;
    if (!this.grow && this.staged >= this.capacity) this.flush();
  }

  /**
   * Appends a block's samples and markers. A block that does not continue the stream (a gap, or
   * blocks left out by the caller) starts a new block, which carries the block's own
   * `gap.missing` (none for blocks left out: they are not the device's loss).
   */
  push(block: SampleBlock): void {
    if (block.first !== this.nextSample || (block.gap && this.staged === 0)) {
      this.flush();
      this.nextSample = block.first;
      this.pendingGap = block.gap?.missing ?? 0;
    }
    this.arrivalMs = block.hostTime;
    let offset = 0;
    while (offset < block.length) {
      const n = Math.min(block.length - offset, this.grow ? block.length - offset : this.capacity - this.staged);
      const column = this.reserve(n);
      copyChannelRows(block.data, block.length, offset, this.buffer, this.capacity, column, this.channels, n);
      if (block.markers) {
        const from = block.first + offset;
        for (const m of block.markers) if (m.sample >= from && m.sample < from + n) this.markers.push(m);
      }
      offset += n;
      this.commit(n);
    }
  }

  /** Emits the samples staged so far as a block (nothing if none). */
  flush(): void {
    const length = this.staged;
    if (length === 0) return;
    const end = this.nextSample;
    const hostTime = this.arrival ? this.arrivalMs : (end * 1000) / this.info.sampleRateHz;
    const missing = this.pendingGap;
    const markers = this.markers;
    this.staged = 0;
    this.pendingGap = 0;
    this.markers = [];
    if (this.chunks) {
      const data = this.buffer;
      this.chunks({
        first: end - length,
        length,
        capacity: this.capacity,
        data,
        hostTime,
        ...(missing > 0 ? { missing } : {}),
        ...(markers.length > 0 ? { markers } : {}),
      });
      // After the hand-over, so a buffer the receiver gave back at once is reused.
      this.buffer = this.pool.pop() ?? new Float32Array(this.channels * this.capacity);
      return;
    }
    if (!this.sink) return;
    const C = this.channels;
    const data = new Float32Array(C * length);
    copyChannelRows(this.buffer, this.capacity, 0, data, length, 0, C, length);
    this.sink(
      createSampleBlock({
        info: this.info,
        first: end - length,
        length,
        data,
        hostTime,
        ...(missing > 0 ? { gap: { missing } } : {}),
        ...(markers.length > 0 ? { markers } : {}),
      }),
    );
  }

  /** Takes back a chunk's buffer the receiver is done with (chunk output). */
  recycle(buffer: Float32Array<ArrayBuffer>): void {
    if (buffer.length === this.channels * this.capacity) this.pool.push(buffer);
  }
}
