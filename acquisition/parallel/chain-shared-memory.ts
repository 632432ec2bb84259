/**
 * The memory the channel-parallel intracortical chain shares between the session's thread (the
 * parent) and its worker threads, and the few synchronisation steps they take on it. Nothing here
 * is copied per block but the block's samples, once, into the signal ring.
 *
 * - `control` (Int32): a stop flag, the count of batches published (parent) and completed
 *   (workers), and an epoch bumped at each step, which idle threads sleep on. Counters wrap as
 *   Int32 and are compared as such.
 * - `batches`: per batch, its first unit's slot and its unit count. A unit is a block, or a piece
 *   of a long block (at most {@link MAX_UNIT_SAMPLES} samples). `stages`: per batch, how many
 *   workers have filtered it, referenced it and computed its features.
 * - `units` (Float64): per unit slot, where its samples sit in the signal ring (sample column),
 *   its length, its first sample index, where its bins go in the bin ring, how many bins it may
 *   complete at most, and whether its referenced samples are asked for; `unitBins` (Int32): how
 *   many bins it did.
 * - `signal` (Float32, channels × ring samples, {@link ringSamplesFor}): each unit channel-major, as in its block.
 *   The workers filter it into memory of their own — or in place, where other workers read it back
 *   (a median, or aux channels: the 'per-group' reference). A unit whose referenced samples are
 *   asked for gets them back here, each worker its channels' after their features: the parent
 *   copies them out when the unit completes.
 * - `reference` (Float64, rows × ring samples): per unit, from rows × its sample column, rows of
 *   its length: either the sums of each block of REFERENCE_BLOCK channels and then the common
 *   average, or each reference group's per-sample reference (mean or median).
 * - `bins` (Float32, bin slots × 2 × features) and `binMeta` (Float64, bin slots × [bin, t0]): the
 *   values of each completed bin, `[tc:…, sbp:…]`, written by the workers, each its channels.
 */
import { REFERENCE_BLOCK } from '../kernels/re-reference.js';

/** Slots of `control`. */
export const STOP = 0;
/** Batches published (parent). */
export const PUBLISHED = 1;
/** Batches completed (the worker that finishes a batch last). */
export const COMPLETED = 2;
/** Bumped on every publication and every stage a worker finishes: what an idle worker sleeps on. */
export const EPOCH = 3;
const CONTROL_SLOTS = 4;

/** Per batch slot, in `stages` (Int32, 3 × MAX_BATCHES): workers done filtering, referencing, and with features. */
export const FILTERED = 0;
export const REFERENCED = 1;
export const DONE = 2;

/** Units (blocks or pieces of blocks) that may be in flight at once. */
export const MAX_UNITS = 1024;
/** Batch descriptors (at most MAX_IN_FLIGHT_BATCHES are in flight; the ring only needs to outlast them). */
export const MAX_BATCHES = 64;
/** Batches published and not yet completed, at most: while one batch waits on the slowest worker, the others go on with the next. */
export const MAX_IN_FLIGHT_BATCHES = 4;
/** A longer block is cut into pieces of at most this many samples (the results are the same however a stream is cut). */
export const MAX_UNIT_SAMPLES = 512;
/**
 * Samples per channel a batch holds at most — several blocks per synchronisation: about half a
 * million samples of all channels (512 at 1024 channels, 2048 at 256), from 256 to 2048.
 */
export function batchSamplesFor(channels: number): number {
  return Math.min(2048, Math.max(256, 2 ** Math.round(Math.log2(2 ** 19 / channels))));
}
/** Samples per channel the signal ring holds: the batches in flight and as many being filled. */
export function ringSamplesFor(batchSamples: number): number {
  return 2 * MAX_IN_FLIGHT_BATCHES * batchSamples;
}
/** Float64 values per unit in `units`. */
export const UNIT_FIELDS = 6;
export const UNIT_OFFSET = 0;
export const UNIT_LENGTH = 1;
export const UNIT_FIRST = 2;
export const UNIT_BIN_START = 3;
export const UNIT_BIN_BOUND = 4;
/** 1: the unit's referenced samples are asked for (each worker writes its channels' back into the signal ring); 0: not. */
export const UNIT_REFERENCED = 5;

/** The shared buffers (sent once to each worker). */
export interface ChainSharedBuffers {
  readonly control: SharedArrayBuffer;
  readonly batches: SharedArrayBuffer;
  readonly stages: SharedArrayBuffer;
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
  readonly stages: Int32Array;
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
  /** Rows of `reference` (at least 1). */
  readonly referenceRows: number;
  /** Neural channels: features are 2 × this per bin. */
  readonly features: number;
  /** Bins the bin ring holds. */
  readonly binSlots: number;
  /** Samples per channel the signal ring holds. */
  readonly ringSamples: number;
}

/** Bin slots for a bin width of `binSamples` and batches of `batchSamples`: room for the bins of several full batches. */
export function binSlotsFor(binSamples: number, batchSamples: number): number {
  return Math.max(64, 4 * (Math.ceil(batchSamples / binSamples) + 2));
}

export function createChainSharedBuffers(sizes: ChainSharedSizes): ChainSharedBuffers {
  return {
    control: new SharedArrayBuffer(CONTROL_SLOTS * 4),
    batches: new SharedArrayBuffer(MAX_BATCHES * 2 * 4),
    stages: new SharedArrayBuffer(3 * MAX_BATCHES * 4),
    units: new SharedArrayBuffer(MAX_UNITS * UNIT_FIELDS * 8),
    unitBins: new SharedArrayBuffer(MAX_UNITS * 4),
    signal: new SharedArrayBuffer(sizes.channels * sizes.ringSamples * 4),
    reference: new SharedArrayBuffer(sizes.referenceRows * sizes.ringSamples * 8),
    bins: new SharedArrayBuffer(sizes.binSlots * 2 * sizes.features * 4),
    binMeta: new SharedArrayBuffer(sizes.binSlots * 2 * 8),
  };
}

export function chainSharedViews(b: ChainSharedBuffers): ChainSharedViews {
  return {
    control: new Int32Array(b.control),
    batches: new Int32Array(b.batches),
    stages: new Int32Array(b.stages),
    units: new Float64Array(b.units),
    unitBins: new Int32Array(b.unitBins),
    signal: new Float32Array(b.signal),
    reference: new Float64Array(b.reference),
    bins: new Float32Array(b.bins),
    binMeta: new Float64Array(b.binMeta),
  };
}

/**
 * The first channel of worker `index` of `workers`: contiguous ranges, as even as can be, cut at
 * multiples of `unit` channels (the blocks of partial sums; otherwise 2, the band-pass kernel's
 * channel pairs, where every worker gets at least two pairs).
 */
export function shardStart(channels: number, workers: number, index: number, unit: number): number {
  if (index <= 0) return 0;
  if (index >= workers) return channels;
  if (unit > 1) return Math.min(channels, Math.round((index * Math.ceil(channels / unit)) / workers) * unit);
  const at = Math.floor((index * channels) / workers);
  return channels >= 4 * workers ? at - (at % 2) : at;
}

/** How a worker's features are referenced. */
export type ChainReferencePlan =
  /** No reference. */
  | 'none'
  /** A common average over every channel, all neural: sums per block of channels in the filter stage, added in the reference stage. */
  | 'block-sums'
  /** Per group, per sample, in the reference stage (median, or aux channels among neural ones). */
  | 'per-group';

/** Each worker's first channel (and one past its last), as the parent computes them. */
export function workerChannels(d: { readonly channels: number; readonly workers: number; readonly plan: ChainReferencePlan }, index: number): [number, number] {
  const unit = d.plan === 'block-sums' ? REFERENCE_BLOCK : 1;
  return [shardStart(d.channels, d.workers, index, unit), shardStart(d.channels, d.workers, index + 1, unit)];
}

/** Whether Int32 counter `a` is past `b` (wrapping). */
export function after(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

/** A worker has finished a stage of a batch: count it, and wake whoever sleeps on the epoch. */
export function signalStage(control: Int32Array, stages: Int32Array, stage: number, slot: number): number {
  const count = Atomics.add(stages, stage * MAX_BATCHES + slot, 1) + 1;
  Atomics.add(control, EPOCH, 1);
  Atomics.notify(control, EPOCH);
  return count;
}

/** Polls of the epoch before sleeping on it (the other threads are usually only microseconds behind). */
const SPIN = 2000;

/** Sleeps (worker threads only) until the epoch moves on from `epoch`; false when stopped. */
export function waitForEpoch(control: Int32Array, epoch: number): boolean {
  for (let k = 0; k < SPIN; k++) {
    if (Atomics.load(control, EPOCH) !== epoch) return Atomics.load(control, STOP) === 0;
  }
  if (Atomics.load(control, STOP) !== 0) return false;
  Atomics.wait(control, EPOCH, epoch);
  return Atomics.load(control, STOP) === 0;
}
