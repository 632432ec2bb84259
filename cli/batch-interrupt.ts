/**
 * Interruption of a batch job (`convert`): SIGINT/SIGTERM/SIGHUP are caught from before the job's
 * first pass over its input until it is done, the job gives the event loop a turn at
 * `checkpoint()` (every few tens of milliseconds of work, so a signal is seen promptly), and a
 * checkpoint after a signal throws BatchInterrupted — the job then removes its partial output and
 * the command exits 128 + the signal's number. `finish()` checks once more when the work is done,
 * so a signal during the last synchronous stretch (closing files) is not lost.
 */
import { constants } from 'node:os';
import { ErrorCode, hostNowMs, NeurostreamError } from '../core/index.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type BatchSignal = (typeof SIGNALS)[number];

/** Thrown at the first checkpoint after a signal (code NS_INTERRUPTED). */
export class BatchInterrupted extends NeurostreamError {
  constructor(readonly signal: BatchSignal) {
    super(ErrorCode.Interrupted, `interrupted by ${signal}`);
  }

  /** The conventional exit status: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
  get exitCode(): number {
    return 128 + constants.signals[this.signal];
  }
}

export interface BatchInterrupt {
  /** Yields to the event loop when `everyMs` of work has passed; throws BatchInterrupted after a signal. */
  checkpoint(): Promise<void>;
  /**
   * The job's work is done: gives the event loop one more turn (a signal that came during the
   * synchronous work since the last checkpoint is handled then) and throws BatchInterrupted if a
   * signal came at any time. Call it before `dispose()`.
   */
  finish(): Promise<void>;
  /** Stops catching signals (their default action returns). */
  dispose(): void;
}

/**
 * A turn of the event loop through a whole poll phase (where a received signal is handled): two
 * immediates, since one alone runs in the current iteration's check phase when called from an I/O
 * callback, after that iteration's poll phase has already passed.
 */
async function turn(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Catches SIGINT, SIGTERM and SIGHUP until `dispose()`. A second signal while the job is still
 * running (cleanup under way, or a checkpoint never reached) ends the process at once, with
 * `onForcedExit` called first (synchronously) to say what was left.
 */
export function catchBatchInterrupts(onForcedExit: (signal: BatchSignal) => void, everyMs = 25): BatchInterrupt {
  let received: BatchSignal | undefined;
  let last = hostNowMs();
  const handlers = SIGNALS.map((signal) => {
    const handler = (): void => {
      if (received !== undefined) {
        onForcedExit(signal);
        process.exit(128 + constants.signals[signal]);
      }
      received = signal;
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    async checkpoint() {
      if (hostNowMs() - last >= everyMs) {
        await turn();
        last = hostNowMs();
      }
      if (received !== undefined) throw new BatchInterrupted(received);
    },
    async finish() {
      await turn();
      if (received !== undefined) throw new BatchInterrupted(received);
    },
    dispose() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}
