/**
 * `neurostream run` — the main job: a live session. Today: a simulated device (intracortical
 * array or EEG headset) or a real one on a serial port (OpenBCI Cyton, frame protocol), with a
 * live status line; filters, decoders, recording and the dashboard plug into this same session
 * as they land.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Command } from 'commander';
import type { Observable, Subscription } from 'rxjs';
import { StreamHealth } from '../../acquisition/health/stream-health.js';
import { InvalidOptionError, NeurostreamError, parseChannelMap, type ChannelMap, type Intent, type SampleBlock, type StreamInfo, checkNumber, checkOneOf, hostNowMs } from '../../core/index.js';
import { readEpochMetadata, type EpochMetadata } from '../../decoding/onnx/onnx-convention.js';
import { ONNX_PROVIDERS, OnnxDecoder, type OnnxProvider } from '../../decoding/onnx/onnx-decoder.js';
import { OipDecoder } from '../../decoding/oip/oip-decoder.js';
import { checkRecordingDestination } from '../../recordings/new-directory.js';
import type { RecorderStatus } from '../../recordings/recorder.js';
import { createMarker, type Marker } from '../../core/marker.js';
import type { DashboardCommand } from '../../dashboard/server/dashboard-server.js';
import type { DashboardSessionStatus } from '../../dashboard/publisher/dashboard-publisher.js';
import { sessionStateOf, type ReplayPosition } from '../../dashboard/protocol/session-state.js';
import { DEVICE_NAMES, type DeviceChoice, type DeviceName, deviceFromFlags } from '../device-factory.js';
import { LOG_LEVELS, type LogLevel, createLogger } from '../logger.js';
import { writeTerminalControl } from '../terminal-output.js';
import { choiceFlag, integerFlag, numberFlag, positiveNumberFlag } from '../parse-flag.js';
import { readChannelMapFile } from '../channel-map-file.js';
import { BIN_MS, SessionChain, chainFor } from '../session-chain.js';
import type { DecoderValidation } from '../../decoding/decoder-validation.js';
import { RECALIBRATE_MARKER } from '../session-decoder.js';

/** The marker that carries the decoder's running R² in a recording (velocity, variance-weighted over vel_x and vel_y). */
export const VALIDATION_MARKER = 'decoder-r2';
/** A trial decoder's running accuracy, recorded after each trial (online validation). */
export const ACCURACY_MARKER = 'decoder-accuracy';
import { addDashboardFlags, startSessionDashboard, type DashboardFlags, type SessionDashboard } from '../session-dashboard.js';
import { SessionRecording, timestampedDirectory } from '../session-recording.js';
import { flagsFromConfig, loadSessionConfig } from '../session-config.js';
import type { ReplayFlags } from './replay.js';
import { formatStatus, formatSummary } from '../status-line.js';
import { SessionQuality } from '../session-quality.js'; // issue 17 (signal quality): port with the session
import { oipTokenFromEnv, oipTokenOption, refuseTypedUrlCredentials } from '../oip-token.js';

export interface RunFlags extends Partial<DashboardFlags> {
  device: DeviceName;
  port?: string;
  host?: string;
  commandPort?: number;
  waveformPort?: number;
  settings?: string;
  channels?: number;
  rate?: number;
  duration?: number;
  seed: number;
  mains: 50 | 60;
  blockMs: number;
  fast: boolean;
  statusInterval: number;
  logLevel: LogLevel;
  dsp: boolean;
  record?: string;
  decoder: SessionDecoderName;
  calibrateS: number;
  model?: string;
  /** `--channel-map FILE`: model channel name → stream channel name (JSON or two-column CSV). */
  channelMap?: string;
  /** The same pairs given directly (a session file's `decoder.channelMap`, a replay's recorded map). */
  channelPairs?: ChannelMap;
  providers?: string;
  /** A replay: the model must be the file the session ran. */
  modelSha256?: string;
  /** Decode on this Open Inference Protocol server (with --model as the local fallback). */
  oip?: string;
  oipModel?: string;
  oipTimeoutMs?: number;
  /** Refuse to start while the --oip server cannot answer (default: start on the local model). */
  oipRequired?: boolean;
  /** The environment variable holding the --oip server's bearer token. */
  oipTokenEnv?: string;
  /** Where recordings started from the dashboard go (a new timestamped directory each). */
  recordingsDir?: string;
}

/** Longest text of an operator's marker. */
const MAX_MARKER_TEXT = 200;

export const SESSION_DECODERS = ['kalman', 'none'] as const;
/** Bins a decoder may hold before an offline source waits for it. */
const MAX_DECODER_BACKLOG = 64;
/** How long the end of a session waits for a decoder still calibrating. */
const DRAIN_TIMEOUT_MS = 30_000;
export type SessionDecoderName = (typeof SESSION_DECODERS)[number];

/** Where a session's blocks come from when not from `--device` (e.g. `replay`). */
export interface SessionInput {
  label: string;
  source: Observable<SampleBlock>;
  /** How the source ending is described in the summary. */
  completeReason: string;
  /** Shown at the end of the status line (e.g. replay progress). */
  status?: () => string;
  /** [issue 17 states] A replay's position, length and speed: the dashboard's state is then `replay`, never `live`. */
  replay?: () => ReplayPosition;
  /**
   * An offline source (replay): no consumer may drop — the decoder loses no bin, the recorder no
   * sample — and the source waits on `busy()` instead.
   */
  offline?: boolean;
  /**
   * Given, once the session is built, the one question an offline source asks before each block:
   * is any lossless consumer (decoder, recorder) busy? It waits while the answer is yes.
   */
  bindHoldBack?: (busy: () => boolean) => void;
}

/**
 * Loads `--model` on the first provider of `--providers` that works, saying which and why not the
 * others; `expectSha256` (a replay) refuses a file that changed since the session it replays.
 */
async function loadSessionModel(
  path: string,
  providers: string | undefined,
  log: ReturnType<typeof createLogger>,
  expectSha256?: string,
): Promise<{ decoder: OnnxDecoder; path: string; sha256: string }> {
  const list = providers === undefined ? undefined : providers.split(',').map((p) => p.trim());
  list?.forEach((p, i) => checkOneOf('option', `--providers[${i}]`, p, ONNX_PROVIDERS));
  const absolute = resolve(path);
  let bytes: Buffer;
  try {
    bytes = readFileSync(absolute);
  } catch (error) {
    throw new InvalidOptionError('--model', 'a readable ONNX file', `${absolute} (${(error as { code?: string }).code ?? (error as Error).message})`);
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const unavailable: string[] = [];
  if (expectSha256 !== undefined && sha256 !== expectSha256) {
    throw new InvalidOptionError(`--model ${absolute}`, `the model the session ran (sha256 ${expectSha256.slice(0, 12)}…)`, `a file that changed since (sha256 ${sha256.slice(0, 12)}…)`);
  }
  const decoder = await OnnxDecoder.load(new Uint8Array(bytes), {
    label: absolute,
    ...(list ? { providers: list as OnnxProvider[] } : {}),
    log: (event) => {
      if (event.type === 'provider-unavailable') {
        log.info({ provider: event.provider, reason: event.reason }, 'execution provider unavailable');
        // Asked for by name: a warning. The default list's CUDA probe is reported with the choice.
        if (list) process.stderr.write(`neurostream run: execution provider ${event.provider} unavailable for ${path}: ${event.reason.split('\n')[0]}; trying the next\n`);
        else unavailable.push(`${event.provider} unavailable: ${event.reason.split('\n')[0]}`);
      } else {
        log.info({ provider: event.provider }, 'execution provider selected');
        process.stdout.write(`model ${basename(absolute)} runs on ${event.provider}${unavailable.length > 0 ? ` (${unavailable.join('; ')})` : ''}\n`);
      }
    },
  });
  return { decoder, path: absolute, sha256 };
}

/** The processing a session ran, as recorded in the manifest (replay runs it again). */
export interface SessionPipeline {
  dsp: boolean;
  mainsHz: 50 | 60;
  /** The decoder that ran on the stream: a Kalman filter calibrated live, the ONNX `model` below, or none. */
  decoder: SessionDecoderName | 'onnx';
  /** kalman: the seconds it calibrated on. */
  calibrateS?: number;
  /** The ONNX model that decoded live (instead of a calibrated Kalman filter): absolute path, hash, provider used. */
  model?: string;
  modelSha256?: string;
  providers?: string[];
  /** The model channel → stream channel pairs the session was given (`--channel-map`). */
  channelMap?: ChannelMap;
}

/** Refuses a `--record` directory that already holds something, or that cannot be made and written, before the device starts. */
export function checkRecordDir(dir: string | undefined): void {
  if (dir !== undefined) checkRecordingDestination(dir, '--record');
}

function describeSize(status: RecorderStatus): string {
  return `${status.samplesWritten} samples/ch, ${(status.bytesWritten / 1e6).toFixed(1)} MB`;
}

/** `N samples/ch, X MB to DIR[; dropped …]`, as the closing summary says it. */
function describeRecorded(status: RecorderStatus): string {
  const dropped = status.droppedSamples > 0 ? `; ${status.droppedSamples} samples dropped (disk too slow), recorded as gaps` : '';
  return `${describeSize(status)} to ${status.dir}${dropped}`;
}

function formatRecorder(status: RecorderStatus): string {
  const size = `${(status.bytesWritten / 1e6).toFixed(1)} MB`;
  if (status.state === 'failed') return `REC FAILED (kept ${size})`;
  if (status.state === 'overflow') return `REC OVERFLOW: disk too slow, dropping (${size}, ${status.droppedSamples} dropped)`;
  return `rec ${size}${status.droppedSamples > 0 ? ` (${status.droppedSamples} dropped)` : ''}`;
}

/** What a session stopped by a second signal leaves undone, for its last line. */
function describeUnfinished(recordings: readonly string[], draining: boolean): string {
  const parts = [
    ...(draining ? ['the decoder\'s pending bins were not decoded'] : []),
    ...recordings.map((dir) => `the recording in ${dir} was not finalised (readable up to its last flush, ≤ 1 s old)`),
  ];
  return parts.length > 0 ? parts.join('; ') : 'every recording was finalised';
}

/**
 * Ends the process by `signal` (exit status 128 + its number), at once: not through
 * `process.exit`, which waits for worker threads — and a worker stuck in a system call (a hung
 * disk) would hold it forever. The default action of the signal cannot be held up.
 */
function exitBySignal(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Should the signal be ignored (inherited), nothing may keep this process alive either.
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000);
}

export function runCommand(): Command {
  return addDashboardFlags(new Command('run'))
    .description('run a live session: stream a device in real time with a live status line')
    .option('--device <name>', `device: ${DEVICE_NAMES.join(' | ')}`, choiceFlag('--device', DEVICE_NAMES), 'intracortical')
    .option('--port <path>', 'serial port of a cyton or frame device (see `neurostream ports`)')
    .option('--settings <list>', 'cyton: channel settings sent before streaming, comma-separated, e.g. x1060110X,x2030110X')
    .option('--host <host>', 'intan: host running Intan RHX with Remote TCP Control (default 127.0.0.1)')
    .option('--command-port <n>', 'intan: RHX command port (default 5000)', integerFlag('--command-port'))
    .option('--waveform-port <n>', 'intan: RHX waveform port (default 5001)', integerFlag('--waveform-port'))
    .option('--channels <n>', 'channel count: intracortical 1–1024 (default 96); eeg 8 | 16 | 64 (default 8); intan A-000… (default 32)', integerFlag('--channels'))
    .option('--rate <hz>', 'simulators: sample rate in Hz (default: intracortical 30000; eeg 250, or 160 for 64 channels)', numberFlag('--rate'))
    .option('--duration <s>', 'stop after this many seconds (default: run until Ctrl-C)', numberFlag('--duration'))
    .option('--seed <n>', 'simulators: seed of the simulation', integerFlag('--seed'), 1)
    .option('--mains <hz>', 'simulators: mains frequency, 50 | 60', (raw: string) => Number(choiceFlag('--mains', ['50', '60'] as const)(raw)) as 50 | 60, 60)
    .option('--block-ms <ms>', 'simulators: block duration in ms (at least one sample)', positiveNumberFlag('--block-ms', 10_000), 1)
    .option('--fast', 'simulators: generate as fast as possible instead of in real time', false)
    .option('--no-dsp', 'stream only: no filters or features')
    .option('--record <dir>', 'record the session (signals, markers, features, intents) into this new directory')
    .option('--decoder <name>', `live decoder of the intracortical task: ${SESSION_DECODERS.join(' | ')} (a Kalman filter calibrated on the first --calibrate-s seconds)`, choiceFlag('--decoder', SESSION_DECODERS), 'kalman')
    .option('--calibrate-s <s>', 'seconds of the task the live decoder is calibrated on', numberFlag('--calibrate-s'), 20)
    .option('--model <file>', 'decode live with this ONNX model (e.g. from `neurostream calibrate`) instead of calibrating')
    .option('--channel-map <file>', '--model: model channel name → stream channel name, a JSON object or two-column CSV (names also match after normalising case, trailing dots and 10-20 aliases)')
    .option('--providers <list>', `--model: execution providers in order of preference, from ${ONNX_PROVIDERS.join(', ')} (default cuda,cpu)`)
    .option('--oip <url>', 'decode on this Open Inference Protocol server (Triton, KServe, MLServer, `neurostream serve`), falling back to --model locally when it cannot answer')
    .option('--oip-model <name>', '--oip: the model\'s name on the server (default: --model\'s file name without .onnx)')
    .option('--oip-timeout-ms <ms>', '--oip: how long a bin may wait for the server before the local model decodes it', integerFlag('--oip-timeout-ms'), 100)
    .option('--oip-required', '--oip: refuse to start while the server cannot answer (default: start on --model and move to the server once it answers)')
    .option('--oip-token-env <name>', '--oip: the environment variable holding the bearer token the server requires (never the token itself: ps shows the command line)')
    .addOption(oipTokenOption())
    .option('--recordings-dir <dir>', 'where recordings started from the dashboard go, one new session-<UTC time> directory each', 'recordings')
    .option('--status-interval <s>', 'seconds between status lines', numberFlag('--status-interval'), 1)
    .option('--log-level <level>', `log level on stderr: ${LOG_LEVELS.join(' | ')}`, choiceFlag('--log-level', LOG_LEVELS), 'warn')
    .argument('[config]', 'a session file (YAML or JSON: device, stages, decoder, outputs; see docs/session-config.md); flags given here override it')
    .action(async (configPath: string | undefined, flags: RunFlags, command: Command) => {
      if (command.getOptionValueSource('oip') === 'cli') refuseTypedUrlCredentials(flags.oip);
      process.exitCode = configPath === undefined ? await runSession(flags) : await runSessionFile(configPath, flags, command);
    });
}

/** `run session.yaml [flags]`: the file's session, with the flags typed on the command line winning. */
async function runSessionFile(configPath: string, flags: RunFlags, command: Command): Promise<number> {
  const { file, config } = loadSessionConfig(configPath);
  // The file's settings, then the flags actually typed on the command line.
  const fromFile = flagsFromConfig(config);
  const typed = Object.fromEntries(Object.entries(flags).filter(([key]) => command.getOptionValueSource(key) === 'cli'));
  const merged: Record<string, unknown> = { ...flags, ...fromFile, ...typed };
  if (config.device.type === 'replay') {
    if (config.decoder !== undefined) {
      throw new InvalidOptionError(`${file} decoder`, 'no decoder for a replay (it decodes as the recorded session did)', config.decoder.type);
    }
    const { replay } = await import('./replay.js');
    const { speed, blockMs, dsp, mains, record, dashboard, dashboardHost, recordingsDir } = { ...fromFile, ...typed } as Partial<ReplayFlags>;
    return await replay(config.device.recording, {
      speed: speed ?? 1,
      blockMs: blockMs ?? 10,
      statusInterval: merged['statusInterval'] as number,
      logLevel: merged['logLevel'] as LogLevel,
      ...(dsp !== undefined ? { dsp } : {}),
      ...(mains !== undefined ? { mains } : {}),
      ...(record !== undefined ? { record } : {}),
      ...(dashboard !== undefined ? { dashboard } : {}),
      ...(dashboardHost !== undefined ? { dashboardHost } : {}),
      ...(recordingsDir !== undefined ? { recordingsDir } : {}),
    });
  }
  return await runSession(merged as unknown as RunFlags);
}

export async function runSession(flags: RunFlags, input?: SessionInput): Promise<number> {
  if (flags.duration !== undefined) checkNumber('option', '--duration', flags.duration, { min: 0, exclusiveMin: true });
  checkNumber('option', '--block-ms', flags.blockMs, { min: 0, exclusiveMin: true, max: 10_000 });
  checkNumber('option', '--status-interval', flags.statusInterval, { min: 0.05, max: 3600 });
  checkRecordDir(flags.record);
  checkNumber('option', '--calibrate-s', flags.calibrateS, { min: 1, max: 3600 });
  const log = createLogger(flags.logLevel);
  if (flags.providers !== undefined && flags.model === undefined) throw new InvalidOptionError('--providers', 'a --model to run on them', flags.providers);
  if (flags.model !== undefined && !flags.dsp) throw new InvalidOptionError('--model', 'the processing chain that makes its features (drop --no-dsp)', flags.model);
  if (flags.oip !== undefined && flags.model === undefined) {
    throw new InvalidOptionError('--oip', 'a --model to fall back on when the server cannot answer (the same model, run locally)', flags.oip);
  }
  if (flags.oip === undefined && flags.oipModel !== undefined) throw new InvalidOptionError('--oip-model', 'an --oip server to find it on', flags.oipModel);
  if (flags.oip === undefined && flags.oipRequired === true) throw new InvalidOptionError('--oip-required', 'an --oip server to require', 'no --oip');
  if (flags.oip === undefined && flags.oipTokenEnv !== undefined) throw new InvalidOptionError('--oip-token-env', 'an --oip server to send the token to', flags.oipTokenEnv);
  const oipToken = flags.oipTokenEnv !== undefined ? oipTokenFromEnv(flags.oipTokenEnv) : undefined;
  if ((flags.channelMap !== undefined || flags.channelPairs !== undefined) && flags.model === undefined) {
    throw new InvalidOptionError('--channel-map', 'a --model whose channels it maps', flags.channelMap ?? 'a channel map');
  }
  const channelMap =
    flags.channelMap !== undefined
      ? readChannelMapFile(flags.channelMap)
      : flags.channelPairs !== undefined
        ? parseChannelMap(JSON.stringify(flags.channelPairs), 'channelMap') // from a session file or session.json: checked the same way
        : undefined;
  // A model is loaded (and its execution provider chosen) before the device starts: a bad file fails fast.
  const model = flags.model !== undefined ? await loadSessionModel(flags.model, flags.providers, log, flags.modelSha256) : undefined;
  let trialEpochs: EpochMetadata | undefined;
  try {
    trialEpochs = model ? readEpochMetadata(model.decoder.metadata, model.path) : undefined;
  } catch (error) {
    await model?.decoder.dispose();
    throw error;
  }
  // Remote decoding: checked (server ready, model known, same shape as the fallback) before the device starts.
  const remote =
    flags.oip !== undefined && model
      ? await OipDecoder.connect({
          url: flags.oip,
          model: flags.oipModel ?? basename(model.path).replace(/\.onnx$/i, ''),
          timeoutMs: flags.oipTimeoutMs ?? 100,
          fallback: model.decoder,
          requireServer: flags.oipRequired === true,
          ...(oipToken !== undefined ? { token: oipToken } : {}),
          log: (event) => {
            if (event.type === 'connected' || event.type === 'retry-failed') log.info(event, `model server ${event.type}`);
            else log.warn(event, `model server ${event.type}`);
            if (event.type === 'fallback') {
              process.stderr.write(`neurostream run: WARNING: model server ${event.url} (${event.model}) ${event.reason}: decoding locally with ${event.fallback} until it answers again\n`);
            } else if (event.type === 'recovered') {
              process.stderr.write(`neurostream run: model server ${event.url} (${event.model}) answers again after ${(event.afterMs / 1000).toFixed(1)} s (${event.bins} bins decoded locally meanwhile)\n`);
            } else if (event.type === 'incompatible') {
              process.stderr.write(`neurostream run: WARNING: model server ${event.url} (${event.model}) answers, but its model does not match --model (${event.reason}): decoding stays local for this session\n`);
            }
          },
        }).catch(async (error: unknown) => {
          await model.decoder.dispose();
          throw error;
        })
      : undefined;
  // Simulators and replays end by themselves at --duration; real devices run until told.
  const simulated = input !== undefined || flags.device === 'intracortical' || flags.device === 'eeg';
  const { label, source, packets, link }: { label: string; source: Observable<SampleBlock>; packets?: DeviceChoice['packets']; link?: DeviceChoice['link'] } =
    input ??
    deviceFromFlags(flags, {
      pacing: flags.fast ? 'fast' : 'realtime',
      blockMs: flags.blockMs,
      ...(flags.duration !== undefined && simulated ? { durationS: flags.duration } : {}),
    });
  /** What runs on a stream of `info` (the stream decides the chain): recorded as it is, never what was merely asked for. */
  const pipelineOf = (streamInfo: StreamInfo): SessionPipeline => {
    const kalman = flags.dsp && !model && flags.decoder === 'kalman' && chainFor(streamInfo) === 'intracortical';
    return {
      dsp: flags.dsp,
      mainsHz: flags.mains,
      decoder: model ? 'onnx' : kalman ? 'kalman' : 'none',
      ...(kalman ? { calibrateS: flags.calibrateS } : {}),
      ...(model ? { model: model.path, modelSha256: model.sha256, providers: [model.decoder.provider] } : {}),
      ...(model && channelMap ? { channelMap } : {}),
    };
  };
  const tty = process.stdout.isTTY === true;
  const recording = new SessionRecording({
    pipeline: (streamInfo) => ({ ...pipelineOf(streamInfo) }),
    lossless: input?.offline === true,
    onEvent: (event, dir) => {
      log.error({ recording: dir, event: event.type }, event.message);
      process.stderr.write(`${tty ? '\n' : ''}neurostream run: ${event.type === 'resumed' ? '' : 'WARNING: '}${event.message}\n`);
    },
  });

  let info: StreamInfo | undefined;
  /** One past the newest sample received (where an operator's marker goes). */
  let nextSample = 0;
  let ended = false;
  let health: StreamHealth | undefined;
  let failChain: (error: unknown) => void = () => {};
  const decoding = flags.decoder === 'kalman' || model
    ? {
        ...(model ? { decoder: remote ?? model.decoder } : {}),
        // A trial decoder (lda, csp-lda from `calibrate`) carries its epochs: it decodes an EEG stream's cues.
        ...(model && trialEpochs ? { trial: trialEpochs } : {}),
        ...(model && channelMap ? { channelMap } : {}),
        ...(input?.offline ? { offline: true } : {}),
        calibrateS: flags.calibrateS,
        onIntent: (intent: Intent) => {
          recording.writeIntent(intent);
          dashboard?.publisher.pushIntent(intent, BIN_MS / 1000);
        },
        onReady: (decoder: Record<string, unknown>) => {
          log.info(decoder, 'decoder calibrated');
          recording.setDecoder(decoder);
        },
        // Online validation: the running R² goes into the recording as a `decoder-r2` marker each
        // second (a replay carries the live ones over from its recording, and computes the same).
        onValidation: (v: DecoderValidation) => {
          // R² is undefined (NaN) while the truth does not vary at all: nothing to record then.
          if (!input?.offline && Number.isFinite(v.value)) recording.writeMarkers([createMarker(v.sample, v.metric === 'accuracy' ? ACCURACY_MARKER : VALIDATION_MARKER, v.value)]);
        },
      }
    : undefined;
  let dashboard: SessionDashboard | undefined;
  const onFeatures = (frame: Parameters<SessionRecording['writeFeatures']>[0]): void => {
    recording.writeFeatures(frame);
    // The intracortical chain's frames are [tc:<ch>…, sbp:<ch>…] (spikeBandFeatures): the first half are spike counts.
    dashboard?.publisher.pushFeatures(frame, BIN_MS / 1000, frame.values.length / 2);
  };
  const chain = flags.dsp
    ? new SessionChain(flags.mains, (e) => failChain(e), onFeatures, decoding, (block, description) => dashboard?.publisher.pushFiltered(block, description)) // issue 17: filtered traces
    : undefined;
  // [signal quality, issue 17] per channel on the raw blocks: markers where it changes (recorded
  // live, not re-recorded from a replay), the newest verdicts in the dashboard's status.
  const quality = new SessionQuality(
    flags.mains,
    (marker) => {
      if (!input?.offline) recording.writeMarkers([marker]);
      dashboard?.publisher.marker(marker, 'stream');
    },
    (error) => failChain(error),
  );
  // Backpressure of an offline source, in one place: it waits while any lossless consumer is behind.
  input?.bindHoldBack?.(() => (chain?.backlog() ?? 0) > MAX_DECODER_BACKLOG || recording.busy());
  /** The status line: stream health, then what the processing chain reports. */
  const statusLine = (): string => {
    if (!info || !health) return `waiting for data from ${label}…`;
    const now = hostNowMs();
    const snapshot = health.snapshot(now);
    health.roll(now); // the next line's achieved rate covers the time from this one
    const rec = recording.status();
    const extra = [chain?.status(), rec && formatRecorder(rec), input?.status?.()].filter(Boolean).join(' | ');
    const line = formatStatus(info, snapshot, link?.());
    return extra ? `${line} | ${extra}` : line;
  };
  const writeStatus = (line: string): void => {
    if (!tty) process.stdout.write(`${line}\n`);
    else {
      writeTerminalControl(process.stdout, '\r');
      process.stdout.write(line);
      writeTerminalControl(process.stdout, '\x1b[K');
    }
  };
  /** What the dashboard shows of the session (asked twice a second). */
  const dashboardStatus = (): DashboardSessionStatus => {
    const rec = recording.status();
    const decoder = chain?.describeDecoder();
    return {
      label,
      // [issue 17 states] typed: live | replay (position, speed) | device-lost (attempt) | waiting | ended.
      ...sessionStateOf({ ended, started: info !== undefined, replay: input?.replay?.(), link: link?.(), nowMs: hostNowMs() }),
      recording: rec
        ? { state: rec.state, dir: rec.dir, bytes: rec.bytesWritten, samples: rec.samplesWritten, droppedSamples: rec.droppedSamples, ...(rec.error ? { error: rec.error } : {}) }
        : null,
      decoder: decoder ? { ...decoder } : null,
      ...(packets ? { packets: packets() } : {}),
      ...(quality.status() ? { quality: quality.status()! } : {}), // [signal quality, issue 17]
    };
  };
  // The dashboard starts before the device: a taken port or a bad host fails fast, exit 2.
  try {
    dashboard = await startSessionDashboard({ dashboard: flags.dashboard ?? true, ...(flags.dashboardHost !== undefined ? { dashboardHost: flags.dashboardHost } : {}) }, dashboardStatus);
  } catch (error) {
    await (remote ?? model?.decoder)?.dispose();
    throw error;
  }
  if (dashboard) process.stdout.write(`${dashboard.describe().join('\n')}\n`);
  const say = (text: string): void => {
    process.stdout.write(`${tty ? '\n' : ''}${text}\n`);
  };
  /** An operator's marker (or recalibration request) at the newest sample: recorded, shown, and seen by the decoder. */
  const operatorMarker = (type: string, value: string): Marker => {
    const marker = createMarker(nextSample, type, value);
    recording.writeMarkers([marker]);
    chain?.injectMarkers([marker]);
    dashboard?.publisher.marker(marker, 'operator');
    return marker;
  };
  dashboard?.server.onCommand(async (command: DashboardCommand, client) => {
    if (!info || ended) throw new Error(ended ? 'the session has ended' : 'the stream has not started yet');
    const streamInfo = info;
    switch (command.name) {
      case 'start-recording': {
        if (recording.active) throw new Error(`already recording to ${recording.active.dir}: stop it first`);
        const dir = timestampedDirectory(flags.recordingsDir ?? 'recordings'); // created (claimed) here
        try {
          recording.start(dir, streamInfo);
        } catch (error) {
          try {
            rmdirSync(dir); // still empty: nothing was recorded into it (rmdir removes nothing else)
          } catch {
            // not empty after all: left as it is
          }
          throw error;
        }
        say(`dashboard: operator ${client.remote} started recording to ${dir}`);
        log.info({ dir, client: client.remote }, 'recording started from the dashboard');
        return { dir };
      }
      case 'stop-recording': {
        const status = await recording.stop();
        if (!status) throw new Error('not recording');
        say(`dashboard: operator ${client.remote} stopped recording: ${describeRecorded(status)}`);
        return { dir: status.dir, state: status.state, bytes: status.bytesWritten, samples: status.samplesWritten };
      }
      case 'add-marker': {
        const value = command['value'] ?? 'operator marker';
        if (typeof value !== 'string' || value.length === 0 || value.length > MAX_MARKER_TEXT) {
          throw new Error(`value must be a text of 1 to ${MAX_MARKER_TEXT} characters`);
        }
        const marker = operatorMarker('annotation', value);
        return { sample: marker.sample, time: marker.sample / streamInfo.sampleRateHz };
      }
      case 'recalibrate': {
        const refusal = chain ? chain.recalibrationRefusal() : 'the session runs no processing (--no-dsp)';
        if (refusal) throw new Error(`cannot recalibrate: ${refusal}`);
        const marker = operatorMarker(RECALIBRATE_MARKER, `operator ${client.remote}`);
        say(`dashboard: operator ${client.remote} asked for a recalibration at ${(marker.sample / streamInfo.sampleRateHz).toFixed(2)} s`);
        return { sample: marker.sample, message: `recalibrating on the next ${flags.calibrateS} s of the task; the current model decodes meanwhile` };
      }
    }
  });
  log.info({ device: flags.device, label }, 'session starting');

  return await new Promise<number>((resolve) => {
    let subscription: Subscription | undefined;
    let finished = false;
    /** The decoder is being given its last bins (the first step of finishing). */
    let draining = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const finish = (reason: string, code: number): void => {
      if (finished) return;
      finished = true;
      clearInterval(statusTimer);
      timers.forEach(clearTimeout);
      subscription?.unsubscribe();
      const snapshot = health?.snapshot(hostNowMs()); // the stream's figures end here, not after the drain
      // The decoder may still be calibrating with bins waiting: let it finish them (bounded).
      draining = chain !== undefined;
      void (chain ? chain.drain(DRAIN_TIMEOUT_MS) : Promise.resolve()).then(() => {
        draining = false;
        chain?.stop();
        end(reason, code, snapshot);
      });
    };
    const end = (reason: string, code: number, snapshot: ReturnType<StreamHealth['snapshot']> | undefined): void => {
      if (tty) process.stdout.write('\n');
      if (info && snapshot) {
        const extra = chain?.status();
        process.stdout.write(`${formatSummary(info, snapshot, reason)}${extra ? `; ${extra}` : ''}\n`);
        log.info({ reason, ...snapshot }, 'session stopped');
      } else {
        process.stdout.write(`stopped (${reason}) before any data arrived from ${label}\n`);
      }
      // The recorders finalise their files before the process may exit (signals stay handled till then).
      ended = true;
      void recording.finish().then(async ({ statuses, failures }) => {
        await (remote ?? model?.decoder)?.dispose();
        await dashboard?.close(dashboardStatus());
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        for (const failure of failures) {
          process.stderr.write(`neurostream run: RECORDING INCOMPLETE in ${failure.dir}: ${failure.message}\n`);
          code = code || 1;
        }
        for (const status of statuses) {
          if (status.incomplete) {
            process.stderr.write(`neurostream run: RECORDING INCOMPLETE in ${status.dir}: ${status.error ?? 'the recorder failed'}; kept ${describeSize(status)} (readable)\n`);
            code = code || 1;
          } else {
            process.stdout.write(`recorded ${describeRecorded(status)}\n`);
          }
        }
        resolve(code);
      });
    };
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (finished) {
        // A second Ctrl-C while the session is being finalised (a hung disk, a stuck decoder): leave now, loudly.
        process.stderr.write(`neurostream run: ${signal} ${signalled ? 'again' : 'while finishing'}: exiting now; ${describeUnfinished(recording.unfinished(), draining)}\n`);
        exitBySignal(signal);
        return;
      }
      signalled = true;
      finish(signal, 0);
    };
    const startRecorder = (streamInfo: StreamInfo): void => {
      if (flags.record === undefined) return;
      try {
        recording.start(flags.record, streamInfo);
      } catch (error) {
        // Acquisition goes on; the session ends with exit code 1 and says why.
        const message = error instanceof Error ? error.message : String(error);
        recording.failedToStart(flags.record, message);
        process.stderr.write(`${tty ? '\n' : ''}neurostream run: WARNING: recording could not start: ${message}\n`);
      }
    };
    failChain = (error: unknown) => {
      process.stderr.write(`neurostream run: processing failed: ${error instanceof Error ? error.message : String(error)}\n`);
      finish('error', 1);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const statusTimer = setInterval(() => writeStatus(statusLine()), flags.statusInterval * 1000);
    // Real devices run until told: --duration is wall time for them.
    if (flags.duration !== undefined && !simulated) timers.push(setTimeout(() => finish('duration reached', 0), flags.duration * 1000));
    subscription = source.subscribe({
      next: (block) => {
        if (!health) {
          info = block.info;
          health = new StreamHealth(info.sampleRateHz);
          startRecorder(info);
        }
        health.observe(block, hostNowMs());
        nextSample = block.first + block.length;
        recording.writeBlock(block);
        dashboard?.publisher.pushBlock(block);
        quality.push(block); // [signal quality, issue 17]
        chain?.push(block);
      },
      error: (error: unknown) => {
        log.debug({ err: error }, 'session failed');
        const code = error instanceof NeurostreamError ? ` [${error.code}]` : '';
        process.stderr.write(`neurostream run: ${error instanceof Error ? error.message : String(error)}${code}\n`);
        finish('error', 1);
      },
      complete: () => finish(input?.completeReason ?? (simulated ? 'duration reached' : 'device closed'), 0),
    });
  });
}
