/**
 * Interruption of a batch job (`convert`): SIGINT/SIGTERM are caught while the job writes its
 * output, the job gives the event loop a turn at `checkpoint()` (every few tens of milliseconds of
 * work, so a signal is seen promptly), and a checkpoint after a signal throws BatchInterrupted —
 * the job then removes its partial output and the command exits 128 + the signal's number.
 */
import { constants } from 'node:os';
import { hostNowMs } from '../core/index.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type BatchSignal = (typeof SIGNALS)[number];

/** Thrown at the first checkpoint after a signal. */
export class BatchInterrupted extends Error {
  constructor(readonly signal: BatchSignal) {
    super(`interrupted by ${signal}`);
  }

  /** The conventional exit status: 128 + the signal's number (130 for SIGINT, 143 for SIGTERM). */
  get exitCode(): number {
    return 128 + constants.signals[this.signal];
  }
}

export interface BatchInterrupt {
  /** Yields to the event loop when `everyMs` of work has passed; throws BatchInterrupted after a signal. */
  checkpoint(): Promise<void>;
  /** Stops catching signals (their default action returns). */
  dispose(): void;
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
        await new Promise((resolve) => setTimeout(resolve, 0));
        last = hostNowMs();
      }
      if (received !== undefined) throw new BatchInterrupted(received);
    },
    dispose() {
      for (const [signal, handler] of handlers) process.off(signal, handler);
    },
  };
}
