/**
 * A session as a graph of streams. From an opened source of SampleBlocks and the session's
 * processing it builds:
 *
 * - `blocks$`   — the source, shared and hot (nothing flows before `connect()`);
 * - `filtered$` — EEG streams: the EEG chain's output (1–40 Hz band-pass + mains notch);
 *                 intracortical streams: the spike-band (300–3000 Hz) filtered, common-average
 *                 referenced blocks as the chain's features saw them, which the chain writes out
 *                 (on its worker threads, if any) for the blocks that come in while something
 *                 subscribes and `displayWanted` (a dashboard page shows it) says so;
 * - `features$` — intracortical streams: the chain's FeatureFrames, each in an envelope with the
 *                 acquisition delay of the block that completed it and the bin width;
 * - `intents$`  — the decoder's intents (a Kalman filter calibrated live, an ONNX model, or a
 *                 trial decoder of an EEG stream's cues);
 * - `markers$`  — the stream's markers, an operator's (`addMarker`) and the decoder's running
 *                 validation (live sources only: a replay carries the recorded ones);
 * - `health$`   — the stream's health, one snapshot per status interval.
 *
 * Sinks (the recorder, the dashboard, the status line) subscribe to these; what they subscribe
 * before `connect()` sees every block, and blocks reach subscribers in the order they subscribed.
 * A stage's failure (a model that cannot decode this stream, a decoder that fails) is reported
 * once to `onError` and ends that stage's streams; the source's own failure ends `blocks$`
 * (reported to `onSourceError`), and the stages finish what they hold.
 */
import { availableParallelism } from 'node:os';
import {
  EMPTY,
  Observable,
  Subject,
  tap,
  connectable,
  filter,
  interval,
  map,
  merge,
  mergeMap,
  of,
  pipe,
  share,
  takeUntil,
  catchError,
  type Connectable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
  asyncScheduler,
} from 'rxjs';
import { SPIKE_BAND_HZ, StreamHealth, eegChain, intracorticalChainSteps, defaultChainWorkers, type ChainView, signalQuality, signalQualityMarkers, type HealthSnapshot, type SignalQualityReport } from '../acquisition/index.js';
import { createMarker, hostNowMs, InvalidDataError, InvalidOptionError, type ChannelMap, type FeatureFrame, type Intent, type Marker, type SampleBlock, type StreamInfo } from '../core/index.js';
import {
  calibrateThenDecode,
  decodeTrials,
  type CalibrateThenDecodeInput,
  type CalibrateThenDecodeView,
  type Decoder,
  type DecoderValidation,
  type DecodeTrialsView,
  type ReadyDecoder,
} from '../decoding/index.js';

/** Bin width of the intracortical chain, ms (the chain's default). */
export const BIN_MS = 20;
/** The spike thresholds' calibration (the chain's default), s. */
export const THRESHOLD_SETTLE_S = 1;
/** The marker that carries the decoder's running R² in a recording (velocity, variance-weighted over vel_x and vel_y). */
export const VALIDATION_MARKER = 'decoder-r2';
/** A trial decoder's running accuracy, recorded after each trial (online validation). */
export const ACCURACY_MARKER = 'decoder-accuracy';

/**
 * The chain a stream gets: an extracellular stream the intracortical chain (binned features, and
 * a decoder of them), any other (EEG) the EEG filters (and only a trial decoder).
 */
export function chainFor(info: StreamInfo): 'intracortical' | 'eeg' {
  return info.channelKinds.includes('extracellular') ? 'intracortical' : 'eeg';
}

/** A feature bin with its timing: the acquisition delay (ms) of the block that completed it, and the bin width (s). */
export interface FeatureEnvelope {
  readonly frame: FeatureFrame;
  readonly acquisitionMs: number;
  readonly binS: number;
}

/** An intent with its bin width (s). */
export interface IntentEnvelope {
  readonly intent: Intent;
  readonly binS: number;
}

/**
 * Where a marker came from: the stream (in a block), an operator, the decoder's online validation,
 * or the signal-quality monitor (a channel's status changed: `EXG3 railed`, `EXG3 ok`).
 */
export type MarkerOrigin = 'stream' | 'operator' | 'validation' | 'quality';

export interface MarkerEnvelope {
  readonly marker: Marker;
  readonly origin: MarkerOrigin;
}

/** The decoding a session runs on its stream. */
export interface GraphDecoding {
  /** Seconds of bins a Kalman filter is calibrated on (and recalibrated on). */
  calibrateS: number;
  /** A ready decoder (an ONNX model) instead of calibrating a Kalman filter. */
  decoder?: Decoder;
  /** The decoder is a trial decoder: its epochs (from the model's metadata). */
  trial?: { windowS: readonly [number, number]; bandHz?: readonly [number, number] };
  /** A trial decoder's model channel → stream channel pairs, before the normalised match. */
  channelMap?: ChannelMap;
}

export interface SessionGraphOptions {
  /** Run the processing chain (false: stream only). */
  dsp: boolean;
  mainsHz: number;
  /** Omitted: no decoder. */
  decoding?: GraphDecoding;
  /** An offline source (replay): the decoder loses no bin (the source waits on `backlog()` instead), and no validation markers are made (the recording carries them). */
  offline?: boolean;
  /**
   * Threads of the intracortical chain: 1 runs it in this thread, N ≥ 2 on N worker threads (at most
   * the stream's channels). Default: `defaultChainWorkers` of the stream on this machine's cores.
   */
  workers?: number;
  /**
   * Whether the session's filtered signal is wanted for the next block (e.g. a dashboard page shows
   * it: the publisher's `wantsFiltered`). Asked before each block of an intracortical chain, which
   * writes its display samples (~30 % of its throughput at 1024 ch) only while `filtered$` is
   * subscribed and this says so; `filtered$` has no block for the blocks skipped. Absent: always.
   * The EEG chain's filtered blocks are its output and are never skipped.
   */
  displayWanted?: () => boolean;
  /**
   * Monitor the raw blocks' signal quality (`quality$` and its markers). Default true. A replay
   * with nobody to show or send it may turn it off: a recording of a live session carries its
   * quality markers already, and the monitor costs ~6 ns per sample (a fifth of a core at 1024 ch
   * × 30 kHz).
   */
  quality?: boolean;
  /** Seconds between two `health$` snapshots. */
  healthIntervalS?: number;
  /** A stage failed (reported once per stage). */
  onError?: (error: unknown) => void;
  /** The source failed: `blocks$` ends there. */
  onSourceError?: (error: unknown) => void;
  /** Host clock, ms (tests give their own). */
  now?: () => number;
  /** Scheduler of `health$` (tests give a TestScheduler). */
  scheduler?: SchedulerLike;
}

/** What the decoder stage emits. */
type DecoderEvent =
  | { readonly type: 'intent'; readonly intent: Intent }
  | { readonly type: 'ready'; readonly decoder: ReadyDecoder }
  | { readonly type: 'validation'; readonly validation: DecoderValidation };

/** The decoder stage of a started stream, as the status line and the dashboard read it. */
export type DecoderStage =
  | { readonly kind: 'continuous'; readonly view: CalibrateThenDecodeView }
  | { readonly kind: 'trials'; readonly view: DecodeTrialsView; readonly decoder: Decoder; readonly failed: () => boolean };

/** What the processing chain has done so far (for the status line). */
export interface ChainCounts {
  /** Which chain runs ('' before the first block). */
  readonly chain: 'intracortical' | 'eeg' | '';
  readonly description: string;
  readonly bins: number;
  readonly binS: number;
  readonly crossings: number;
  readonly featureChannels: number;
  readonly filteredBlocks: number;
}

export interface SessionGraph {
  readonly blocks$: Observable<SampleBlock>;
  readonly filtered$: Observable<SampleBlock>;
  readonly features$: Observable<FeatureEnvelope>;
  readonly intents$: Observable<IntentEnvelope>;
  readonly markers$: Observable<MarkerEnvelope>;
  /** The stream's health once per interval (undefined while no block has arrived); each snapshot starts the next achieved-rate window. */
  readonly health$: Observable<HealthSnapshot | undefined>;
  /**
   * Signal quality per neural channel of the raw blocks, once per 1 s window (acquisition's
   * `signalQuality` at the session's mains frequency): railed, flat, line noise. Nothing for a
   * stream too slow to see the mains (a rate at most 2 × (mains + 2) Hz), or with `quality: false`.
   */
  readonly quality$: Observable<SignalQualityReport>;
  /** The decoder once ready (to record which decoder ran). */
  readonly ready$: Observable<ReadyDecoder>;
  /** The decoder's online validation (running R² once a second of bins, or accuracy after each trial). */
  readonly validations$: Observable<DecoderValidation>;
  /** The stream's info, once its first block arrived. */
  info(): StreamInfo | undefined;
  /** One past the newest sample received (where an operator's marker goes). */
  nextSample(): number;
  /** The stream's health now (undefined before the first block). */
  health(): HealthSnapshot | undefined;
  /** Starts the achieved-rate window of the next `health()` anew. */
  rollHealth(): void;
  chain(): ChainCounts;
  /** The decoder stage (undefined before the first block, or without a decoder). */
  decoder(): DecoderStage | undefined;
  /** Bins (or trials) the decoder holds and has not decoded yet. */
  backlog(): number;
  /** Blocks waiting for room in the chain's worker threads (0 when it runs in this thread): an offline source holds back while any wait. */
  chainBacklog(): number;
  /** An operator's marker at the newest sample: recorded, shown and seen by the decoder (through `markers$`). */
  addMarker(type: string, value: string): Marker;
  /** Starts the flow: call once every sink has subscribed. */
  connect(): void;
  /** Ends the source: `blocks$` completes, and the stages finish what they hold. */
  end(): void;
  /** Resolves once the chain has processed, and the decoder decoded, what they hold after the source ended (at most `timeoutMs`). */
  drained(timeoutMs: number): Promise<void>;
  /** Stops everything now (an unfinished calibration is abandoned). */
  stop(): void;
}

/** Picks the operator from the first value (a stream's info decides its stages); the first value goes through it too. */
export function byFirst<T, R>(select: (first: T) => OperatorFunction<T, R>): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const input = new Subject<T>();
      let inner: Subscription | undefined;
      const outer = source.subscribe({
        next: (value) => {
          if (!inner) {
            try {
              inner = input.pipe(select(value)).subscribe(subscriber);
            } catch (error) {
              subscriber.error(error);
              return;
            }
          }
          input.next(value);
        },
        error: (error: unknown) => (inner ? input.error(error) : subscriber.error(error)),
        complete: () => (inner ? input.complete() : subscriber.complete()),
      });
      return () => {
        outer.unsubscribe();
        inner?.unsubscribe();
      };
    });
}

/** {@link byFirst} on a stream of blocks: the operator chosen from the first block's info. */
function byStream<R>(select: (info: StreamInfo) => OperatorFunction<SampleBlock, R>): OperatorFunction<SampleBlock, R> {
  return byFirst((block: SampleBlock) => select(block.info));
}

/** What the processing chain emits, in stream order: a block's markers then the bins it completed (intracortical), or filtered blocks (EEG). */
type ChainOut =
  | { readonly type: 'markers'; readonly markers: readonly Marker[] }
  | { readonly type: 'frame'; readonly envelope: FeatureEnvelope }
  | { readonly type: 'filtered'; readonly block: SampleBlock }
  /** An intracortical block as the features saw it (band-passed, re-referenced), while a display asks for it. */
  | { readonly type: 'referenced'; readonly block: SampleBlock };

/**
 * The intracortical chain's frames in envelopes: each carries the acquisition delay of the block
 * that completed it. On worker threads (`workers` ≥ 2) a block's bins come later than the block,
 * but still in order, each block's markers just before them.
 */
function framesWithTiming(
  now: () => number,
  binS: number,
  workers: number,
  onView: (view: ChainView) => void,
  referenced: () => boolean,
): OperatorFunction<SampleBlock, ChainOut> {
  return (source) =>
    new Observable<ChainOut>((subscriber) => {
      const input = new Subject<SampleBlock>();
      // Per block in flight, oldest first: from the arrival of its last byte to the start of its processing.
      const delays: number[] = [];
      let oldest = 0;
      const inner = input.pipe(intracorticalChainSteps({ binMs: BIN_MS, calibrationS: THRESHOLD_SETTLE_S, workers, onView, referenced })).subscribe({
        next: ({ block, frames, referenced: display }) => {
          const acquisitionMs = delays[oldest++]!;
          if (oldest > 1024) {
            delays.splice(0, oldest);
            oldest = 0;
          }
          // The block's markers (the task's truth, a recalibration) go before the bins it completes.
          if (block.markers) subscriber.next({ type: 'markers', markers: block.markers });
          if (display) subscriber.next({ type: 'referenced', block: display });
          for (const frame of frames) subscriber.next({ type: 'frame', envelope: { frame, acquisitionMs, binS } });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      const outer = source.subscribe({
        next: (block) => {
          delays.push(Math.max(0, now() - block.hostTime));
          input.next(block);
        },
        error: (error: unknown) => input.error(error),
        complete: () => input.complete(),
      });
      return () => {
        outer.unsubscribe();
        inner.unsubscribe();
      };
    });
}

/** Builds a session's graph over `source`; see the module description. */
export function sessionGraph(source: Observable<SampleBlock>, options: SessionGraphOptions): SessionGraph {
  const now = options.now ?? hostNowMs;
  const scheduler = options.scheduler ?? asyncScheduler;
  const end$ = new Subject<void>();
  const operatorMarkers$ = new Subject<Marker>();
  const reported = new Set<string>();
  const fail = (stage: string) => (error: unknown) => {
    if (reported.has(stage)) return;
    reported.add(stage);
    options.onError?.(error);
  };

  let info: StreamInfo | undefined;
  let next = 0;
  let health: StreamHealth | undefined;
  const blocks$: Connectable<SampleBlock> = connectable(
    source.pipe(
      takeUntil(end$),
      // The stream's own bookkeeping, before any subscriber sees the block.
      tap((block) => {
        if (!info) {
          info = block.info;
          health = new StreamHealth(info.sampleRateHz);
        }
        health!.observe(block, now());
        next = block.first + block.length;
      }),
      catchError((error: unknown) => {
        options.onSourceError?.(error);
        return EMPTY;
      }),
    ),
    { connector: () => new Subject<SampleBlock>(), resetOnDisconnect: false },
  );

  /** Subscribers of the intracortical chain's referenced blocks (the session's filtered signal). */
  let displays = 0;
  const referencedWanted = (): boolean => displays > 0 && (options.displayWanted?.() ?? true);
  const counts = { chain: '' as ChainCounts['chain'], description: '', bins: 0, binS: BIN_MS / 1000, crossings: 0, featureChannels: 0, filteredBlocks: 0 };
  let stage: DecoderStage | undefined;
  let chainView: ChainView | undefined;

  // The chain's output, chosen by the stream: feature envelopes (intracortical) or filtered blocks (EEG).
  const chain$: Observable<ChainOut> = options.dsp
    ? blocks$.pipe(
        byStream<ChainOut>((streamInfo) => {
          if (chainFor(streamInfo) === 'intracortical') {
            const rate = streamInfo.sampleRateHz;
            if (!(rate > 2 * SPIKE_BAND_HZ[1])) {
              throw new InvalidDataError(
                `stream ${streamInfo.id}`,
                `a sample rate above ${2 * SPIKE_BAND_HZ[1]} Hz for the intracortical chain's spike band (${SPIKE_BAND_HZ[0]}–${SPIKE_BAND_HZ[1]} Hz) — a field-potential stream (a Neuropixels LF file) runs or replays without processing: --no-dsp`,
                `${rate} Hz`,
              );
            }
            const binS = Math.round((BIN_MS * rate) / 1000) / rate;
            const channels = streamInfo.channelNames.length;
            const workers = options.workers ?? defaultChainWorkers(streamInfo, availableParallelism());
            if (workers > channels) throw new InvalidOptionError('--workers', `at most the stream's ${channels} channels (each worker thread takes at least one)`, workers);
            const threads = workers > 1 ? `, ${workers} worker threads` : '';
            Object.assign(counts, { chain: 'intracortical', description: `spike band ${SPIKE_BAND_HZ[0]}–${SPIKE_BAND_HZ[1]} Hz, CAR, 20 ms bins${threads}`, binS });
            return framesWithTiming(now, BIN_MS / 1000, workers, (view) => (chainView = view), referencedWanted);
          }
          Object.assign(counts, { chain: 'eeg', description: `1–40 Hz, ${options.mainsHz} Hz notch` });
          return pipe(
            eegChain({ notchHz: options.mainsHz }),
            map((block) => ({ type: 'filtered' as const, block })),
          );
        }),
        catchError((error: unknown) => {
          fail('chain')(error);
          return EMPTY;
        }),
        share(),
      )
    : EMPTY;

  const features$ = chain$.pipe(
    filter((out): out is Extract<ChainOut, { type: 'frame' }> => out.type === 'frame'),
    map((out) => out.envelope),
  );
  const eegFiltered$ = chain$.pipe(
    filter((out): out is Extract<ChainOut, { type: 'filtered' }> => out.type === 'filtered'),
    map((out) => out.block),
  );
  // Intracortical streams: the spike band, re-referenced, as the chain's features saw it — the
  // chain writes it out (on its worker threads, if any) for each block that comes in while this is
  // subscribed and `displayWanted` (if given) says so.
  const spikeBand$ = new Observable<SampleBlock>((subscriber) => {
    displays++;
    const subscription = chain$
      .pipe(
        filter((out): out is Extract<ChainOut, { type: 'referenced' }> => out.type === 'referenced'),
        map((out) => out.block),
      )
      .subscribe(subscriber);
    return () => {
      displays--;
      subscription.unsubscribe();
    };
  });
  const filtered$ = options.dsp ? merge(eegFiltered$, spikeBand$).pipe(share()) : EMPTY;

  // The decoder: of the chain's bins and the markers (intracortical), or of the raw blocks' cues (EEG trials).
  // Both paths are subscribed before the first block; each picks its operator from the stream.
  const decoding = options.decoding;
  const decoderEvents$: Observable<DecoderEvent> =
    options.dsp && decoding
      ? merge(
          blocks$.pipe(byStream((streamInfo) => trialDecoderOf(streamInfo, decoding))),
          merge(
            chain$.pipe(
              mergeMap((out): Observable<CalibrateThenDecodeInput> =>
                out.type === 'frame' ? of({ type: 'frame', frame: out.envelope.frame, acquisitionMs: out.envelope.acquisitionMs }) : out.type === 'markers' ? of(out) : EMPTY,
              ),
            ),
            operatorMarkers$.pipe(map((marker): CalibrateThenDecodeInput => ({ type: 'markers', markers: [marker] }))),
          ).pipe(byFirst(() => continuousDecoderOf(info!, decoding))),
        ).pipe(
          catchError((error: unknown) => {
            fail('decoder')(error);
            return EMPTY;
          }),
          share(),
        )
      : EMPTY;

  /** An extracellular stream's decoder of binned features: a Kalman filter calibrated live, or the given model. */
  function continuousDecoderOf(streamInfo: StreamInfo, d: GraphDecoding): OperatorFunction<CalibrateThenDecodeInput, DecoderEvent> {
    if (chainFor(streamInfo) !== 'intracortical' || d.trial) return () => EMPTY;
    const rate = streamInfo.sampleRateHz;
    return calibrateThenDecode({
      sampleRateHz: rate,
      binSamples: Math.round((BIN_MS * rate) / 1000),
      calibrateS: d.calibrateS,
      settleS: THRESHOLD_SETTLE_S,
      ...(d.decoder ? { decoder: d.decoder } : {}),
      ...(options.offline ? { offline: true } : {}),
      onView: (view) => (stage = { kind: 'continuous', view }),
    });
  }

  /** An EEG stream's trial decoder (throws when the model cannot decode this stream's trials). */
  function trialDecoderOf(streamInfo: StreamInfo, d: GraphDecoding): OperatorFunction<SampleBlock, DecoderEvent> {
    const intracortical = chainFor(streamInfo) === 'intracortical';
    if (d.trial && intracortical) {
      throw new InvalidOptionError(`--model ${d.decoder?.name ?? ''}`, 'a decoder of binned features for an extracellular stream', 'a trial decoder (epochs around cues: for EEG streams)');
    }
    // An extracellular stream is decoded from its bins; an EEG stream without a model has nothing to calibrate on.
    if (intracortical || !d.decoder) return () => EMPTY;
    if (!d.trial) {
      throw new InvalidOptionError(
        `--model ${d.decoder.name}`,
        'a trial decoder for an EEG stream (from `neurostream calibrate --decoder lda|csp-lda`, which stores its epoch window)',
        'a model without neurostream.epoch_window_s',
      );
    }
    const decoder = d.decoder;
    let failed = false;
    const operator = decodeTrials({
      info: streamInfo,
      decoder,
      windowS: d.trial.windowS,
      ...(d.trial.bandHz ? { bandHz: d.trial.bandHz } : {}),
      ...(d.channelMap ? { channelMap: d.channelMap } : {}),
      binMs: BIN_MS,
      onView: (view) => (stage = { kind: 'trials', view, decoder, failed: () => failed }),
    });
    const ready: DecoderEvent = { type: 'ready', decoder: { name: decoder.name, provider: decoder.provider, calibrationBins: 0, features: decoder.inputNames.length } };
    return (blocks) =>
      merge(
        of(ready),
        blocks.pipe(
          operator,
          catchError((error: unknown) => {
            failed = true;
            throw error;
          }),
        ),
      );
  }

  const intents$ = decoderEvents$.pipe(
    filter((e): e is Extract<DecoderEvent, { type: 'intent' }> => e.type === 'intent'),
    map((e) => ({ intent: e.intent, binS: BIN_MS / 1000 })),
  );
  const ready$ = decoderEvents$.pipe(
    filter((e): e is Extract<DecoderEvent, { type: 'ready' }> => e.type === 'ready'),
    map((e) => e.decoder),
  );
  const validations$ = decoderEvents$.pipe(
    filter((e): e is Extract<DecoderEvent, { type: 'validation' }> => e.type === 'validation'),
    map((e) => e.validation),
  );
  // Online validation: the running R² (or accuracy) as a marker, once a second of bins (or per trial).
  const validation$: Observable<MarkerEnvelope> = options.offline
    ? EMPTY
    : decoderEvents$.pipe(
        filter((e): e is Extract<DecoderEvent, { type: 'validation' }> => e.type === 'validation' && Number.isFinite(e.validation.value)),
        map((e) => ({
          marker: createMarker(e.validation.sample, e.validation.metric === 'accuracy' ? ACCURACY_MARKER : VALIDATION_MARKER, e.validation.value),
          origin: 'validation' as const,
        })),
      );
  // Signal quality of the raw blocks (with or without the processing chain).
  const mainsHz = options.mainsHz as 50 | 60;
  const quality$: Observable<SignalQualityReport> = blocks$.pipe(
    byStream((streamInfo) => (options.quality === false || streamInfo.sampleRateHz <= 2 * (mainsHz + 2) ? () => EMPTY : signalQuality({ mainsHz }))),
    catchError((error: unknown) => {
      fail('signal quality')(error);
      return EMPTY;
    }),
    share(),
  );
  const markers$: Observable<MarkerEnvelope> = merge(
    blocks$.pipe(mergeMap((block) => (block.markers ? of(...block.markers.map((marker) => ({ marker, origin: 'stream' as const }))) : EMPTY))),
    operatorMarkers$.pipe(map((marker) => ({ marker, origin: 'operator' as const }))),
    validation$,
    quality$.pipe(
      signalQualityMarkers(),
      map((marker) => ({ marker, origin: 'quality' as const })),
    ),
  );

  const health$: Observable<HealthSnapshot | undefined> = interval((options.healthIntervalS ?? 1) * 1000, scheduler).pipe(
    takeUntil(end$),
    map(() => {
      if (!health) return undefined;
      const t = now();
      const snapshot = health.snapshot(t);
      health.roll(t); // the next snapshot's achieved rate covers the time from this one
      return snapshot;
    }),
    share(),
  );

  const internal: Subscription[] = [];
  let decoderDone: Promise<void> = Promise.resolve();
  let chainDone: Promise<void> = Promise.resolve();
  let connection: Subscription | undefined;

  return {
    blocks$,
    filtered$,
    features$,
    intents$,
    markers$,
    health$,
    quality$,
    ready$,
    validations$,
    info: () => info,
    nextSample: () => next,
    health: () => health?.snapshot(now()),
    rollHealth: () => health?.roll(now()),
    chain: () => ({ ...counts }),
    decoder: () => stage,
    chainBacklog: () => chainView?.backlog() ?? 0,
    backlog: () => (stage?.kind === 'continuous' ? stage.view.backlog() : stage?.kind === 'trials' ? stage.view.state().queued : 0),
    addMarker(type, value) {
      const marker = createMarker(next, type, value);
      operatorMarkers$.next(marker);
      return marker;
    },
    connect() {
      if (connection) return;
      // The chain's figures and the decoder: after the sinks, so a block reaches them first.
      chainDone = new Promise<void>((resolve) => {
        internal.push(
          features$.subscribe({
            next: ({ frame }) => {
              counts.bins++;
              const C = frame.values.length / 2; // [tc:<ch>…, sbp:<ch>…]: the first half are spike counts
              counts.featureChannels = C;
              for (let c = 0; c < C; c++) counts.crossings += frame.values[c]!;
            },
            // On worker threads the chain still holds bins when the source ends.
            complete: resolve,
          }),
        );
      });
      internal.push(eegFiltered$.subscribe(() => counts.filteredBlocks++));
      decoderDone = new Promise<void>((resolve) => {
        internal.push(decoderEvents$.subscribe({ complete: resolve }));
      });
      connection = blocks$.connect();
    },
    end() {
      end$.next();
      end$.complete();
      operatorMarkers$.complete();
    },
    async drained(timeoutMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.all([chainDone, decoderDone]), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
    },
    stop() {
      connection?.unsubscribe();
      internal.forEach((s) => s.unsubscribe());
    },
  };
}
