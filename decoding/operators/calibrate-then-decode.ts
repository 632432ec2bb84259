/**
 * `calibrateThenDecode(options)` — live decoding for streams whose task provides the truth (the
 * intracortical simulator's `kinematics` markers): a Kalman filter calibrated on the first
 * `calibrateS` seconds of features (after `settleS` seconds in which the spike thresholds settle),
 * then decoding every following bin, scored against the truth as it goes (the running R² of the
 * decoded velocity: `runningR2Validation`). An operator's `recalibrate` marker (in the stream)
 * queues a recalibration on the next `calibrateS` seconds from its sample, while the current model
 * goes on decoding. Given a ready `decoder` (an ONNX model), nothing is calibrated.
 *
 * Input: the feature frames (with the acquisition delay of the block that completed each) and the
 * stream's markers, in stream order. Output: the intents, the model becoming ready, and the
 * validations due (once a second).
 *
 * Deterministic by construction, so a replay reproduces the live intents bit for bit: the
 * calibration bins are fixed by sample index, calibration runs in a worker (the acquisition
 * thread never waits), and the bins that arrive meanwhile wait (up to `MAX_PENDING`, none lost
 * when `offline`) and are decoded, in order, once the model is ready. The source's completion
 * waits for a calibration in flight and the bins it held; unsubscribing abandons both. All state
 * (the phase, the bins collected, the models, the R² window) belongs to the subscription, which
 * hands out a read-only {@link CalibrateThenDecodeView} of it (`onView`).
 */
import { Subject, type OperatorFunction, type Subscriber, type Subscription } from 'rxjs';
import { InvalidOptionError, hostNowMs, type FeatureFrame, type Intent, type Marker } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';
import { calibrateInWorker } from '../calibration/calibrate-in-worker.js';
import { BuiltinDecoder } from '../decoders/builtin-decoder.js';
import { KINEMATICS_NAMES, KinematicsTruth } from '../datasets/kinematics-truth.js';
import type { Decoder } from '../decoder.js';
import type { DecoderValidation } from '../decoder-validation.js';
import { decode, type DecodeStats } from './decode.js';
import { runningR2Validation, type R2Sample, type RunningR2Score } from './running-r2-validation.js';

/** What the running R² is computed on: the decoded velocity against the task's. */
const VELOCITY_NAMES = ['vel_x', 'vel_y'];
/** Bins that may wait for the model while it is calibrated (60 s of 20 ms bins). */
const MAX_PENDING = 3000;
/** Running R² window, bins (10 s of 20 ms bins). */
const R2_WINDOW = 500;
/** Bins between two online-validation reports (1 s of 20 ms bins). */
const VALIDATION_EVERY = 50;
/** Bins with truth a calibration needs. */
const MIN_CALIBRATION_BINS = 50;

/** The marker an operator's "recalibrate" puts in the stream (recorded, so a replay recalibrates at the same sample). */
export const RECALIBRATE_MARKER = 'recalibrate';

/** What {@link calibrateThenDecode} takes, in stream order. */
export type CalibrateThenDecodeInput =
  /** A feature bin, with the acquisition delay (ms) of the block that completed it. */
  | { readonly type: 'frame'; readonly frame: FeatureFrame; readonly acquisitionMs: number }
  /** Markers of a block (the truth, recalibration requests), or an operator's. */
  | { readonly type: 'markers'; readonly markers: readonly Marker[] };

/** The decoder that runs, as recorded when it becomes ready. */
export interface ReadyDecoder {
  name: string;
  provider: string;
  /** Bins it was calibrated on (0 for a given model). */
  calibrationBins: number;
  features: number;
  droppedWhileCalibrating?: number;
}

/** What {@link calibrateThenDecode} emits. */
export type CalibrateThenDecodeEvent =
  | { readonly type: 'intent'; readonly intent: Intent }
  | { readonly type: 'ready'; readonly decoder: ReadyDecoder }
  /** Every `VALIDATION_EVERY` bins scored against the truth (before that bin's intent). */
  | { readonly type: 'validation'; readonly validation: DecoderValidation };

export type CalibrateThenDecodePhase = 'waiting' | 'collecting' | 'calibrating' | 'decoding' | 'no-truth' | 'failed';

/** A subscription's state, as read by a status line or dashboard (a copy: reading changes nothing). */
export interface CalibrateThenDecodeState {
  readonly phase: CalibrateThenDecodePhase;
  /** The given model, if any (nothing to calibrate). */
  readonly given?: { readonly name: string; readonly provider: string };
  readonly calibrateS: number;
  readonly decoderName: string;
  readonly provider: string;
  readonly kind?: 'continuous' | 'discrete';
  readonly outputs: readonly string[];
  /** Bins collected for the calibration (or recalibration) under way. */
  readonly collected: number;
  /** Bins the last calibration was given. */
  readonly calibrationBins: number;
  readonly recalibrations: number;
  readonly recalibrating: boolean;
  readonly droppedWhileCalibrating: number;
  readonly note: string;
  readonly failure: string;
  /** The decoder's outputs hold vel_x and vel_y (a running R² is computed). */
  readonly scoresVelocity: boolean;
  readonly r2?: RunningR2Score;
  readonly validation?: DecoderValidation;
  readonly stats?: DecodeStats;
  /** Bins given and not yet decoded (waiting for the model or in the decode queue). */
  readonly backlog: number;
}

/** A read-only view of one subscription's state. */
export interface CalibrateThenDecodeView {
  state(): CalibrateThenDecodeState;
  /** Bins given and not yet decoded (the offline source holds back on it). */
  backlog(): number;
  /** Why an operator's recalibration would not be taken now (undefined: it would). */
  recalibrationRefusal(): string | undefined;
}

export interface CalibrateThenDecodeOptions {
  sampleRateHz: number;
  /** Samples per feature bin. */
  binSamples: number;
  /** Seconds of bins to calibrate on. */
  calibrateS: number;
  /** Spike thresholds settle over this many seconds first; those bins are not used. */
  settleS: number;
  /** A decoder ready to run (an ONNX model): no calibration, decoding from the first settled bin. */
  decoder?: Decoder;
  /**
   * An offline source (replay) that must lose no bin: nothing is dropped while calibrating or
   * decoding; the source holds back on the view's `backlog()` instead.
   */
  offline?: boolean;
  /** Given each subscription's view when it starts. */
  onView?: (view: CalibrateThenDecodeView) => void;
}

/** Calibrates a Kalman filter on the first seconds of features (or takes a given model), then decodes every bin, scoring it against the truth; see the module description. */
export function calibrateThenDecode(options: CalibrateThenDecodeOptions): OperatorFunction<CalibrateThenDecodeInput, CalibrateThenDecodeEvent> {
  return operate<CalibrateThenDecodeInput, CalibrateThenDecodeEvent>((source, subscriber) => {
    const machine = new CalibrateThenDecodeMachine(options, subscriber);
    options.onView?.(machine);
    const subscription = source.subscribe(
      operatorObserver(
        subscriber,
        (input: CalibrateThenDecodeInput) => {
          if (input.type === 'frame') machine.push(input.frame, input.acquisitionMs);
          else machine.observeMarkers(input.markers);
        },
        {
          complete: () => {
            const finishing = machine.finish();
            if (finishing) void finishing.then(() => subscriber.complete());
            else subscriber.complete();
          },
        },
      ),
    );
    return () => {
      subscription.unsubscribe();
      machine.stop();
    };
  });
}

/** One subscription's state machine. */
class CalibrateThenDecodeMachine implements CalibrateThenDecodeView {
  private phase: CalibrateThenDecodePhase = 'waiting';
  private readonly kinematics = new KinematicsTruth();
  private startSample = -1;
  private rows: Float64Array[] = [];
  private targets: number[][] = [];
  private names: readonly string[] = [];
  /** Bins waiting for a model being fitted, each with the host time it began to wait (ms). */
  private readonly pending: { frame: FeatureFrame; truth: readonly number[] | undefined; acquisitionMs: number; since: number }[] = [];
  private droppedWhileCalibrating = 0;
  private input: Subject<FeatureFrame> | undefined;
  private subscription: Subscription | undefined;
  private readonly truthByBin = new Map<number, readonly number[]>();
  /** Acquisition delay per bin waiting to be decoded (ms). */
  private readonly acquisition = new Map<number, number>();
  /** Time a bin waiting to be decoded was held for a calibration (ms; bins that were not held are absent). */
  private readonly held = new Map<number, number>();
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
  /** The decode pipeline of the current model has completed (`decodingDone` has settled). */
  private decodedAll = false;
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

  constructor(
    private readonly options: CalibrateThenDecodeOptions,
    private readonly out: Subscriber<CalibrateThenDecodeEvent>,
  ) {
    const { binSamples, sampleRateHz } = options;
    this.scoringSubscription = this.scoring
      .pipe(runningR2Validation({ dimensions: VELOCITY_NAMES, binSamples, sampleRateHz, windowBins: R2_WINDOW, everyBins: VALIDATION_EVERY }))
      .subscribe((score) => {
        this.r2 = score;
        if (!score.due) return;
        this.validation = score.validation;
        this.out.next({ type: 'validation', validation: score.validation });
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
  private decodeStage(frame: FeatureFrame, truth: readonly number[] | undefined, acquisitionMs: number, heldMs = 0): void {
    if (this.phase === 'calibrating') {
      this.pending.push({ frame, truth, acquisitionMs, since: hostNowMs() - heldMs });
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
        this.decodeFrame(frame, truth, acquisitionMs, heldMs);
        return;
      }
      this.recalibrations.shift();
      this.startCalibration();
      if ((this.phase as CalibrateThenDecodePhase) === 'calibrating') {
        this.pending.push({ frame, truth, acquisitionMs, since: hostNowMs() - heldMs });
        return;
      }
    }
    this.decodeFrame(frame, truth, acquisitionMs, heldMs);
  }

  state(): CalibrateThenDecodeState {
    const given = this.options.decoder;
    return {
      phase: this.phase,
      ...(given ? { given: { name: given.name, provider: given.provider } } : {}),
      calibrateS: this.options.calibrateS,
      decoderName: this.decoderName,
      provider: this.provider(),
      ...(this.kind ? { kind: this.kind } : {}),
      outputs: this.outputs,
      collected: this.rows.length,
      calibrationBins: this.calibrationBins,
      recalibrations: this.recalibrated,
      recalibrating: this.recalibrations.length > 0,
      droppedWhileCalibrating: this.droppedWhileCalibrating,
      note: this.note,
      failure: this.failure,
      scoresVelocity: this.velocityOutputs.length > 0,
      ...(this.r2 ? { r2: this.r2 } : {}),
      ...(this.validation ? { validation: this.validation } : {}),
      ...(this.stats ? { stats: { ...this.stats } } : {}),
      backlog: this.backlog(),
    };
  }

  /**
   * The source completed: a calibration in flight is finished and the bins that waited for it
   * are decoded (the end of a replay or session still gets its last intents). Undefined when
   * nothing is left to wait for; else settles once it is done.
   */
  finish(): Promise<void> | undefined {
    if (this.phase === 'calibrating') {
      return (async () => {
        await this.calibration?.catch(() => {});
        this.input?.complete();
        await this.decodingDone;
      })();
    }
    // No more bins: the decode pipeline completes once the ones it holds (an ONNX call in flight) are out.
    this.input?.complete();
    return !this.input || this.decodedAll ? undefined : this.decodingDone;
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
    if (n < MIN_CALIBRATION_BINS) {
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
        // Each goes on with the time it waited (not decode latency: the intent carries it as heldMs).
        const now = hostNowMs();
        for (const { frame, truth, acquisitionMs, since } of this.pending.splice(0)) this.decodeStage(frame, truth, acquisitionMs, Math.max(0, now - since));
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
    let settle: () => void = () => {};
    this.decodingDone = new Promise<void>((resolve) => (settle = resolve));
    this.decodedAll = false;
    const done = (): void => {
      this.decodedAll = true;
      settle();
    };
    const timing = (frame: FeatureFrame): number => {
      return takeUpTo(this.acquisition, frame.bin) ?? 0;
    };
    const held = (frame: FeatureFrame): number => takeUpTo(this.held, frame.bin) ?? 0;
    const maxQueue = this.options.offline ? Number.MAX_SAFE_INTEGER : undefined;
    this.subscription = this.input.pipe(decode(decoder, { timing, held, onStats: (s) => (this.stats = s), ...(maxQueue ? { maxQueue } : {}) })).subscribe({
      complete: () => done(),
      next: (intent) => {
        const truth = takeUpTo(this.truthByBin, intent.bin);
        if (truth && this.velocityOutputs.length > 0) {
          this.scoring.next({ bin: intent.bin, predicted: this.velocityOutputs.map((k) => intent.values[k]!), truth: this.velocityTruth.map((k) => truth[k]!) });
        }
        this.out.next({ type: 'intent', intent });
      },
      error: (error: unknown) => {
        done();
        this.fail(error);
      },
    });
    this.phase = 'decoding';
    this.emitReady({
      name: decoder.name,
      provider: decoder.provider,
      calibrationBins,
      features: this.names.length,
      ...(this.droppedWhileCalibrating > 0 ? { droppedWhileCalibrating: this.droppedWhileCalibrating } : {}),
    });
  }

  private decodeFrame(frame: FeatureFrame, truth: readonly number[] | undefined, acquisitionMs: number, heldMs = 0): void {
    if (truth) this.truthByBin.set(frame.bin, truth);
    this.acquisition.set(frame.bin, acquisitionMs);
    if (heldMs > 0) this.held.set(frame.bin, heldMs);
    this.input?.next(frame);
  }

  private emitReady(decoder: ReadyDecoder): void {
    this.out.next({ type: 'ready', decoder });
  }

  private fail(error: unknown): void {
    this.phase = 'failed';
    this.failure = error instanceof Error ? error.message : String(error);
    this.out.error(error);
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

