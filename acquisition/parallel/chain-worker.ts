/**
 * Worker-thread entry of the channel-parallel intracortical chain (channel-parallel-chain.ts).
 * Each worker owns a contiguous range of the stream's channels, with their band-pass state and
 * their spike-feature state, and takes each published batch of units through up to three stages:
 *
 * 1. filter: band-pass its channels of every unit, in place in the shared signal ring — and, for a
 *    common average over every channel, the sums of its blocks of REFERENCE_BLOCK channels while
 *    they are still in cache (its range starts and ends on block boundaries);
 * 2. reference (once every worker has filtered the batch): for its share of the batch's samples,
 *    the common average from the block sums, added in block order as the single-thread chain adds
 *    them (so that every bit is the same) — or, for a median or a stream with aux channels, each
 *    group's reference over every channel of the group;
 * 3. features (once every worker has referenced the batch, or at once without a reference):
 *    threshold crossings and spike-band power of its neural channels, each completed bin's values
 *    written at its channels' places in the shared bin ring — and, for a unit whose referenced
 *    samples are asked for (a display), those of its channels written back into the signal ring.
 *
 * No barrier: a worker takes the earliest stage it can (features, then reference, then the next
 * batch's filter), so one that is ahead filters the next batch instead of waiting for a slower
 * one. It sleeps on the shared epoch (Atomics.wait) only when nothing can be done, never returns
 * to the event loop, and ends when the owner sets the stop flag (or terminates it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Sos } from '../filters/butterworth.js';
import { createSosState, sosFilter } from '../filters/sos-filter.js';
import { REFERENCE_BLOCK, averageOfMembers, medianOfMembers, sumOfMembers } from '../kernels/re-reference.js';
import { type SpikeFeatureOptions, createSpikeFeatureState, spikeFeatures } from '../kernels/spike-features.js';
import {
  type ChainReferencePlan,
  type ChainSharedBuffers,
  COMPLETED,
  DONE,
  EPOCH,
  FILTERED,
  MAX_BATCHES,
  MAX_UNITS,
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
  after,
  chainSharedViews,
  signalStage,
  waitForEpoch,
  workerChannels,
} from './chain-shared-memory.js';

export interface ChainWorkerData {
  readonly index: number;
  readonly workers: number;
  readonly buffers: ChainSharedBuffers;
  readonly channels: number;
  /** Samples per channel of the signal ring (and of this worker's own filtered ring). */
  readonly ringSamples: number;
  readonly sos: Sos;
  /** The stream's neural channels, in order (their features, in this order, are the frame's). */
  readonly neural: Int32Array;
  readonly plan: ChainReferencePlan;
  /** 'per-group': median (else mean); each channel's group (−1: none) and each group's good members. */
  readonly median: boolean;
  readonly group: Int32Array;
  readonly goodMembers: readonly Int32Array[];
  /** Every channel neural: each worker's feature input is its own channels as filtered, whole. */
  readonly allNeural: boolean;
  readonly features: Omit<SpikeFeatureOptions, 'channels'>;
  /** This worker writes each bin's number and t0 (the first worker with neural channels). */
  readonly writesMeta: boolean;
}

function run(d: ChainWorkerData): void {
  const { control, batches, stages, units, unitBins, signal, reference: refs, bins, binMeta } = chainSharedViews(d.buffers);
  const C = d.channels;
  const N = d.workers;
  const K = d.neural.length;
  const G = d.goodMembers.length;
  const [c0, c1] = workerChannels(d, d.index);
  // Among the neural channels, this worker's feature indices [k0, k1).
  let k0 = 0;
  while (k0 < K && d.neural[k0]! < c0) k0++;
  let k1 = k0;
  while (k1 < K && d.neural[k1]! < c1) k1++;
  const W = c1 - c0;
  const filterState = createSosState(d.sos, W);
  // Every channel neural, and no reference per group: no other worker reads this worker's filtered
  // signal, which then stays in memory of its own (not shared: cheaper to write and read).
  const own = d.allNeural && d.plan !== 'per-group' ? new Float32Array(W * d.ringSamples) : undefined;
  const features = k1 > k0 ? createSpikeFeatureState({ ...d.features, channels: k1 - k0 }) : undefined;
  const scratch = new Float64Array(d.median ? Math.max(1, ...d.goodMembers.map((m) => m.length)) : 0);
  const allChannels = Int32Array.from({ length: W }, (_, c) => c);
  // block-sums: one row per block of channels, then the average's row.
  const blocks = Math.ceil(C / REFERENCE_BLOCK);
  // Rows of `reference` per sample column: a unit's rows sit together (rows × L values from rows × its offset).
  const rows = d.plan === 'block-sums' ? blocks + 1 : Math.max(1, G);
  const inverse = 1 / C;
  let local = new Float32Array(0);

  // Where the current unit's bins go (set before each spikeFeatures call).
  let binStart = 0;
  let binBound = 0;
  let emitted = 0;
  const twoK = 2 * K;
  const emitBin = (bin: number, t0: number, counts: Float64Array, power: Float64Array): void => {
    if (emitted >= binBound) throw new Error(`chain worker ${d.index}: a unit completed more bins than its bound (${binBound})`);
    const slot = binStart + emitted++;
    const o = slot * twoK;
    for (let k = 0; k < k1 - k0; k++) {
      bins[o + k0 + k] = counts[k]!;
      bins[o + K + k0 + k] = power[k]!;
    }
    if (d.writesMeta) {
      binMeta[2 * slot] = bin;
      binMeta[2 * slot + 1] = t0;
    }
  };

  /** The units of batch `n`: their slots are first, first + 1, … (mod MAX_UNITS). */
  const batchOf = (n: number): { slot: number; first: number; count: number } => {
    const slot = (n >>> 0) % MAX_BATCHES;
    return { slot, first: batches[2 * slot]!, count: batches[2 * slot + 1]! };
  };
  // As Int32 (small integers): array indices computed from doubles cost V8 a conversion on every access.
  const unitField = (first: number, u: number, field: number): number => units[((first + u) % MAX_UNITS) * UNIT_FIELDS + field]! | 0;

  function filter(n: number): void {
    const { first, count } = batchOf(n);
    for (let u = 0; u < count; u++) {
      const off = unitField(first, u, UNIT_OFFSET);
      const L = unitField(first, u, UNIT_LENGTH);
      if (c1 === c0) continue;
      const x = signal.subarray(C * off + c0 * L, C * off + c1 * L);
      if (own) {
        const y = own.subarray(W * off, W * (off + L));
        sosFilter(d.sos, filterState, x, y, W, L);
        if (d.plan === 'block-sums') {
          // This worker's blocks of channels (its range starts and ends on block boundaries), summed now, in cache.
          for (let b0 = 0; b0 < W; b0 += REFERENCE_BLOCK) {
            sumOfMembers(y, L, allChannels, b0, Math.min(W, b0 + REFERENCE_BLOCK), 0, L, refs, rows * off + ((c0 + b0) / REFERENCE_BLOCK) * L);
          }
        }
      } else {
        sosFilter(d.sos, filterState, x, x, W, L);
      }
    }
  }

  function reference(n: number): void {
    const { first, count } = batchOf(n);
    let total = 0;
    for (let u = 0; u < count; u++) total += unitField(first, u, UNIT_LENGTH);
    const t0 = Math.floor((d.index * total) / N);
    const t1 = Math.floor(((d.index + 1) * total) / N);
    let t = 0;
    for (let u = 0; u < count && t < t1; u++) {
      const off = unitField(first, u, UNIT_OFFSET);
      const L = unitField(first, u, UNIT_LENGTH);
      const i0 = Math.max(0, t0 - t);
      const i1 = Math.min(L, t1 - t);
      if (i1 > i0 && d.plan === 'block-sums') {
        // The block sums added in block order, then scaled: averageOfMembers' arithmetic.
        const row = rows * off + blocks * L;
        refs.fill(0, row + i0, row + i1);
        for (let b = 0; b < blocks; b++) {
          const from = rows * off + b * L;
          for (let i = i0; i < i1; i++) refs[row + i]! += refs[from + i]!;
        }
        for (let i = i0; i < i1; i++) refs[row + i]! *= inverse;
      } else if (i1 > i0) {
        const block = signal.subarray(C * off, C * (off + L));
        for (let g = 0; g < G; g++) {
          const goods = d.goodMembers[g]!;
          if (goods.length === 0) continue;
          if (d.median) medianOfMembers(block, L, goods, i0, i1, refs, rows * off + g * L, scratch);
          else averageOfMembers(block, L, goods, i0, i1, refs, rows * off + g * L);
        }
      }
      t += L;
    }
  }

  function spikes(n: number): void {
    const { first, count } = batchOf(n);
    for (let u = 0; u < count; u++) {
      const slot = (first + u) % MAX_UNITS;
      const f = slot * UNIT_FIELDS;
      const off = units[f + UNIT_OFFSET]! | 0;
      const L = units[f + UNIT_LENGTH]! | 0;
      binStart = units[f + UNIT_BIN_START]! | 0;
      binBound = units[f + UNIT_BIN_BOUND]! | 0;
      emitted = 0;
      if (features) {
        const at = units[f + UNIT_FIRST]!; // (may pass 2^31: stays a double)
        if (d.allNeural && d.plan !== 'per-group') {
          const row = rows * off + blocks * L;
          const ref = d.plan === 'block-sums' ? refs.subarray(row, row + L) : undefined;
          spikeFeatures(features, own!.subarray(W * off, W * (off + L)), L, at, emitBin, ref);
        } else {
          // The neural channels, referenced per group (as reReference writes them), into a buffer of their own.
          if (local.length < (k1 - k0) * L) local = new Float32Array((k1 - k0) * L);
          for (let k = k0; k < k1; k++) {
            const c = d.neural[k]!;
            const src = C * off + c * L;
            const dst = (k - k0) * L;
            const g = d.plan === 'none' ? -1 : d.group[c]!;
            if (g < 0) local.set(signal.subarray(src, src + L), dst);
            else {
              const row = rows * off + g * L;
              for (let i = 0; i < L; i++) local[dst + i] = signal[src + i]! - refs[row + i]!;
            }
          }
          spikeFeatures(features, local, L, at, emitBin);
        }
      }
      if (units[f + UNIT_REFERENCED] !== 0) writeReferenced(off, L);
      if (d.writesMeta) unitBins[slot] = emitted;
    }
  }

  /**
   * A unit's samples of this worker's channels as its features saw them (band-passed and
   * re-referenced, each value the Float32 of filtered − reference, as reReference writes it), back
   * into the signal ring for the parent to copy out. Every worker has referenced the batch by now,
   * so nothing reads these channels' filtered samples of it any more.
   */
  function writeReferenced(off: number, L: number): void {
    const out = signal;
    const ref = refs;
    if (own) {
      const y = own;
      const row = rows * off + blocks * L;
      for (let w = 0; w < W; w++) {
        const to = C * off + (c0 + w) * L;
        const from = W * off + w * L;
        if (d.plan === 'block-sums') for (let i = 0; i < L; i++) out[to + i] = y[from + i]! - ref[row + i]!;
        else out.set(y.subarray(from, from + L), to);
      }
    } else if (d.plan === 'per-group') {
      // Filtered in place; each group's members less its reference (channels outside every group pass through).
      for (let c = c0; c < c1; c++) {
        const g = d.group[c]!;
        if (g < 0) continue;
        const at = C * off + c * L;
        const row = rows * off + g * L;
        for (let i = 0; i < L; i++) out[at + i] = out[at + i]! - ref[row + i]!;
      }
    }
  }

  // The next batch this worker filters, references and computes features of (Int32 counters).
  let filtered = 0;
  let referenced = 0;
  let featured = 0;
  // Without a reference, each worker's features need its own filter only.
  const referenceStage = d.plan !== 'none';
  for (;;) {
    if (Atomics.load(control, STOP) !== 0) return;
    const epoch = Atomics.load(control, EPOCH);
    if (referenceStage ? after(referenced, featured) && Atomics.load(stages, REFERENCED * MAX_BATCHES + ((featured >>> 0) % MAX_BATCHES)) === N : after(filtered, featured)) {
      spikes(featured);
      const slot = (featured >>> 0) % MAX_BATCHES;
      featured = (featured + 1) | 0;
      if (signalStage(control, stages, DONE, slot) === N) {
        Atomics.add(control, COMPLETED, 1);
        Atomics.notify(control, COMPLETED);
      }
      continue;
    }
    if (referenceStage && after(filtered, referenced) && Atomics.load(stages, FILTERED * MAX_BATCHES + ((referenced >>> 0) % MAX_BATCHES)) === N) {
      reference(referenced);
      signalStage(control, stages, REFERENCED, (referenced >>> 0) % MAX_BATCHES);
      referenced = (referenced + 1) | 0;
      continue;
    }
    if (after(Atomics.load(control, PUBLISHED), filtered)) {
      filter(filtered);
      signalStage(control, stages, FILTERED, (filtered >>> 0) % MAX_BATCHES);
      filtered = (filtered + 1) | 0;
      continue;
    }
    if (!waitForEpoch(control, epoch)) return;
  }
}

if (parentPort) run(workerData as ChainWorkerData);
