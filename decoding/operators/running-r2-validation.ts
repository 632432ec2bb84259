/**
 * `runningR2Validation(options)` — the online validation of a continuous decoder: each decoded
 * bin's prediction, paired with the task's truth, is scored into a running R² over the last
 * `windowBins` bins; every scored bin gives a {@link RunningR2Score} (what a status line shows
 * now), and every `everyBins`-th one is `due` — the validation to record and show (once a second
 * of 20 ms bins by default). State (the R² window, the count) per subscription.
 */
import type { OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';
import type { DecoderValidation } from '../decoder-validation.js';
import { RunningR2 } from '../evaluation/running-r2.js';

/** One decoded bin paired with the truth: the predicted and true values of each scored dimension, in order. */
export interface R2Sample {
  readonly bin: number;
  readonly predicted: ArrayLike<number>;
  readonly truth: ArrayLike<number>;
}

/** Options of {@link runningR2Validation}. */
export interface RunningR2ValidationOptions {
  /** Names of the scored dimensions (e.g. `['vel_x', 'vel_y']`). */
  dimensions: readonly string[];
  /** Samples per bin and the stream's rate: a bin's last sample and the window's seconds. */
  binSamples: number;
  sampleRateHz: number;
  /** Bins the R² covers (default 500: 10 s of 20 ms bins). */
  windowBins?: number;
  /** A validation is due every this many scored bins (default 50: 1 s of 20 ms bins). */
  everyBins?: number;
}

/** The running R² after one scored bin. */
export interface RunningR2Score {
  /** At this bin: `value` the pooled (variance-weighted) R², `perDimension` each dimension's (NaN where its truth held still). */
  readonly validation: DecoderValidation;
  /** Mean of the dimensions' R² where defined (NaN when none is). */
  readonly meanR2: number;
  /** Bins in the window. */
  readonly size: number;
  /** Every `everyBins`-th scored bin, once the window holds two: the validation to report. */
  readonly due: boolean;
}

/** Scores each decoded bin against the truth into a running R²: one {@link RunningR2Score} per bin, `due` every `everyBins`. */
export function runningR2Validation(options: RunningR2ValidationOptions): OperatorFunction<R2Sample, RunningR2Score> {
  const { dimensions, binSamples, sampleRateHz } = options;
  const windowBins = options.windowBins ?? 500;
  const everyBins = options.everyBins ?? 50;
  if (dimensions.length < 1) throw new InvalidOptionError('runningR2Validation dimensions', 'at least one dimension', '[]');
  if (!Number.isInteger(everyBins) || everyBins < 1) throw new InvalidOptionError('runningR2Validation everyBins', 'a positive integer', everyBins);
  return operate<R2Sample, RunningR2Score>((source, subscriber) => {
    const r2 = new RunningR2(dimensions.length, windowBins);
    let scored = 0;
    return source.subscribe(
      operatorObserver(subscriber, ({ bin, predicted, truth }: R2Sample) => {
        r2.add(predicted, truth);
        scored++;
        subscriber.next({
          validation: {
            bin,
            sample: (bin + 1) * binSamples - 1,
            metric: 'r2',
            value: r2.pooledR2(),
            perDimension: dimensions.map((_, d) => r2.r2(d)),
            dimensions,
            windowS: (r2.size * binSamples) / sampleRateHz,
          },
          meanR2: r2.meanR2(),
          size: r2.size,
          due: scored % everyBins === 0 && r2.size >= 2,
        });
      }),
    );
  });
}
