/**
 * The interface every simulator implements: a deterministic generator of consecutive
 * SampleBlocks. `read(length)` returns the next `length` samples. The samples depend only on the
 * seed and the sample index, never on how reads are sized, so a stream cut into 1-sample or
 * 1-second blocks carries the same numbers.
 */
import type { SampleBlock, StreamInfo } from '../../core/index.js';

export interface SimulatedDevice {
  readonly info: StreamInfo;
  /** Index of the next sample `read` will return. */
  readonly position: number;
  /** Generates the next `length` samples; `hostTime` is stamped on the block. */
  read(length: number, hostTime: number): SampleBlock;
}
