/**
 * `startSession(description, open, hooks)` — runs a session: loads its model, starts its dashboard
 * (before the device: a taken port fails fast), opens its source, builds the graph of streams
 * (session-graph.ts) and subscribes the sinks to it — the recorder (blocks, features, intents,
 * the operator's and the decoder's markers), the dashboard publisher (blocks, features, intents,
 * the operator's markers) — answers the dashboard's commands (start/stop recording, add a marker,
 * recalibrate), and finishes: the source ends, the decoder decodes what it holds (bounded), the
 * recordings are finalised. `run` and `replay` both come here; what is printed, and the process's
 * signals, are the caller's.
 */
import { rmdirSync } from 'node:fs';
import { type Observable, type Subscription } from 'rxjs';
import { SPIKE_BAND_HZ, type HealthSnapshot } from '../acquisition/index.js';
import { hostNowMs, InvalidOptionError, NeurostreamError, parseChannelMap, utcNowIso, type ChannelMap, type Marker, type SampleBlock, type StreamInfo } from '../core/index.js';
import { sessionStateOf, type DashboardCommand, type DashboardImpedanceStatus, type DashboardQualityStatus, type DashboardSessionStatus, type ReplayPosition, type SessionFacts } from '../dashboard/index.js';
import { RECALIBRATE_MARKER } from '../decoding/index.js';
import { checkRecordingDestination } from '../recordings/new-directory.js';
import type { RecorderStatus } from '../recordings/index.js';
import { readChannelMapFile } from './channel-map-file.js';
import { leadOffChannelCount, measureImpedance, parseChannelList, type LeadOffDevice } from './impedance-measurement.js';
import { HoldBack, MAX_DECODER_BACKLOG } from './hold-back.js';
import { describeDecoder, processingStatus, recalibrationRefusal } from './processing-status.js';
import { SESSION_DEFAULTS, type SessionDescription } from './session-description.js';
import { startSessionDashboard, type SessionDashboard } from './session-dashboard.js';
import { sessionGraph, chainFor, type SessionGraph } from './session-graph.js';
import { loadSessionModel, oipTokenOf, type SessionModel } from './session-model.js';
import { SILENT_LOG, type SessionLog, type SessionNotify } from './session-notice.js';
import { SessionRecording, timestampedDirectory, type RecordingFailure } from './session-recording.js';
import { startSessionLslOutlets, type SessionLslOutlets, type SessionLslOutletStats } from './session-lsl-outlets.js';
import { loadLslConfig } from '../devices/index.js';

/** Seconds measured per channel by the dashboard's `measure-impedance` unless it says. */
export const IMPEDANCE_SECONDS = 2;
/** The marker a measured impedance is recorded as: `EXG1 12.3 kΩ`. */
export const IMPEDANCE_MARKER = 'impedance';
/**
 * The longest interval between two health snapshots: the dashboard shows them (twice a second),
 * so a long status interval (a quiet terminal) must not leave the page's figures stale.
 */
export const HEALTH_INTERVAL_MAX_S = 0.5;

/** Longest text of an operator's marker. */
const MAX_MARKER_TEXT = 200;
/** How long the end of a session waits for a decoder still calibrating. */
export const DRAIN_TIMEOUT_MS = 30_000;

/** The processing a session ran, as recorded in the manifest (replay runs it again). */
export interface SessionPipeline {
  dsp: boolean;
  mainsHz: 50 | 60;
  /** The decoder that ran on the stream: a Kalman filter calibrated live, the ONNX `model` below, or none. */
  decoder: 'kalman' | 'none' | 'onnx';
  /** kalman: the seconds it calibrated on. */
  calibrateS?: number;
  /** The ONNX model that decoded live (instead of a calibrated Kalman filter): absolute path, hash, provider used. */
  model?: string;
  modelSha256?: string;
  providers?: string[];
  /** The model channel → stream channel pairs the session was given (`--channel-map`). */
  channelMap?: ChannelMap;
}

/** A session's source, opened: a device, a simulator or a recording. */
export interface OpenedSource {
  /** What the status line calls it before its first block arrives. */
  label: string;
  source: Observable<SampleBlock>;
  /** How the source ending by itself is described in the summary. */
  completeReason: string;
  /** A real device runs until told: `durationS` is wall time for it. */
  runsUntilTold: boolean;
  /** Packets the device's parser lost and rejected so far. */
  packets?: () => { lost: number; corrupt: number };
  /** Shown with the session's status (e.g. replay progress). */
  status?: () => string;
  /** A replay's position, length and speed: the dashboard's state is then `replay`, never `live`. */
  replay?: () => ReplayPosition;
  /** A serial device's link (lost, and the reconnection attempt under way): the dashboard says so. */
  link?: () => SessionFacts['link'];
  /**
   * A device that drives a lead-off current while it streams (a Cyton): the dashboard's
   * `measure-impedance` uses it. Undefined while the device is not open.
   */
  leadOff?: () => LeadOffDevice | undefined;
}

export interface SessionHooks {
  notify: SessionNotify;
  log?: SessionLog;
  env?: NodeJS.ProcessEnv;
  /**
   * Opens the source, once the model and the dashboard are ready. An offline source (a replay)
   * waits on `holdBack.busy()` before each block; a live one never asks.
   */
  open(holdBack: HoldBack): OpenedSource;
  /** The stream stopped (the recordings are being finalised now): the figures for a summary. */
  onStopped?(stopped: SessionStopped): void;
}

export interface SessionStopped {
  reason: string;
  info?: StreamInfo;
  /** The stream's figures where it stopped (not after the drain). */
  health?: HealthSnapshot;
  /** The processing's last status. */
  processing: string;
}

export interface SessionOutcome extends SessionStopped {
  /** 0, or 1 for a failure (the source's, the processing's). */
  code: number;
  /** Every recording of the session, finalised (or failed). */
  recordings: (RecorderStatus & { incomplete: boolean })[];
  /** Recordings that could not start. */
  failures: RecordingFailure[];
}

export interface RunningSession {
  readonly graph: SessionGraph;
  /** Seconds between two of the graph's health snapshots: the status interval, at most {@link HEALTH_INTERVAL_MAX_S}. */
  readonly healthIntervalS: number;
  readonly label: string;
  readonly dashboard?: SessionDashboard;
  /** The processing chain's and decoder's status text. */
  processingStatus(): string;
  /** The active recording's status. */
  recorderStatus(): RecorderStatus | undefined;
  /** The source's own status (replay progress). */
  sourceStatus(): string | undefined;
  /** The session's LSL outlets (`outputs.lslOut`): consumers, samples pushed, slow consumers dropped. */
  lslOutlets(): SessionLslOutletStats[];
  /** Ends the session (idempotent): the source stops, the decoder drains, the recordings are finalised. */
  stop(reason: string, code?: number): void;
  /** Whether the session is finishing (stop was called or the source ended). */
  finishing(): boolean;
  /** What a session stopped right now would leave undone. */
  unfinished(): { recordings: string[]; draining: boolean };
  readonly done: Promise<SessionOutcome>;
}

/** The pairs of a description's channel map (a file is read; pairs given inline are checked the same way). */
function channelMapOf(map: string | Record<string, string> | undefined): ChannelMap | undefined {
  if (map === undefined) return undefined;
  return typeof map === 'string' ? readChannelMapFile(map) : parseChannelMap(JSON.stringify(map), 'channelMap');
}

/** Starts the session a description describes; see the module description. */
export async function startSession(description: SessionDescription, hooks: SessionHooks): Promise<RunningSession> {
  const { notify } = hooks;
  const log = hooks.log ?? SILENT_LOG;
  const env = hooks.env ?? process.env;
  const dsp = description.stages.dsp ?? SESSION_DEFAULTS.dsp;
  const mainsHz = description.stages.mainsHz ?? SESSION_DEFAULTS.mainsHz;
  const dec = description.decoder ?? { type: 'kalman' as const, calibrateS: SESSION_DEFAULTS.calibrateS };
  const calibrateS = dec.type === 'kalman' ? dec.calibrateS : SESSION_DEFAULTS.calibrateS;
  const offline = description.source.type === 'replay';
  if (description.outputs.record !== undefined) checkRecordingDestination(description.outputs.record, '--record');
  if (dec.type === 'onnx' && !dsp) throw new InvalidOptionError('--model', 'the processing chain that makes its features (drop --no-dsp)', dec.model);
  const oipToken = dec.type === 'onnx' ? oipTokenOf(dec, env) : undefined;
  const channelMap = dec.type === 'onnx' ? channelMapOf(dec.channelMap) : undefined;
  // LSL settings (LSLAPICFG / lsl_api.cfg) are read before anything starts: a bad file fails fast.
  const lslOut = description.outputs.lslOut;
  const lslConfig = lslOut ? loadLslConfig(env) : undefined;
  // A model is loaded (and its execution provider chosen) before the device starts: a bad file fails fast.
  const model: SessionModel | undefined = dec.type === 'onnx' ? await loadSessionModel(dec, notify, log, oipToken) : undefined;

  let opened: OpenedSource | undefined;
  const label = (): string => opened?.label ?? (description.source.type === 'replay' ? `recording ${description.source.recording}` : description.source.type);
  /** What runs on a stream of `info` (the stream decides the chain): recorded as it is, never what was merely asked for. */
  const pipelineOf = (info: StreamInfo): SessionPipeline => {
    const kalman = dsp && !model && dec.type === 'kalman' && chainFor(info) === 'intracortical';
    return {
      dsp,
      mainsHz,
      decoder: model ? 'onnx' : kalman ? 'kalman' : 'none',
      ...(kalman ? { calibrateS } : {}),
      ...(model ? { model: model.path, modelSha256: model.sha256, providers: [model.local.provider] } : {}),
      ...(model && channelMap ? { channelMap } : {}),
    };
  };
  const recording = new SessionRecording({
    pipeline: (info) => ({ ...pipelineOf(info) }),
    lossless: offline,
    onEvent: (event, dir) => {
      log.error({ recording: dir, event: event.type }, event.message);
      notify({ kind: event.type === 'resumed' ? 'note' : 'warning', text: event.message });
    },
  });

  let ended = false;
  let finishingNow = false;
  let draining = false;
  let graph: SessionGraph | undefined;
  /** The newest signal-quality window, as the dashboard shows it (and /metrics exports it). */
  let quality: DashboardQualityStatus | undefined;
  /** The last impedances measured, and a measurement under way (the dashboard's progress). */
  let impedance: DashboardImpedanceStatus | undefined;
  /**
   * Per channel name, the samples during which its lead-off current was on (`to` Infinity while it
   * is): its signal-quality markers there describe the lead-off tone, not the signal, and are not kept.
   */
  const leadOffSpans = new Map<string, { from: number; to: number }[]>();
  const underLeadOff = (marker: Marker, rateHz: number): boolean => {
    if (typeof marker.value !== 'string') return false;
    const spans = leadOffSpans.get(marker.value.slice(0, marker.value.lastIndexOf(' ')));
    return spans?.some((s) => marker.sample < s.to && marker.sample + rateHz > s.from) ?? false; // a 1 s quality window
  };
  const dashboardStatus = (): DashboardSessionStatus => {
    const rec = recording.status();
    const decoder = describeDecoder(graph?.decoder());
    return {
      label: label(),
      // Typed: live | replay (position, speed) | device-lost (attempt) | waiting | ended.
      ...sessionStateOf({ ended, started: graph?.info() !== undefined, replay: opened?.replay?.(), link: opened?.link?.(), nowMs: hostNowMs() }),
      recording: rec
        ? { state: rec.state, dir: rec.dir, bytes: rec.bytesWritten, samples: rec.samplesWritten, droppedSamples: rec.droppedSamples, ...(rec.error ? { error: rec.error } : {}) }
        : null,
      decoder: decoder ? { ...decoder } : null,
      ...(opened?.packets ? { packets: opened.packets() } : {}),
      ...(quality ? { quality } : {}),
      ...(impedance ? { impedance } : {}),
    };
  };
  let latestHealth: HealthSnapshot | undefined;
  // The dashboard starts before the device: a taken port or a bad host fails fast, exit 2.
  let dashboard: SessionDashboard | undefined;
  const d = description.outputs.dashboard;
  try {
    dashboard = await startSessionDashboard(
      { dashboard: d === false ? false : (d.port ?? true), ...(d !== false && d.host !== undefined ? { dashboardHost: d.host } : {}) },
      dashboardStatus,
      env,
      // One health monitor: the dashboard shows the graph's snapshots, the status line's figures.
      () => latestHealth,
    );
  } catch (error) {
    await model?.dispose();
    throw error;
  }

  const holdBack = new HoldBack();
  try {
    opened = hooks.open(holdBack);
  } catch (error) {
    await model?.dispose();
    await dashboard?.close(dashboardStatus());
    throw error;
  }
  const input = opened;
  // A device that can measure impedance: the page offers the measurement from the start.
  if (input.leadOff) impedance = { channels: [] };

  let failure: { reason: string; code: number } | undefined;
  let stop: (reason: string, code?: number) => void = () => {};
  const healthIntervalS = Math.min(description.statusIntervalS, HEALTH_INTERVAL_MAX_S);
  const g = sessionGraph(input.source, {
    dsp,
    mainsHz,
    ...(dec.type !== 'none'
      ? {
          decoding: {
            calibrateS,
            ...(model ? { decoder: model.decoder } : {}),
            // A trial decoder (lda, csp-lda from `calibrate`) carries its epochs: it decodes an EEG stream's cues.
            ...(model?.trial ? { trial: model.trial } : {}),
            ...(model && channelMap ? { channelMap } : {}),
          },
        }
      : {}),
    offline,
    ...(description.stages.workers !== undefined ? { workers: description.stages.workers } : {}),
    healthIntervalS,
    // A replay's recording carries its quality markers: the monitor runs only for a dashboard to
    // show or LSL outlets to send (a recording imported from elsewhere may carry none).
    quality: !offline || dashboard !== undefined || lslOut !== undefined,
    // The intracortical chain writes the dashboard's spike-band display only while a page shows it.
    ...(dashboard ? { displayWanted: () => dashboard.publisher.wantsFiltered() } : {}),
    onError: (error) => {
      notify({ kind: 'note', text: `processing failed: ${error instanceof Error ? error.message : String(error)}` });
      stop('error', 1);
    },
    onSourceError: (error) => {
      log.debug({ err: error }, 'session failed');
      const code = error instanceof NeurostreamError ? ` [${error.code}]` : '';
      notify({ kind: 'note', text: `${error instanceof Error ? error.message : String(error)}${code}` });
      failure = { reason: 'error', code: 1 };
    },
  });
  graph = g;
  // Backpressure of an offline source, in one place: it waits while any lossless consumer is behind.
  holdBack.add('decoder', () => g.backlog() > MAX_DECODER_BACKLOG);
  holdBack.add('recorder', () => recording.busy());
  holdBack.add('chain', () => g.chainBacklog() > 0);

  // The sinks, in the order a block reaches them: the recorder, then the dashboard.
  const sinks: Subscription[] = [];
  let recorderStarted = false;
  const startRecorder = (info: StreamInfo): void => {
    const dir = description.outputs.record;
    if (dir === undefined || recorderStarted) return;
    recorderStarted = true;
    try {
      recording.start(dir, info);
    } catch (error) {
      // Acquisition goes on; the session ends with exit code 1 and says why.
      const message = error instanceof Error ? error.message : String(error);
      recording.failedToStart(dir, message);
      notify({ kind: 'warning', text: `recording could not start: ${message}` });
    }
  };
  sinks.push(
    g.blocks$.subscribe((block) => {
      if (!recorderStarted) startRecorder(block.info);
      recording.writeBlock(block);
    }),
  );
  if (dashboard) {
    const publisher = dashboard.publisher;
    sinks.push(
      g.health$.subscribe((health) => (latestHealth = health)),
      g.blocks$.subscribe((block) => publisher.pushBlock(block)),
      // The traces and spectra show the session's filtered signal by default (raw or a display filter on request).
      g.filtered$.subscribe((block) => publisher.pushFiltered(block, filteredDescription(block.info, mainsHz))),
    );
  }
  sinks.push(
    g.quality$.subscribe((r) => {
      quality = { sample: r.sample, mainsHz: r.mainsHz, channels: r.channels.map((q) => ({ channel: q.channel, status: q.status, lineNoiseDb: q.lineNoiseDb, peakFraction: q.peakFraction })) };
    }),
  );
  sinks.push(
    g.features$.subscribe(({ frame }) => recording.writeFeatures(frame)),
    g.intents$.subscribe(({ intent }) => recording.writeIntent(intent)),
    g.markers$.subscribe(({ marker, origin }) => {
      // A replay's recording carries the live session's quality markers already (as it does its validation markers).
      if (origin === 'quality' && underLeadOff(marker, g.info()?.sampleRateHz ?? 1)) return;
      if (origin === 'operator' || origin === 'validation' || (origin === 'quality' && !offline)) recording.writeMarkers([marker]);
    }),
    g.ready$.subscribe((decoder) => {
      log.info(decoder, 'decoder calibrated');
      recording.setDecoder({ ...decoder });
    }),
  );
  if (dashboard) {
    const publisher = dashboard.publisher;
    sinks.push(
      // The intracortical chain's frames are [tc:<ch>…, sbp:<ch>…] (spikeBandFeatures): the first half are spike counts.
      g.features$.subscribe(({ frame, binS }) => publisher.pushFeatures(frame, binS, frame.values.length / 2)),
      g.intents$.subscribe(({ intent, binS }) => publisher.pushIntent(intent, binS)),
      g.markers$.subscribe(({ marker, origin }) => {
        if (origin === 'operator') publisher.marker(marker, 'operator');
        else if (origin === 'quality' && !underLeadOff(marker, g.info()?.sampleRateHz ?? 1)) publisher.marker(marker, 'stream');
      }),
    );
  }

  // LSL outlets of the session's streams: last, so a block reaches the recorder and the dashboard first.
  let lslOutlets: SessionLslOutlets | undefined;
  if (lslOut && lslConfig) {
    lslOutlets = startSessionLslOutlets(g, { config: lslConfig, ...(lslOut.prefix !== undefined ? { prefix: lslOut.prefix } : {}), onNote: (kind, text) => notify({ kind, text }) });
    sinks.push(...lslOutlets.subscriptions);
  }

  /** An operator's marker (or recalibration request) at the newest sample: recorded, shown, and seen by the decoder. */
  dashboard?.server.onCommand(async (command: DashboardCommand, client) => {
    const info = g.info();
    if (!info || ended) throw new Error(ended ? 'the session has ended' : 'the stream has not started yet');
    switch (command.name) {
      case 'start-recording': {
        if (recording.active) throw new Error(`already recording to ${recording.active.dir}: stop it first`);
        const dir = timestampedDirectory(description.outputs.recordingsDir); // created (claimed) here
        try {
          recording.start(dir, info);
        } catch (error) {
          try {
            rmdirSync(dir); // still empty: nothing was recorded into it (rmdir removes nothing else)
          } catch {
            // not empty after all: left as it is
          }
          throw error;
        }
        notify({ kind: 'operator', text: `dashboard: operator ${client.remote} started recording to ${dir}` });
        log.info({ dir, client: client.remote }, 'recording started from the dashboard');
        return { dir };
      }
      case 'stop-recording': {
        const status = await recording.stop();
        if (!status) throw new Error('not recording');
        notify({ kind: 'operator', text: `dashboard: operator ${client.remote} stopped recording: ${describeRecorded(status)}` });
        return { dir: status.dir, state: status.state, bytes: status.bytesWritten, samples: status.samplesWritten };
      }
      case 'add-marker': {
        const value = command['value'] ?? 'operator marker';
        if (typeof value !== 'string' || value.length === 0 || value.length > MAX_MARKER_TEXT) {
          throw new Error(`value must be a text of 1 to ${MAX_MARKER_TEXT} characters`);
        }
        const marker: Marker = g.addMarker('annotation', value);
        return { sample: marker.sample, time: marker.sample / info.sampleRateHz };
      }
      case 'recalibrate': {
        const refusal = recalibrationRefusal(g, dsp);
        if (refusal) throw new Error(`cannot recalibrate: ${refusal}`);
        const marker = g.addMarker(RECALIBRATE_MARKER, `operator ${client.remote}`);
        notify({ kind: 'operator', text: `dashboard: operator ${client.remote} asked for a recalibration at ${(marker.sample / info.sampleRateHz).toFixed(2)} s` });
        return { sample: marker.sample, message: `recalibrating on the next ${calibrateS} s of the task; the current model decodes meanwhile` };
      }
      case 'measure-impedance':
        return measureImpedanceCommand(command, client.remote, info);
    }
  });

  /**
   * The dashboard's `measure-impedance`: each asked channel's lead-off current in turn through the
   * session's own connection, measured from the session's stream; progress and results in the
   * status (the page's impedance panel, /metrics), an `impedance` marker per channel.
   */
  async function measureImpedanceCommand(command: DashboardCommand, remote: string, info: StreamInfo): Promise<unknown> {
    if (!input.leadOff) {
      throw new Error(`measure-impedance needs a device that drives a lead-off current (an OpenBCI Cyton); this session's source (${input.label}) has none`);
    }
    if (impedance?.measuring) throw new Error(`already measuring impedance (${impedance.measuring.channel}, ${impedance.measuring.index + 1} of ${impedance.measuring.of})`);
    const device = input.leadOff();
    if (!device) throw new Error('the device is not streaming: try again once it streams');
    const eeg = leadOffChannelCount(info);
    const rawChannels = command['channels'];
    let channels: number[];
    if (rawChannels === undefined) channels = Array.from({ length: eeg }, (_, c) => c + 1);
    else if (typeof rawChannels === 'string') channels = parseChannelList('channels', rawChannels, eeg);
    else if (Array.isArray(rawChannels) && rawChannels.length > 0 && rawChannels.every((c) => Number.isInteger(c) && c >= 1 && c <= eeg)) channels = [...new Set(rawChannels as number[])].sort((a, b) => a - b);
    else throw new InvalidOptionError('channels', `channel numbers 1–${eeg} (a list like [1, 3] or a text like "1-8")`, rawChannels);
    const seconds = command['seconds'] ?? IMPEDANCE_SECONDS;
    if (typeof seconds !== 'number' || !(seconds >= 0.5 && seconds <= 10)) throw new InvalidOptionError('seconds', 'a number of seconds per channel, 0.5–10', seconds);
    const names = channels.map((c) => info.channelNames[info.channelKinds.flatMap((k, r) => (k === 'eeg' ? [r] : []))[c - 1]!]!);
    const previous = impedance;
    impedance = { channels: previous?.channels ?? [], ...(previous?.measuredAt ? { measuredAt: previous.measuredAt } : {}), measuring: { channel: names[0]!, index: 0, of: channels.length, channels: names } };
    notify({ kind: 'operator', text: `dashboard: operator ${remote} is measuring impedance on ${names.join(', ')} (${seconds} s each)` });
    const measured: { channel: string; impedanceKohm: number }[] = [];
    let span: { from: number; to: number } | undefined;
    try {
      const results = await measureImpedance(g.blocks$, device, {
        channels,
        seconds,
        info,
        onProgress: (p) => {
          span = { from: g.nextSample(), to: Infinity };
          leadOffSpans.set(p.name, [...(leadOffSpans.get(p.name) ?? []), span]);
          impedance = { ...impedance!, measuring: { channel: p.name, index: p.index, of: p.of, channels: names } };
        },
        onChannel: (r) => {
          if (span) span.to = g.nextSample();
          measured.push({ channel: r.name, impedanceKohm: Number(r.impedanceKohm.toFixed(3)) });
          g.addMarker(IMPEDANCE_MARKER, `${r.name} ${r.impedanceKohm.toFixed(1)} kΩ`);
        },
      });
      // The channels measured now replace their earlier values; the others keep theirs.
      const kept = (previous?.channels ?? []).filter((c) => !measured.some((m) => m.channel === c.channel));
      const order = info.channelNames;
      impedance = { measuredAt: utcNowIso(), channels: [...kept, ...measured].sort((a, b) => order.indexOf(a.channel) - order.indexOf(b.channel)) };
      notify({ kind: 'operator', text: `impedance: ${measured.map((m) => `${m.channel} ${m.impedanceKohm.toFixed(1)} kΩ`).join(', ')}` });
      return { measuredAt: impedance.measuredAt, seconds, channels: results.map((r) => ({ channel: r.name, impedanceKohm: Number(r.impedanceKohm.toFixed(3)) })) };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      impedance = { ...(previous ?? { channels: [] }), error: message };
      delete impedance.measuring;
      throw new Error(`impedance measurement stopped: ${message}`);
    } finally {
      if (span && span.to === Infinity) span.to = g.nextSample();
    }
  }

  const done = new Promise<SessionOutcome>((resolve) => {
    const timers: ReturnType<typeof setTimeout>[] = [];
    stop = (reason: string, code = 0): void => {
      if (finishingNow) return;
      finishingNow = true;
      timers.forEach(clearTimeout);
      g.end(); // the source stops; the stages finish what they hold
      const health = g.health(); // the stream's figures end here, not after the drain
      // The decoder may still be calibrating with bins waiting: let it finish them (bounded).
      draining = dsp && dec.type !== 'none';
      void g.drained(DRAIN_TIMEOUT_MS).then(async () => {
        draining = false;
        const info = g.info();
        const stopped: SessionStopped = { reason, ...(info ? { info } : {}), ...(health ? { health } : {}), processing: processingStatus(g, dsp) };
        g.stop();
        sinks.forEach((s) => s.unsubscribe());
        hooks.onStopped?.(stopped);
        // The recorders finalise their files before the session is done.
        ended = true;
        const { statuses, failures } = await recording.finish();
        await lslOutlets?.close();
        await model?.dispose();
        await dashboard?.close(dashboardStatus());
        resolve({ ...stopped, code, recordings: statuses, failures });
      });
    };
    // Real devices run until told: the duration is wall time for them.
    if (description.durationS !== undefined && input.runsUntilTold) timers.push(setTimeout(() => stop('duration reached', 0), description.durationS * 1000));
    // The source ending by itself (or failing) ends the session.
    sinks.push(
      g.blocks$.subscribe({
        complete: () => {
          if (failure) stop(failure.reason, failure.code);
          else stop(input.completeReason, 0);
        },
      }),
    );
  });
  log.info({ source: description.source.type, label: input.label }, 'session starting');
  g.connect();

  return {
    graph: g,
    healthIntervalS,
    label: input.label,
    ...(dashboard ? { dashboard } : {}),
    processingStatus: () => processingStatus(g, dsp),
    recorderStatus: () => recording.status(),
    sourceStatus: () => input.status?.(),
    lslOutlets: () => lslOutlets?.stats() ?? [],
    stop: (reason, code) => stop(reason, code),
    finishing: () => finishingNow,
    unfinished: () => ({ recordings: recording.unfinished(), draining }),
    done,
  };
}

/** What the session's filtered signal is, as the dashboard labels it. */
function filteredDescription(info: StreamInfo, mainsHz: number): string {
  return chainFor(info) === 'intracortical' ? `spike band ${SPIKE_BAND_HZ[0]}–${SPIKE_BAND_HZ[1]} Hz, common average` : `filtered 1–40 Hz, notch ${mainsHz} Hz`;
}

/** `N samples/ch, X MB`. */
export function describeSize(status: RecorderStatus): string {
  return `${status.samplesWritten} samples/ch, ${(status.bytesWritten / 1e6).toFixed(1)} MB`;
}

/** `N samples/ch, X MB to DIR[; dropped …]`, as a closing summary says it. */
export function describeRecorded(status: RecorderStatus): string {
  const dropped = status.droppedSamples > 0 ? `; ${status.droppedSamples} samples dropped (disk too slow), recorded as gaps` : '';
  return `${describeSize(status)} to ${status.dir}${dropped}`;
}
