/**
 * The memory the channel-parallel intracortical chain shares between the session's thread (the
 * parent) and its worker threads, and the few synchronisation steps they take on it. Nothing here
 * is copied per block but the block's samples, once, into the signal ring.
 *
 * - `control` (Int32): a stop flag, the count of batches published (parent) and completed
 *   (workers), and the workers' barrier counters. Counters wrap as Int32 and are compared as such.
 * - `batches`: per batch, its first unit's slot and its unit count. A unit is a block, or a piece
 *   of a long block (at most {@link MAX_UNIT_SAMPLES} samples).
 * - `units` (Float64): per unit slot, where its samples sit in the signal ring (sample column),
 *   its length, its first sample index, where its bins go in the bin ring, and how many bins it may
 *   complete at most; `unitBins` (Int32): how many it did.
 * - `signal` (Float32, channels × {@link RING_SAMPLES}): each unit channel-major, as in its block;
 *   the workers filter it in place.
 * - `reference` (Float64, groups × RING_SAMPLES): per unit, each reference group's per-sample
 *   reference (mean or median), at the unit's sample column.
 * - `bins` (Float32, bin slots × 2 × features) and `binMeta` (Float64, bin slots × [bin, t0]): the
 *   values of each completed bin, `[tc:…, sbp:…]`, written by the workers, each its channels.
 */

/** Slots of `control`. */
export const STOP = 0;
export const PUBLISHED = 1;
export const COMPLETED = 2;
export const BARRIER_COUNT = 3;
export const BARRIER_GENERATION = 4;
export const DONE_COUNT = 5;
const CONTROL_SLOTS = 8;

/** Units (blocks or pieces of blocks) that may be in flight at once. */
export const MAX_UNITS = 1024;
/** Batch descriptors (at most a few are in flight; the ring only needs to outlast them). */
export const MAX_BATCHES = 64;
/** A longer block is cut into pieces of at most this many samples (the results are the same however a stream is cut). */
export const MAX_UNIT_SAMPLES = 512;
/** Samples per channel a batch holds at most: several blocks per synchronisation round. */
export const MAX_BATCH_SAMPLES = 1024;
/** Samples per channel the signal ring holds (two batches in flight and one being filled, with room to spare). */
export const RING_SAMPLES = 4096;
/** Float64 values per unit in `units`. */
export const UNIT_FIELDS = 5;
export const UNIT_OFFSET = 0;
export const UNIT_LENGTH = 1;
export const UNIT_FIRST = 2;
export const UNIT_BIN_START = 3;
export const UNIT_BIN_BOUND = 4;

/** The shared buffers (sent once to each worker). */
export interface ChainSharedBuffers {
  readonly control: SharedArrayBuffer;
  readonly batches: SharedArrayBuffer;
  readonly units: SharedArrayBuffer;
  readonly unitBins: SharedArrayBuffer;
  readonly signal: SharedArrayBuffer;
  readonly reference: SharedArrayBuffer;
  readonly bins: SharedArrayBuffer;
  readonly binMeta: SharedArrayBuffer;
}

/** Typed views of the shared buffers. */
export interface ChainSharedViews {
  readonly control: Int32Array;
  readonly batches: Int32Array;
  readonly units: Float64Array;
  readonly unitBins: Int32Array;
  readonly signal: Float32Array;
  readonly reference: Float64Array;
  readonly bins: Float32Array;
  readonly binMeta: Float64Array;
}

/** The sizes the buffers are made for. */
export interface ChainSharedSizes {
  /** Channels of the stream (all of them are filtered). */
  readonly channels: number;
  /** Reference groups (at least 1). */
  readonly groups: number;
  /** Neural channels: features are 2 × this per bin. */
  readonly features: number;
  /** Bins the bin ring holds. */
  readonly binSlots: number;
}

/** Bin slots for a bin width of `binSamples`: every bin two full batches may complete, twice over. */
export function binSlotsFor(binSamples: number): number {
  return Math.max(64, 4 * (Math.ceil(MAX_BATCH_SAMPLES / binSamples) + 2));
}

export function createChainSharedBuffers(sizes: ChainSharedSizes): ChainSharedBuffers {
  return {
    control: new SharedArrayBuffer(CONTROL_SLOTS * 4),
    batches: new SharedArrayBuffer(MAX_BATCHES * 2 * 4),
    units: new SharedArrayBuffer(MAX_UNITS * UNIT_FIELDS * 8),
    unitBins: new SharedArrayBuffer(MAX_UNITS * 4),
    signal: new SharedArrayBuffer(sizes.channels * RING_SAMPLES * 4),
    reference: new SharedArrayBuffer(sizes.groups * RING_SAMPLES * 8),
    bins: new SharedArrayBuffer(sizes.binSlots * 2 * sizes.features * 4),
    binMeta: new SharedArrayBuffer(sizes.binSlots * 2 * 8),
  };
}

export function chainSharedViews(b: ChainSharedBuffers): ChainSharedViews {
  return {
    control: new Int32Array(b.control),
    batches: new Int32Array(b.batches),
    units: new Float64Array(b.units),
    unitBins: new Int32Array(b.unitBins),
    signal: new Float32Array(b.signal),
    reference: new Float64Array(b.reference),
    bins: new Float32Array(b.bins),
    binMeta: new Float64Array(b.binMeta),
  };
}

/**
 * The first of `count` items that part `index` of `parts` takes: contiguous, as even as can be,
 * on even boundaries where every part gets at least two pairs (the band-pass kernel filters
 * channels in pairs).
 */
export function shardStart(count: number, parts: number, index: number): number {
  if (index <= 0) return 0;
  if (index >= parts) return count;
  const at = Math.floor((index * count) / parts);
  return count >= 4 * parts ? at - (at % 2) : at;
}

/** Polls of a shared word before sleeping on it (the other threads are usually only microseconds behind). */
const SPIN = 2000;

/**
 * Waits (blocking: worker threads only) until `control[slot]` is no longer `value`, or the stop
 * flag is set; returns false when stopped.
 */
export function waitWhileEqual(control: Int32Array, slot: number, value: number): boolean {
  for (let k = 0; k < SPIN; k++) {
    if (Atomics.load(control, slot) !== value) return Atomics.load(control, STOP) === 0;
  }
  while (Atomics.load(control, slot) === value) {
    if (Atomics.load(control, STOP) !== 0) return false;
    Atomics.wait(control, slot, value);
  }
  return Atomics.load(control, STOP) === 0;
}

/** All `parties` workers meet here before any goes on; false when stopped. */
export function barrier(control: Int32Array, parties: number): boolean {
  const generation = Atomics.load(control, BARRIER_GENERATION);
  if (Atomics.add(control, BARRIER_COUNT, 1) === parties - 1) {
    Atomics.store(control, BARRIER_COUNT, 0);
    Atomics.add(control, BARRIER_GENERATION, 1);
    Atomics.notify(control, BARRIER_GENERATION);
    return Atomics.load(control, STOP) === 0;
  }
  return waitWhileEqual(control, BARRIER_GENERATION, generation);
}

/** A worker has finished its part of the current batch; the last one marks the batch completed and wakes the parent. */
export function finishBatch(control: Int32Array, parties: number): void {
  if (Atomics.add(control, DONE_COUNT, 1) === parties - 1) {
    Atomics.store(control, DONE_COUNT, 0);
    Atomics.add(control, COMPLETED, 1);
    Atomics.notify(control, COMPLETED);
  }
}
