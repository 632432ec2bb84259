/**
 * `trialAccuracy(options)` — the online validation of a trial (discrete) decoder: each decoded
 * trial is scored against its cue (the class with the largest output is the decision) and the
 * running accuracy over the last `trials` trials emitted as a DecoderValidation, with the chance
 * level (1 / classes). State (the last trials, the totals) per subscription.
 */
import type { OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';
import type { DecoderValidation } from '../decoder-validation.js';

/** One decoded trial: the decoder's outputs (one per class), the cue's class, and where it ended. */
export interface DecodedTrial {
  readonly values: ArrayLike<number>;
  readonly label: string;
  /** The intent's bin, and the epoch's last sample. */
  readonly bin: number;
  readonly sample: number;
}

/** Options of {@link trialAccuracy}. */
export interface TrialAccuracyOptions {
  /** The decoder's classes, in output order. */
  classes: readonly string[];
  sampleRateHz: number;
  /** Trials the running accuracy covers (default {@link ACCURACY_TRIALS}). */
  trials?: number;
}

/** Trials the running accuracy is computed over, by default. */
export const ACCURACY_TRIALS = 20;

/** The running accuracy after one trial, and the totals since subscription. */
export interface TrialScore {
  readonly validation: DecoderValidation;
  /** Whether this trial was decoded right. */
  readonly hit: boolean;
  /** Trials decoded right among the last ones (`validation.trials` of them). */
  readonly recentHits: number;
  readonly decoded: number;
  readonly correct: number;
}

/** Scores each decoded trial against its cue: one {@link TrialScore} (the running accuracy of the last trials) per trial. */
export function trialAccuracy(options: TrialAccuracyOptions): OperatorFunction<DecodedTrial, TrialScore> {
  const { classes, sampleRateHz } = options;
  const window = options.trials ?? ACCURACY_TRIALS;
  if (!Number.isInteger(window) || window < 1) throw new InvalidOptionError('trialAccuracy trials', 'a positive integer', window);
  if (classes.length < 2) throw new InvalidOptionError('trialAccuracy classes', 'at least two classes', classes.length);
  return operate<DecodedTrial, TrialScore>((source, subscriber) => {
    /** The last `window` trials: hit or not, and the epoch's last sample. */
    const recent: { hit: boolean; sample: number }[] = [];
    let decoded = 0;
    let correct = 0;
    return source.subscribe(
      operatorObserver(subscriber, ({ values, label, bin, sample }: DecodedTrial) => {
        let best = 0;
        for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
        const hit = classes[best] === label;
        decoded++;
        if (hit) correct++;
        recent.push({ hit, sample });
        if (recent.length > window) recent.shift();
        let recentHits = 0;
        for (const r of recent) if (r.hit) recentHits++;
        const windowS = (sample - recent[0]!.sample) / sampleRateHz;
        subscriber.next({
          validation: { bin, sample, metric: 'accuracy', value: recentHits / recent.length, perDimension: [], dimensions: [], windowS, trials: recent.length, chance: 1 / classes.length },
          hit,
          recentHits,
          decoded,
          correct,
        });
      }),
    );
  });
}
