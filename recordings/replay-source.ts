/**
 * replaySource — a recording's main stream as a live-like Observable<SampleBlock>: the same
 * blocks (values, sample indices, gaps, markers) a device would have delivered, paced at
 * `speed` × real time, or as fast as the consumer takes them (`'max'`). Each subscription reads
 * the files afresh; unsubscribing stops reading. `hostTime` is the emission time, so latency
 * figures downstream measure the replayed pipeline.
 *
 * At `'max'` blocks are whole record batches (no copy: views of what was read), each read by the
 * thread pool while the previous one is processed; paced replays cut them to `blockMs`. Processing is block-size independent (DESIGN), so either gives the same features.
 */
import { Observable, type Subscriber } from 'rxjs';
import { InvalidOptionError, createSampleBlock, hostNowMs, type SampleBlock } from '../core/index.js';
import type { Recording } from './recording-reader.js';

export type ReplaySpeed = number | 'max';

export interface ReplayOptions {
  /** Multiple of real time (e.g. 1, 10), or `'max'`. */
  speed: ReplaySpeed;
  /** Block duration when paced (default 10 ms). */
  blockMs?: number;
  /** Called with the sample index reached after each block (progress displays). */
  onProgress?: (endSample: number) => void;
  /**
   * Asked before each block, at any speed: while it answers true (a lossless consumer still busy —
   * a decoder with bins queued, a recorder with data queued for the disk), the replay waits
   * instead of outrunning it, so nothing downstream drops. A replay has no deadline: at a paced
   * speed the time waited moves the schedule on, rather than being caught up in a burst.
   */
  holdBack?: () => boolean;
  /**
   * `'max'` only: a block's data is valid only while the observers' `next` runs — the memory of
   * the batches read is reused rather than allocated anew (a consumer that keeps samples copies
   * them, as the recorder, the chains and the dashboard do). Without it, every batch is fresh
   * memory: page faults on its first touch and garbage collections to free it, over half of a
   * plain replay's time (Recording.blocksAhead's `reuseMemory`).
   */
  reuseMemory?: boolean;
}

/** At `'max'`, give the event loop a turn after this much work (signals, timers, status). */
const YIELD_EVERY_MS = 20;

export function checkReplaySpeed(speed: unknown): ReplaySpeed {
  if (speed === 'max') return speed;
  if (typeof speed === 'number' && Number.isFinite(speed) && speed > 0 && speed <= 1e6) return speed;
  throw new InvalidOptionError('--speed', 'a positive multiple of real time (e.g. 1, 10) or max', speed);
}

export function replaySource(recording: Recording, options: ReplayOptions): Observable<SampleBlock> {
  const speed = checkReplaySpeed(options.speed);
  const blockMs = options.blockMs ?? 10;
  if (!(blockMs > 0 && blockMs <= 10_000)) throw new InvalidOptionError('blockMs', 'from 0 to 10000 ms', blockMs);
  const rateHz = recording.info.sampleRateHz;
  if (speed === 'max') return fullSpeed(recording, options);
  return new Observable<SampleBlock>((subscriber) => {
    const blocks = recording.blocks({ maxBlockSamples: Math.max(1, Math.round((blockMs * rateHz) / 1000)) })[Symbol.iterator]();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let startWall = -1;
    let startSample = 0;

    const emit = (block: SampleBlock): void => deliver(subscriber, block, options);

    /** The block the replay waits to emit while a consumer is busy, and since when it waits. */
    let held: SampleBlock | undefined;
    let heldSince = -1;
    const step = (): void => {
      timer = undefined;
      try {
        while (!stopped) {
          let block: SampleBlock;
          if (held) {
            block = held;
            held = undefined;
          } else {
            const next = blocks.next();
            if (next.done) {
              subscriber.complete();
              return;
            }
            block = next.value;
          }
          if (options.holdBack?.()) {
            // A consumer is behind: wait for it (checking every millisecond), then go on with this block.
            held = block;
            if (heldSince < 0) heldSince = hostNowMs();
            timer = setTimeout(step, 1);
            return;
          }
          if (heldSince >= 0) {
            if (startWall >= 0) startWall += hostNowMs() - heldSince; // the pace resumes from here
            heldSince = -1;
          }
          if (startWall < 0) {
            startWall = hostNowMs();
            startSample = block.first;
          }
          // Due when its last sample would have arrived from a device running `speed` × real time.
          const due = startWall + ((block.first + block.length - startSample) * 1000) / rateHz / speed;
          const wait = due - hostNowMs();
          if (wait > 1) {
            timer = setTimeout(() => {
              if (!stopped) emit(block);
              step();
            }, wait);
            return;
          }
          emit(block);
        }
      } catch (error) {
        subscriber.error(error);
      }
    };
    timer = setTimeout(step, 0);
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      blocks.return?.();
    };
  });
}

/** A replayed block goes out stamped with its emission time, and its progress is reported. */
function deliver(subscriber: Subscriber<SampleBlock>, block: SampleBlock, options: ReplayOptions): void {
  subscriber.next(createSampleBlock({ ...block, hostTime: hostNowMs() }));
  options.onProgress?.(block.first + block.length);
}

/**
 * `'max'`: whole record batches as fast as the consumer takes them, each read while the previous
 * one is processed (`blocksAhead`); the event loop gets a turn (setImmediate: no timer's
 * millisecond) after every YIELD_EVERY_MS of work, and a 1 ms wait while `holdBack` says so.
 */
function fullSpeed(recording: Recording, options: ReplayOptions): Observable<SampleBlock> {
  return new Observable<SampleBlock>((subscriber) => {
    const blocks = recording.blocksAhead(options.reuseMemory ? { reuseMemory: true } : {})[Symbol.asyncIterator]();
    let stopped = false;
    const run = async (): Promise<void> => {
      let sliceStart = hostNowMs();
      for (;;) {
        const next = await blocks.next();
        if (stopped) return;
        if (next.done) {
          subscriber.complete();
          return;
        }
        while (options.holdBack?.()) {
          await new Promise((resolve) => setTimeout(resolve, 1)); // a lossless consumer is behind
          if (stopped) return;
          sliceStart = hostNowMs();
        }
        deliver(subscriber, next.value, options);
        if (hostNowMs() - sliceStart >= YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          if (stopped) return;
          sliceStart = hostNowMs();
        }
      }
    };
    run().catch((error: unknown) => {
      if (!stopped) subscriber.error(error);
    });
    return () => {
      stopped = true;
      void blocks.return?.();
    };
  });
}
