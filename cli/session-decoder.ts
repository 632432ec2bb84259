/**
 * The session's decoder for streams whose task provides the truth (the intracortical simulator's
 * `kinematics` markers): wiring over the `calibrateThenDecode` operator (decoding/operators) —
 * frames and markers go in, intents, the ready decoder and validations come out to the session's
 * callbacks — and the decoder's line of the terminal status.
 */
import { Subject, type Subscription } from 'rxjs';
import type { FeatureFrame, Intent, Marker } from '../core/index.js';
import type { Decoder } from '../decoding/decoder.js';
import type { DecoderValidation } from '../decoding/decoder-validation.js';
import type { DecoderState } from '../dashboard/protocol/dashboard-messages.js';
import {
  calibrateThenDecode,
  type CalibrateThenDecodeInput,
  type CalibrateThenDecodeState,
  type CalibrateThenDecodeView,
  type ReadyDecoder,
} from '../decoding/operators/calibrate-then-decode.js';

export { RECALIBRATE_MARKER } from '../decoding/operators/calibrate-then-decode.js';

export interface SessionDecoderOptions {
  sampleRateHz: number;
  /** Samples per feature bin. */
  binSamples: number;
  /** Seconds of bins to calibrate on. */
  calibrateS: number;
  /** Spike thresholds settle over this many seconds first; those bins are not used. */
  settleS: number;
  onIntent: (intent: Intent) => void;
  onError: (error: unknown) => void;
  /** Told once the model is ready (to record which decoder ran). */
  onReady?: (decoder: ReadyDecoder) => void;
  /** Every second of bins scored against the task's truth: the running R² (online validation). */
  onValidation?: (validation: DecoderValidation) => void;
  /** A decoder ready to run (an ONNX model): no calibration, decoding from the first settled bin. */
  decoder?: Decoder;
  /** An offline source (replay) that must lose no bin: the source holds back on `backlog()` instead. */
  offline?: boolean;
}

export class SessionDecoder {
  private readonly input = new Subject<CalibrateThenDecodeInput>();
  private readonly subscription: Subscription;
  private view: CalibrateThenDecodeView | undefined;
  private readonly done: Promise<void>;

  constructor(options: SessionDecoderOptions) {
    const { sampleRateHz, binSamples, calibrateS, settleS, decoder, offline } = options;
    let done: () => void = () => {};
    this.done = new Promise<void>((resolve) => (done = resolve));
    this.subscription = this.input
      .pipe(calibrateThenDecode({ sampleRateHz, binSamples, calibrateS, settleS, ...(decoder ? { decoder } : {}), ...(offline ? { offline } : {}), onView: (view) => (this.view = view) }))
      .subscribe({
        next: (event) => {
          if (event.type === 'intent') options.onIntent(event.intent);
          else if (event.type === 'ready') options.onReady?.(event.decoder);
          else options.onValidation?.(event.validation);
        },
        error: (error: unknown) => {
          done();
          options.onError(error);
        },
        complete: () => done(),
      });
  }

  /** Markers of every block, in order (the truth comes from them). */
  observeMarkers(markers: readonly Marker[] | undefined): void {
    if (markers) this.input.next({ type: 'markers', markers });
  }

  /** A FeatureFrame from the chain, with the acquisition delay of the block that completed it. */
  push(frame: FeatureFrame, acquisitionMs = 0): void {
    this.input.next({ type: 'frame', frame, acquisitionMs });
  }

  /** Why an operator's recalibration would not be taken now (undefined: it would). */
  recalibrationRefusal(): string | undefined {
    return this.view!.recalibrationRefusal();
  }

  /** Bins given and not yet decoded (waiting for the model or in the decode queue). */
  backlog(): number {
    return this.view!.backlog();
  }

  /** What the dashboard shows of the decoder. */
  describe(): { name: string; provider: string; state: DecoderState; kind?: 'continuous' | 'discrete'; outputs: readonly string[]; backlog: number; validation?: DecoderValidation } {
    const s = this.view!.state();
    return {
      name: s.decoderName,
      provider: s.provider,
      state: decoderState(s),
      ...(s.kind ? { kind: s.kind } : {}),
      outputs: s.outputs,
      backlog: s.backlog,
      ...(s.validation ? { validation: s.validation } : {}),
    };
  }

  status(): string {
    return decoderStatus(this.view!.state());
  }

  /**
   * Resolves once a calibration in flight has finished and the bins that waited for it are
   * decoded (at most `timeoutMs`): the end of a replay or session still gets its last intents.
   */
  async drain(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    this.input.complete();
    await Promise.race([this.done, timeout]);
    clearTimeout(timer);
  }

  /** No more frames: an unfinished calibration is abandoned, decoding stops. */
  stop(): void {
    this.subscription.unsubscribe();
  }
}

/** Where the decoder stands, for the dashboard (the status text is for display). */
function decoderState(s: CalibrateThenDecodeState): DecoderState {
  switch (s.phase) {
    case 'waiting':
      return s.given ? 'waiting' : 'calibrating';
    case 'collecting':
    case 'calibrating':
      return 'calibrating';
    case 'no-truth':
      return 'none';
    case 'failed':
      return 'failed';
    case 'decoding':
      return s.recalibrating ? 'recalibrating' : 'decoding';
  }
}

/** The decoder's part of the status line. */
function decoderStatus(s: CalibrateThenDecodeState): string {
  switch (s.phase) {
    case 'waiting':
      return s.given ? `decoder ${s.given.name} (${s.given.provider}): waiting for the spike thresholds` : `decoder kalman: calibrating on 0 bins (${s.calibrateS} s)`;
    case 'collecting':
      return `decoder kalman: calibrating on ${s.collected} bins (${s.calibrateS} s)`;
    case 'calibrating':
      return `decoder kalman: fitting on ${s.calibrationBins} bins…${s.recalibrations > 0 ? ' (recalibration)' : ''}`;
    case 'no-truth':
      return s.calibrationBins > 0
        ? `decoder: none (only ${s.calibrationBins} bins with kinematics in the calibration window; 50 needed)`
        : 'decoder: none (the stream carries no kinematics to calibrate on)';
    case 'failed':
      return `DECODER FAILED: ${s.failure}`;
    case 'decoding': {
      const r2 = !s.scoresVelocity
        ? 'no velocity outputs to score'
        : s.r2 && s.r2.size >= 2
          ? `R² ${fmt(s.r2.meanR2)} (vx ${fmtR2(s.r2.validation.perDimension[0]!)}, vy ${fmtR2(s.r2.validation.perDimension[1]!)}, last ${s.r2.validation.windowS.toFixed(0)} s)`
          : 'R² —';
      const st = s.stats;
      const lag = st ? `, ${st.decodeMs.toFixed(2)} ms/bin${st.lagMs > 1 ? `, lag ${st.lagMs.toFixed(1)} ms` : ''}${st.dropped > 0 ? `, ${st.dropped} dropped` : ''}` : '';
      const waited = s.droppedWhileCalibrating > 0 ? `, ${s.droppedWhileCalibrating} bins dropped while calibrating` : '';
      const recalibrating = s.recalibrating ? `, recalibrating on ${s.collected} bins (${s.calibrateS} s)` : '';
      const note = s.note ? `, ${s.note}` : '';
      return `decoder ${s.decoderName} (${s.provider}): ${r2}${lag}${waited}${recalibrating}${note}`;
    }
  }
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '—';
}

/** A dimension's running R²: undefined (NaN) once scored only where its truth is still. */
function fmtR2(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '— (no variance)';
}
