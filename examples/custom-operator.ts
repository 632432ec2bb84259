/**
 * A custom operator: line length (the sum of |x[t] − x[t−1]|, a classic seizure feature) per
 * channel and block, written the way neurostream's own operators are — state (the last sample of
 * each channel) created per subscription, the sample rate read from the stream, never assumed —
 * and used in a pipeline with the built-in ones.
 *
 *   node custom-operator.js
 */
import { Observable, type OperatorFunction, lastValueFrom, toArray } from 'rxjs';
import { type FeatureFrame, type SampleBlock, channelCount, createFeatureFrame } from 'neurostream';
import { highpass } from 'neurostream/acquisition';
import { simulate } from 'neurostream/devices';

/** Line length per channel over each block, in µV per second of signal. */
export function lineLength(): OperatorFunction<SampleBlock, FeatureFrame> {
  return (source) =>
    new Observable<FeatureFrame>((subscriber) => {
      let last: Float64Array | undefined; // per subscription
      let bin = 0;
      return source.subscribe({
        next: (block) => {
          const channels = channelCount(block.info);
          last ??= Float64Array.from({ length: channels }, (_, c) => block.data[c * block.length]!);
          const values = new Float32Array(channels);
          for (let c = 0; c < channels; c++) {
            let sum = 0;
            let previous = last[c]!;
            for (let t = 0; t < block.length; t++) {
              const x = block.data[c * block.length + t]!;
              sum += Math.abs(x - previous);
              previous = x;
            }
            last[c] = previous;
            values[c] = (sum * block.info.sampleRateHz) / block.length;
          }
          subscriber.next(createFeatureFrame({ bin: bin++, t0: block.first, values, names: block.info.channelNames.map((n) => `ll:${n}`), hostTime: block.hostTime }));
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}

const frames = await lastValueFrom(
  simulate({ kind: 'eeg', channels: 8, seed: 2, durationS: 4, blockMs: 500, fast: true }).pipe(highpass({ cutoffHz: 1 }), lineLength(), toArray()),
);
const first = frames[0]!;
console.log(`${frames.length} frames of ${first.values.length} line lengths; ${first.names[0]} = ${first.values[0]!.toFixed(0)} µV/s`);
