/**
 * `zScore(options)` — standardises each feature of a FeatureFrame stream: (x − mean) / SD, with
 * mean and SD estimated over the first `calibrationBins` bins (Welford; used as they accumulate)
 * and then frozen, or — `mode: 'running'` — followed by exponential moving estimates with a time
 * constant of `timeConstantBins`. A feature with zero variance so far gives 0. State per
 * subscription.
 */
import { type OperatorFunction } from 'rxjs';
import { type FeatureFrame, checkInteger, checkOneOf, createFeatureFrame } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';

export interface ZScoreOptions {
  /** Default 50 (1 s of 20 ms bins). */
  calibrationBins?: number;
  mode?: 'calibration' | 'running';
  /** Default 500 bins (10 s of 20 ms bins). */
  timeConstantBins?: number;
}

export function zScore(options: ZScoreOptions = {}): OperatorFunction<FeatureFrame, FeatureFrame> {
  const calibrationBins = checkInteger('option', 'calibrationBins', options.calibrationBins ?? 50, { min: 1 });
  const mode = checkOneOf('option', 'mode', options.mode ?? 'calibration', ['calibration', 'running'] as const);
  const tau = checkInteger('option', 'timeConstantBins', options.timeConstantBins ?? 500, { min: 1 });
  const alpha = 1 - Math.exp(-1 / tau);
  return operate<FeatureFrame, FeatureFrame>((source, subscriber) => {
    let mean: Float64Array | undefined;
    let m2: Float64Array | undefined;
    let variance: Float64Array | undefined;
    let seen = 0;
    return source.subscribe(
      operatorObserver(subscriber, (frame: FeatureFrame) => {
        const F = frame.values.length;
        if (!mean) {
          mean = new Float64Array(F);
          m2 = new Float64Array(F);
          variance = new Float64Array(F);
        }
        if (seen < calibrationBins) {
          // Welford's running mean and variance.
          seen++;
          for (let i = 0; i < F; i++) {
            const x = frame.values[i]!;
            const d = x - mean[i]!;
            mean[i]! += d / seen;
            m2![i]! += d * (x - mean[i]!);
            variance![i] = seen > 1 ? m2![i]! / (seen - 1) : 0;
          }
        } else if (mode === 'running') {
          // Exponentially weighted mean and variance.
          for (let i = 0; i < F; i++) {
            const d = frame.values[i]! - mean[i]!;
            mean[i]! += alpha * d;
            variance![i] = (1 - alpha) * (variance![i]! + alpha * d * d);
          }
        }
        const values = new Float32Array(F);
        for (let i = 0; i < F; i++) {
          const sd = Math.sqrt(variance![i]!);
          values[i] = sd > 0 ? (frame.values[i]! - mean[i]!) / sd : 0;
        }
        subscriber.next(createFeatureFrame({ ...frame, values }));
      }),
    );
  });
}
