/**
 * `signalQuality(options)` — per neural channel, every `windowS` seconds of the sample clock: is
 * it railed (at ≥ 90 % of the ADC's full scale), flat (unchanged for ≥ 1 s), or carrying line
 * noise (mains power above the 1–40 Hz power), as SignalQualityReports; and
 * `signalQualityMarkers()`, which turns the reports into Markers (type `signal-quality`, value
 * `EXG3 railed`, `EXG3 ok`) where a channel's status changes. Apply to the raw blocks (before any
 * filter). The sample rate comes from the blocks' StreamInfo, the mains frequency from the
 * options: neither is defaulted. State (the kernel's) belongs to the subscription.
 */
import type { OperatorFunction } from 'rxjs';
import { type Marker, type SampleBlock, type StreamInfo, InvalidOptionError, channelCount, checkInteger, createMarker } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';
import {
  SIGNAL_QUALITY_STATUSES,
  type SignalQualityKernelOptions,
  type SignalQualityState,
  type SignalQualityStatus,
  createSignalQualityState,
  pushSignalQuality,
} from '../kernels/signal-quality.js';

export { SIGNAL_QUALITY_STATUSES, type SignalQualityStatus } from '../kernels/signal-quality.js';

export interface SignalQualityOptions extends Omit<SignalQualityKernelOptions, 'sampleRateHz' | 'fullScale'> {
  /**
   * Full scale of the neural channels in their unit: one value for all, or one per neural channel
   * (null: from the StreamInfo). Default: from the StreamInfo, see {@link channelFullScale}.
   */
  fullScale?: number | readonly (number | null)[];
  /** Resolution of the ADC behind `adcScale`, bits, for every channel. Default: the stream's `adcBits` (none assumed where it has none). */
  adcBits?: number;
}

/** One channel's verdict over one window. */
export interface ChannelQuality {
  readonly channel: string;
  readonly status: SignalQualityStatus;
  /** The window's largest |value| as a fraction of full scale; null where full scale is unknown. */
  readonly peakFraction: number | null;
  /** How long the channel had not changed at the window's end, s (0 when it is changing). */
  readonly flatS: number;
  /** Mains power relative to 1–40 Hz power, dB; null where the channel has no 1–40 Hz power. */
  readonly lineNoiseDb: number | null;
}

/** The verdicts of one window `[windowStart, sample)` on the stream's sample clock. */
export interface SignalQualityReport {
  readonly windowStart: number;
  /** Sample index (exclusive) where the window ends. */
  readonly sample: number;
  readonly sampleRateHz: number;
  readonly mainsHz: number;
  readonly channels: readonly ChannelQuality[];
}

const NEURAL = new Set(['eeg', 'ecog', 'extracellular']);

/**
 * The full scale of channel `c` in its unit: the larger end of the source's declared physical
 * range where there is one (EDF/BDF), else `adcScale × 2^(bits−1)` with the ADC's bits given
 * here or by the stream's `adcBits` (Cyton at gain 24: 0.02235 µV × 2^23 = 187 500 µV; Intan RHX:
 * 0.195 µV × 2^15 = 6390 µV), else 0 (unknown: the channel is never called railed).
 */
export function channelFullScale(info: StreamInfo, c: number, adcBits?: number): number {
  const range = info.physicalRanges?.[c];
  if (range) return Math.max(Math.abs(range.physicalMin), Math.abs(range.physicalMax));
  const scale = info.adcScale[c] ?? 0;
  const bits = adcBits ?? info.adcBits?.[c] ?? 0;
  return scale > 0 && bits > 0 ? scale * 2 ** (bits - 1) : 0;
}

function fullScales(info: StreamInfo, rows: readonly number[], options: SignalQualityOptions, adcBits: number | undefined): number[] {
  const given = options.fullScale;
  if (Array.isArray(given) && given.length !== rows.length) {
    throw new InvalidOptionError('fullScale', `one value (or null) per neural channel (${rows.length})`, given);
  }
  return rows.map((c, k) => {
    const v = typeof given === 'number' ? given : Array.isArray(given) ? (given[k] as number | null) : null;
    return v ?? channelFullScale(info, c, adcBits);
  });
}

function report(state: SignalQualityState, names: readonly string[]): SignalQualityReport {
  const channels: ChannelQuality[] = [];
  for (let k = 0; k < state.channels; k++) {
    const fraction = state.peakFraction[k]!;
    const db = state.lineNoiseDb[k]!;
    channels.push(
      Object.freeze({
        channel: names[k]!,
        status: SIGNAL_QUALITY_STATUSES[state.status[k]!]!,
        peakFraction: Number.isFinite(fraction) ? fraction : null,
        flatS: state.flatSeconds[k]!,
        lineNoiseDb: Number.isFinite(db) ? db : null,
      }),
    );
  }
  return Object.freeze({
    windowStart: Math.max(0, state.lastWindowEnd - state.windowSamples),
    sample: state.lastWindowEnd,
    sampleRateHz: state.sampleRateHz,
    mainsHz: state.mainsHz,
    channels: Object.freeze(channels),
  });
}

/**
 * Signal quality of every neural channel (eeg, ecog, extracellular), one report per window, e.g.
 * `blocks$.pipe(signalQuality({ mainsHz: 50 }))`. A stream without neural channels gives no reports.
 */
export function signalQuality(options: SignalQualityOptions): OperatorFunction<SampleBlock, SignalQualityReport> {
  const adcBits = options.adcBits === undefined ? undefined : checkInteger('option', 'adcBits', options.adcBits, { min: 2, max: 32 });
  // Options are checked now, not at the first block (the kernel checks them again per stream).
  createSignalQualityState({ ...options, sampleRateHz: 1000, fullScale: [] });
  return operate<SampleBlock, SignalQualityReport>((source, subscriber) => {
    let info: StreamInfo | undefined;
    let state: SignalQualityState | undefined;
    let rows: Int32Array = new Int32Array(0);
    let names: string[] = [];
    const onWindow = (s: SignalQualityState): void => subscriber.next(report(s, names));
    return source.subscribe(
      operatorObserver<SampleBlock>(subscriber, (block) => {
        if (block.info !== info) {
          info = block.info;
          const neural = [...Array(channelCount(info)).keys()].filter((c) => NEURAL.has(info!.channelKinds[c]!));
          rows = Int32Array.from(neural);
          names = neural.map((c) => info!.channelNames[c]!);
          state =
            neural.length === 0
              ? undefined
              : createSignalQualityState({ ...options, sampleRateHz: info.sampleRateHz, fullScale: fullScales(info, neural, options, adcBits) });
        }
        if (state && block.length > 0) pushSignalQuality(state, block.data, block.length, block.first, block.gap !== undefined, onWindow, rows);
      }),
    );
  });
}

/**
 * Markers where a channel's quality changes: type `signal-quality`, value `<channel> <status>`
 * (`EXG3 railed`, `EXG3 ok`), at the first sample of the window that showed the change. The first
 * report marks every channel that is not ok.
 */
export function signalQualityMarkers(): OperatorFunction<SignalQualityReport, Marker> {
  return operate<SignalQualityReport, Marker>((source, subscriber) => {
    const last = new Map<string, SignalQualityStatus>();
    return source.subscribe(
      operatorObserver<SignalQualityReport>(subscriber, (r) => {
        for (const q of r.channels) {
          const before = last.get(q.channel) ?? 'ok';
          if (q.status !== before) subscriber.next(createMarker(r.windowStart, 'signal-quality', `${q.channel} ${q.status}`));
          last.set(q.channel, q.status);
        }
      }),
    );
  });
}
