/**
 * decode — FeatureFrames in, Intents out, through one Decoder, never holding acquisition back.
 *
 * Frames are decoded in order, one at a time. A synchronous decoder (the built-ins) answers
 * before the next frame arrives. An asynchronous one (ONNX) may still be busy when frames come:
 * they wait in a queue of at most `maxQueue` frames; when it is full the oldest waiting frame is
 * dropped and counted (a stale bin is worth less than a fresh one). `stats()` reports decoded,
 * dropped, the queue's length and the lag (how long the frame being decoded had waited).
 *
 * Latency (Intent.latency), from the arrival of the bin's last byte (`frame.hostTime`):
 *   acquisitionMs — until the block entered processing (given by `timing`, 0 when unknown),
 *   featuresMs    — the rest of the way to the frame reaching this operator,
 *   decodeMs      — waiting in the queue plus decoding, until the Intent is emitted;
 *   heldMs        — (given by `held`, when the frame was held back upstream waiting for a model,
 *                   e.g. during a calibration) that wait, taken out of featuresMs.
 * State (decoder state — reset at subscription —, queue, counters) is per subscription; the
 * decoder instance must not be shared by two live subscriptions (its recurrent state would mix).
 * Offline sources (replay) that must lose nothing give a large `maxQueue` and hold back while
 * `stats().queued` is high.
 */
import type { OperatorFunction } from 'rxjs';
import { InvalidOptionError, createIntent, hostNowMs, type FeatureFrame, type Intent } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';
import type { Decoder } from '../decoder.js';

export interface DecodeOptions {
  /** Most frames waiting for an asynchronous decoder (default 8). */
  maxQueue?: number;
  /** Acquisition delay of the bin (ms), when the session measured it. */
  timing?: (frame: FeatureFrame) => number;
  /** How long the bin was held back upstream waiting for a model (ms, 0 when it was not): reported as `heldMs`, not as latency. */
  held?: (frame: FeatureFrame) => number;
  /** Receives the running figures after every frame. */
  onStats?: (stats: DecodeStats) => void;
}

export interface DecodeStats {
  decoded: number;
  dropped: number;
  queued: number;
  /** How long the last decoded frame waited before its decode began (ms). */
  lagMs: number;
  maxLagMs: number;
  /** Duration of the last decode (ms). */
  decodeMs: number;
}

export function decode(decoder: Decoder, options: DecodeOptions = {}): OperatorFunction<FeatureFrame, Intent> {
  const maxQueue = options.maxQueue ?? 8;
  if (!Number.isInteger(maxQueue) || maxQueue < 1) throw new InvalidOptionError('decode maxQueue', 'a positive integer', maxQueue);
  const features = decoder.inputShape.length === 1 ? decoder.inputShape[0]! : -1;
  if (features < 0) throw new InvalidOptionError(`decoder ${decoder.name}`, 'a decoder of feature vectors (input shape [F])', `input shape [${decoder.inputShape.join(', ')}]`);
  return operate<FeatureFrame, Intent>((source, subscriber) => {
    decoder.reset(); // a subscription starts from the decoder's initial state
    const stats: DecodeStats = { decoded: 0, dropped: 0, queued: 0, lagMs: 0, maxLagMs: 0, decodeMs: 0 };
    const queue: { frame: FeatureFrame; receivedAt: number }[] = [];
    let busy = false;
    let sourceDone = false;
    let closed = false;

    const emit = (frame: FeatureFrame, receivedAt: number, started: number, values: Float32Array): void => {
      const now = hostNowMs();
      const acquisitionMs = Math.max(0, options.timing?.(frame) ?? 0);
      const heldMs = Math.max(0, options.held?.(frame) ?? 0);
      stats.decoded++;
      stats.decodeMs = now - started;
      subscriber.next(
        createIntent({
          bin: frame.bin,
          kind: decoder.kind,
          values,
          ...(decoder.kind === 'discrete' ? { labels: decoder.outputNames } : {}),
          latency: {
            acquisitionMs,
            featuresMs: Math.max(0, receivedAt - frame.hostTime - acquisitionMs - heldMs),
            decodeMs: now - receivedAt,
            ...(heldMs > 0 ? { heldMs } : {}),
          },
        }),
      );
      options.onStats?.({ ...stats });
    };

    const pump = (): void => {
      while (!busy && !closed && queue.length > 0) {
        const { frame, receivedAt } = queue.shift()!;
        stats.queued = queue.length;
        const started = hostNowMs();
        stats.lagMs = started - receivedAt;
        stats.maxLagMs = Math.max(stats.maxLagMs, stats.lagMs);
        if (frame.values.length !== features) {
          subscriber.error(new InvalidOptionError(`decoder ${decoder.name} input`, `${features} features`, `${frame.values.length} in bin ${frame.bin}`));
          return;
        }
        let result: Float32Array | Promise<Float32Array>;
        try {
          result = decoder.decode(frame.values);
        } catch (error) {
          subscriber.error(error);
          return;
        }
        if (result instanceof Float32Array) {
          emit(frame, receivedAt, started, result);
          continue;
        }
        busy = true;
        result.then(
          (values) => {
            busy = false;
            if (closed) return;
            emit(frame, receivedAt, started, values);
            pump();
            if (sourceDone && queue.length === 0 && !busy) subscriber.complete();
          },
          (error: unknown) => {
            busy = false;
            if (!closed) subscriber.error(error);
          },
        );
      }
    };

    const subscription = source.subscribe(
      operatorObserver(
        subscriber,
        (frame: FeatureFrame) => {
          queue.push({ frame, receivedAt: hostNowMs() });
          if (queue.length > maxQueue) {
            queue.shift();
            stats.dropped++;
          }
          stats.queued = queue.length;
          pump();
        },
        {
          complete: () => {
            sourceDone = true;
            if (queue.length === 0 && !busy) subscriber.complete();
          },
        },
      ),
    );
    return () => {
      closed = true;
      queue.length = 0;
      subscription.unsubscribe();
    };
  });
}
