/**
 * The session's trial decoder, for streams whose task gives cues: wiring over the `decodeTrials`
 * operator (decoding/operators: band-pass → epochs → features → decode → running accuracy) — raw
 * blocks go in, intents and validations come out to the session's callbacks — and the decoder's
 * line of the terminal status.
 */
import { Subject, type Subscription } from 'rxjs';
import type { Intent, SampleBlock } from '../core/index.js';
import type { Decoder } from '../decoding/decoder.js';
import type { DecoderValidation } from '../decoding/decoder-validation.js';
import type { DecoderState } from '../dashboard/protocol/dashboard-messages.js';
import { decodeTrials, type DecodeTrialsOptions, type DecodeTrialsView } from '../decoding/operators/decode-trials.js';

export { ACCURACY_TRIALS } from '../decoding/operators/trial-accuracy.js';

/** The trial-decoding operator's options (stream, model, window, band, bins, channel map) and the session's callbacks. */
export interface SessionTrialDecoderOptions extends Omit<DecodeTrialsOptions, 'onView'> {
  onIntent: (intent: Intent) => void;
  onValidation?: (validation: DecoderValidation) => void;
  onError: (error: unknown) => void;
  /** Told once, when decoding is set up (to record which decoder runs). */
  onReady?: (decoder: { name: string; provider: string; calibrationBins: number; features: number }) => void;
}

export class SessionTrialDecoder {
  private readonly decoder: Decoder;
  private readonly input = new Subject<SampleBlock>();
  private readonly subscription: Subscription;
  private view: DecodeTrialsView | undefined;
  private failed = false;
  private readonly done: Promise<void>;

  /** Refuses (throws) a model that cannot decode the stream's trials, naming why. */
  constructor(options: SessionTrialDecoderOptions) {
    const { onIntent: _onIntent, onValidation: _onValidation, onError: _onError, onReady: _onReady, ...trialOptions } = options;
    this.decoder = options.decoder;
    const operator = decodeTrials({ ...trialOptions, onView: (view) => (this.view = view) });
    let done: () => void = () => {};
    this.done = new Promise<void>((resolve) => (done = resolve));
    this.subscription = this.input.pipe(operator).subscribe({
      next: (event) => {
        if (event.type === 'intent') options.onIntent(event.intent);
        else options.onValidation?.(event.validation);
      },
      error: (error: unknown) => {
        this.failed = true;
        done();
        options.onError(error);
      },
      complete: () => done(),
    });
    options.onReady?.({ name: this.decoder.name, provider: this.decoder.provider, calibrationBins: 0, features: this.decoder.inputNames.length });
  }

  /** A raw block of the stream, in order. */
  push(block: SampleBlock): void {
    this.input.next(block);
  }

  status(): string {
    const name = `decoder ${this.decoder.name} (${this.decoder.provider})`;
    if (this.failed) return `DECODER FAILED (${this.decoder.name})`;
    const { score, skipped, lastDecodeMs } = this.view!.state();
    const gaps = skipped > 0 ? `, ${skipped} skipped (gap)` : '';
    const classes = this.decoder.outputNames;
    if (!score) return `${name}: waiting for a cue (${classes.join(' | ')})${gaps}`;
    const trials = score.validation.trials!;
    return (
      `${name}: accuracy ${(score.recentHits / trials).toFixed(2)} (${score.recentHits}/${trials} of the last trials, chance ${(1 / classes.length).toFixed(2)}; ` +
      `${score.correct}/${score.decoded} in all), ${lastDecodeMs.toFixed(2)} ms/trial${gaps}`
    );
  }

  /** What the dashboard shows of the decoder. */
  describe(): { name: string; provider: string; state: DecoderState; kind: 'discrete'; outputs: readonly string[]; backlog: number; validation?: DecoderValidation } {
    const { score, queued } = this.view!.state();
    return {
      name: this.decoder.name,
      provider: this.decoder.provider,
      state: this.failed ? 'failed' : score ? 'decoding' : 'waiting',
      kind: 'discrete',
      outputs: this.decoder.outputNames,
      backlog: queued,
      ...(score ? { validation: score.validation } : {}),
    };
  }

  /** Epochs cut and not yet decoded (cues still waiting for their epoch's end are not a backlog). */
  backlog(): number {
    return this.view!.state().queued;
  }

  /** No more blocks: waits (at most `timeoutMs`) for the trials being decoded. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.input.complete();
    await Promise.race([this.done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}
