/**
 * The session → dashboard publisher: it watches the session's streams (blocks, feature frames,
 * intents, markers), keeps what the page needs at screen resolution (a min/max ring of the
 * traces, binned rates, intents, spectra, latency histograms) and, at `framesPerSecond`, sends
 * each client the columns it has not seen yet for its own view (channels, window, width).
 *
 * Acquisition never waits for a client: the acquisition side only folds blocks into the rings
 * (O(samples), no allocation); frames are built on a timer, per client, and only for clients
 * that are keeping up (`bufferedAmount` within the server's limit). A client that falls behind
 * gets nothing built for it (counted as skipped) and, once it drains, one RESET frame of its whole
 * window instead of the backlog: it costs itself frames and nobody else anything.
 *
 * Messages to clients (JSON text for descriptions, binary NSDB frames for numbers):
 * - `hello` on connecting and when the stream starts: role, commands allowed, the stream's
 *   channels and rate, the trace limits, histogram edges and the health/latency row orders;
 * - `view` (the client's view as laid out: channels, windowS, columns, step) after each view request;
 * - `status` twice a second: session, recording and decoder states (texts);
 * - `marker` for events in the stream (not the per-bin kinematics) and operator markers;
 * - binary frames: traces, rate, intent, spectrum, health, histogram (dashboard-frames.ts).
 */
import { channelCount, type StreamInfo } from '../../core/stream-info.js';
import type { FeatureFrame } from '../../core/feature-frame.js';
import type { Intent } from '../../core/intent.js';
import type { Marker } from '../../core/marker.js';
import type { SampleBlock } from '../../core/sample-block.js';
import { hostNowMs } from '../../core/clock.js';
import { checkNumber } from '../../core/validate.js';
import { StreamHealth } from '../../acquisition/health/stream-health.js';
import type { DecoderValidation } from '../../decoding/decoder-validation.js';
import { BinnedRate } from '../kernels/binned-rate.js';
import { ColumnRing } from '../kernels/column-ring.js';
import { LATENCY_BINS, LATENCY_EDGES_MS, LatencyHistogram } from '../kernels/latency-histogram.js';
import { MinMaxDecimator } from '../kernels/min-max-decimator.js';
import { SpectrumMonitor } from '../kernels/spectrum-monitor.js';
import {
  FLAG_RESET,
  FrameType,
  HEALTH_METRICS,
  LATENCY_STAGES,
  createDashboardFrame,
  type DashboardFrameHeader,
} from '../protocol/dashboard-frames.js';
import { OPERATOR_COMMANDS } from '../server/command-protocol.js';
import { renderMetrics } from './prometheus-metrics.js';
import type { DashboardClient, DashboardServer, StreamTopic } from '../server/dashboard-server.js';
import { defaultTraceView, parseTraceView, type TraceView, type TraceViewLimits } from './trace-view.js';

export interface DashboardRecordingStatus {
  state: string;
  dir: string;
  bytes: number;
  samples: number;
  droppedSamples: number;
  error?: string;
}

export interface DashboardDecoderStatus {
  name: string;
  provider: string;
  /** One line, as on the terminal's status line. */
  status: string;
  kind?: 'continuous' | 'discrete';
  /** Output names (continuous) or class labels (discrete), in the order of the intent rows. */
  outputs?: readonly string[];
  /** Bins waiting to be decoded. */
  backlog?: number;
  /** Online validation against the task's truth: the running R² (or a trial decoder's accuracy) and over how long. */
  validation?: DecoderValidation;
}

/** What the session tells the dashboard about itself, asked twice a second. */
export interface DashboardSessionStatus {
  label: string;
  state: 'waiting' | 'running' | 'ended';
  /** Free text for the state (e.g. replay progress). */
  detail?: string;
  recording: DashboardRecordingStatus | null;
  decoder: DashboardDecoderStatus | null;
  /** Packets the device parser lost and rejected, when the device reports them. */
  packets?: { lost: number; corrupt: number };
}

export interface DashboardPublisherOptions {
  /** Frames per second per client; default 30. */
  framesPerSecond?: number;
  /** Longest trace window a client may ask for, s; default 10. */
  maxWindowS?: number;
  /** Most trace channels per client; default 128. */
  maxViewChannels?: number;
  /** Called twice a second for the status message. */
  status: () => DashboardSessionStatus;
  /** Host clock (ms); default hostNowMs. */
  now?: () => number;
  /** Start the frame timer (default true); false for callers that call `tick()` themselves. */
  timer?: boolean;
}

/** Marker types that are per-bin data rather than events: not forwarded. */
const DATA_MARKER_TYPES = new Set(['kinematics', 'decoder-r2', 'decoder-accuracy']);
/** Base min/max columns kept per second of stream, at most (fewer for many channels). */
const BASE_COLUMNS_PER_SECOND = 1000;
/** Memory for the base min/max ring, bytes. */
const BASE_RING_BYTES = 64 * 1024 * 1024;
/** Status, health and histogram messages per second. */
const STATUS_PER_SECOND = 2;
/** Seconds over which every monitored channel's spectrum is refreshed. */
const SPECTRUM_REFRESH_S = 2;
/** Intent and rate bins kept (at 20 ms bins: the longest window). */
const BIN_RING = 1024;
/** Operator/stream markers forwarded per tick at most (the rest are counted). */
const MARKERS_PER_TICK = 20;

/** Clients served per event-loop turn by the timer. */
const CLIENTS_PER_TURN = 4;

interface Round {
  markers: object[];
  session: DashboardSessionStatus | undefined;
  status: object | undefined;
  spectrumDue: boolean;
}

interface ClientState {
  readonly client: DashboardClient;
  /** Undefined until the stream has started. */
  view: TraceView | undefined;
  sequence: number;
  /** First client trace column not yet sent complete; -1: send a RESET. */
  traceNext: number;
  /** Base `nextSample` when the traces were last sent (nothing new: no frame). */
  traceSample: number;
  rateNext: number;
  intentNext: number;
  spectrumVersion: number;
}

/** A stream API subscriber: what it asked for and what it missed while it was behind. */
interface Subscriber {
  readonly client: DashboardClient;
  sequence: number;
  /** Items not sent (the subscriber was behind), by topic; told once it keeps up again. */
  readonly missed: Map<StreamTopic, number>;
  /** The feature names were sent (they precede the first features frame). */
  namesSent: boolean;
}

interface StreamState {
  readonly info: StreamInfo;
  readonly base: MinMaxDecimator;
  readonly spectrum: SpectrumMonitor;
  readonly health: StreamHealth;
  readonly limits: TraceViewLimits;
  gaps: number;
  rate?: BinnedRate;
  intent?: { values: ColumnRing; latency: ColumnRing; binS: number; kind: string; dims: number };
}

function sameNames(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a !== undefined && a.length === b.length && a.every((n, i) => n === b[i]);
}

export class DashboardPublisher {
  private readonly clients = new Map<DashboardClient, ClientState>();
  private readonly subscribers = new Map<DashboardClient, Subscriber>();
  /** Skipped frames of clients that have gone (for the metrics' running total). */
  private skippedByGone = 0;
  private featureNames: readonly string[] | undefined;
  private featureBinS = 0;
  private readonly histogram = new LatencyHistogram(LATENCY_STAGES.length);
  private readonly now: () => number;
  private readonly framesPerSecond: number;
  private readonly maxWindowS: number;
  private readonly maxViewChannels: number;
  private stream: StreamState | undefined;
  private readonly markers: object[] = [];
  private droppedMarkers = 0;
  private ticks = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly removers: (() => void)[] = [];
  private closed = false;
  private readonly latencyRow = new Float32Array(3);
  private lastSnapshot: ReturnType<StreamHealth['snapshot']> | undefined;
  private spreading = false;
  private cost = { turns: 0, totalMs: 0, maxTurnMs: 0 };

  constructor(
    server: DashboardServer,
    private readonly options: DashboardPublisherOptions,
  ) {
    this.framesPerSecond = checkNumber('option', 'framesPerSecond', options.framesPerSecond ?? 30, { min: 1, max: 240 });
    this.maxWindowS = checkNumber('option', 'maxWindowS', options.maxWindowS ?? 10, { min: 0.1, max: 600 });
    this.maxViewChannels = checkNumber('option', 'maxViewChannels', options.maxViewChannels ?? 128, { min: 1, max: 4096 });
    this.now = options.now ?? hostNowMs;
    this.removers.push(
      server.onConnection((client) => this.connect(client)),
      server.onView((request, client) => this.setView(client, request)),
      server.onMetrics(() => this.metrics(server)),
    );
    if (options.timer !== false) {
      this.timer = setInterval(() => this.timerTick(), 1000 / this.framesPerSecond);
      this.timer.unref();
    }
  }

  /** The stream's base columns per second (0 before the first block). */
  get baseColumnsPerSecond(): number {
    return this.stream?.limits.baseColumnsPerSecond ?? 0;
  }

  /** A block as acquired (the first one describes the stream). */
  pushBlock(block: SampleBlock): void {
    if (this.closed) return;
    const stream = this.stream ?? this.startStream(block.info);
    const arrived = this.now();
    stream.base.pushBlock(block);
    stream.spectrum.push(block.data, block.length);
    stream.health.observe(block, arrived);
    if (block.gap) stream.gaps += 1;
    this.histogram.add(0, Math.max(0, arrived - block.hostTime));
    if (block.markers) {
      for (const marker of block.markers) if (!DATA_MARKER_TYPES.has(marker.type)) this.marker(marker, 'stream');
    }
  }

  /**
   * A feature frame whose first values are threshold-crossing counts named `tc:*` (others are
   * ignored), in bins of `binS` seconds: they become the rate heatmap.
   */
  pushFeatures(frame: FeatureFrame, binS: number): void {
    const stream = this.stream;
    if (this.closed || !stream) return;
    if (this.featureNames !== frame.names && !sameNames(this.featureNames, frame.names)) {
      this.featureNames = frame.names;
      this.featureBinS = binS;
      for (const sub of this.subscribers.values()) sub.namesSent = false;
    }
    this.publish('features', (sub) => {
      if (!sub.namesSent) {
        sub.client.send({ type: 'features', names: frame.names, binS });
        sub.namesSent = true;
      }
      const draft = createDashboardFrame(FrameType.Features, this.subscriberHeader(sub, frame.values.length, 1, frame.t0 / stream.info.sampleRateHz, binS, frame.bin));
      draft.payloads[0]!.set(frame.values);
      return draft.bytes;
    });
    if (!stream.rate) {
      let channels = 0;
      while (channels < frame.names.length && frame.names[channels]!.startsWith('tc:')) channels++;
      if (channels === 0 || !(binS > 0)) return;
      stream.rate = new BinnedRate({ channels, binSeconds: binS, columns: BIN_RING });
      this.helloAll(false);
    }
    if (frame.bin < stream.rate.endColumn) return;
    stream.rate.push(frame.bin, frame.values, 0);
  }

  /** A decoded intent: its values and latency split go to the clients, its latency to the histograms. */
  pushIntent(intent: Intent, binS: number): void {
    const stream = this.stream;
    if (this.closed || !stream) return;
    const dims = intent.values.length;
    if (!stream.intent || stream.intent.dims !== dims || stream.intent.kind !== intent.kind) {
      stream.intent = { values: new ColumnRing(dims, BIN_RING), latency: new ColumnRing(3, BIN_RING), binS, kind: intent.kind, dims };
      for (const state of this.clients.values()) state.intentNext = -1;
      this.helloAll();
    }
    if (intent.bin < stream.intent.values.endColumn) return;
    this.publish('intents', (sub) => {
      const draft = createDashboardFrame(FrameType.Intent, this.subscriberHeader(sub, dims, 1, intent.bin * binS, binS, intent.bin));
      draft.payloads[0]!.set(intent.values);
      const l = draft.payloads[1]!;
      l[0] = intent.latency.acquisitionMs;
      l[1] = intent.latency.featuresMs;
      l[2] = intent.latency.decodeMs;
      return draft.bytes;
    });
    const { acquisitionMs, featuresMs, decodeMs } = intent.latency;
    const row = this.latencyRow;
    row[0] = acquisitionMs;
    row[1] = featuresMs;
    row[2] = decodeMs;
    stream.intent.values.push(intent.bin, intent.values);
    stream.intent.latency.push(intent.bin, row);
    this.histogram.add(1, featuresMs);
    this.histogram.add(2, decodeMs);
    this.histogram.add(3, acquisitionMs + featuresMs + decodeMs);
  }

  /** An event to show on the traces: stream markers and operator markers. */
  marker(marker: Marker, source: 'stream' | 'operator'): void {
    if (this.closed) return;
    if (this.markers.length >= MARKERS_PER_TICK * 4) {
      this.droppedMarkers++;
      return;
    }
    const rate = this.stream?.info.sampleRateHz;
    const value = Array.isArray(marker.value) || ArrayBuffer.isView(marker.value) ? Array.from(marker.value as ArrayLike<number>).slice(0, 8) : marker.value;
    const message = { type: 'marker', source, sample: marker.sample, time: rate ? marker.sample / rate : null, markerType: marker.type, value };
    this.markers.push(message);
    this.publish('markers', () => message);
  }

  /** Sends what is due to every client at once (the timer spreads this over event-loop turns; tests and benchmarks call it directly). */
  tick(): void {
    if (this.closed) return;
    const round = this.prepareRound();
    this.serveSubscribers(round);
    for (const state of [...this.clients.values()]) this.serve(state, round);
  }

  /**
   * Time the publisher held the event loop since the last call: turns, total and longest (ms).
   * The acquisition runs on the same thread; this is what the dashboard costs it.
   */
  takeCost(): { turns: number; totalMs: number; maxTurnMs: number } {
    const cost = { ...this.cost };
    this.cost = { turns: 0, totalMs: 0, maxTurnMs: 0 };
    return cost;
  }

  /** The timer's round: shared work now, then a few clients per event-loop turn, so blocks are never held up for long. */
  private timerTick(): void {
    if (this.closed || this.spreading) return;
    const started = performance.now();
    const round = this.prepareRound();
    this.serveSubscribers(round);
    const queue = [...this.clients.values()];
    this.account(started);
    if (queue.length === 0) return;
    this.spreading = true;
    const turn = (): void => {
      const began = performance.now();
      for (let k = 0; k < CLIENTS_PER_TURN && queue.length > 0; k++) {
        if (!this.closed) this.serve(queue.shift()!, round);
      }
      this.account(began);
      if (queue.length > 0 && !this.closed) setImmediate(turn);
      else this.spreading = false;
    };
    turn();
  }

  private account(started: number): void {
    const ms = performance.now() - started;
    this.cost.turns += 1;
    this.cost.totalMs += ms;
    if (ms > this.cost.maxTurnMs) this.cost.maxTurnMs = ms;
  }

  /** The work shared by every client of a round: spectra, the health snapshot, markers and status. */
  private prepareRound(): Round {
    this.ticks++;
    const statusDue = this.ticks % Math.max(1, Math.round(this.framesPerSecond / STATUS_PER_SECOND)) === 1 || this.framesPerSecond <= STATUS_PER_SECOND;
    const stream = this.stream;
    if (stream) {
      const perTick = Math.ceil(stream.spectrum.channels / (SPECTRUM_REFRESH_S * this.framesPerSecond));
      stream.spectrum.compute(perTick);
      if (statusDue) {
        const now = this.now();
        this.lastSnapshot = stream.health.snapshot(now);
        stream.health.roll(now);
      }
    }
    const markers = this.markers.splice(0, MARKERS_PER_TICK);
    const session = statusDue ? this.options.status() : undefined;
    return { markers, session, status: session ? this.statusMessage(session) : undefined, spectrumDue: this.ticks % this.framesPerSecond === 0 };
  }

  /** Stream API subscribers of `health`: the status, health and histogram frames, twice a second. */
  private serveSubscribers(round: Round): void {
    for (const sub of [...this.subscribers.values()]) {
      if (!sub.client.open) {
        this.skippedByGone += sub.client.stats().skipped;
        this.subscribers.delete(sub.client);
      }
    }
    const stream = this.stream;
    if (!round.session || !stream) return;
    const status = round.status!;
    this.publish('health', () => status);
    this.publish('health', (sub) => this.healthFrame(() => this.subscriberHeader(sub, HEALTH_METRICS.length, 1, stream.base.nextSample / stream.info.sampleRateHz, 1 / STATUS_PER_SECOND, this.ticks), stream, round.session!, sub.client));
    this.publish('health', (sub) => this.histogramFrame(() => this.subscriberHeader(sub, LATENCY_STAGES.length, LATENCY_BINS, 0, 0, 0, true)));
  }

  /**
   * Sends each subscriber of `topic` what `build` makes for it, now (the stream API is not paced
   * by frames). A subscriber that is behind gets nothing built; what it missed is counted and
   * told to it (`{ type: 'dropped', topic, count }`) as soon as it keeps up again.
   */
  private publish(topic: StreamTopic, build: (sub: Subscriber) => Uint8Array | object): void {
    for (const sub of this.subscribers.values()) {
      if (!sub.client.topics.has(topic)) continue;
      if (!sub.client.ready()) {
        sub.client.countSkipped();
        sub.missed.set(topic, (sub.missed.get(topic) ?? 0) + 1);
        continue;
      }
      if (sub.missed.size > 0) {
        for (const [t, count] of sub.missed) sub.client.send({ type: 'dropped', topic: t, count });
        sub.missed.clear();
      }
      sub.client.send(build(sub));
    }
  }

  private subscriberHeader(sub: Subscriber, channels: number, columns: number, time: number, step: number, firstColumn: number, reset = false): DashboardFrameHeader {
    const sequence = sub.sequence;
    sub.sequence = (sequence + 1) >>> 0;
    return { sequence, channels, columns, time, step, firstColumn: firstColumn >>> 0, flags: reset ? FLAG_RESET : 0 };
  }

  private streamHello(client: DashboardClient): object {
    const s = this.stream;
    return {
      type: 'hello',
      api: 'neurostream.stream',
      protocol: 1,
      role: client.role,
      topics: [...client.topics],
      commands: client.role === 'operator' ? [...OPERATOR_COMMANDS] : [],
      stream: s ? { device: s.info.device.name, channels: s.info.channelNames, kinds: s.info.channelKinds, units: s.info.units, sampleRateHz: s.info.sampleRateHz } : null,
      intent: s?.intent ? { kind: s.intent.kind, dims: s.intent.dims, binS: s.intent.binS } : null,
      histogram: { stages: LATENCY_STAGES, edgesMs: LATENCY_EDGES_MS },
      healthMetrics: HEALTH_METRICS,
    };
  }

  /** The `/metrics` text (Prometheus): the same figures as the health frames. */
  private metrics(server: DashboardServer): string {
    const session = this.options.status();
    const snapshot = this.lastSnapshot;
    const stream = this.stream;
    const skipped = server.clients().reduce((a, c) => a + c.skipped, 0) + this.skippedByGone;
    return renderMetrics({
      samples: snapshot?.samples ?? 0,
      gapSamples: snapshot?.droppedSamples ?? 0,
      ...(session.packets ? { lostPackets: session.packets.lost, corruptPackets: session.packets.corrupt } : stream ? { lostPackets: stream.gaps } : {}),
      sampleRateHz: snapshot?.achievedRateHz ?? 0,
      nominalSampleRateHz: stream?.info.sampleRateHz ?? 0,
      lagMs: snapshot?.lagMs ?? 0,
      latency: LATENCY_STAGES.map((stage, k) => ({
        stage: stage.replace(/Ms$/, ''),
        p50: this.histogram.percentile(k, 0.5),
        p99: this.histogram.percentile(k, 0.99),
        count: this.histogram.total(k),
      })),
      ...(session.decoder
        ? {
            decoder: {
              name: session.decoder.name,
              provider: session.decoder.provider,
              backlog: session.decoder.backlog ?? 0,
              ...(session.decoder.validation?.metric === 'r2' ? { r2: session.decoder.validation.value } : {}),
              ...(session.decoder.validation?.metric === 'accuracy' ? { accuracy: session.decoder.validation.value } : {}),
            },
          }
        : {}),
      ...(session.recording ? { recording: { state: session.recording.state, bytes: session.recording.bytes, droppedSamples: session.recording.droppedSamples } } : {}),
      dashboardClients: this.clients.size,
      streamSubscribers: this.subscribers.size,
      framesSkipped: skipped,
    });
  }

  /** Sends one client what is due in this round (nothing is built for a client that is behind). */
  private serve(state: ClientState, round: Round): void {
    const client = state.client;
    if (!client.open) {
      this.skippedByGone += client.stats().skipped;
      this.clients.delete(client);
      return;
    }
    if (!client.ready()) {
      client.countSkipped();
      // Whatever it missed is sent as one whole window when it has drained.
      state.traceNext = -1;
      state.rateNext = -1;
      state.intentNext = -1;
      return;
    }
    for (const m of round.markers) client.send(m);
    if (round.status) client.send(round.status);
    const stream = this.stream;
    if (!stream) return;
    this.sendTraces(state, stream);
    this.sendRates(state, stream);
    this.sendIntents(state, stream);
    if (state.spectrumVersion !== stream.spectrum.updates && round.spectrumDue) this.sendSpectrum(state, stream);
    if (round.session) {
      this.sendHealth(state, stream, round.session);
      this.sendHistogram(state);
    }
  }

  /** Stops the frame timer and tells every client the session ended. */
  close(final?: DashboardSessionStatus): void {
    if (this.closed) return;
    this.tick();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const remove of this.removers) remove();
    const status = { type: 'status', ...(final ?? this.options.status()), state: 'ended' };
    for (const state of this.clients.values()) state.client.send(status);
    for (const sub of this.subscribers.values()) if (sub.client.topics.has('health')) sub.client.send(status);
  }

  private startStream(info: StreamInfo): StreamState {
    const channels = channelCount(info);
    const perSecond = Math.max(
      1,
      Math.min(BASE_COLUMNS_PER_SECOND, Math.floor(info.sampleRateHz), Math.floor(BASE_RING_BYTES / (8 * channels * this.maxWindowS))),
    );
    const limits: TraceViewLimits = { channels, baseColumnsPerSecond: perSecond, maxWindowS: this.maxWindowS, maxViewChannels: this.maxViewChannels };
    this.stream = {
      info,
      base: new MinMaxDecimator({ channels, sampleRateHz: info.sampleRateHz, windowSeconds: this.maxWindowS, columns: Math.round(perSecond * this.maxWindowS) }),
      spectrum: new SpectrumMonitor({ channels, sampleRateHz: info.sampleRateHz }),
      health: new StreamHealth(info.sampleRateHz),
      limits,
      gaps: 0,
    };
    for (const state of this.clients.values()) state.view = defaultTraceView(limits);
    this.helloAll();
    return this.stream;
  }

  private connect(client: DashboardClient): void {
    if (this.closed) return;
    if (client.kind === 'stream') {
      const sub: Subscriber = { client, sequence: 0, missed: new Map(), namesSent: false };
      this.subscribers.set(client, sub);
      client.send(this.streamHello(client));
      if (this.featureNames && client.topics.has('features')) {
        client.send({ type: 'features', names: this.featureNames, binS: this.featureBinS });
        sub.namesSent = true;
      }
      return;
    }
    const state: ClientState = {
      client,
      view: this.stream ? defaultTraceView(this.stream.limits) : undefined,
      sequence: 0,
      traceNext: -1,
      traceSample: -1,
      rateNext: -1,
      intentNext: -1,
      spectrumVersion: -1,
    };
    this.clients.set(client, state);
    client.send(this.hello(client));
    if (state.view) client.send(this.viewMessage(state.view));
    client.send(this.statusMessage());
  }

  private setView(client: DashboardClient, request: Record<string, unknown>): void {
    const state = this.clients.get(client);
    if (!state) return;
    if (!this.stream) throw new Error('no stream yet: send the view again after the hello that describes it');
    state.view = parseTraceView(request, this.stream.limits);
    state.traceNext = -1;
    client.send(this.viewMessage(state.view));
  }

  private viewMessage(view: TraceView): object {
    return { type: 'view', channels: Array.from(view.channels), windowS: view.windowS, columns: view.columns, step: view.step };
  }

  /** Re-describes the stream to the dashboard pages, and to the stream API's subscribers when `subscribers` (what they see changed). */
  private helloAll(subscribers = true): void {
    if (subscribers) for (const sub of this.subscribers.values()) sub.client.send(this.streamHello(sub.client));
    for (const state of this.clients.values()) {
      state.client.send(this.hello(state.client));
      if (this.stream) {
        state.view ??= defaultTraceView(this.stream.limits);
        state.client.send(this.viewMessage(state.view));
      }
      state.traceNext = state.rateNext = state.intentNext = -1;
    }
  }

  private hello(client: DashboardClient): object {
    const s = this.stream;
    return {
      type: 'hello',
      protocol: 1,
      role: client.role,
      commands: client.role === 'operator' ? [...OPERATOR_COMMANDS] : [],
      framesPerSecond: this.framesPerSecond,
      stream: s
        ? {
            device: s.info.device.name,
            channels: s.info.channelNames,
            kinds: s.info.channelKinds,
            units: s.info.units,
            sampleRateHz: s.info.sampleRateHz,
          }
        : null,
      traces: s ? { baseColumnsPerSecond: s.limits.baseColumnsPerSecond, maxWindowS: s.limits.maxWindowS, maxViewChannels: s.limits.maxViewChannels } : null,
      rate: s?.rate ? { channels: s.rate.channels, binS: s.rate.binSeconds } : null,
      intent: s?.intent ? { kind: s.intent.kind, dims: s.intent.dims, binS: s.intent.binS } : null,
      spectrum: s ? { channels: s.spectrum.channels, binHz: s.spectrum.binHz, bins: s.spectrum.bins, units: 'uV^2/Hz' } : null,
      histogram: { stages: LATENCY_STAGES, edgesMs: LATENCY_EDGES_MS },
      healthMetrics: HEALTH_METRICS,
    };
  }

  private statusMessage(session = this.options.status()): object {
    return { type: 'status', ...session, clients: this.clients.size, markersDropped: this.droppedMarkers };
  }

  private header(state: ClientState, channels: number, columns: number, time: number, step: number, firstColumn: number, reset: boolean): DashboardFrameHeader {
    const sequence = state.sequence;
    state.sequence = (sequence + 1) >>> 0;
    return { sequence, channels, columns, time, step, firstColumn: firstColumn >>> 0, flags: reset ? FLAG_RESET : 0 };
  }

  private sendTraces(state: ClientState, stream: StreamState): void {
    const { base } = stream;
    const view = state.view;
    if (!view) return;
    if (base.endColumn === 0 || (state.traceNext >= 0 && base.nextSample === state.traceSample)) return;
    const f = view.factor;
    const end = Math.ceil(base.endColumn / f);
    const reset = state.traceNext < 0 || end - state.traceNext > view.columns;
    const from = reset ? Math.max(0, end - view.columns) : state.traceNext;
    const count = end - from;
    if (count <= 0) return;
    const rows = view.channels.length;
    const draft = createDashboardFrame(
      FrameType.Traces,
      this.header(state, rows, count, (end - 1) * view.step, view.step, from, reset),
    );
    base.reduceColumns(from * f, count, f, view.channels, draft.payloads[0]!, draft.payloads[1]!);
    if (state.client.send(draft.bytes)) {
      state.traceNext = Math.floor(base.completeColumn / f);
      state.traceSample = base.nextSample;
    }
  }

  private sendRates(state: ClientState, stream: StreamState): void {
    const rate = stream.rate;
    if (!rate) return;
    const end = rate.endColumn;
    if (end === 0 || state.rateNext === end) return;
    const reset = state.rateNext < 0 || end - state.rateNext > rate.columns;
    const from = reset ? rate.oldestColumn : state.rateNext;
    const count = end - from;
    const draft = createDashboardFrame(FrameType.Rate, this.header(state, rate.channels, count, (end - 1) * rate.binSeconds, rate.binSeconds, from, reset));
    rate.copyColumns(from, count, draft.payloads[0]!); // in Hz
    if (state.client.send(draft.bytes)) state.rateNext = end;
  }

  private sendIntents(state: ClientState, stream: StreamState): void {
    const intent = stream.intent;
    if (!intent) return;
    const end = intent.values.endColumn;
    if (end === 0 || state.intentNext === end) return;
    const reset = state.intentNext < 0 || end - state.intentNext > intent.values.columns;
    const from = reset ? intent.values.oldestColumn : state.intentNext;
    const count = end - from;
    const draft = createDashboardFrame(FrameType.Intent, this.header(state, intent.dims, count, (end - 1) * intent.binS, intent.binS, from, reset));
    intent.values.copyColumns(from, count, draft.payloads[0]!);
    intent.latency.copyColumns(from, count, draft.payloads[1]!);
    if (state.client.send(draft.bytes)) state.intentNext = end;
  }

  private sendSpectrum(state: ClientState, stream: StreamState): void {
    const sp = stream.spectrum;
    const draft = createDashboardFrame(FrameType.Spectrum, this.header(state, sp.channels, sp.bins, stream.base.nextSample / stream.info.sampleRateHz, sp.binHz, 0, true));
    sp.copySpectra(draft.payloads[0]!);
    if (state.client.send(draft.bytes)) state.spectrumVersion = sp.updates;
  }

  private sendHealth(state: ClientState, stream: StreamState, status: DashboardSessionStatus): void {
    state.client.send(
      this.healthFrame(
        () => this.header(state, HEALTH_METRICS.length, 1, stream.base.nextSample / stream.info.sampleRateHz, 1 / STATUS_PER_SECOND, this.ticks, false),
        stream,
        status,
        state.client,
      ),
    );
  }

  /** A health frame for `client` (its own skipped frames and queue). */
  private healthFrame(header: () => DashboardFrameHeader, stream: StreamState, status: DashboardSessionStatus, client: DashboardClient): Uint8Array {
    const snapshot = this.lastSnapshot;
    const stats = client.stats();
    const stage = this.histogram.total(3) > 0 ? 3 : 0;
    const values: Record<(typeof HEALTH_METRICS)[number], number> = {
      lostPackets: status.packets?.lost ?? stream.gaps,
      corruptPackets: status.packets?.corrupt ?? NaN,
      gapSamples: snapshot?.droppedSamples ?? 0,
      latencyP50Ms: this.histogram.percentile(stage, 0.5),
      latencyP99Ms: this.histogram.percentile(stage, 0.99),
      droppedFrames: stats.skipped,
      clientQueueBytes: stats.bufferedAmount,
      sampleRateHz: snapshot?.achievedRateHz ?? 0,
      lagMs: snapshot?.lagMs ?? 0,
      maxLagMs: snapshot?.maxLagMs ?? 0,
      recordingBytes: status.recording?.bytes ?? NaN,
      recordingDroppedSamples: status.recording?.droppedSamples ?? NaN,
      decoderBacklogBins: status.decoder?.backlog ?? NaN,
    };
    const draft = createDashboardFrame(FrameType.Health, header());
    const out = draft.payloads[0]!;
    HEALTH_METRICS.forEach((name, r) => (out[r] = values[name]));
    return draft.bytes;
  }

  private sendHistogram(state: ClientState): void {
    state.client.send(this.histogramFrame(() => this.header(state, LATENCY_STAGES.length, LATENCY_BINS, 0, 0, 0, true)));
  }

  private histogramFrame(header: () => DashboardFrameHeader): Uint8Array {
    const draft = createDashboardFrame(FrameType.Histogram, header());
    this.histogram.copyCounts(draft.payloads[0]!);
    return draft.bytes;
  }
}
