/**
 * `intracorticalChainSteps(options)` — the intracortical chain (band-pass → common-average or
 * median reference → threshold crossings and spike-band power in bins), one step per block: the
 * block and the bins it completed, in block order. With `workers: 1` (the default) it runs in the
 * subscriber's thread (the fused chain); with N ≥ 2 its channels are split over N worker threads
 * sharing memory, with the same FeatureFrames bit for bit — later, since the threads work
 * while the stream goes on. A session uses the steps to keep each block's markers ahead of the
 * bins that block completed.
 *
 * State (filters, features, threads) belongs to the subscription: the threads start with the
 * first block and are terminated when the subscription ends.
 */
import { type OperatorFunction } from 'rxjs';
import { type FeatureFrame, type SampleBlock, type StreamInfo, channelCount } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';
import { type IntracorticalChainOptions, fusedIntracorticalChain } from '../chains.js';
import { type ChainStep, ChannelParallelChain, chainStep } from './channel-parallel-chain.js';

export type { ChainStep } from './channel-parallel-chain.js';

/** What a running chain reports. */
export interface ChainView {
  /** Threads the chain runs on (1: the subscriber's own). */
  readonly workers: number;
  /**
   * Blocks waiting for room in the workers' shared ring, or 1 while it has no room for another block
   * as long as the first (0 in the subscriber's thread): an offline source holds back while above 0.
   */
  backlog(): number;
  /** Worker threads still running (0 once the subscription has ended and they have exited). */
  threadsAlive(): number;
}

export interface IntracorticalChainStepsOptions extends IntracorticalChainOptions {
  /** Called once the first block has set the chain up. */
  onView?: (view: ChainView) => void;
  /**
   * Asked as each block comes in: true, and that block's step carries its referenced samples
   * (`ChainStep.referenced`: band-passed and re-referenced, as the features saw them) — a display
   * of the spike band at the cost of writing them out, not of a second filter pass (on N threads, the
   * workers write them). Default: never.
   */
  referenced?: () => boolean;
}

/** Streams smaller than this (channels × rate, samples/s) keep the chain in one thread by default. */
const PARALLEL_MIN_SAMPLES_PER_S = 64 * 30_000;
/** Channels per worker, at least, by default. */
const MIN_CHANNELS_PER_WORKER = 32;

/**
 * The workers a stream's chain gets by default on a machine of `cores` cores: one core stays with
 * the session's own thread (source, decoder, recorder, dashboard), so cores − 1, at least 32
 * channels each; 1 (the chain in the session's thread) for small streams — under 64 channels, or
 * under 64 × 30 kHz samples/s — and wherever that leaves fewer than two.
 */
export function defaultChainWorkers(info: StreamInfo, cores: number): number {
  const C = channelCount(info);
  if (C < 64 || C * info.sampleRateHz < PARALLEL_MIN_SAMPLES_PER_S) return 1;
  const n = Math.min(cores - 1, Math.floor(C / MIN_CHANNELS_PER_WORKER));
  return n >= 2 ? n : 1;
}

export function intracorticalChainSteps(options: IntracorticalChainStepsOptions = {}): OperatorFunction<SampleBlock, ChainStep> {
  const { onView, referenced: wantReferenced, ...chainOptions } = options;
  const workers = chainOptions.workers ?? 1;
  return operate<SampleBlock, ChainStep>((source, subscriber) => {
    let parallel: ChannelParallelChain | undefined;
    let inThread: ((block: SampleBlock, emit: (frame: FeatureFrame) => void, referenced?: Float32Array) => void) | undefined;
    let frames: FeatureFrame[] = [];
    const collect = (frame: FeatureFrame): void => void frames.push(frame);
    const subscription = source.subscribe(
      operatorObserver(
        subscriber,
        (block: SampleBlock) => {
          if (!parallel && !inThread) {
            if (workers === 1) {
              inThread = fusedIntracorticalChain(chainOptions);
              onView?.({ workers: 1, backlog: () => 0, threadsAlive: () => 0 });
            } else {
              const chain = new ChannelParallelChain(block.info, { ...chainOptions, workers, blockSamples: block.length }, {
                step: (step) => subscriber.next(step),
                error: (error) => subscriber.error(error),
                complete: () => subscriber.complete(),
              });
              parallel = chain;
              onView?.({ workers, backlog: () => chain.backlog(), threadsAlive: () => chain.threadsAlive() });
            }
          }
          const want = wantReferenced?.() === true;
          if (parallel) {
            parallel.push(block, want);
            return;
          }
          const out = want ? new Float32Array(channelCount(block.info) * block.length) : undefined;
          inThread!(block, collect, out);
          const step = chainStep(block, frames, out);
          frames = [];
          subscriber.next(step);
        },
        { complete: () => (parallel ? parallel.end() : subscriber.complete()) },
      ),
    );
    return () => {
      subscription.unsubscribe();
      parallel?.close();
    };
  });
}
