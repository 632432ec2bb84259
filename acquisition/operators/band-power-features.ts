/**
 * `bandPowerFeatures(options)` — band power per channel and band over a sliding window (Welch's
 * method on the last `windowS` seconds, every `stepS` seconds), as FeatureFrames named
 * `<band>:<channel>` in µV² — EEG rhythms for decoders, and spectra for the dashboard. Windows
 * end on multiples of the step on the sample clock, so the frames do not depend on block sizes.
 * The Welch segment is the largest power of two not longer than half the window. State (a ring of
 * the last window per channel, the FFT plan) belongs to the subscription.
 */
import { type OperatorFunction } from 'rxjs';
import { type FeatureFrame, type SampleBlock, InvalidOptionError, channelCount, checkNumber, createFeatureFrame } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';
import { type WelchPlan, bandPowerFromPsd, createWelchPlan, welchPsd } from '../spectra/welch.js';

export interface Band {
  name: string;
  loHz: number;
  hiHz: number;
}

export const EEG_BANDS: readonly Band[] = [
  { name: 'theta', loHz: 4, hiHz: 8 },
  { name: 'alpha', loHz: 8, hiHz: 13 },
  { name: 'beta', loHz: 13, hiHz: 30 },
];

export interface BandPowerOptions {
  bands?: readonly Band[];
  /** Default 2 s. */
  windowS?: number;
  /** Default 0.5 s. */
  stepS?: number;
}

export function bandPowerFeatures(options: BandPowerOptions = {}): OperatorFunction<SampleBlock, FeatureFrame> {
  const bands = options.bands ?? EEG_BANDS;
  if (bands.length === 0) throw new InvalidOptionError('bands', 'at least one band', bands);
  bands.forEach((b, i) => {
    checkNumber('option', `bands[${i}].loHz`, b.loHz, { min: 0 });
    checkNumber('option', `bands[${i}].hiHz`, b.hiHz, { min: b.loHz, exclusiveMin: true });
  });
  const windowS = checkNumber('option', 'windowS', options.windowS ?? 2, { min: 0, exclusiveMin: true });
  const stepS = checkNumber('option', 'stepS', options.stepS ?? 0.5, { min: 0, exclusiveMin: true });
  return operate<SampleBlock, FeatureFrame>((source, subscriber) => {
    let C = 0;
    let W = 0;
    let step = 0;
    let fs = 0;
    let ring: Float32Array | undefined;
    let window: Float64Array | undefined;
    let psd: Float64Array | undefined;
    let plan: WelchPlan | undefined;
    let names: readonly string[] = [];
    let seen = 0;
    return source.subscribe(
      operatorObserver(subscriber, (block: SampleBlock) => {
        if (!ring) {
          const info = block.info;
          C = channelCount(info);
          fs = info.sampleRateHz;
          W = Math.round(windowS * fs);
          step = Math.max(1, Math.round(stepS * fs));
          const nperseg = 2 ** Math.floor(Math.log2(W / 2));
          if (nperseg < 4) throw new InvalidOptionError('windowS', `a window of at least 8 samples at ${fs} Hz`, windowS);
          for (const b of bands) {
            if (b.hiHz > fs / 2) throw new InvalidOptionError(`band ${b.name}`, `a band below the Nyquist frequency (${fs / 2} Hz)`, `${b.loHz}–${b.hiHz} Hz`);
          }
          plan = createWelchPlan(nperseg);
          ring = new Float32Array(C * W);
          window = new Float64Array(W);
          psd = new Float64Array(nperseg / 2 + 1);
          names = Object.freeze(bands.flatMap((b) => info.channelNames.map((n) => `${b.name}:${n}`)));
        }
        const L = block.length;
        for (let i = 0; i < L; i++) {
          const n = block.first + i;
          const slot = n % W;
          for (let c = 0; c < C; c++) ring[c * W + slot] = block.data[c * L + i]!;
          seen++;
          if ((n + 1) % step === 0 && seen >= W) {
            // The window ending at sample n (inclusive), oldest first.
            const values = new Float32Array(bands.length * C);
            for (let c = 0; c < C; c++) {
              for (let k = 0; k < W; k++) window![k] = ring[c * W + ((n + 1 + k) % W)]!;
              welchPsd(plan!, window!, 0, W, fs, psd!);
              bands.forEach((b, j) => (values[j * C + c] = bandPowerFromPsd(psd!, fs, plan!.nperseg, b.loHz, b.hiHz)));
            }
            subscriber.next(createFeatureFrame({ bin: (n + 1) / step - 1, t0: n + 1 - W, values, names, hostTime: block.hostTime }));
          }
        }
      }),
    );
  });
}
