/**
 * The session → dashboard publisher: it watches the session's streams (blocks, feature frames,
 * intents, markers), keeps what the page needs at screen resolution (publisher-stream.ts: a
 * min/max ring of the traces, binned rates, intents, spectra, latency histograms) and serves two
 * kinds of client: the dashboard pages (page-clients.ts: at `framesPerSecond`, each page gets the
 * columns it has not seen yet for its own view) and the stream API's subscribers (stream-api.ts:
 * each item the moment it is published). `/metrics` (publisher-metrics.ts) reports the same
 * figures as the health frames (health-frames.ts); spectra are refreshed a few channels per tick
 * (spectra.ts).
 *
 * Acquisition never waits for a client: the acquisition side only folds blocks into the rings
 * (O(samples), no allocation); frames are built on a timer, per client, and only for clients
 * that are keeping up (`bufferedAmount` within the server's limit). A client that falls behind
 * gets nothing built for it (counted as skipped) and, once it drains, one RESET frame of its whole
 * window instead of the backlog: it costs itself frames and nobody else anything.
 *
 * Messages to clients (JSON text for descriptions, dashboard-messages.ts; binary NSDB frames for
 * numbers, dashboard-frames.ts):
 * - `hello` on connecting and when the stream starts: role, commands allowed, the stream's
 *   channels and rate, the trace limits, histogram edges and the health/latency row orders;
 * - `view` (the client's view as laid out: channels, windowS, columns, step) after each view request;
 * - `status` twice a second: session, recording and decoder states (the decoder's `state` for
 *   colours, its `status` text for display);
 * - `marker` for events in the stream (not the per-bin kinematics) and operator markers;
 * - binary frames: traces, rate, intent, spectrum, health, histogram, band power.
 *
 * What a page is shown of the signal is its own choice (its view's `display`): the raw blocks
 * (`pushBlock`), the session's filtered blocks (`pushFiltered`, the default when the session
 * filters) or a display filter of the raw blocks (display-signals.ts); traces and spectra are of
 * what it is shown.
 */
import type { FeatureFrame } from '../../core/feature-frame.js';
import type { Intent } from '../../core/intent.js';
import type { Marker } from '../../core/marker.js';
import type { SampleBlock } from '../../core/sample-block.js';
import type { StreamInfo } from '../../core/stream-info.js';
import { hostNowMs } from '../../core/clock.js';
import { checkInteger, checkNumber } from '../../core/validate.js';
import { InvalidDataError } from '../../core/errors.js';
import { channelCount } from '../../core/stream-info.js';
import { StreamHealth, type HealthSnapshot } from '../../acquisition/health/stream-health.js';
import { MessageType, type DashboardSessionStatus, type MarkerMessage, type StatusMessage } from '../protocol/dashboard-messages.js';
import type { DashboardClient, DashboardServer } from '../server/dashboard-server.js';
import { STATUS_PER_SECOND } from './health-frames.js';
import { PageClients, type PageRound } from './page-clients.js';
import { metricsSnapshot } from './publisher-metrics.js';
import { renderMetrics } from './prometheus-metrics.js';
import { createIntentRings, createLatencyHistogram, createPublisherStream, createRateRing, type PublisherStream } from './publisher-stream.js';
import { refreshSpectra, spectrumDue } from './spectra.js';
import { StreamApi } from './stream-api.js';

export type { DashboardRecordingStatus, DashboardDecoderStatus, DashboardSessionStatus } from '../protocol/dashboard-messages.js';

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
  /**
   * The stream's health, read at each status round (twice a second) without changing it: a
   * session passes its graph's snapshots (`health$`), so the page, `/metrics` and the terminal
   * show the figures of one monitor. Without it the publisher keeps a StreamHealth of its own
   * over the blocks pushed (library use without a session).
   */
  health?: () => HealthSnapshot | undefined;
}

/** Marker types that are per-bin data rather than events: not forwarded. */
const DATA_MARKER_TYPES = new Set(['kinematics', 'decoder-r2', 'decoder-accuracy']);
/** Operator/stream markers forwarded per tick at most (the rest are counted). */
const MARKERS_PER_TICK = 20;
/** Markers kept for a page that connects later (what its trace window may still show). */
const RECENT_MARKERS = 200;
/** Clients served per event-loop turn by the timer. */
const CLIENTS_PER_TURN = 4;

export class DashboardPublisher {
  private readonly histogram = createLatencyHistogram();
  private readonly pages: PageClients;
  private readonly streamApi = new StreamApi();
  private readonly now: () => number;
  private readonly framesPerSecond: number;
  private readonly maxWindowS: number;
  private readonly maxViewChannels: number;
  private stream: PublisherStream | undefined;
  private readonly markers: MarkerMessage[] = [];
  /** The newest markers sent (at most RECENT_MARKERS), for pages that connect later. */
  private readonly recentMarkers: MarkerMessage[] = [];
  private droppedMarkers = 0;
  private ticks = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly removers: (() => void)[] = [];
  private closed = false;
  private readonly latencyRow = new Float32Array(3);
  private lastSnapshot: HealthSnapshot | undefined;
  /** The publisher's own monitor, only when no `health` source is given (made with the stream). */
  private ownHealth: StreamHealth | undefined;
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
    this.pages = new PageClients(this.framesPerSecond, this.histogram);
    this.removers.push(
      server.onConnection((client) => this.connect(client)),
      server.onView((request, client) => this.pages.setView(client, request, this.stream)),
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
    const stream = this.stream ?? this.startStream(block.info, block.length);
    const arrived = this.now();
    if (channelCount(block.info) !== stream.limits.channels) {
      throw new InvalidDataError('SampleBlock.info.channelNames', `${stream.limits.channels} channels`, block.info.channelNames);
    }
    stream.displays.pushRaw(block);
    if (!stream.displays.sessionSignal) stream.bandPower?.push(block);
    this.ownHealth?.observe(block, arrived);
    if (block.gap) stream.gaps += 1;
    this.histogram.add(0, Math.max(0, arrived - block.hostTime));
    if (block.markers) {
      for (const marker of block.markers) if (!DATA_MARKER_TYPES.has(marker.type)) this.marker(marker, 'stream');
      // The task's truth for the decoder panel; a continuous decoder that started before the first one gets truth rows now.
      if (stream.truth.observe(block.markers) && stream.intent && stream.intent.kind === 'continuous' && stream.intent.truthRows === 0) {
        stream.intent = createIntentRings(stream.intent.dims, stream.intent.kind, stream.intent.binS, stream.truth.names.length);
        this.pages.resetIntents();
        this.helloAll();
      }
    }
  }

  /**
   * The session's filtered version of the block just pushed (its processing chain's output:
   * band-pass, notch, re-reference), and what that filtering is, e.g. "filtered 1–40 Hz, notch
   * 60 Hz". Pages see it by default (`display: 'default'` or `'session'`), and EEG band power is
   * computed from it. Call it after `pushBlock` with the same samples.
   */
  pushFiltered(block: SampleBlock, description: string): void {
    const stream = this.stream;
    if (this.closed || !stream) return;
    if (stream.displays.pushSession(block, description)) {
      stream.bandPower?.switchSource(description);
      this.pages.helloAll(stream);
    }
    stream.bandPower?.push(block);
  }

  /**
   * Whether `pushFiltered` is wanted for the next blocks: before the stream's first filtered block,
   * while a page shows the session's filtered signal, and always for EEG (its band power is
   * computed from it). A session whose filtered signal costs (the intracortical chain's display
   * samples, ~30 % of its throughput at 1024 ch) asks this before each block and skips it when
   * false; a page that turns to it later sees it from then on, after a gap.
   */
  wantsFiltered(): boolean {
    const stream = this.stream;
    return !stream || stream.bandPower !== undefined || stream.displays.sessionWanted();
  }

  /**
   * A feature frame in bins of `binS` seconds, for the stream API; its first `rateChannels`
   * values are spike counts per channel (e.g. the `tc:*` rows of `spikeBandFeatures`, one per
   * channel): they become the rate heatmap. 0 (the default): the features carry no rates.
   */
  pushFeatures(frame: FeatureFrame, binS: number, rateChannels = 0): void {
    const stream = this.stream;
    if (this.closed || !stream) return;
    checkInteger('option', 'rateChannels', rateChannels, { min: 0, max: frame.values.length });
    this.streamApi.publishFeatures(frame, binS, stream);
    if (!stream.rate) {
      if (rateChannels === 0 || !(binS > 0)) return;
      stream.rate = createRateRing(rateChannels, binS);
      this.pages.helloAll(stream);
    }
    if (frame.bin < stream.rate.endColumn) return;
    stream.rate.push(frame.bin, frame.values, 0);
  }

  /**
   * A decoded intent: its values and latency split go to the clients, its latency to the
   * histograms — unless it was held back waiting for a calibration (`latency.heldMs`): such bins
   * are decoded in a burst once the model is ready, and are not the live path's latency.
   */
  pushIntent(intent: Intent, binS: number): void {
    const stream = this.stream;
    if (this.closed || !stream) return;
    const dims = intent.values.length;
    if (!stream.intent || stream.intent.dims !== dims || stream.intent.kind !== intent.kind) {
      const truthRows = intent.kind === 'continuous' && stream.truth.seen ? stream.truth.names.length : 0;
      stream.intent = createIntentRings(dims, intent.kind, binS, truthRows);
      this.pages.resetIntents();
      this.helloAll();
    }
    if (intent.bin < stream.intent.values.endColumn) return;
    this.streamApi.publishIntent(intent, binS);
    const { acquisitionMs, featuresMs, decodeMs } = intent.latency;
    const row = this.latencyRow;
    row[0] = acquisitionMs;
    row[1] = featuresMs;
    row[2] = decodeMs;
    const rings = stream.intent;
    rings.row.set(intent.values);
    // The truth in force just before the bin's end (the bin's last sample + 1).
    if (rings.truthRows > 0) stream.truth.before(Math.round((intent.bin + 1) * binS * stream.info.sampleRateHz), rings.row, dims);
    rings.values.push(intent.bin, rings.row);
    stream.intent.latency.push(intent.bin, row);
    // A bin held back while a calibration was fitted says nothing of the live path's latency.
    if ((intent.latency.heldMs ?? 0) > 0) return;
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
    const message: MarkerMessage = { type: MessageType.Marker, source, sample: marker.sample, time: rate ? marker.sample / rate : null, markerType: marker.type, value };
    this.markers.push(message);
    // A page that connects later is sent the recent ones, so its traces show what happened just before.
    this.recentMarkers.push(message);
    if (this.recentMarkers.length > RECENT_MARKERS) this.recentMarkers.splice(0, this.recentMarkers.length - RECENT_MARKERS);
    this.streamApi.publishMarker(message);
  }

  /** Sends what is due to every client at once (the timer spreads this over event-loop turns; tests and benchmarks call it directly). */
  tick(): void {
    if (this.closed) return;
    const round = this.prepareRound();
    for (const state of this.pages.list()) this.pages.serve(state, round, this.stream);
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

  /** Stops the frame timer and tells every client the session ended. */
  close(final?: DashboardSessionStatus): void {
    if (this.closed) return;
    this.tick();
    this.closed = true;
    this.stream?.bandPower?.close();
    if (this.timer) clearInterval(this.timer);
    for (const remove of this.removers) remove();
    const status: StatusMessage = { ...this.statusMessage(final), state: 'ended' };
    this.pages.close(status);
    this.streamApi.close(status);
  }

  /** The timer's round: shared work now, then a few pages per event-loop turn, so blocks are never held up for long. */
  private timerTick(): void {
    if (this.closed || this.spreading) return;
    const started = performance.now();
    const round = this.prepareRound();
    const queue = this.pages.list();
    this.account(started);
    if (queue.length === 0) return;
    this.spreading = true;
    const turn = (): void => {
      const began = performance.now();
      for (let k = 0; k < CLIENTS_PER_TURN && queue.length > 0; k++) {
        if (!this.closed) this.pages.serve(queue.shift()!, round, this.stream);
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

  /** The work shared by every client of a round: spectra, the health snapshot, markers and status; the stream API's health now. */
  private prepareRound(): PageRound {
    this.ticks++;
    const statusDue = this.ticks % Math.max(1, Math.round(this.framesPerSecond / STATUS_PER_SECOND)) === 1 || this.framesPerSecond <= STATUS_PER_SECOND;
    const stream = this.stream;
    if (stream) {
      refreshSpectra(stream, this.framesPerSecond);
      if (statusDue) this.lastSnapshot = this.readHealth();
    }
    const markers = this.markers.splice(0, MARKERS_PER_TICK);
    const session = statusDue ? this.options.status() : undefined;
    const status = session ? this.statusMessage(session) : undefined;
    this.streamApi.serve(session && status ? { session, status } : undefined, stream, this.ticks, this.lastSnapshot, this.histogram);
    return { markers, session, status, spectrumDue: spectrumDue(this.ticks, this.framesPerSecond), tick: this.ticks, snapshot: this.lastSnapshot };
  }

  /** The `/metrics` text (Prometheus): the same figures as the health frames. */
  private metrics(server: DashboardServer): string {
    return renderMetrics(
      metricsSnapshot({
        session: this.options.status(),
        snapshot: this.lastSnapshot,
        stream: this.stream,
        histogram: this.histogram,
        dashboardClients: this.pages.size,
        streamSubscribers: this.streamApi.size,
        framesSkipped: server.clients().reduce((a, c) => a + c.skipped, 0) + this.pages.skippedByGone + this.streamApi.skippedByGone,
      }),
    );
  }

  /** The health of this status round: the source's, or the own monitor's (whose achieved-rate window then starts anew). */
  private readHealth(): HealthSnapshot | undefined {
    if (this.options.health) return this.options.health();
    if (!this.ownHealth) return undefined;
    const now = this.now();
    const snapshot = this.ownHealth.snapshot(now);
    this.ownHealth.roll(now);
    return snapshot;
  }

  private startStream(info: StreamInfo, blockSamples: number): PublisherStream {
    this.stream = createPublisherStream(info, this.maxWindowS, this.maxViewChannels, blockSamples);
    if (!this.options.health) this.ownHealth = new StreamHealth(info.sampleRateHz);
    this.helloAll();
    return this.stream;
  }

  private connect(client: DashboardClient): void {
    if (this.closed) return;
    if (client.kind === 'stream') this.streamApi.connect(client, this.stream);
    else {
      this.pages.connect(client, this.stream, this.statusMessage());
      // Markers of this stream already sent to the others (those still queued reach it with the next round).
      const sent = this.recentMarkers.length - this.markers.length;
      for (let k = 0; k < sent; k++) client.send(this.recentMarkers[k]!);
    }
  }

  /** Re-describes the stream to the pages and the stream API's subscribers. */
  private helloAll(): void {
    this.streamApi.helloAll(this.stream);
    this.pages.helloAll(this.stream);
  }

  private statusMessage(session = this.options.status()): StatusMessage {
    return { type: MessageType.Status, ...session, clients: this.pages.size, markersDropped: this.droppedMarkers };
  }
}
