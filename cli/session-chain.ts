/**
 * The session's processing: which chain a stream gets (chosen from its channel kinds when its
 * first block arrives) and the live figures it contributes to the status line.
 *   - extracellular streams: the intracortical chain → FeatureFrames (crossings, spike-band power);
 *   - EEG streams: the EEG chain (1–40 Hz band-pass + mains notch) → filtered blocks.
 * With `decoding`, extracellular streams whose task provides kinematics also get a SessionDecoder
 * (a Kalman filter calibrated on the first seconds, then decoding every bin); EEG streams given a
 * trial decoder (a model with its epoch window) get a SessionTrialDecoder, which decodes each cue.
 */
import { Subject, type Subscription } from 'rxjs';
import { eegChain, intracorticalChain } from '../acquisition/chains.js';
import { hostNowMs, InvalidOptionError, type ChannelMap, type FeatureFrame, type Intent, type Marker, type SampleBlock, type StreamInfo } from '../core/index.js';
import type { Decoder } from '../decoding/decoder.js';
import type { DecoderValidation } from '../decoding/decoder-validation.js';
import { SessionDecoder } from './session-decoder.js';
import { SessionTrialDecoder } from './session-trial-decoder.js';

export interface SessionDecoding {
  /** Seconds of bins the Kalman filter is calibrated on. */
  calibrateS: number;
  onIntent: (intent: Intent) => void;
  onReady?: (decoder: { name: string; provider: string; calibrationBins: number; features: number; droppedWhileCalibrating?: number }) => void;
  onValidation?: (validation: DecoderValidation) => void;
  /** A ready decoder (an ONNX model) instead of calibrating a Kalman filter. */
  decoder?: Decoder;
  /** The decoder is a trial decoder: its epochs (from the model's metadata). */
  trial?: { windowS: readonly [number, number]; bandHz?: readonly [number, number] };
  /** A trial decoder's model channel → stream channel pairs (`--channel-map`), before the normalised match. */
  channelMap?: ChannelMap;
  /** An offline source (replay): lose no bin; the source holds back on `backlog()`. */
  offline?: boolean;
}

/** Bin width of the intracortical chain, ms (the chain's default). */
export const BIN_MS = 20;
/** The spike thresholds' calibration (the chain's default), s. */
const THRESHOLD_SETTLE_S = 1;

/**
 * The chain a stream gets: an extracellular stream the intracortical chain (binned features, and
 * a decoder of them), any other (EEG) the EEG filters (and only a trial decoder).
 */
export function chainFor(info: StreamInfo): 'intracortical' | 'eeg' {
  return info.channelKinds.includes('extracellular') ? 'intracortical' : 'eeg';
}

export class SessionChain {
  private input: Subject<SampleBlock> | undefined;
  private subscription: Subscription | undefined;
  private description = '';
  private bins = 0;
  /** Seconds of signal one feature bin covers. */
  private binS = BIN_MS / 1000;
  private crossings = 0;
  private featureChannels = 0;
  private filteredBlocks = 0;
  private decoder: SessionDecoder | undefined;
  private trials: SessionTrialDecoder | undefined;
  private acquisitionMs = 0;

  constructor(
    private readonly mainsHz: number,
    private readonly onError: (error: unknown) => void,
    /** Every FeatureFrame the chain emits (to the recorder, the decoder …). */
    private readonly onFeatures: (frame: FeatureFrame) => void = () => {},
    private readonly decoding?: SessionDecoding,
    // issue 17 (display wiring, to be re-done in session/): the EEG chain's filtered blocks and what the filter is, for the dashboard.
    private readonly onFiltered?: (block: SampleBlock, description: string) => void,
  ) {}

  /** Feeds a raw block (the first one decides the chain). */
  push(block: SampleBlock): void {
    if (!this.input) this.start(block);
    this.decoder?.observeMarkers(block.markers);
    this.trials?.push(block);
    // From the arrival of the block's last byte to its processing: the bins it completes inherit it.
    this.acquisitionMs = Math.max(0, hostNowMs() - block.hostTime);
    this.input!.next(block);
  }

  private start(block: SampleBlock): void {
    this.input = new Subject<SampleBlock>();
    const intracortical = chainFor(block.info) === 'intracortical';
    if (this.decoding?.trial && intracortical) {
      this.onError(new InvalidOptionError(`--model ${this.decoding.decoder?.name ?? ''}`, 'a decoder of binned features for an extracellular stream', 'a trial decoder (epochs around cues: for EEG streams)'));
      return;
    }
    if (intracortical) {
      this.description = 'spike band 300–3000 Hz, CAR, 20 ms bins';
      const rate = block.info.sampleRateHz;
      this.binS = Math.round((BIN_MS * rate) / 1000) / rate;
      if (this.decoding) {
        const { calibrateS, onIntent, onReady, onValidation, decoder, offline } = this.decoding;
        this.decoder = new SessionDecoder({
          sampleRateHz: rate,
          binSamples: Math.round((BIN_MS * rate) / 1000),
          calibrateS,
          settleS: THRESHOLD_SETTLE_S,
          onIntent,
          onError: this.onError,
          ...(onReady ? { onReady } : {}),
          ...(onValidation ? { onValidation } : {}),
          ...(decoder ? { decoder } : {}),
          ...(offline ? { offline } : {}),
        });
      }
      this.subscription = this.input.pipe(intracorticalChain({ binMs: BIN_MS, calibrationS: THRESHOLD_SETTLE_S })).subscribe({
        next: (frame: FeatureFrame) => {
          this.onFeatures(frame);
          this.decoder?.push(frame, this.acquisitionMs);
          this.bins++;
          const C = frame.values.length / 2;
          this.featureChannels = C;
          for (let c = 0; c < C; c++) this.crossings += frame.values[c]!;
        },
        error: this.onError,
      });
    } else {
      this.description = `1–40 Hz, ${this.mainsHz} Hz notch`;
      const decoding = this.decoding;
      if (decoding?.decoder) {
        if (!decoding.trial) {
          this.onError(
            new InvalidOptionError(
              `--model ${decoding.decoder.name}`,
              'a trial decoder for an EEG stream (from `neurostream calibrate --decoder lda|csp-lda`, which stores its epoch window)',
              'a model without neurostream.epoch_window_s',
            ),
          );
          return;
        }
        try {
          this.trials = new SessionTrialDecoder({
            info: block.info,
            decoder: decoding.decoder,
            windowS: decoding.trial.windowS,
            ...(decoding.trial.bandHz ? { bandHz: decoding.trial.bandHz } : {}),
            ...(decoding.channelMap ? { channelMap: decoding.channelMap } : {}),
            binMs: BIN_MS,
            onIntent: decoding.onIntent,
            ...(decoding.onValidation ? { onValidation: decoding.onValidation } : {}),
            ...(decoding.onReady ? { onReady: decoding.onReady } : {}),
            onError: this.onError,
          });
        } catch (error) {
          this.onError(error);
          return;
        }
      }
      this.subscription = this.input.pipe(eegChain({ notchHz: this.mainsHz })).subscribe({
        next: (filtered: SampleBlock) => {
          this.filteredBlocks++;
          this.onFiltered?.(filtered, `filtered 1–40 Hz, notch ${this.mainsHz} Hz`); // issue 17 display wiring
        },
        error: this.onError,
      });
    }
  }

  /** Markers that are not carried by a block (an operator's, e.g. a recalibration), in stream order. */
  injectMarkers(markers: readonly Marker[]): void {
    this.decoder?.observeMarkers(markers);
  }

  /** Why a recalibration cannot be taken now (undefined: it can). */
  recalibrationRefusal(): string | undefined {
    if (!this.input) return 'the stream has not started';
    if (this.trials) return 'the session decodes trials with a fixed model: nothing to recalibrate';
    if (!this.decoder) return 'this session has no decoder to recalibrate (an EEG stream, or --decoder none)';
    return this.decoder.recalibrationRefusal();
  }

  /** The decoder as the dashboard shows it (undefined without one). */
  describeDecoder(): (ReturnType<SessionDecoder['describe']> & { status: string }) | undefined {
    if (this.trials) return { ...this.trials.describe(), status: this.trials.status() };
    return this.decoder ? { ...this.decoder.describe(), status: this.decoder.status() } : undefined;
  }

  /**
   * A short text for the status line, e.g. `features 500 bins, 21.3 crossings/s/ch`: event rates
   * per second of signal (the bins' span), not of wall time — a `--fast` or replayed stream runs
   * faster than real time, its neurons do not.
   */
  status(): string {
    if (!this.input) return '';
    if (this.bins > 0 || this.featureChannels > 0) {
      const signalS = this.bins * this.binS;
      const perChannel = signalS > 0 && this.featureChannels > 0 ? this.crossings / this.featureChannels / signalS : 0;
      const features = `features ${this.bins} bins, ${perChannel.toFixed(1)} crossings/s/ch (${this.description})`;
      return this.decoder ? `${features} | ${this.decoder.status()}` : features;
    }
    const filtered = `filtered ${this.filteredBlocks} blocks (${this.description})`;
    return this.trials ? `${filtered} | ${this.trials.status()}` : filtered;
  }

  /** Bins the decoder holds and has not decoded yet (0 without a decoder). */
  backlog(): number {
    return this.decoder?.backlog() ?? this.trials?.backlog() ?? 0;
  }

  /** Waits (at most `timeoutMs`) for the decoder to decode what it holds. */
  async drain(timeoutMs: number): Promise<void> {
    await this.decoder?.drain(timeoutMs);
    await this.trials?.drain(timeoutMs);
  }

  stop(): void {
    this.decoder?.stop();
    this.trials?.stop();
    this.subscription?.unsubscribe();
    this.input?.complete();
  }
}
