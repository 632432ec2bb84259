/**
 * Worker-thread entry of the channel-parallel intracortical chain (channel-parallel-chain.ts).
 * Each worker owns a contiguous range of the stream's channels, with their band-pass state and
 * their spike-feature state, and runs each published batch of units in three phases:
 *
 * 1. band-pass its channels of every unit, in place in the shared signal ring;
 * 2. (after a barrier: every channel is filtered) the reference of its share of the batch's
 *    samples — the mean (or median) over every channel of the group, summed in channel order as
 *    the single-thread chain sums it, so the result has the same bits;
 * 3. (after a second barrier) threshold crossings and spike-band power of its neural channels, the
 *    values of each completed bin written at its channels' places in the shared bin ring.
 *
 * The loop never returns to the event loop: it sleeps on the shared control words
 * (Atomics.wait) and ends when the owner sets the stop flag (or terminates it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Sos } from '../filters/butterworth.js';
import { createSosState, sosFilter } from '../filters/sos-filter.js';
import { averageOfMembers, medianOfMembers } from '../kernels/re-reference.js';
import { type SpikeFeatureOptions, createSpikeFeatureState, spikeFeatures } from '../kernels/spike-features.js';
import {
  type ChainSharedBuffers,
  MAX_BATCHES,
  MAX_UNITS,
  PUBLISHED,
  UNIT_BIN_BOUND,
  UNIT_BIN_START,
  UNIT_FIELDS,
  UNIT_FIRST,
  UNIT_LENGTH,
  UNIT_OFFSET,
  barrier,
  chainSharedViews,
  finishBatch,
  shardStart,
  waitWhileEqual,
} from './chain-shared-memory.js';

export interface ChainWorkerData {
  readonly index: number;
  readonly workers: number;
  readonly buffers: ChainSharedBuffers;
  readonly channels: number;
  readonly sos: Sos;
  /** The stream's neural channels, in order (their features, in this order, are the frame's). */
  readonly neural: Int32Array;
  readonly reference: 'average' | 'median' | 'none';
  /** Reference group per channel (−1: none), and each group's good members (what its reference is taken over). */
  readonly group: Int32Array;
  readonly goodMembers: readonly Int32Array[];
  /** Every channel neural and in the one group: the features take the reference on the fly. */
  readonly direct: boolean;
  readonly features: Omit<SpikeFeatureOptions, 'channels'>;
  /** This worker writes each bin's number and t0 (the first worker with neural channels). */
  readonly writesMeta: boolean;
}

function run(d: ChainWorkerData): void {
  const v = chainSharedViews(d.buffers);
  const { control, batches, units, unitBins, signal, reference: refs, bins, binMeta } = v;
  const C = d.channels;
  const N = d.workers;
  const G = d.goodMembers.length;
  const K = d.neural.length;
  // This worker's channels [c0, c1) and, among the neural ones, feature indices [k0, k1).
  const c0 = shardStart(C, N, d.index);
  const c1 = shardStart(C, N, d.index + 1);
  let k0 = 0;
  while (k0 < K && d.neural[k0]! < c0) k0++;
  let k1 = k0;
  while (k1 < K && d.neural[k1]! < c1) k1++;
  const filterState = createSosState(d.sos, c1 - c0);
  const features = k1 > k0 ? createSpikeFeatureState({ ...d.features, channels: k1 - k0 }) : undefined;
  const median = d.reference === 'median';
  const scratch = new Float64Array(median ? Math.max(1, ...d.goodMembers.map((m) => m.length)) : 0);
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

  let next = 0;
  for (;;) {
    if (!waitWhileEqual(control, PUBLISHED, next)) return;
    const b = (next >>> 0) % MAX_BATCHES;
    const startSlot = batches[2 * b]!;
    const count = batches[2 * b + 1]!;

    // 1. Band-pass this worker's channels of every unit, in place.
    let total = 0;
    for (let u = 0; u < count; u++) {
      const f = ((startSlot + u) % MAX_UNITS) * UNIT_FIELDS;
      const off = units[f + UNIT_OFFSET]!;
      const L = units[f + UNIT_LENGTH]!;
      total += L;
      if (c1 > c0) {
        const x = signal.subarray(C * off + c0 * L, C * off + c1 * L);
        sosFilter(d.sos, filterState, x, x, c1 - c0, L);
      }
    }
    if (!barrier(control, N)) return;

    // 2. The reference of this worker's share of the batch's samples, over every channel.
    if (d.reference !== 'none') {
      const t0 = Math.floor((d.index * total) / N);
      const t1 = Math.floor(((d.index + 1) * total) / N);
      let t = 0;
      for (let u = 0; u < count && t < t1; u++) {
        const f = ((startSlot + u) % MAX_UNITS) * UNIT_FIELDS;
        const off = units[f + UNIT_OFFSET]!;
        const L = units[f + UNIT_LENGTH]!;
        const i0 = Math.max(0, t0 - t);
        const i1 = Math.min(L, t1 - t);
        if (i1 > i0) {
          const block = signal.subarray(C * off, C * (off + L));
          for (let g = 0; g < G; g++) {
            const goods = d.goodMembers[g]!;
            if (goods.length === 0) continue;
            if (median) medianOfMembers(block, L, goods, i0, i1, refs, G * off + g * L, scratch);
            else averageOfMembers(block, L, goods, i0, i1, refs, G * off + g * L);
          }
        }
        t += L;
      }
      if (!barrier(control, N)) return;
    }

    // 3. Spike features of this worker's neural channels.
    for (let u = 0; u < count; u++) {
      const slot = (startSlot + u) % MAX_UNITS;
      const f = slot * UNIT_FIELDS;
      const off = units[f + UNIT_OFFSET]!;
      const L = units[f + UNIT_LENGTH]!;
      binStart = units[f + UNIT_BIN_START]!;
      binBound = units[f + UNIT_BIN_BOUND]!;
      emitted = 0;
      if (features) {
        const first = units[f + UNIT_FIRST]!;
        if (d.direct) {
          const x = signal.subarray(C * off + c0 * L, C * off + c1 * L);
          spikeFeatures(features, x, L, first, emitBin, d.reference === 'none' ? undefined : refs.subarray(G * off, G * off + L));
        } else {
          // Aux channels among them: the neural channels, referenced, into a buffer of their own (as reReference writes them).
          if (local.length < (k1 - k0) * L) local = new Float32Array((k1 - k0) * L);
          for (let k = k0; k < k1; k++) {
            const c = d.neural[k]!;
            const src = C * off + c * L;
            const dst = (k - k0) * L;
            const g = d.reference === 'none' ? -1 : d.group[c]!;
            if (g < 0) local.set(signal.subarray(src, src + L), dst);
            else {
              const r = G * off + g * L;
              for (let i = 0; i < L; i++) local[dst + i] = signal[src + i]! - refs[r + i]!;
            }
          }
          spikeFeatures(features, local, L, first, emitBin);
        }
      }
      if (d.writesMeta) unitBins[slot] = emitted;
    }
    finishBatch(control, N);
    next = (next + 1) | 0;
  }
}

if (parentPort) run(workerData as ChainWorkerData);
