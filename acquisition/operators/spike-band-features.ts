/**
 * `spikeBandFeatures(options)` — threshold-crossing counts and spike-band power per neural
 * channel in fixed bins (20 ms by default), as FeatureFrames: values are
 * `[tc:<ch>…, sbp:<ch>…]`. Apply to band-passed (e.g. 300–3000 Hz), re-referenced blocks. The
 * sample rate comes from the stream; state belongs to the subscription. Markers are not carried
 * (they stay on the blocks).
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { type FeatureFrame, type SampleBlock, InvalidDataError, createFeatureFrame } from '../../core/index.js';
import { type SpikeFeatureOptions, type SpikeFeatureState, createSpikeFeatureState, spikeFeatures } from '../kernels/spike-features.js';

export type SpikeBandFeatureOptions = Omit<SpikeFeatureOptions, 'channels' | 'sampleRateHz'>;

const NEURAL = new Set(['eeg', 'ecog', 'extracellular']);

export function spikeBandFeatures(options: SpikeBandFeatureOptions = {}): OperatorFunction<SampleBlock, FeatureFrame> {
  return (source) =>
    new Observable<FeatureFrame>((subscriber) => {
      let state: SpikeFeatureState | undefined;
      let neural: Int32Array | undefined;
      let names: readonly string[] = [];
      let subset = new Float32Array(0);
      let hostTime = 0;
      const emit = (bin: number, t0: number, counts: Float64Array, power: Float64Array): void => {
        const C = counts.length;
        const values = new Float32Array(2 * C);
        for (let c = 0; c < C; c++) {
          values[c] = counts[c]!;
          values[C + c] = power[c]!;
        }
        subscriber.next(createFeatureFrame({ bin, t0, values, names, hostTime }));
      };
      const subscription = source.subscribe({
        next: (block) => {
          try {
            if (!state) {
              const info = block.info;
              neural = Int32Array.from(info.channelKinds.flatMap((k, c) => (NEURAL.has(k) ? [c] : [])));
              if (neural.length === 0) throw new InvalidDataError('SampleBlock.info.channelKinds', 'at least one neural channel', info.channelKinds);
              const channelNames = Array.from(neural, (c) => info.channelNames[c]!);
              names = Object.freeze([...channelNames.map((n) => `tc:${n}`), ...channelNames.map((n) => `sbp:${n}`)]);
              state = createSpikeFeatureState({ ...options, channels: neural.length, sampleRateHz: info.sampleRateHz });
            }
            hostTime = block.hostTime;
            let data = block.data;
            if (neural!.length !== block.info.channelNames.length) {
              // Only the neural channels, contiguous, in a reused buffer.
              const L = block.length;
              if (subset.length < neural!.length * L) subset = new Float32Array(neural!.length * L);
              neural!.forEach((c, k) => subset.set(block.data.subarray(c * L, (c + 1) * L), k * L));
              data = subset;
            }
            spikeFeatures(state, data, block.length, block.first, emit);
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => subscription.unsubscribe();
    });
}
