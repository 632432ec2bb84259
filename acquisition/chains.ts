/**
 * The processing chains a session composes from options: the standard intracortical chain
 * (band-pass 300–3000 Hz, order 4 → common-average reference → threshold crossings and spike-band
 * power in 20 ms bins) and the EEG chain (band-pass 1–40 Hz, order 4, plus a mains notch).
 * Filters are designed from each stream's own sample rate.
 */
import { type OperatorFunction, pipe } from 'rxjs';
import { type FeatureFrame, type SampleBlock, InvalidDataError, channelCount } from '../core/index.js';
import { copyChannelRows } from '../core/copy-channel-rows.js';
import { operate, operatorObserver } from '../core/operate.js';
import { designButterworth, type Sos } from './filters/butterworth.js';
import { createSosState, sosFilter } from './filters/sos-filter.js';
import { type ReferenceLayout, averageOfMembers, commonAverageReference, commonMedianReference } from './kernels/re-reference.js';
import { cascade, designMainsNotch } from './filters/notch.js';
import { iirFilter } from './operators/iir-filter.js';
import { reReference, referenceLayoutFor } from './operators/re-reference.js';
import { type ChannelParallelChainOptions, ChannelParallelChain } from './parallel/channel-parallel-chain.js';
import { SPIKE_BAND_HZ, SpikeBandStage, type SpikeBandFeatureOptions, spikeBandFeatures } from './operators/spike-band-features.js';

export interface IntracorticalChainOptions extends SpikeBandFeatureOptions {
  bandHz?: readonly [number, number];
  order?: number;
  reference?: 'average' | 'median' | 'none';
  /**
   * Threads: 1 (default) runs the chain in the subscriber's thread; N ≥ 2 splits the channels over
   * N worker threads sharing memory (at most the stream's channels), with the same FeatureFrames
   * bit for bit, emitted asynchronously.
   */
  workers?: number;
}

/**
 * The intracortical chain as one operator: the same kernels as `iirFilter` → `reReference` →
 * `spikeBandFeatures`, but the intermediate signals never leave the operator, so they live in
 * buffers reused from block to block (no allocation per block but the FeatureFrames), and a
 * plain common average is subtracted inside the feature pass rather than written out. The
 * features are identical to the composed operators' (a test proves it).
 */
export function intracorticalChain(options: IntracorticalChainOptions = {}): OperatorFunction<SampleBlock, FeatureFrame> {
  const workers = options.workers ?? 1;
  if (workers !== 1) return parallelIntracorticalChain({ ...options, workers });
  return operate<SampleBlock, FeatureFrame>((source, subscriber) => {
    const push = fusedIntracorticalChain(options);
    const emit = (frame: FeatureFrame): void => subscriber.next(frame);
    return source.subscribe(operatorObserver(subscriber, (block: SampleBlock) => push(block, emit)));
  });
}

/** The chain over `workers` threads (channel-parallel-chain.ts), its steps' frames in order. */
function parallelIntracorticalChain(options: ChannelParallelChainOptions): OperatorFunction<SampleBlock, FeatureFrame> {
  return operate<SampleBlock, FeatureFrame>((source, subscriber) => {
    let chain: ChannelParallelChain | undefined;
    const subscription = source.subscribe(
      operatorObserver(
        subscriber,
        (block: SampleBlock) => {
          chain ??= new ChannelParallelChain(block.info, options, {
            step: (step) => step.frames.forEach((frame) => subscriber.next(frame)),
            error: (error) => subscriber.error(error),
            complete: () => subscriber.complete(),
          });
          chain.push(block);
        },
        { complete: () => (chain ? chain.end() : subscriber.complete()) },
      ),
    );
    return () => {
      subscription.unsubscribe();
      chain?.close();
    };
  });
}

/**
 * The fused intracortical chain's state for one stream, as a function: each call feeds one block
 * and hands the bins it completed to `emit`, in order. Its buffers are reused from block to block.
 * Given `referenced` (channels × the block's length), the call also writes there the block's
 * samples as the features saw them — band-passed and re-referenced, what `iirFilter` →
 * `reReference` output, bit for bit — for a display, at the cost of writing each sample out
 * (a subtraction and a store) instead of a second filter pass.
 */
export function fusedIntracorticalChain(
  options: IntracorticalChainOptions = {},
): (block: SampleBlock, emit: (frame: FeatureFrame) => void, referenced?: Float32Array) => void {
  const { bandHz = SPIKE_BAND_HZ, order = 4, reference = 'average', ...rest } = options;
  const { workers: _inThread, ...features } = rest;
  let sos: Sos | undefined;
  let filterState: Float64Array | undefined;
  let layout: ReferenceLayout | undefined;
  let stage: SpikeBandStage | undefined;
  /** A common average over one group of every channel, none bad: applied inside the feature pass. */
  let inline = false;
  let filtered = new Float32Array(0);
  let afterReference = new Float32Array(0);
  let scratch = new Float64Array(0);
  let tile = new Float32Array(0);
  /**
   * One stretch of `L` samples (channel-major `data`) through filter, reference and features; the
   * referenced samples, if asked, into `out` (rows of `outLength` samples) from sample `at`.
   */
  const stretch = (
    data: Float32Array,
    C: number,
    L: number,
    first: number,
    hostTime: number,
    emit: (frame: FeatureFrame) => void,
    out: Float32Array | undefined,
    outLength: number,
    at: number,
  ): void => {
    if (filtered.length < C * L) {
      filtered = new Float32Array(C * L);
      if (layout && !inline) afterReference = new Float32Array(C * L);
    }
    const f = filtered.subarray(0, C * L);
    sosFilter(sos!, filterState!, data, f, C, L);
    if (inline) {
      // The reference exactly as commonAverageReference computes it (same order of sums).
      if (scratch.length < L) scratch = new Float64Array(L);
      averageOfMembers(f, L, layout!.goodMembers[0]!, 0, L, scratch, 0);
      stage!.push(f, L, first, hostTime, emit, scratch);
      if (out) {
        const ref = scratch; // (a local: V8 reloads a closure's mutable variable on every iteration)
        for (let c = 0; c < C; c++) {
          const from = c * L;
          const to = c * outLength + at;
          for (let i = 0; i < L; i++) out[to + i] = f[from + i]! - ref[i]!;
        }
      }
      return;
    }
    let signal = f;
    if (layout) {
      const r = afterReference.subarray(0, C * L);
      const need = reference === 'median' ? C : L;
      if (scratch.length < need) scratch = new Float64Array(need);
      if (reference === 'median') commonMedianReference(layout, f, r, L, scratch);
      else commonAverageReference(layout, f, r, L, scratch);
      signal = r;
    }
    stage!.push(signal, L, first, hostTime, emit);
    if (out) copyChannelRows(signal, L, 0, out, outLength, at, C, L);
  };
  return (block, emit, referenced) => {
    const info = block.info;
    const C = channelCount(info);
    const L = block.length;
    if (!sos) {
      sos = designButterworth({ type: 'bandpass', order, cutoffHz: bandHz, sampleRateHz: info.sampleRateHz });
      filterState = createSosState(sos, C);
      stage = new SpikeBandStage(info, features);
      if (reference !== 'none') {
        layout = referenceLayoutFor(info, { method: reference });
        inline = reference === 'average' && stage.allNeural && layout.members.length === 1 && layout.goodMembers[0]!.length === C;
      }
    }
    // A long block (a replay's whole record batch) goes through in tiles that stay in the cache
    // between the passes; the chain is block-size independent, so the bins are the same.
    const T = tileSamples(C);
    if (referenced && referenced.length < C * L) {
      throw new InvalidDataError('the referenced samples\' buffer', `at least ${C * L} values (${C} channels × ${L} samples)`, referenced);
    }
    if (L <= 2 * T) {
      stretch(block.data, C, L, block.first, block.hostTime, emit, referenced, L, 0);
      return;
    }
    if (tile.length < C * T) tile = new Float32Array(C * T);
    for (let t = 0; t < L; t += T) {
      const n = Math.min(T, L - t);
      const part = tile.subarray(0, C * n);
      copyChannelRows(block.data, L, t, part, n, 0, C, n);
      stretch(part, C, n, block.first + t, block.hostTime, emit, referenced, L, t);
    }
  };
}

/** Samples per tile: about 256 KB of float32 for all channels (one pass's working set in L2). */
function tileSamples(channels: number): number {
  return Math.max(32, Math.floor(65536 / channels));
}

/** The intracortical chain composed of the public operators (each block a new array). */
export function intracorticalChainComposed(options: IntracorticalChainOptions = {}): OperatorFunction<SampleBlock, FeatureFrame> {
  const { bandHz = SPIKE_BAND_HZ, order = 4, reference = 'average', ...features } = options;
  const filter = iirFilter((fs) => designButterworth({ type: 'bandpass', order, cutoffHz: bandHz, sampleRateHz: fs }));
  const features$ = spikeBandFeatures(features);
  return reference === 'none' ? pipe(filter, features$) : pipe(filter, reReference({ method: reference }), features$);
}

export interface EegChainOptions {
  bandHz?: readonly [number, number];
  order?: number;
  /** Mains frequency to notch (with its harmonics below Nyquist); omit for none. */
  notchHz?: number;
}

export function eegChain(options: EegChainOptions = {}): OperatorFunction<SampleBlock, SampleBlock> {
  const { bandHz = [1, 40], order = 4, notchHz } = options;
  return iirFilter((fs) => {
    const band = designButterworth({ type: 'bandpass', order, cutoffHz: bandHz, sampleRateHz: fs });
    return notchHz === undefined ? band : cascade(band, designMainsNotch(notchHz, fs, { harmonics: 3 }));
  });
}
