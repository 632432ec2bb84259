/**
 * SampleBlock — consecutive samples of every channel of one stream.
 *
 * Layout contract (channel-major, "planar"): `data.length === channelCount(info) * length`, and
 * channel `c` is `data.subarray(c * length, (c + 1) * length)`, in the unit `info.units[c]`.
 * `first` is the index of the block's first sample since stream start: the sample index, not wall
 * time, is the stream's clock. A gap is explicit: `gap.missing` samples were lost immediately
 * before this block (so `first` of this block = previous block's end + missing). `hostTime` is
 * when the last byte of the block arrived (ms, monotonic — see clock.ts).
 *
 * `markers` (an extension of DESIGN.md's block, optional) carries the Markers whose `sample` falls
 * inside the block, in sample order: events travel in step with the samples they belong to, so
 * every stage downstream sees them aligned without a second stream to merge.
 *
 * Blocks are frozen and never mutated after emission; a stage that changes data writes new arrays.
 */
import { InvalidDataError } from './errors.js';
import type { Marker } from './marker.js';
import { channelCount, type StreamInfo } from './stream-info.js';
import { checkInteger, checkNumber } from './validate.js';

export interface SampleGap {
  /** Samples lost immediately before this block. */
  readonly missing: number;
}

export interface SampleBlock {
  readonly info: StreamInfo;
  readonly first: number;
  readonly length: number;
  readonly data: Float32Array;
  readonly hostTime: number;
  readonly gap?: SampleGap;
  readonly markers?: readonly Marker[];
}

/** What `createSampleBlock` takes: a SampleBlock before validation. */
export type SampleBlockInit = SampleBlock;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Validates and freezes a SampleBlock (the typed array itself is not copied). */
export function createSampleBlock(init: SampleBlockInit): SampleBlock {
  const { info, data } = init;
  const first = checkInteger('data', 'SampleBlock.first', init.first, { min: 0 });
  const length = checkInteger('data', 'SampleBlock.length', init.length, { min: 1 });
  if (!(data instanceof Float32Array)) {
    throw new InvalidDataError('SampleBlock.data', 'a Float32Array', data);
  }
  const expected = channelCount(info) * length;
  if (data.length !== expected) {
    throw new InvalidDataError(
      'SampleBlock.data',
      `${expected} values (${channelCount(info)} channels × ${length} samples, channel-major)`,
      data,
    );
  }
  const hostTime = checkNumber('data', 'SampleBlock.hostTime', init.hostTime);
  const block: Mutable<SampleBlock> = { info, first, length, data, hostTime };
  if (init.gap !== undefined) {
    checkInteger('data', 'SampleBlock.gap.missing', init.gap.missing, { min: 1 });
    if (init.gap.missing > first) {
      throw new InvalidDataError('SampleBlock.gap.missing', `at most first (${first})`, init.gap.missing);
    }
    block.gap = Object.freeze({ missing: init.gap.missing });
  }
  if (init.markers !== undefined && init.markers.length > 0) {
    let previous = first;
    init.markers.forEach((m, i) => {
      if (m.sample < previous || m.sample >= first + length) {
        throw new InvalidDataError(
          `SampleBlock.markers[${i}].sample`,
          `a sample in [${Math.max(previous, first)}, ${first + length}) in sample order`,
          m.sample,
        );
      }
      previous = m.sample;
    });
    block.markers = Object.freeze([...init.markers]);
  }
  return Object.freeze(block);
}

/** The samples of channel `c` (a view, no copy). */
export function channelData(block: SampleBlock, c: number): Float32Array {
  return block.data.subarray(c * block.length, (c + 1) * block.length);
}

/** Index one past the block's last sample. */
export function blockEnd(block: SampleBlock): number {
  return block.first + block.length;
}
