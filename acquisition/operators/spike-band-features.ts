/**
 * `spikeBandFeatures(options)` — threshold-crossing counts and spike-band power per neural
 * channel in fixed bins (20 ms by default), as FeatureFrames: values are
 * `[tc:<ch>…, sbp:<ch>…]`. Apply to band-passed (e.g. 300–3000 Hz), re-referenced blocks. The
 * sample rate comes from the stream; state belongs to the subscription. Markers are not carried
 * (they stay on the blocks).
 */
import { type OperatorFunction } from 'rxjs';
import { type FeatureFrame, type SampleBlock, type StreamInfo, InvalidDataError, createFeatureFrame } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';
import { type SpikeFeatureOptions, type SpikeFeatureState, createSpikeFeatureState, spikeFeatures } from '../kernels/spike-features.js';

export type SpikeBandFeatureOptions = Omit<SpikeFeatureOptions, 'channels' | 'sampleRateHz'>;

const NEURAL = new Set(['eeg', 'ecog', 'extracellular']);

/** The spike band the intracortical chain filters to by default, Hz: a stream must be sampled above twice its top. */
export const SPIKE_BAND_HZ: readonly [number, number] = [300, 3000];

/** The stream's neural channels (kinds eeg, ecog, extracellular), in order; an error when it has none. */
export function neuralChannelsOf(info: StreamInfo): Int32Array {
  const neural = Int32Array.from(info.channelKinds.flatMap((k, c) => (NEURAL.has(k) ? [c] : [])));
  if (neural.length === 0) throw new InvalidDataError('SampleBlock.info.channelKinds', 'at least one neural channel', info.channelKinds);
  return neural;
}

/** The names of the features of `neural` channels: `tc:<channel>…, sbp:<channel>…` (frozen). */
export function spikeBandFeatureNames(info: StreamInfo, neural: Int32Array): readonly string[] {
  const channelNames = Array.from(neural, (c) => info.channelNames[c]!);
  return Object.freeze([...channelNames.map((n) => `tc:${n}`), ...channelNames.map((n) => `sbp:${n}`)]);
}

/**
 * The feature stage for one stream: picks its neural channels, names the features and turns the
 * kernel's bins into FeatureFrames. Shared by the operator and the fused intracortical chain.
 */
export class SpikeBandStage {
  readonly neural: Int32Array;
  readonly names: readonly string[];
  /** True when every channel of the stream is neural (no copying needed). */
  readonly allNeural: boolean;
  private readonly state: SpikeFeatureState;
  private subset = new Float32Array(0);
  private hostTime = 0;
  private emitFrame: (frame: FeatureFrame) => void = () => {};
  private readonly emitBin = (bin: number, t0: number, counts: Float64Array, power: Float64Array): void => {
    const C = counts.length;
    const values = new Float32Array(2 * C);
    for (let c = 0; c < C; c++) {
      values[c] = counts[c]!;
      values[C + c] = power[c]!;
    }
    this.emitFrame(createFeatureFrame({ bin, t0, values, names: this.names, hostTime: this.hostTime }));
  };

  constructor(info: StreamInfo, options: SpikeBandFeatureOptions) {
    this.neural = neuralChannelsOf(info);
    this.allNeural = this.neural.length === info.channelNames.length;
    this.names = spikeBandFeatureNames(info, this.neural);
    this.state = createSpikeFeatureState({ ...options, channels: this.neural.length, sampleRateHz: info.sampleRateHz });
  }

  /**
   * Feeds channel-major data of the whole stream (`length` samples from `first`); completed bins
   * go to `emit`. `reference` (only when every channel is neural): subtracted from every channel.
   */
  push(data: Float32Array, length: number, first: number, hostTime: number, emit: (frame: FeatureFrame) => void, reference?: Float64Array): void {
    this.hostTime = hostTime;
    this.emitFrame = emit;
    let input = data;
    if (!this.allNeural) {
      // Only the neural channels, contiguous, in a reused buffer.
      if (this.subset.length < this.neural.length * length) this.subset = new Float32Array(this.neural.length * length);
      this.neural.forEach((c, k) => this.subset.set(data.subarray(c * length, (c + 1) * length), k * length));
      input = this.subset;
    }
    spikeFeatures(this.state, input, length, first, this.emitBin, reference);
  }
}

export function spikeBandFeatures(options: SpikeBandFeatureOptions = {}): OperatorFunction<SampleBlock, FeatureFrame> {
  return operate<SampleBlock, FeatureFrame>((source, subscriber) => {
    let stage: SpikeBandStage | undefined;
    const emit = (frame: FeatureFrame): void => subscriber.next(frame);
    return source.subscribe(
      operatorObserver(subscriber, (block: SampleBlock) => {
        stage ??= new SpikeBandStage(block.info, options);
        stage.push(block.data, block.length, block.first, block.hostTime, emit);
      }),
    );
  });
}
