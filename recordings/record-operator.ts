/**
 * `record(dir)` — a pass-through operator that records the blocks flowing through it into a
 * recording directory (docs/recording-format.md) with a Recorder (recorder.ts: a worker thread
 * writes, acquisition never waits).
 */
import type { OperatorFunction } from 'rxjs';
import type { SampleBlock } from '../core/index.js';
import { operate, operatorObserver } from '../core/operate.js';
import { Recorder, type RecorderOptions, type RecorderStatus } from './recorder.js';
import { RecordingError } from './recording-error.js';

/** Options of {@link record}: the Recorder's (pipeline description, batching, queue bound, `lossless` …) and two callbacks. */
export interface RecordOptions extends RecorderOptions {
  /** Called with the Recorder when it starts (at the first block): to add features, intents, markers or notes. */
  onStart?: (recorder: Recorder) => void;
  /** Called with the final status once the recording is finalised (on complete, error or unsubscribe). */
  onClose?: (status: RecorderStatus) => void;
}

/**
 * Records every block into `dir` (new or empty) and passes it on unchanged. The recording
 * starts at the first block (its StreamInfo describes the stream) and is finalised when the
 * source completes (the completion is passed on once every file is closed, so the directory can
 * be opened at once), when it errors (the error is passed on after the files are closed: what
 * was recorded is kept), or when the subscriber unsubscribes (finalised in the background).
 * A recording that failed (disk full …) turns the completion into a RecordingError; blocks keep
 * flowing meanwhile. Each subscription records its own stream: subscribe once (share the source
 * for other consumers).
 *
 * @example
 * ```ts
 * await lastValueFrom(simulate({ kind: 'eeg', channels: 8, durationS: 5, fast: true }).pipe(record('run-1')));
 * ```
 */
export function record(dir: string, options: RecordOptions = {}): OperatorFunction<SampleBlock, SampleBlock> {
  const { onStart, onClose, ...recorderOptions } = options;
  return operate<SampleBlock, SampleBlock>((source, subscriber) => {
    let recorder: Recorder | undefined;
    let closing: Promise<RecorderStatus> | undefined;
    const close = (): Promise<RecorderStatus> | undefined => {
      if (!recorder) return undefined;
      if (!closing) {
        closing = recorder.close();
        void closing.then((status) => onClose?.(status));
      }
      return closing;
    };
    const subscription = source.subscribe(
      operatorObserver(
        subscriber,
        (block: SampleBlock) => {
          if (!recorder) {
            recorder = new Recorder(dir, block.info, recorderOptions);
            onStart?.(recorder);
          }
          recorder.writeBlock(block);
          subscriber.next(block);
        },
        {
          error: (error: unknown) => {
            const closed = close();
            if (!closed) subscriber.error(error);
            else void closed.then(() => subscriber.error(error));
          },
          complete: () => {
            const closed = close();
            if (!closed) subscriber.complete();
            else
              void closed.then((status) => {
                if (status.state === 'failed') subscriber.error(new RecordingError(status.error ?? `recording to ${dir} failed`));
                else subscriber.complete();
              });
          },
        },
      ),
    );
    return () => {
      subscription.unsubscribe();
      void close();
    };
  });
}
