/**
 * `decodeTrials(options)` — live trial decoding, for streams whose task gives cues (the EEG
 * simulator's `cue` markers; EDF+ annotations in a replay): a discrete model fitted on cue-locked
 * epochs (`neurostream calibrate --decoder lda|csp-lda --classes … --window … [--band …]`, which
 * stores the window and band in the model) decodes each cue of its classes once the epoch's window
 * has passed, and each trial is scored against its cue (`trialAccuracy`: the running accuracy of
 * the last trials — online validation). The pipeline is the acquisition operators':
 * `iirFilter` (Butterworth band-pass, order 4, the model's band; causal — `calibrate` filters
 * zero-phase, which a live stream cannot: per-trial features are close to, not equal to, the
 * offline ones) → `epochs` (the model's window from each cue) → features → decode → score.
 *
 * Inputs by the model's shape: `[C, T]` takes the epoch (csp-lda); `[C]` with inputs named
 * `<channel>:logpower` takes the log band power of each channel over the epoch (lda). Channels are
 * taken from the stream by name, matched after normalisation (core/channel-names.ts: case, trailing
 * dots, 10-20 aliases) or by `channelMap`. Cues of other values (`rest`) are not decoded; an epoch that spans
 * a gap is skipped and counted. Trials are decoded in order, none dropped; the source's completion
 * waits for the ones being decoded. State per subscription, read through a view (`onView`).
 */
import { concatMap, identity, map, Subject, tap, type OperatorFunction } from 'rxjs';
import { designButterworth } from '../../acquisition/filters/butterworth.js';
import { epochs, type Epoch } from '../../acquisition/operators/epochs.js';
import { iirFilter } from '../../acquisition/operators/iir-filter.js';
import { createIntent, hostNowMs, InvalidOptionError, matchChannels, type ChannelMap, type Intent, type Marker, type SampleBlock, type StreamInfo } from '../../core/index.js';
import { operate } from '../../core/operate.js';
import type { Decoder } from '../decoder.js';
import type { DecoderValidation } from '../decoder-validation.js';
import { logPowerFeatures } from '../evaluation/discrete-evaluation.js';
import { trialAccuracy, type DecodedTrial, type TrialScore } from './trial-accuracy.js';

const LOGPOWER = ':logpower';

export interface DecodeTrialsOptions {
  /** The stream (its channels are found by name, its rate sizes the epochs). */
  info: StreamInfo;
  /** A discrete decoder of epochs ([C, T]) or of per-channel log power ([C], inputs `<channel>:logpower`). */
  decoder: Decoder;
  /** The epoch's window after the cue, s, both ends included (the model's `neurostream.epoch_window_s`). */
  windowS: readonly [number, number];
  /** The band-pass before epoching, Hz (the model's `neurostream.epoch_band_hz`); none when absent. */
  bandHz?: readonly [number, number];
  /** Intents go on the session's time line in bins of this many ms (the intent's bin holds the epoch's end). */
  binMs: number;
  /** Given each subscription's view when it starts. */
  onView?: (view: DecodeTrialsView) => void;
  /** Model channel name → stream channel name (`--channel-map`), tried before the normalised match. */
  channelMap?: ChannelMap;
}

/** What {@link decodeTrials} emits: each trial's validation, then its intent. */
export type DecodeTrialsEvent = { readonly type: 'intent'; readonly intent: Intent } | { readonly type: 'validation'; readonly validation: DecoderValidation };

/** A subscription's figures (a copy). */
export interface DecodeTrialsState {
  /** The last trial's score (none before the first). */
  readonly score?: TrialScore;
  /** Epochs skipped (a gap inside the window, or a window before the stream). */
  readonly skipped: number;
  /** Epochs cut and not yet decoded (cues still waiting for their epoch's end are not a backlog). */
  readonly queued: number;
  /** Duration of the last decode, ms. */
  readonly lastDecodeMs: number;
}

/** A read-only view of one subscription's state. */
export interface DecodeTrialsView {
  state(): DecodeTrialsState;
}

/** Decodes each cue's epoch with a discrete model and scores it; see the module description. Refuses a model that cannot decode the stream's trials, naming why. */
export function decodeTrials(options: DecodeTrialsOptions): OperatorFunction<SampleBlock, DecodeTrialsEvent> {
  const { info, decoder, windowS, bandHz, binMs } = options;
  const where = `--model ${decoder.name}`;
  if (decoder.kind !== 'discrete') throw new InvalidOptionError(where, 'a discrete (trial) decoder for a stream of cues', `a ${decoder.kind} decoder`);
  const classes = decoder.outputNames;
  const fs = info.sampleRateHz;
  const lo = Math.round(windowS[0] * fs);
  const hi = Math.round(windowS[1] * fs);
  if (!(hi > lo)) throw new InvalidOptionError(`${where} epoch window`, 'tmin < tmax, seconds after the cue', windowS);
  const T = hi - lo + 1;
  let mode: 'epoch' | 'logpower';
  let names: readonly string[];
  if (decoder.inputShape.length === 2) {
    mode = 'epoch';
    names = decoder.inputNames;
    if (decoder.inputShape[1] !== T) {
      throw new InvalidOptionError(`${where} input`, `epochs of ${T} samples (${windowS[0]}–${windowS[1]} s at this stream's ${fs} Hz)`, `${decoder.inputShape[1]} samples (a model fitted at another sample rate?)`);
    }
  } else if (decoder.inputShape.length === 1 && decoder.inputNames.every((n) => n.endsWith(LOGPOWER))) {
    mode = 'logpower';
    names = decoder.inputNames.map((n) => n.slice(0, -LOGPOWER.length));
  } else {
    throw new InvalidOptionError(`${where} input`, 'an epoch [C, T] (csp-lda) or one <channel>:logpower per channel (lda)', `[${decoder.inputShape.join(', ')}] (${decoder.inputNames.slice(0, 2).join(', ')}, …)`);
  }
  // By name after normalisation (EEGMMIDB's `Fc5.` is the simulator's `FC5`), or by the channel map.
  const channels = Int32Array.from(matchChannels(names, info.channelNames, { what: where, stream: 'the stream', ...(options.channelMap ? { map: options.channelMap } : {}) }));
  const K = channels.length;
  const band = bandHz ? designButterworth({ type: 'bandpass', order: 4, cutoffHz: [bandHz[0], bandHz[1]], sampleRateHz: fs }) : undefined;
  const labelOf = (marker: Marker): string | undefined => {
    const label = typeof marker.value === 'number' ? String(marker.value) : typeof marker.value === 'string' ? marker.value : undefined;
    return label !== undefined && classes.includes(label) ? label : undefined;
  };

  return operate<SampleBlock, DecodeTrialsEvent>((source, subscriber) => {
    let hostTime = 0;
    let skipped = 0;
    let queued = 0;
    let lastDecodeMs = 0;
    let score: TrialScore | undefined;
    options.onView?.({ state: () => ({ ...(score ? { score } : {}), skipped, queued, lastDecodeMs }) });
    const trials = new Subject<DecodedTrial>();
    const scoring = trials.pipe(trialAccuracy({ classes, sampleRateHz: fs })).subscribe((s) => {
      score = s;
      subscriber.next({ type: 'validation', validation: s.validation });
    });
    /** The model's channels of an epoch of every channel, [K × T]. */
    const select = (epoch: Epoch): Float32Array => {
      const out = new Float32Array(K * T);
      for (let k = 0; k < K; k++) out.set(epoch.data.subarray(channels[k]! * T, (channels[k]! + 1) * T), k * T);
      return out;
    };
    const subscription = source
      .pipe(
        // Epochs are cut while their last block is processed: its arrival time is the trial's.
        tap((block) => (hostTime = block.hostTime)),
        band ? iirFilter(() => band) : identity,
        epochs({ windowS: [lo / fs, hi / fs], match: (m) => labelOf(m) !== undefined, onSkipped: () => skipped++ }),
        map((epoch) => {
          const started = hostNowMs();
          const selected = select(epoch);
          const input = mode === 'epoch' ? selected : (logPowerFeatures(selected, K, T) as Float32Array);
          const last = epoch.first + T - 1;
          queued++;
          return {
            label: labelOf(epoch.marker)!,
            input,
            last,
            bin: Math.floor((last * 1000) / fs / binMs),
            timing: { acquisitionMs: Math.max(0, started - hostTime), featuresMs: hostNowMs() - started },
          };
        }),
        concatMap(async (trial) => {
          try {
            const t = hostNowMs();
            const values = await decoder.decode(trial.input);
            lastDecodeMs = hostNowMs() - t;
            return { trial, values };
          } finally {
            queued--;
          }
        }),
      )
      .subscribe({
        next: ({ trial, values }) => {
          const intent = createIntent({ bin: trial.bin, kind: 'discrete', values: Float32Array.from(values), labels: classes, latency: { ...trial.timing, decodeMs: lastDecodeMs } });
          trials.next({ values, label: trial.label, bin: trial.bin, sample: trial.last });
          subscriber.next({ type: 'intent', intent });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    return () => {
      subscription.unsubscribe();
      scoring.unsubscribe();
    };
  });
}
