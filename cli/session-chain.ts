/**
 * The session's processing: which chain a stream gets (chosen from its channel kinds when its
 * first block arrives) and the live figures it contributes to the status line.
 *   - extracellular streams: the intracortical chain → FeatureFrames (crossings, spike-band power);
 *   - EEG streams: the EEG chain (1–40 Hz band-pass + mains notch) → filtered blocks.
 * With `decoding`, extracellular streams whose task provides kinematics also get a SessionDecoder
 * (a Kalman filter calibrated on the first seconds, then decoding every bin).
 */
import { Subject, type Subscription } from 'rxjs';
import { eegChain, intracorticalChain } from '../acquisition/chains.js';
import { hostNowMs, type FeatureFrame, type Intent, type Marker, type SampleBlock } from '../core/index.js';
import type { Decoder } from '../decoding/decoder.js';
import { SessionDecoder, type DecoderValidation } from './session-decoder.js';

export interface SessionDecoding {
  /** Seconds of bins the Kalman filter is calibrated on. */
  calibrateS: number;
  onIntent: (intent: Intent) => void;
  onReady?: (decoder: { name: string; provider: string; calibrationBins: number; features: number; droppedWhileCalibrating?: number }) => void;
  onValidation?: (validation: DecoderValidation) => void;
  /** A ready decoder (an ONNX model) instead of calibrating a Kalman filter. */
  decoder?: Decoder;
  /** An offline source (replay): lose no bin; the source holds back on `backlog()`. */
  offline?: boolean;
}

/** Bin width of the intracortical chain, ms (the chain's default). */
export const BIN_MS = 20;
/** The spike thresholds' calibration (the chain's default), s. */
const THRESHOLD_SETTLE_S = 1;

export class SessionChain {
  private input: Subject<SampleBlock> | undefined;
  private subscription: Subscription | undefined;
  private description = '';
  private bins = 0;
  private crossings = 0;
  private featureChannels = 0;
  private filteredBlocks = 0;
  private decoder: SessionDecoder | undefined;
  private acquisitionMs = 0;

  constructor(
    private readonly mainsHz: number,
    private readonly onError: (error: unknown) => void,
    /** Every FeatureFrame the chain emits (to the recorder, the decoder …). */
    private readonly onFeatures: (frame: FeatureFrame) => void = () => {},
    private readonly decoding?: SessionDecoding,
  ) {}

  /** Feeds a raw block (the first one decides the chain). */
  push(block: SampleBlock): void {
    if (!this.input) this.start(block);
    this.decoder?.observeMarkers(block.markers);
    // From the arrival of the block's last byte to its processing: the bins it completes inherit it.
    this.acquisitionMs = Math.max(0, hostNowMs() - block.hostTime);
    this.input!.next(block);
  }

  private start(block: SampleBlock): void {
    this.input = new Subject<SampleBlock>();
    const kinds = new Set(block.info.channelKinds);
    if (kinds.has('extracellular')) {
      this.description = 'spike band 300–3000 Hz, CAR, 20 ms bins';
      const rate = block.info.sampleRateHz;
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
      this.subscription = this.input.pipe(eegChain({ notchHz: this.mainsHz })).subscribe({
        next: () => this.filteredBlocks++,
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
    if (!this.decoder) return 'this session has no decoder to recalibrate (an EEG stream, or --decoder none)';
    return this.decoder.recalibrationRefusal();
  }

  /** The decoder as the dashboard shows it (undefined without one). */
  describeDecoder(): (ReturnType<SessionDecoder['describe']> & { status: string }) | undefined {
    return this.decoder ? { ...this.decoder.describe(), status: this.decoder.status() } : undefined;
  }

  /** A short text for the status line, e.g. `features 500 bins, 21.3 crossings/s/ch`. */
  status(elapsedS: number): string {
    if (!this.input) return '';
    if (this.bins > 0 || this.featureChannels > 0) {
      const perChannel = elapsedS > 0 && this.featureChannels > 0 ? this.crossings / this.featureChannels / elapsedS : 0;
      const features = `features ${this.bins} bins, ${perChannel.toFixed(1)} crossings/s/ch (${this.description})`;
      return this.decoder ? `${features} | ${this.decoder.status()}` : features;
    }
    return `filtered ${this.filteredBlocks} blocks (${this.description})`;
  }

  /** Bins the decoder holds and has not decoded yet (0 without a decoder). */
  backlog(): number {
    return this.decoder?.backlog() ?? 0;
  }

  /** Waits (at most `timeoutMs`) for the decoder to decode what it holds. */
  async drain(timeoutMs: number): Promise<void> {
    await this.decoder?.drain(timeoutMs);
  }

  stop(): void {
    this.decoder?.stop();
    this.subscription?.unsubscribe();
    this.input?.complete();
  }
}
