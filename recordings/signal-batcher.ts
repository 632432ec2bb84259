/**
 * SignalBatcher — gathers SampleBlocks of any size into record-batch columns of a fixed capacity
 * (a batch's worth of time), without allocating per block.
 *
 * Layout contract: while filling, channel c's row r lives at `data[c * capacity + r]` and its
 * sample index at `samples[r]`. `take()` compacts the rows to `data[c * rows + r]` (channel-major
 * for exactly `rows` rows, the layout `signalsBatch` expects) and hands the arrays out until the
 * next `append`; they are reused afterwards, so the batch must be written before appending again.
 */
import { copyChannelRows } from '../core/copy-channel-rows.js';
import { InvalidDataError, channelCount, type SampleBlock, type StreamInfo } from '../core/index.js';

export class SignalBatcher {
  readonly capacity: number;
  readonly channels: number;
  private readonly samples: BigInt64Array;
  /** The same memory as `samples`, as little-endian 32-bit halves: indices written without BigInts. */
  private readonly sampleWords: Uint32Array;
  private readonly data: Float32Array;
  private rows = 0;

  constructor(info: StreamInfo, capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidDataError('SignalBatcher capacity', 'a positive integer', capacity);
    this.capacity = capacity;
    this.channels = channelCount(info);
    this.samples = new BigInt64Array(capacity);
    this.sampleWords = new Uint32Array(this.samples.buffer);
    this.data = new Float32Array(this.channels * capacity);
  }

  get length(): number {
    return this.rows;
  }

  get full(): boolean {
    return this.rows === this.capacity;
  }

  /**
   * Copies rows `[offset, offset + count)` of `block` in; returns how many fitted (the caller
   * takes the batch when full and appends the rest).
   */
  append(block: SampleBlock, offset: number, count: number): number {
    const n = Math.min(count, this.capacity - this.rows);
    const { data, length } = block;
    const r = this.rows;
    copyChannelRows(data, length, offset, this.data, this.capacity, r, this.channels, n);
    const first = block.first + offset;
    const words = this.sampleWords;
    for (let i = 0; i < n; i++) {
      const index = first + i; // < 2^53
      words[2 * (r + i)] = index >>> 0;
      words[2 * (r + i) + 1] = Math.floor(index / 4294967296);
    }
    this.rows += n;
    return n;
  }

  /** The gathered rows, channel-major for exactly `length` rows; empties the batcher. */
  take(): { samples: BigInt64Array; data: Float32Array; length: number } {
    const rows = this.rows;
    if (rows < this.capacity) {
      for (let c = 1; c < this.channels; c++) this.data.copyWithin(c * rows, c * this.capacity, c * this.capacity + rows);
    }
    this.rows = 0;
    return { samples: this.samples.subarray(0, rows), data: this.data.subarray(0, this.channels * rows), length: rows };
  }
}
