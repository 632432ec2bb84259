/**
 * The session's decoder (for streams whose task provides the truth — the intracortical simulator's
 * `kinematics` markers): a Kalman filter calibrated on the first `calibrateS` seconds of features
 * (after the spike thresholds have settled), then decoding every following bin live, with the
 * running R² of the decoded velocity against the truth for the status line.
 *
 * Deterministic by construction, so a replay reproduces the live intents bit for bit: the
 * calibration bins are fixed by sample index, calibration runs in a worker (the acquisition
 * thread never waits), and the bins that arrive meanwhile wait (up to `MAX_PENDING`) and are
 * decoded, in order, once the model is ready.
 */
import { Subject, type Subscription } from 'rxjs';
import { InvalidOptionError, type FeatureFrame, type Intent, type Marker } from '../core/index.js';
import { calibrateInWorker } from '../decoding/calibration/calibrate-in-worker.js';
import { BuiltinDecoder } from '../decoding/decoders/builtin-decoder.js';
import { KINEMATICS_NAMES, KinematicsTruth } from '../decoding/datasets/kinematics-truth.js';
import { runningR2Validation, type R2Sample, type RunningR2Score } from '../decoding/operators/running-r2-validation.js';
import type { Decoder } from '../decoding/decoder.js';
import type { DecoderValidation } from '../decoding/decoder-validation.js';
import { decode, type DecodeStats } from '../decoding/operators/decode.js';

/** What the running R² is computed on: the decoded velocity against the task's. */
const VELOCITY_NAMES = ['vel_x', 'vel_y'];
/** Bins that may wait for the model while it is calibrated (60 s of 20 ms bins). */
const MAX_PENDING = 3000;
/** Running R² window, bins (10 s of 20 ms bins). */
const R2_WINDOW = 500;

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
  onReady?: (decoder: { name: string; provider: string; calibrationBins: number; features: number; droppedWhileCalibrating?: number }) => void;
  /** Every VALIDATION_EVERY bins scored against the task's truth: the running R² (online validation). */
  onValidation?: (validation: DecoderValidation) => void;
  /** A decoder ready to run (an ONNX model): no calibration, decoding from the first settled bin. */
  decoder?: Decoder;
  /**
   * An offline source (replay) that must lose no bin: nothing is dropped while calibrating or
   * decoding; the source holds back on `backlog()` instead.
   */
  offline?: boolean;
}

/** Bins between two online-validation reports (1 s of 20 ms bins). */
const VALIDATION_EVERY = 50;

/** The marker an operator's "recalibrate" puts in the stream (recorded, so a replay recalibrates at the same sample). */
export const RECALIBRATE_MARKER = 'recalibrate';

type Phase = 'waiting' | 'collecting' | 'calibrating' | 'decoding' | 'no-truth' | 'failed';

export class SessionDecoder {
  private phase: Phase = 'waiting';
  private readonly kinematics = new KinematicsTruth();
  private startSample = -1;
  private rows: Float64Array[] = [];
  private targets: number[][] = [];
  private names: readonly string[] = [];
  private readonly pending: { frame: FeatureFrame; truth: readonly number[] | undefined; acquisitionMs: number }[] = [];
  private droppedWhileCalibrating = 0;
  private input: Subject<FeatureFrame> | undefined;
  private subscription: Subscription | undefined;
  private readonly truthByBin = new Map<number, readonly number[]>();
  /** Acquisition delay per bin waiting to be decoded (ms). */
  private readonly acquisition = new Map<number, number>();
  /** The decoded velocity paired with the truth, scored into the running R² (across recalibrations). */
  private readonly scoring = new Subject<R2Sample>();
  private readonly scoringSubscription: Subscription;
  private r2: RunningR2Score | undefined;
  /** Where vel_x, vel_y are among the decoder's outputs and in the truth (none: no R²). */
  private velocityOutputs: number[] = [];
  private readonly velocityTruth = VELOCITY_NAMES.map((n) => (KINEMATICS_NAMES as readonly string[]).indexOf(n));
  /** The decoder that runs (its provider may change: a remote decoder falling back to a local one). */
  private active: Decoder | undefined;
  private stats: DecodeStats | undefined;
  private decoderName = 'kalman';
  private stopped = false;
  private failure = '';
  private calibration: Promise<void> | undefined;
  private readonly abort = new AbortController();
  private calibrationBins = 0;
  /** Settles when the decode pipeline has decoded every bin given to it (after `input.complete()`). */
  private decodingDone: Promise<void> | undefined;
  /**
   * Samples from which recalibrations collect their bins, in order (the head is the one under
   * way). A queue, not a flag: a replay may see a request before the bins that precede it are decoded.
   */
  private readonly recalibrations: number[] = [];
  private recalibrated = 0;
  private note = '';
  private outputs: readonly string[] = [];
  private kind: 'continuous' | 'discrete' | undefined;
  private validation: DecoderValidation | undefined;

  constructor(private readonly options: SessionDecoderOptions) {
    const { binSamples, sampleRateHz } = options;
    this.scoringSubscription = this.scoring
      .pipe(runningR2Validation({ dimensions: VELOCITY_NAMES, binSamples, sampleRateHz, windowBins: R2_WINDOW, everyBins: VALIDATION_EVERY }))
      .subscribe((score) => {
        this.r2 = score;
        if (!score.due) return;
        this.validation = score.validation;
        this.options.onValidation?.(score.validation);
      });
  }

  /** Markers of every block, in order (the truth comes from them). */
  observeMarkers(markers: readonly Marker[] | undefined): void {
    if (this.stopped || this.phase === 'failed' || this.phase === 'no-truth') return; // nobody will ask
    this.kinematics.observe(markers);
    if (markers) {
      for (const marker of markers) {
        // Every recorded request is taken (the live session refused the ones it could not take, so
        // they are not in the stream): a replay recalibrates where the live session did, whatever
        // its own timing.
        if (marker.type === RECALIBRATE_MARKER && !this.options.decoder) this.recalibrations.push(marker.sample);
      }
    }
  }

  /**
   * Whether an operator's recalibration would be taken now, and if not why: only a calibrated
   * Kalman filter that is decoding can be recalibrated (a given model is fixed).
   */
  recalibrationRefusal(): string | undefined {
    if (this.options.decoder) return `the session decodes with a fixed model (${this.options.decoder.name}): nothing to recalibrate`;
    if (this.phase !== 'decoding') return `the decoder is ${this.phase === 'failed' ? 'failed' : this.phase === 'no-truth' ? 'not running (no kinematics to calibrate on)' : 'still calibrating'}`;
    if (this.recalibrations.length > 0) return 'a recalibration is already under way';
    return undefined;
  }

  private provider(): string {
    return this.active?.provider ?? 'js';
  }

  /** What the dashboard shows of the decoder. */
  describe(): { name: string; provider: string; kind?: 'continuous' | 'discrete'; outputs: readonly string[]; backlog: number; validation?: DecoderValidation } {
    return {
      name: this.decoderName,
      provider: this.provider(),
      ...(this.kind ? { kind: this.kind } : {}),
      outputs: this.outputs,
      backlog: this.backlog(),
      ...(this.validation ? { validation: this.validation } : {}),
    };
  }

  /** Bins given and not yet decoded (waiting for the model or in the decode queue). */
  backlog(): number {
    return this.pending.length + (this.stats?.queued ?? 0);
  }

  /** A FeatureFrame from the chain, with the acquisition delay of the block that completed it. */
  push(frame: FeatureFrame, acquisitionMs = 0): void {
    if (this.stopped || this.phase === 'failed' || this.phase === 'no-truth') return;
    const truth = this.kinematics.before(frame.t0 + this.options.binSamples);
    if (this.startSample < 0) this.startSample = frame.t0;
    const settleEnd = this.startSample + Math.round(this.options.settleS * this.options.sampleRateHz);
    const calibrationEnd = settleEnd + Math.round(this.options.calibrateS * this.options.sampleRateHz);
    if (this.phase === 'waiting') {
      if (frame.t0 < settleEnd) return;
      this.names = frame.names;
      if (this.options.decoder) {
        this.start(this.options.decoder, 0);
        this.decodeFrame(frame, truth, acquisitionMs);
        return;
      }
      this.phase = 'collecting';
    }
    if (this.phase === 'collecting') {
      if (frame.t0 < calibrationEnd) {
        if (truth) {
          this.rows.push(Float64Array.from(frame.values));
          this.targets.push([...truth]);
        }
        return;
      }
      this.startCalibration();
    }
    this.decodeStage(frame, truth, acquisitionMs);
  }

  /**
   * A bin past the first calibration: it waits while a model is being fitted, is collected for a
   * recalibration under way (and decoded by the current model meanwhile), or is decoded. Bins that
   * waited for a model come back through here, so a replay takes the same path as the live session.
   */
  private decodeStage(frame: FeatureFrame, truth: readonly number[] | undefined, acquisitionMs: number): void {
    if (this.phase === 'calibrating') {
      this.pending.push({ frame, truth, acquisitionMs });
      if (!this.options.offline && this.pending.length > MAX_PENDING) {
        this.pending.shift();
        this.droppedWhileCalibrating++;
      }
      return;
    }
    const from = this.recalibrations[0];
    if (this.phase === 'decoding' && from !== undefined && frame.t0 >= from) {
      // Recalibration: collect the next calibrateS seconds while the current model goes on decoding.
      const end = from + Math.round(this.options.calibrateS * this.options.sampleRateHz);
      if (frame.t0 < end) {
        if (truth) {
          this.rows.push(Float64Array.from(frame.values));
          this.targets.push([...truth]);
        }
        this.decodeFrame(frame, truth, acquisitionMs);
        return;
      }
      this.recalibrations.shift();
      this.startCalibration();
      if ((this.phase as Phase) === 'calibrating') {
        this.pending.push({ frame, truth, acquisitionMs });
        return;
      }
    }
    this.decodeFrame(frame, truth, acquisitionMs);
  }

  status(): string {
    switch (this.phase) {
      case 'waiting':
        return this.options.decoder
          ? `decoder ${this.options.decoder.name} (${this.options.decoder.provider}): waiting for the spike thresholds`
          : `decoder kalman: calibrating on 0 bins (${this.options.calibrateS} s)`;
      case 'collecting':
        return `decoder kalman: calibrating on ${this.rows.length} bins (${this.options.calibrateS} s)`;
      case 'calibrating':
        return `decoder kalman: fitting on ${this.calibrationBins} bins…${this.recalibrated > 0 ? ' (recalibration)' : ''}`;
      case 'no-truth':
        return this.calibrationBins > 0
          ? `decoder: none (only ${this.calibrationBins} bins with kinematics in the calibration window; 50 needed)`
          : 'decoder: none (the stream carries no kinematics to calibrate on)';
      case 'failed':
        return `DECODER FAILED: ${this.failure}`;
      case 'decoding': {
        const r2 =
          this.velocityOutputs.length === 0
            ? 'no velocity outputs to score'
            : this.r2 && this.r2.size >= 2
              ? `R² ${fmt(this.r2.meanR2)} (vx ${fmtR2(this.r2.validation.perDimension[0]!)}, vy ${fmtR2(this.r2.validation.perDimension[1]!)}, last ${this.r2.validation.windowS.toFixed(0)} s)`
              : 'R² —';
        const lag = this.stats ? `, ${this.stats.decodeMs.toFixed(2)} ms/bin${this.stats.lagMs > 1 ? `, lag ${this.stats.lagMs.toFixed(1)} ms` : ''}${this.stats.dropped > 0 ? `, ${this.stats.dropped} dropped` : ''}` : '';
        const waited = this.droppedWhileCalibrating > 0 ? `, ${this.droppedWhileCalibrating} bins dropped while calibrating` : '';
        const recalibrating = this.recalibrations.length > 0 ? `, recalibrating on ${this.rows.length} bins (${this.options.calibrateS} s)` : '';
        const note = this.note ? `, ${this.note}` : '';
        return `decoder ${this.decoderName} (${this.provider()}): ${r2}${lag}${waited}${recalibrating}${note}`;
      }
    }
  }

  /**
   * Resolves once a calibration in flight has finished and the bins that waited for it are
   * decoded (at most `timeoutMs`): the end of a replay or session still gets its last intents.
   */
  async drain(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    const finished = (async () => {
      await this.calibration?.catch(() => {});
      // No more bins: the decode pipeline completes once the ones it holds (an ONNX call in flight) are out.
      this.input?.complete();
      await this.decodingDone;
    })();
    await Promise.race([finished, timeout]);
    clearTimeout(timer);
  }

  /** No more frames: an unfinished calibration is abandoned, decoding stops. */
  stop(): void {
    this.stopped = true;
    this.abort.abort(); // a fit still running is of no use now: end its worker
    this.pending.length = 0;
    this.subscription?.unsubscribe();
    this.input?.complete();
    this.scoringSubscription.unsubscribe();
  }

  private startCalibration(): void {
    const n = this.rows.length;
    const recalibrating = this.phase === 'decoding';
    if (n < 50) {
      if (recalibrating) {
        // The model that runs stays: say why nothing changed.
        this.note = `recalibration skipped: only ${n} bins with kinematics (50 needed)`;
        this.rows = [];
        this.targets = [];
        return;
      }
      this.calibrationBins = n;
      this.phase = 'no-truth';
      return;
    }
    this.calibrationBins = n;
    if (recalibrating) this.recalibrated++;
    this.note = '';
    this.phase = 'calibrating';
    const F = this.names.length;
    const X = new Float64Array(n * F);
    const Y = new Float64Array(n * KINEMATICS_NAMES.length);
    this.rows.forEach((row, i) => X.set(row, i * F));
    this.targets.forEach((t, i) => Y.set(t.slice(0, KINEMATICS_NAMES.length), i * KINEMATICS_NAMES.length));
    this.rows = [];
    this.targets = [];
    this.calibration = calibrateInWorker({ decoder: 'kalman', X, Y, n, featureNames: [...this.names], targetNames: [...KINEMATICS_NAMES] }, this.abort.signal).then(
      async (model) => {
        if (this.stopped) return;
        if (recalibrating) {
          // The previous model decodes every bin it was given before the new one takes over (in order).
          this.input?.complete();
          await this.decodingDone;
          this.subscription?.unsubscribe();
          if (this.stopped) return;
        }
        this.start(new BuiltinDecoder(model), n);
        if (recalibrating) this.note = `recalibrated ×${this.recalibrated}`;
        // Through decodeStage: a recalibration asked meanwhile starts collecting at its own sample.
        for (const { frame, truth, acquisitionMs } of this.pending.splice(0)) this.decodeStage(frame, truth, acquisitionMs);
      },
      (error: unknown) => {
        if (!this.stopped) this.fail(error);
      },
    );
  }

  /** Starts decoding with `decoder` (calibrated on `calibrationBins` bins, 0 for a given model). */
  private start(decoder: Decoder, calibrationBins: number): void {
    try {
      this.begin(decoder, calibrationBins);
    } catch (error) {
      this.fail(error);
    }
  }

  private begin(decoder: Decoder, calibrationBins: number): void {
    if (decoder.inputShape.length !== 1) {
      throw new InvalidOptionError(`--model ${decoder.name}`, 'a model of feature vectors (input shape [1, F])', `input shape [1, ${decoder.inputShape.join(', ')}] (an epoch model: use it with evaluate)`);
    }
    const generic = decoder.inputNames.every((name, i) => name === `input_${i}`);
    if (decoder.inputNames.length !== this.names.length || (!generic && decoder.inputNames.some((name, i) => name !== this.names[i]))) {
      const at = decoder.inputNames.findIndex((name, i) => name !== this.names[i]);
      throw new InvalidOptionError(
        `--model ${decoder.name} inputs`,
        `the session's ${this.names.length} features in order (${this.names.slice(0, 3).join(', ')}, …)`,
        decoder.inputNames.length !== this.names.length ? `${decoder.inputNames.length} inputs` : `"${decoder.inputNames[at]}" where "${this.names[at]}" is`,
      );
    }
    this.decoderName = decoder.name;
    this.active = decoder;
    this.outputs = decoder.outputNames;
    this.kind = decoder.kind;
    const outputs = VELOCITY_NAMES.map((n) => decoder.outputNames.indexOf(n));
    this.velocityOutputs = decoder.kind === 'continuous' && outputs.every((i) => i >= 0) ? outputs : [];
    this.input = new Subject<FeatureFrame>();
    let done: () => void = () => {};
    this.decodingDone = new Promise<void>((resolve) => (done = resolve));
    const timing = (frame: FeatureFrame): number => {
      return takeUpTo(this.acquisition, frame.bin) ?? 0;
    };
    const maxQueue = this.options.offline ? Number.MAX_SAFE_INTEGER : undefined;
    this.subscription = this.input.pipe(decode(decoder, { timing, onStats: (s) => (this.stats = s), ...(maxQueue ? { maxQueue } : {}) })).subscribe({
      complete: () => done(),
      next: (intent) => {
        const truth = takeUpTo(this.truthByBin, intent.bin);
        if (truth && this.velocityOutputs.length > 0) {
          this.scoring.next({ bin: intent.bin, predicted: this.velocityOutputs.map((k) => intent.values[k]!), truth: this.velocityTruth.map((k) => truth[k]!) });
        }
        this.options.onIntent(intent);
      },
      error: (error: unknown) => {
        done();
        this.fail(error);
      },
    });
    this.phase = 'decoding';
    this.options.onReady?.({
      name: decoder.name,
      provider: decoder.provider,
      calibrationBins,
      features: this.names.length,
      ...(this.droppedWhileCalibrating > 0 ? { droppedWhileCalibrating: this.droppedWhileCalibrating } : {}),
    });
  }

  private decodeFrame(frame: FeatureFrame, truth: readonly number[] | undefined, acquisitionMs: number): void {
    if (truth) this.truthByBin.set(frame.bin, truth);
    this.acquisition.set(frame.bin, acquisitionMs);
    this.input?.next(frame);
  }

  private fail(error: unknown): void {
    this.phase = 'failed';
    this.failure = error instanceof Error ? error.message : String(error);
    this.options.onError(error);
  }
}

/**
 * The entry of `bin`, removing it and every earlier one (bins the decoder dropped never come back):
 * the maps stay as small as the decoder's queue. Maps keep insertion order, which is bin order here.
 */
function takeUpTo<T>(map: Map<number, T>, bin: number): T | undefined {
  let found: T | undefined;
  for (const [key, value] of map) {
    if (key > bin) break;
    if (key === bin) found = value;
    map.delete(key);
  }
  return found;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '—';
}

/** A dimension's running R²: undefined (NaN) once scored only where its truth is still. */
function fmtR2(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '— (no variance)';
}
