/**
 * The intracortical chain over several worker threads (the parent's side; chain-worker.ts is the
 * workers'). The channels are split into contiguous ranges, one per worker, each with its own
 * filter and feature state; the re-reference, which needs every channel, is reduced across the
 * ranges in the order the single-thread chain sums it (sums of blocks of REFERENCE_BLOCK
 * channels, added in block order), each worker adding up a share of the samples. The
 * FeatureFrames are therefore the single-thread chain's, bit for bit: same values, bins, t0, names
 * and order.
 *
 * The parent copies each block once into a shared ring (pieces of at most MAX_UNIT_SAMPLES
 * samples), publishes the units waiting there as one batch whenever fewer than
 * MAX_IN_FLIGHT_BATCHES are in flight (so, when blocks come faster than the workers take them,
 * several share one synchronisation), and
 * takes the completed bins back in order — on each push and when the workers wake it
 * (Atomics.waitAsync: the parent never blocks its event loop). Blocks that find the ring full wait
 * in a queue, reading a copy of their tail in memory kept for the next (`backlog()`: an offline
 * source holds back on it; sized from `blockSamples`, the ring takes a whole block at once).
 */
import { Worker } from 'node:worker_threads';
import { type FeatureFrame, type SampleBlock, type StreamInfo, ErrorCode, InvalidDataError, InvalidOptionError, NeurostreamError, changedValuesInfo, channelCount, createFeatureFrame, createSampleBlock } from '../../core/index.js';
import { copyChannelRows } from '../../core/copy-channel-rows.js';
import { designButterworth } from '../filters/butterworth.js';
import { REFERENCE_BLOCK } from '../kernels/re-reference.js';
import { createSpikeFeatureState } from '../kernels/spike-features.js';
import { referenceLayoutFor } from '../operators/re-reference.js';
import { SPIKE_BAND_HZ, type SpikeBandFeatureOptions, neuralChannelsOf, spikeBandFeatureNames } from '../operators/spike-band-features.js';
import {
  COMPLETED,
  DONE,
  EPOCH,
  FILTERED,
  MAX_BATCHES,
  MAX_IN_FLIGHT_BATCHES,
  MAX_UNITS,
  MAX_UNIT_SAMPLES,
  PUBLISHED,
  REFERENCED,
  STOP,
  UNIT_BIN_BOUND,
  UNIT_BIN_START,
  UNIT_FIELDS,
  UNIT_FIRST,
  UNIT_LENGTH,
  UNIT_OFFSET,
  UNIT_REFERENCED,
  batchSamplesFor,
  binSlotsFor,
  chainSharedViews,
  createChainSharedBuffers,
  ringSamplesFor,
  type ChainReferencePlan,
  type ChainSharedViews,
  workerChannels,
} from './chain-shared-memory.js';
import type { ChainWorkerData } from './chain-worker.js';
import { FifoRing } from './fifo-ring.js';

const WORKER_URL = new URL('./chain-worker.js', import.meta.url);
/**
 * Bytes at most of what grows with the ring when it is sized for long blocks (`blockSamples`): the
 * shared signal ring, the workers' copies of their channels and the reference sums.
 */
export const MAX_RING_BYTES = 192 * 2 ** 20;
/** Tail copies kept for the next blocks that must wait (a replay's blocks are all of a size: one or two serve them all). */
const MAX_SPARE_TAILS = 2;

/** Atomics.waitAsync (ES2024; in Node since 16), typed here since the project's lib is ES2022. */
const waitAsync = (Atomics as unknown as {
  waitAsync(array: Int32Array, index: number, value: number): { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
}).waitAsync;

export interface ChannelParallelChainOptions extends SpikeBandFeatureOptions {
  bandHz?: readonly [number, number];
  order?: number;
  reference?: 'average' | 'median' | 'none';
  /** Worker threads (≥ 1, at most the stream's channels). */
  workers: number;
  /**
   * Samples per block the stream comes in, where known (e.g. its first block's): the shared signal
   * ring then holds one such block besides the batches in flight (within MAX_RING_BYTES), and
   * `backlog()` stays above 0 until there is room for the next one — so that an offline source
   * holding back on it pushes each of its long blocks into the ring at once, not into a copy.
   */
  blockSamples?: number;
}

/** One block through the chain: the bins it completed, in order. */
export interface ChainStep {
  /**
   * The block pushed. Its `data` may already hold other samples when the step comes out after
   * `push` returned (a replay that reuses its memory, ReplayOptions.reuseMemory): read samples as
   * they are pushed.
   */
  readonly block: SampleBlock;
  readonly frames: readonly FeatureFrame[];
  /**
   * The block's samples as the features saw them — band-passed and re-referenced, bit for bit what
   * `iirFilter` → `reReference` output — where they were asked for when the block was pushed (a
   * display of the spike band without a second filter pass).
   */
  readonly referenced?: SampleBlock;
}

/** A block's step, carrying its referenced samples (channels × its length) where they were asked for. */
export function chainStep(block: SampleBlock, frames: readonly FeatureFrame[], referenced: Float32Array | undefined): ChainStep {
  return referenced ? { block, frames, referenced: createSampleBlock({ ...block, info: changedValuesInfo(block.info), data: referenced }) } : { block, frames };
}

export interface ChannelParallelChainHandlers {
  step: (step: ChainStep) => void;
  error: (error: unknown) => void;
  /** Everything pushed before `end()` has been stepped. */
  complete: () => void;
}

/** A piece of a block (the whole block unless it is longer than MAX_UNIT_SAMPLES). */
interface Unit {
  /** The block pushed (its identity, markers and times). */
  readonly block: SampleBlock;
  /** The piece's first sample within the block, and its length. */
  readonly from: number;
  readonly length: number;
  /**
   * Where its samples are read when it is placed: channel-major rows of `rowLength` samples, the
   * piece from `rowFrom` — the block's data, or the chain's copy of the block's tail once the
   * piece has to wait past `push` (see there).
   */
  source: Float32Array;
  rowLength: number;
  rowFrom: number;
  /** The last piece of its block: the block's step goes out when it completes. */
  readonly last: boolean;
  /** The block's referenced samples (channels × the block's length), shared by its pieces, where asked for. */
  readonly referenced: Float32Array | undefined;
  /** Where its samples sit in the signal ring (sample column). */
  offset: number;
  /** Bins this piece may complete at most. */
  readonly binBound: number;
  slot: number;
  binStart: number;
}

/** A worker thread of the chain stopped while its stream ran (the stream ends with this error). */
export class ChainWorkerError extends NeurostreamError {
  constructor(message: string) {
    super(ErrorCode.ProcessingFailure, message);
  }
}

export class ChannelParallelChain {
  readonly workers: number;
  private readonly channels: number;
  private readonly features: number;
  private readonly names: readonly string[];
  private readonly binSamples: number;
  private readonly views: ChainSharedViews;
  private readonly threads: Worker[] = [];
  private readonly batchSamples: number;
  private readonly roomForBlock: number;
  private readonly samples: FifoRing;
  private readonly binRing: FifoRing;
  /** Units not yet in the ring, placed ones not yet published, and published batches (their units) in order. */
  private readonly waiting: Unit[] = [];
  /** Copies of blocks' tails that pieces still waiting read: the memory each lies in, and how many pieces read it. */
  private readonly tails = new Map<Float32Array, { memory: Float32Array; readers: number }>();
  /** Tail copies no piece reads any more, kept to be used again (no fresh memory per block). */
  private readonly spareTails: Float32Array[] = [];
  private readonly staged: Unit[] = [];
  private stagedSamples = 0;
  private readonly inFlight: Unit[][] = [];
  private nextSlot = 0;
  private published = 0;
  private completed = 0;
  /** One past the last sample of the previous unit (−1 before the first): a unit that does not start there follows a gap. */
  private expected = -1;
  private frames: FeatureFrame[] = [];
  private pumping = false;
  private again = false;
  private sleeping = false;
  private ended = false;
  private closed = false;
  private live: number;

  constructor(
    info: StreamInfo,
    options: ChannelParallelChainOptions,
    private readonly handlers: ChannelParallelChainHandlers,
  ) {
    const { bandHz = SPIKE_BAND_HZ, order = 4, reference = 'average', workers, blockSamples = 0, ...featureOptions } = options;
    const C = channelCount(info);
    if (!Number.isInteger(workers) || workers < 1 || workers > C) {
      throw new InvalidOptionError('workers', `an integer from 1 to the stream's ${C} channels`, workers);
    }
    if (!Number.isInteger(blockSamples) || blockSamples < 0) throw new InvalidOptionError('blockSamples', 'an integer ≥ 0', blockSamples);
    // Everything the workers will build is checked here first, so that a bad option is the stream's error.
    const sos = designButterworth({ type: 'bandpass', order, cutoffHz: bandHz, sampleRateHz: info.sampleRateHz });
    const neural = neuralChannelsOf(info);
    const featureState = createSpikeFeatureState({ ...featureOptions, channels: neural.length, sampleRateHz: info.sampleRateHz });
    const layout = reference === 'none' ? undefined : referenceLayoutFor(info, { method: reference });
    const allNeural = neural.length === C;
    const median = reference === 'median';
    // A common average over one group of every channel, none bad: block sums (see chain-worker.ts).
    const plan: ChainReferencePlan = !layout
      ? 'none'
      : !median && allNeural && layout.members.length === 1 && layout.goodMembers[0]!.length === C
        ? 'block-sums'
        : 'per-group';
    this.workers = workers;
    this.channels = C;
    this.features = neural.length;
    this.names = spikeBandFeatureNames(info, neural);
    this.binSamples = featureState.binSamples;
    this.batchSamples = batchSamplesFor(C);
    const referenceRows = plan === 'block-sums' ? Math.ceil(C / REFERENCE_BLOCK) + 1 : Math.max(1, layout?.members.length ?? 1);
    // Per sample of ring: the signal (float32), a worker's copy of its channels (float32), the reference rows (float64).
    const bytesPerRingSample = 8 * C + 8 * referenceRows;
    const inFlight = ringSamplesFor(this.batchSamples);
    const ringSamples = Math.max(inFlight, Math.min(inFlight + blockSamples, Math.floor(MAX_RING_BYTES / bytesPerRingSample)));
    this.samples = new FifoRing(ringSamples);
    // Room the ring must have before `backlog()` says 0 — only where a whole block fits beside the
    // batches in flight (its pieces may leave up to a piece unused at the ring's end); a longer
    // block goes in as room frees up, its tail waiting in a copy.
    this.roomForBlock = blockSamples > 0 && inFlight + blockSamples <= ringSamples ? blockSamples + MAX_UNIT_SAMPLES : 0;
    // Each unit in the ring holds the bins it may complete: those that end in it, and one more after a gap.
    const binSlots = Math.max(binSlotsFor(this.binSamples, this.batchSamples), 2 * Math.ceil(ringSamples / this.binSamples) + 8);
    this.binRing = new FifoRing(binSlots);
    const buffers = createChainSharedBuffers({ channels: C, referenceRows, features: neural.length, binSlots, ringSamples });
    this.views = chainSharedViews(buffers);
    // The first worker with neural channels writes each bin's number and t0.
    const shape = { channels: C, workers, plan };
    let metaWriter = 0;
    const hasNeural = (index: number): boolean => {
      const [c0, c1] = workerChannels(shape, index);
      return neural.some((c) => c >= c0 && c < c1);
    };
    while (metaWriter < workers - 1 && !hasNeural(metaWriter)) metaWriter++;
    this.live = workers;
    for (let index = 0; index < workers; index++) {
      const workerData: ChainWorkerData = {
        index,
        workers,
        buffers,
        channels: C,
        ringSamples,
        sos,
        neural,
        plan,
        median,
        group: layout?.group ?? new Int32Array(C).fill(-1),
        goodMembers: layout?.goodMembers ?? [],
        allNeural,
        features: { ...featureOptions, sampleRateHz: info.sampleRateHz },
        writesMeta: index === metaWriter,
      };
      const worker = new Worker(WORKER_URL, { workerData });
      worker.on('error', (error) => this.fail(error));
      worker.on('exit', (code) => {
        this.live--;
        if (!this.closed) this.fail(new ChainWorkerError(`chain worker ${index} of ${workers} exited (code ${code}) while the stream was running`));
      });
      this.threads.push(worker);
    }
  }

  /**
   * Blocks (pieces) waiting for room in the shared ring — or 1 while the ring has no room for
   * another block of `blockSamples` — : an offline source should hold back while it is above 0.
   */
  backlog(): number {
    if (this.closed) return 0;
    return this.waiting.length > 0 ? this.waiting.length : this.samples.free < this.roomForBlock ? 1 : 0;
  }

  /** Worker threads still running. */
  threadsAlive(): number {
    return this.live;
  }

  /** Feeds a block; with `referenced`, its step will carry the block's referenced samples. */
  push(block: SampleBlock, referenced = false): void {
    if (this.closed) return;
    if (channelCount(block.info) !== this.channels) {
      throw new InvalidDataError('SampleBlock.info', `the stream's ${this.channels} channels`, `${channelCount(block.info)} channels`);
    }
    const n = this.binSamples;
    const out = referenced ? new Float32Array(this.channels * block.length) : undefined;
    for (let from = 0; from < block.length; from += MAX_UNIT_SAMPLES) {
      const length = Math.min(MAX_UNIT_SAMPLES, block.length - from);
      const first = block.first + from;
      // Bins it may complete: each bin end inside it, and the bin a gap before it jumps out of.
      const gap = this.expected >= 0 && first !== this.expected ? 1 : 0;
      const binBound = Math.floor((first + length) / n) - Math.floor(first / n) + gap;
      this.expected = first + length;
      this.waiting.push({ block, from, length, last: from + length >= block.length, source: block.data, rowLength: block.length, rowFrom: from, referenced: out, offset: -1, binBound, slot: -1, binStart: -1 });
    }
    this.pump();
    // Pieces still waiting would read the block after `push` returns, when its memory may hold
    // other samples (a replay at full speed reuses its batches' memory: ReplayOptions.reuseMemory):
    // they read a copy of the block's tail instead, in memory the chain uses again once they are placed.
    let k = this.waiting.length;
    // (Only this push's pieces: the same block object pushed again left pieces that read their own copy.)
    while (k > 0 && this.waiting[k - 1]!.block === block && this.waiting[k - 1]!.source === block.data) k--;
    if (k < this.waiting.length) {
      const C = this.channels;
      const tailFrom = this.waiting[k]!.from;
      const tailLength = block.length - tailFrom;
      const memory = this.takeTail(C * tailLength);
      const tail = memory.length === C * tailLength ? memory : memory.subarray(0, C * tailLength);
      copyChannelRows(block.data, block.length, tailFrom, tail, tailLength, 0, C, tailLength);
      this.tails.set(tail, { memory, readers: this.waiting.length - k });
      for (; k < this.waiting.length; k++) {
        const unit = this.waiting[k]!;
        unit.source = tail;
        unit.rowLength = tailLength;
        unit.rowFrom = unit.from - tailFrom;
      }
    }
  }

  /** Memory for a tail copy of at least `values`: a spare one where it is large enough. */
  private takeTail(values: number): Float32Array {
    const i = this.spareTails.findIndex((spare) => spare.length >= values);
    return i >= 0 ? this.spareTails.splice(i, 1)[0]! : new Float32Array(values);
  }

  /** A piece placed: its tail copy's memory, once no piece reads it, is kept as a spare (the two largest). */
  private releaseTail(source: Float32Array): void {
    const tail = this.tails.get(source);
    if (!tail || --tail.readers > 0) return;
    this.tails.delete(source);
    this.spareTails.push(tail.memory);
    this.spareTails.sort((a, b) => b.length - a.length);
    this.spareTails.length = Math.min(this.spareTails.length, MAX_SPARE_TAILS);
  }

  /** No more blocks: `complete` once those pushed have been stepped. */
  end(): void {
    this.ended = true;
    this.pump();
  }

  /** Stops the workers now (what is in flight is dropped). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const control = this.views.control;
    Atomics.store(control, STOP, 1);
    Atomics.add(control, EPOCH, 1);
    Atomics.notify(control, EPOCH);
    Atomics.notify(control, COMPLETED);
    for (const worker of this.threads) void worker.terminate();
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    this.close();
    this.handlers.error(error);
  }

  /** Takes completed batches back, places waiting units, publishes; re-entrant calls (from a step's subscriber) only ask for another round. */
  private pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        if (this.closed) return;
        this.collect();
        this.place();
        this.publish();
        if (this.inFlight.length > 0 && !this.sleeping) {
          const wait = waitAsync(this.views.control, COMPLETED, this.completed);
          if (wait.async) {
            this.sleeping = true;
            void wait.value.then(() => {
              this.sleeping = false;
              this.pump();
            });
          } else {
            this.again = true;
          }
        }
      } while (this.again);
      if (this.ended && this.inFlight.length === 0 && this.staged.length === 0 && this.waiting.length === 0) {
        this.close();
        this.handlers.complete();
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.pumping = false;
    }
  }

  private collect(): void {
    const done = Atomics.load(this.views.control, COMPLETED);
    while (this.completed !== done && !this.closed) {
      const batch = this.inFlight.shift()!;
      this.completed = (this.completed + 1) | 0;
      for (const unit of batch) this.finish(unit);
    }
  }

  private finish(unit: Unit): void {
    const { unitBins, bins, binMeta } = this.views;
    const count = unitBins[unit.slot]!;
    const width = 2 * this.features;
    for (let j = 0; j < count; j++) {
      const s = unit.binStart + j;
      const values = bins.slice(s * width, (s + 1) * width);
      this.frames.push(createFeatureFrame({ bin: binMeta[2 * s]!, t0: binMeta[2 * s + 1]!, values, names: this.names, hostTime: unit.block.hostTime }));
    }
    const out = unit.referenced;
    if (out) {
      // The workers wrote the unit's referenced samples back into its place in the ring.
      const L = unit.length;
      copyChannelRows(this.views.signal, L, this.channels * unit.offset, out, unit.block.length, unit.from, this.channels, L);
    }
    this.samples.release();
    if (unit.binBound > 0) this.binRing.release();
    if (unit.last) {
      const frames = this.frames;
      this.frames = [];
      this.handlers.step(chainStep(unit.block, frames, out));
    }
  }

  /** Copies waiting units into the ring while there is room. */
  private place(): void {
    const { units, signal } = this.views;
    const C = this.channels;
    let placed = 0;
    while (placed < this.waiting.length) {
      const unit = this.waiting[placed]!;
      if (this.samples.live + 1 > MAX_UNITS) break;
      const off = this.samples.alloc(unit.length);
      if (off < 0) break;
      let binStart = 0;
      if (unit.binBound > 0) {
        binStart = this.binRing.alloc(unit.binBound);
        if (binStart < 0) {
          // No room for its bins: give the samples back (the newest allocation) and wait.
          this.samples.undoAlloc();
          break;
        }
      }
      const { block, from, length } = unit;
      copyChannelRows(unit.source, unit.rowLength, unit.rowFrom, signal, length, C * off, C, length);
      this.releaseTail(unit.source);
      unit.slot = this.nextSlot;
      unit.binStart = binStart;
      unit.offset = off;
      this.nextSlot = (this.nextSlot + 1) % MAX_UNITS;
      const f = unit.slot * UNIT_FIELDS;
      units[f + UNIT_OFFSET] = off;
      units[f + UNIT_LENGTH] = length;
      units[f + UNIT_FIRST] = block.first + from;
      units[f + UNIT_BIN_START] = binStart;
      units[f + UNIT_BIN_BOUND] = unit.binBound;
      units[f + UNIT_REFERENCED] = unit.referenced ? 1 : 0;
      this.staged.push(unit);
      this.stagedSamples += length;
      placed++;
    }
    if (placed > 0) this.waiting.splice(0, placed);
  }

  /**
   * Publishes staged units as batches while fewer than MAX_IN_FLIGHT_BATCHES are in flight: a full
   * batch whenever there is one, anything staged while fewer than two are in flight (the workers
   * must not run dry: a live stream's block goes out at once) — so that an offline feed, which
   * pushes as room frees up, does not cut its stream into many small batches.
   */
  private publish(): void {
    const { control, batches, stages } = this.views;
    while (this.staged.length > 0 && this.inFlight.length < MAX_IN_FLIGHT_BATCHES) {
      if (this.inFlight.length >= 2 && this.stagedSamples < this.batchSamples) break;
      let samples = 0;
      let count = 0;
      while (count < this.staged.length && (count === 0 || samples + this.staged[count]!.length <= this.batchSamples)) {
        samples += this.staged[count]!.length;
        count++;
      }
      const batch = this.staged.splice(0, count);
      this.stagedSamples -= samples;
      const b = (this.published >>> 0) % MAX_BATCHES;
      batches[2 * b] = batch[0]!.slot;
      batches[2 * b + 1] = count;
      // The slot's last batch has completed long since (MAX_BATCHES ≫ MAX_IN_FLIGHT_BATCHES): its counts start again.
      for (const stage of [FILTERED, REFERENCED, DONE]) stages[stage * MAX_BATCHES + b] = 0;
      this.inFlight.push(batch);
      this.published = (this.published + 1) | 0;
      Atomics.store(control, PUBLISHED, this.published);
      Atomics.add(control, EPOCH, 1);
      Atomics.notify(control, EPOCH);
    }
  }
}
