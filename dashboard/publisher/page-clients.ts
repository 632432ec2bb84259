/**
 * The dashboard pages: each page's view of the traces (channels, window, width) and the frames
 * it is sent — at `framesPerSecond`, the columns of traces, rates and intents it has not seen yet
 * for its own view, the spectra once a second, health and histogram twice a second. A page that
 * falls behind gets nothing built for it (counted as skipped) and, once it drains, one RESET frame
 * of its whole window instead of the backlog.
 */
import type { StreamHealth } from '../../acquisition/health/stream-health.js';
import type { LatencyHistogram } from '../kernels/latency-histogram.js';
import { FLAG_RESET, FrameType, createDashboardFrame, type DashboardFrameHeader } from '../protocol/dashboard-frames.js';
import { MessageType, type DashboardSessionStatus, type DisplayChoice, type PageHello, type ViewMessage } from '../protocol/dashboard-messages.js';
import { BAND_POWER_WINDOW_S } from './band-power.js';
import { parseDisplayChoice, type DisplaySignal } from './display-signals.js';
import type { DashboardClient } from '../server/dashboard-server.js';
import { healthFrame, histogramFrame, nextSequence } from './health-frames.js';
import { helloBase, type PublisherStream } from './publisher-stream.js';
import { spectrumFrame } from './spectra.js';
import { defaultTraceView, parseTraceView, type TraceView } from './trace-view.js';

/** What a round of the frame timer sends every page. */
export interface PageRound {
  markers: readonly object[];
  /** The session's status, on status rounds. */
  session: DashboardSessionStatus | undefined;
  status: object | undefined;
  spectrumDue: boolean;
  tick: number;
  snapshot: ReturnType<StreamHealth['snapshot']> | undefined;
}

export interface PageState {
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
  /** What the page asked to see of the signal. */
  choice: DisplayChoice;
  /** The display it is shown (undefined until the stream has started). */
  display: DisplaySignal | undefined;
  /** The displays' generation the page's display was resolved in. */
  displayGeneration: number;
  bandPowerVersion: number;
}

export function viewMessage(view: TraceView, state: PageState): ViewMessage {
  const display = state.display;
  return {
    type: MessageType.View,
    channels: Array.from(view.channels),
    windowS: view.windowS,
    columns: view.columns,
    step: view.step,
    display: { choice: state.choice, key: display?.key ?? 'raw', label: display?.label ?? 'raw' },
  };
}

export class PageClients {
  private readonly pages = new Map<DashboardClient, PageState>();
  /** Skipped frames of pages that have gone (for the metrics' running total). */
  skippedByGone = 0;

  constructor(
    private readonly framesPerSecond: number,
    private readonly histogram: LatencyHistogram,
  ) {}

  /** Pages connected. */
  get size(): number {
    return this.pages.size;
  }

  /** The pages, for a round (a copy: a round may outlive a page). */
  list(): PageState[] {
    return [...this.pages.values()];
  }

  /** A new page: its hello, its view (once the stream has started) and the status. */
  connect(client: DashboardClient, stream: PublisherStream | undefined, status: object): void {
    const state: PageState = {
      client,
      view: stream ? defaultTraceView(stream.limits) : undefined,
      sequence: 0,
      traceNext: -1,
      traceSample: -1,
      rateNext: -1,
      intentNext: -1,
      spectrumVersion: -1,
      choice: 'default',
      display: undefined,
      displayGeneration: -1,
      bandPowerVersion: -1,
    };
    this.pages.set(client, state);
    client.send(this.hello(client, stream));
    if (state.view && stream) {
      this.redisplay(state, stream);
      client.send(viewMessage(state.view, state));
    }
    client.send(status);
  }

  /** Points a page at the display its choice resolves to now (releasing the one it had). */
  private redisplay(state: PageState, stream: PublisherStream, choice: DisplayChoice = state.choice): void {
    const next = stream.displays.acquire(choice);
    if (state.display) stream.displays.release(state.display);
    state.display = next;
    state.choice = choice;
    state.displayGeneration = stream.displays.generation;
    state.traceNext = -1;
    state.spectrumVersion = -1;
  }

  /** A page's view request, checked against the stream's limits (throws InvalidDataError naming the field). */
  setView(client: DashboardClient, request: Record<string, unknown>, stream: PublisherStream | undefined): void {
    const state = this.pages.get(client);
    if (!state) return;
    if (!stream) throw new Error('no stream yet: send the view again after the hello that describes it');
    const view = parseTraceView(request, stream.limits);
    const choice = parseDisplayChoice(request['display'], stream.info.sampleRateHz);
    this.redisplay(state, stream, choice);
    state.view = view;
    client.send(viewMessage(state.view, state));
  }

  /** A page is gone: its display is released. */
  private forget(state: PageState, stream: PublisherStream | undefined): void {
    if (state.display && stream) stream.displays.release(state.display);
    state.display = undefined;
    this.pages.delete(state.client);
  }

  /** Re-describes the stream to every page (and lays out a view for those without one); each gets whole windows next. */
  helloAll(stream: PublisherStream | undefined): void {
    for (const state of this.pages.values()) {
      state.client.send(this.hello(state.client, stream));
      if (stream) {
        state.view ??= defaultTraceView(stream.limits);
        // At once, not at the page's next round: the session's filter that has just appeared is
        // made only while some page shows it (DashboardPublisher.wantsFiltered).
        if (!state.display || state.displayGeneration !== stream.displays.generation) this.redisplay(state, stream);
        state.client.send(viewMessage(state.view, state));
      }
      state.traceNext = state.rateNext = state.intentNext = -1;
    }
  }

  /** The intents changed shape: every page gets them whole next. */
  resetIntents(): void {
    for (const state of this.pages.values()) state.intentNext = -1;
  }

  /** Sends one page what is due in this round (nothing is built for a page that is behind). */
  serve(state: PageState, round: PageRound, stream: PublisherStream | undefined): void {
    const client = state.client;
    if (!client.open) {
      this.skippedByGone += client.stats().skipped;
      this.forget(state, stream);
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
    if (!stream) return;
    if (state.view && (!state.display || state.displayGeneration !== stream.displays.generation)) {
      // The default may follow the session's filter now that it exists.
      const before = state.display?.key;
      this.redisplay(state, stream);
      if (state.display!.key !== before) client.send(viewMessage(state.view, state));
    }
    this.sendTraces(state, stream);
    this.sendRates(state, stream);
    this.sendIntents(state, stream);
    const display = state.display;
    // (A display just made has no spectra yet: nothing is sent until it has.)
    if (display && display.spectrum.updates > 0 && state.spectrumVersion !== display.spectrum.updates && round.spectrumDue) {
      if (client.send(spectrumFrame(state, stream, display))) state.spectrumVersion = display.spectrum.updates;
    }
    const bandPower = stream.bandPower;
    if (bandPower && state.bandPowerVersion !== bandPower.version) {
      const frame = bandPower.frame(state);
      if (frame && client.send(frame)) state.bandPowerVersion = bandPower.version;
    }
    if (round.session) {
      client.send(healthFrame(state, round.tick, stream, round.snapshot, this.histogram, round.session, client));
      client.send(histogramFrame(state, this.histogram));
    }
  }

  /** The final status, to every page. */
  close(status: object): void {
    for (const state of this.pages.values()) state.client.send(status);
  }

  private hello(client: DashboardClient, stream: PublisherStream | undefined): PageHello {
    return {
      ...helloBase(client, stream),
      framesPerSecond: this.framesPerSecond,
      traces: stream ? { baseColumnsPerSecond: stream.limits.baseColumnsPerSecond, maxWindowS: stream.limits.maxWindowS, maxViewChannels: stream.limits.maxViewChannels } : null,
      rate: stream?.rate ? { channels: stream.rate.channels, binS: stream.rate.binSeconds } : null,
      spectrum: stream ? { channels: stream.displays.raw.spectrum.channels, binHz: stream.displays.raw.spectrum.binHz, bins: stream.displays.raw.spectrum.bins, units: 'uV^2/Hz' } : null,
      display: stream ? stream.displays.offer() : null,
      bandPower: stream?.bandPower
        ? { bands: stream.bandPower.bands, channels: stream.bandPower.channels, windowS: BAND_POWER_WINDOW_S, source: stream.bandPower.source }
        : null,
      intentTruth: stream?.intent && stream.intent.truthRows > 0 ? { names: stream.truth.names, units: stream.truth.units, source: "the task's kinematics markers" } : null,
    };
  }

  private header(state: PageState, channels: number, columns: number, time: number, step: number, firstColumn: number, reset: boolean): DashboardFrameHeader {
    return { sequence: nextSequence(state), channels, columns, time, step, firstColumn: firstColumn >>> 0, flags: reset ? FLAG_RESET : 0 };
  }

  private sendTraces(state: PageState, _stream: PublisherStream): void {
    const view = state.view;
    const base = state.display?.base;
    if (!view || !base) return;
    if (base.endColumn === 0 || (state.traceNext >= 0 && base.nextSample === state.traceSample)) return;
    const f = view.factor;
    const end = Math.ceil(base.endColumn / f);
    const reset = state.traceNext < 0 || end - state.traceNext > view.columns;
    const from = reset ? Math.max(0, end - view.columns) : state.traceNext;
    const count = end - from;
    if (count <= 0) return;
    const draft = createDashboardFrame(FrameType.Traces, this.header(state, view.channels.length, count, (end - 1) * view.step, view.step, from, reset));
    base.reduceColumns(from * f, count, f, view.channels, draft.payloads[0]!, draft.payloads[1]!);
    if (state.client.send(draft.bytes)) {
      state.traceNext = Math.floor(base.completeColumn / f);
      state.traceSample = base.nextSample;
    }
  }

  private sendRates(state: PageState, stream: PublisherStream): void {
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

  private sendIntents(state: PageState, stream: PublisherStream): void {
    const intent = stream.intent;
    if (!intent) return;
    const end = intent.values.endColumn;
    if (end === 0 || state.intentNext === end) return;
    const reset = state.intentNext < 0 || end - state.intentNext > intent.values.columns;
    const from = reset ? intent.values.oldestColumn : state.intentNext;
    const count = end - from;
    const draft = createDashboardFrame(FrameType.Intent, this.header(state, intent.values.rows, count, (end - 1) * intent.binS, intent.binS, from, reset));
    intent.values.copyColumns(from, count, draft.payloads[0]!);
    intent.latency.copyColumns(from, count, draft.payloads[1]!);
    if (state.client.send(draft.bytes)) state.intentNext = end;
  }
}
