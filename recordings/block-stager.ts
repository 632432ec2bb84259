/**
 * BlockStager — gathers consecutive SampleBlocks into reusable chunks of `capacity` samples
 * before they cross to another thread, so the acquisition thread neither allocates per block
 * (fresh memory costs page faults) nor posts a message per 1 ms block.
 *
 * Layout contract of a chunk: channel c's sample i is at `data[c * capacity + i]` for
 * `i < length`; `first` is the index of sample 0. A chunk never spans a discontinuity: a block
 * that does not continue the chunk (a gap, or blocks dropped by the caller) starts a new one, and
 * `missing` carries the block's own `gap.missing`. Buffers come back through `recycle` once the
 * receiver is done with them.
 */
import { InvalidOptionError, type Marker, type SampleBlock } from '../core/index.js';
import { copyChannelRows } from './copy-channel-rows.js';

export interface StagedChunk {
  first: number;
  length: number;
  capacity: number;
  data: Float32Array<ArrayBuffer>;
  hostTime: number;
  missing?: number;
  markers?: Marker[];
}

export class BlockStager {
  private readonly pool: Float32Array<ArrayBuffer>[] = [];
  private chunk: StagedChunk | undefined;

  constructor(
    readonly channels: number,
    readonly capacity: number,
    private readonly post: (chunk: StagedChunk) => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new InvalidOptionError('BlockStager capacity', 'a positive integer', capacity);
  }

  /** Copies `block` in, posting every chunk it fills. */
  push(block: SampleBlock): void {
    if (this.chunk && block.first !== this.chunk.first + this.chunk.length) this.flush();
    let offset = 0;
    while (offset < block.length) {
      const chunk = (this.chunk ??= this.open(block.first + offset, offset === 0 ? block.gap?.missing : undefined));
      const n = Math.min(block.length - offset, this.capacity - chunk.length);
      copyChannelRows(block.data, block.length, offset, chunk.data, this.capacity, chunk.length, this.channels, n);
      if (block.markers) {
        const end = block.first + offset + n;
        for (const m of block.markers) if (m.sample >= block.first + offset && m.sample < end) (chunk.markers ??= []).push(m);
      }
      chunk.length += n;
      chunk.hostTime = block.hostTime;
      offset += n;
      if (chunk.length === this.capacity) this.flush();
    }
  }

  /** Posts the chunk being filled, if any. */
  flush(): void {
    const chunk = this.chunk;
    this.chunk = undefined;
    if (chunk && chunk.length > 0) this.post(chunk);
  }

  /** Takes back a buffer the receiver is done with. */
  recycle(buffer: Float32Array<ArrayBuffer>): void {
    if (buffer.length === this.channels * this.capacity) this.pool.push(buffer);
  }

  private open(first: number, missing: number | undefined): StagedChunk {
    const data = this.pool.pop() ?? new Float32Array(this.channels * this.capacity);
    return { first, length: 0, capacity: this.capacity, data, hostTime: 0, ...(missing ? { missing } : {}) };
  }
}
