/**
 * Flags → a session description. `run` and `replay` turn what was typed into a
 * {@link SessionDescription}; given a session file's description as `base`, only the flags typed
 * on the command line override its fields (the rest keep the file's values, then the defaults).
 * Errors name the flag, as typed.
 */
import { InvalidOptionError, checkInteger, checkNumber, checkOneOf, type ChannelMap } from '../core/index.js';
import { ONNX_PROVIDERS } from '../decoding/index.js';
import { MAX_CHAIN_WORKERS, SESSION_DEFAULTS, SessionDescriptionSchema, type DecoderDescription, type SessionDescription, type SourceDescription } from '../session/index.js';
import { checkDeviceFlags, checkSimulatorFlags, type DeviceFlags } from './device-flags.js';
import type { ReplaySpeed } from '../recordings/index.js';

/** Every flag `run` and `replay` take that describes the session: the device's (device-flags.ts), then the rest. */
export interface SessionFlags extends Partial<DeviceFlags> {
  duration?: number;
  seed?: number;
  mains?: 50 | 60;
  blockMs?: number;
  fast?: boolean;
  statusInterval?: number;
  dsp?: boolean;
  /** Threads of the intracortical chain. */
  workers?: number;
  record?: string;
  decoder?: 'kalman' | 'none';
  calibrateS?: number;
  model?: string;
  channelMap?: string;
  providers?: string;
  oip?: string;
  oipModel?: string;
  oipTimeoutMs?: number;
  oipRequired?: boolean;
  oipTokenEnv?: string;
  recordingsDir?: string;
  dashboard?: boolean | number;
  dashboardHost?: string;
  /** lsl: how long to wait for the streams. */
  lslTimeoutS?: number;
  /** Offer the session's streams as LSL outlets, named with this prefix. */
  lslOut?: boolean;
  lslName?: string;
  /** replay */
  speed?: ReplaySpeed;
  allowTruncated?: boolean;
}

/**
 * The session the flags describe. `typed(key)`: whether the flag was typed (its value overrides
 * `base`); without `base` every flag given counts (defaults included). `replayOf`: the recording a
 * `replay DIR` command replays.
 */
export function descriptionFromFlags(flags: SessionFlags, options: { typed?: (key: keyof SessionFlags) => boolean; base?: SessionDescription; replayOf?: string } = {}): SessionDescription {
  const { base, replayOf } = options;
  const typed = options.typed ?? (() => true);
  const pick = <K extends keyof SessionFlags>(key: K): SessionFlags[K] | undefined => (!base || typed(key) ? flags[key] : undefined);
  const duration = pick('duration');
  const blockMs = pick('blockMs');
  const statusInterval = pick('statusInterval');
  const calibrateS = pick('calibrateS');
  if (duration !== undefined) checkNumber('option', '--duration', duration, { min: 0, exclusiveMin: true });
  if (blockMs !== undefined) checkNumber('option', '--block-ms', blockMs, { min: 0, exclusiveMin: true, max: 10_000 });
  if (statusInterval !== undefined) checkNumber('option', '--status-interval', statusInterval, { min: 0.05, max: 3600 });
  if (calibrateS !== undefined) checkNumber('option', '--calibrate-s', calibrateS, { min: 1, max: 3600 });
  const workers = pick('workers');
  if (workers !== undefined) checkInteger('option', '--workers', workers, { min: 1, max: MAX_CHAIN_WORKERS });
  const source = sourceOf(pick, base, replayOf);
  const replay = source.type === 'replay';
  const mains = pick('mains');
  const stages = {
    ...base?.stages,
    ...(pick('dsp') !== undefined ? { dsp: pick('dsp') } : {}),
    ...(mains !== undefined ? { mainsHz: mains } : {}),
    ...(workers !== undefined ? { workers } : {}),
  };
  // A replay's processing and decoder left out: as the recorded session ran.
  if (!replay) {
    stages.dsp ??= SESSION_DEFAULTS.dsp;
    stages.mainsHz ??= SESSION_DEFAULTS.mainsHz;
  }
  const decoder = decoderOf(pick, base?.decoder, replay, (key) => pick(key) !== undefined && typed(key));
  const dashboard = pick('dashboard');
  const dashboardHost = pick('dashboardHost');
  if (typeof dashboard === 'number') checkInteger('option', '--dashboard', dashboard, { min: 0, max: 65535 });
  const baseDashboard = base?.outputs.dashboard ?? {};
  const outputs = {
    ...(pick('record') ?? base?.outputs.record) !== undefined ? { record: pick('record') ?? base?.outputs.record } : {},
    dashboard:
      dashboard === false
        ? (false as const)
        : dashboard === undefined && dashboardHost === undefined
          ? baseDashboard
          : {
              ...(baseDashboard === false ? {} : baseDashboard),
              ...(typeof dashboard === 'number' ? { port: dashboard } : {}),
              ...(dashboardHost !== undefined ? { host: dashboardHost } : {}),
            },
    recordingsDir: pick('recordingsDir') ?? base?.outputs.recordingsDir ?? SESSION_DEFAULTS.recordingsDir,
    ...lslOutOf(pick, base),
  };
  return SessionDescriptionSchema.parse({
    source,
    stages,
    ...(decoder ? { decoder } : {}),
    outputs,
    ...((duration ?? base?.durationS) !== undefined ? { durationS: duration ?? base?.durationS } : {}),
    statusIntervalS: statusInterval ?? base?.statusIntervalS ?? SESSION_DEFAULTS.statusIntervalS,
  });
}

type Pick = <K extends keyof SessionFlags>(key: K) => SessionFlags[K] | undefined;

/** `--lsl-out [--lsl-name PREFIX]` over the file's `outputs.lslOut`. */
function lslOutOf(pick: Pick, base: SessionDescription | undefined): { lslOut?: { prefix?: string } } {
  const on = pick('lslOut');
  const name = pick('lslName');
  const b = base?.outputs.lslOut;
  if (on === false) return {};
  if (name !== undefined && !on && !b) throw new InvalidOptionError('--lsl-name', 'an --lsl-out whose outlets it names', name);
  if (!on && !b) return {};
  const prefix = name ?? b?.prefix;
  return { lslOut: prefix !== undefined ? { prefix } : {} };
}

function sourceOf(pick: Pick, base: SessionDescription | undefined, replayOf: string | undefined): SourceDescription {
  const b = base?.source;
  if (replayOf !== undefined || (b?.type === 'replay' && pick('device') === undefined)) {
    const r = b?.type === 'replay' ? b : undefined;
    const allowTruncated = pick('allowTruncated') ?? r?.allowTruncated;
    return {
      type: 'replay',
      recording: replayOf ?? r!.recording,
      speed: pick('speed') ?? r?.speed ?? 1,
      blockMs: pick('blockMs') ?? r?.blockMs ?? 10,
      ...(allowTruncated ? { allowTruncated: true } : {}),
    };
  }
  const device = pick('device') ?? (b === undefined || b.type === 'replay' ? 'intracortical' : b.type === 'simulate' ? b.kind : b.type);
  const same = <T extends SourceDescription['type']>(type: T): Extract<SourceDescription, { type: T }> | undefined =>
    b?.type === type ? (b as Extract<SourceDescription, { type: T }>) : undefined;
  const given = {
    device,
    ...(pick('port') !== undefined ? { port: pick('port') } : {}),
    ...(pick('host') !== undefined ? { host: pick('host') } : {}),
    ...(pick('commandPort') !== undefined ? { commandPort: pick('commandPort') } : {}),
    ...(pick('waveformPort') !== undefined ? { waveformPort: pick('waveformPort') } : {}),
    ...(pick('settings') !== undefined ? { settings: pick('settings') } : {}),
    ...(pick('channels') !== undefined ? { channels: pick('channels') } : {}),
    ...(pick('rate') !== undefined ? { rate: pick('rate') } : {}),
    ...(pick('stream') !== undefined ? { stream: pick('stream') } : {}),
    ...(pick('lslQuery') !== undefined ? { lslQuery: pick('lslQuery') } : {}),
    ...(pick('lslMarkers') !== undefined ? { lslMarkers: pick('lslMarkers') } : {}),
  };
  if (device === 'lsl') {
    const s = same('lsl');
    // A stream typed here replaces the file's stream or query (and the other way round).
    const typedSignal = given.stream !== undefined || given.lslQuery !== undefined;
    const stream = typedSignal ? given.stream : s?.stream;
    const query = typedSignal ? given.lslQuery : s?.query;
    const markers = given.lslMarkers ?? s?.markers;
    const timeoutS = pick('lslTimeoutS') ?? s?.resolveTimeoutS;
    if (timeoutS !== undefined) checkNumber('option', '--lsl-timeout-s', timeoutS, { min: 0, exclusiveMin: true, max: 3600 });
    checkDeviceFlags({ ...given, ...(stream !== undefined ? { stream } : {}), ...(query !== undefined ? { lslQuery: query } : {}), ...(markers !== undefined ? { lslMarkers: markers } : {}) });
    return {
      type: 'lsl',
      ...(stream !== undefined ? { stream } : {}),
      ...(query !== undefined ? { query } : {}),
      ...(markers !== undefined && markers.length > 0 ? { markers } : {}),
      ...(timeoutS !== undefined ? { resolveTimeoutS: timeoutS } : {}),
    };
  }
  checkDeviceFlags(given);
  if (device === 'intracortical' || device === 'eeg') {
    const s = same('simulate');
    const channels = given.channels ?? s?.channels;
    const rateHz = given.rate ?? s?.rateHz;
    const mainsHz = pick('mains') ?? s?.mainsHz ?? base?.stages.mainsHz ?? SESSION_DEFAULTS.mainsHz;
    const seed = pick('seed') ?? s?.seed ?? 1;
    // Checked by building the simulator once: errors name --channels, --rate, --seed, --mains.
    checkSimulatorFlags({ device, seed, mains: mainsHz, ...(channels !== undefined ? { channels } : {}), ...(rateHz !== undefined ? { rate: rateHz } : {}) });
    return {
      type: 'simulate',
      kind: device,
      seed,
      mainsHz,
      blockMs: pick('blockMs') ?? s?.blockMs ?? 1,
      fast: pick('fast') ?? s?.fast ?? false,
      ...(channels !== undefined ? { channels } : {}),
      ...(rateHz !== undefined ? { rateHz } : {}),
    };
  }
  if (device === 'cyton' || device === 'frame') {
    const s = same(device);
    const port = given.port ?? s?.port;
    if (port === undefined) throw new InvalidOptionError('--port', `the serial port of the ${device} device, e.g. /dev/ttyUSB0`, undefined);
    if (device === 'frame') return { type: 'frame', port };
    const settings = given.settings?.split(',').map((c) => c.trim()).filter(Boolean) ?? same('cyton')?.settings;
    return { type: 'cyton', port, ...(settings && settings.length > 0 ? { settings } : {}) };
  }
  const s = same('intan');
  const host = given.host ?? s?.host;
  const commandPort = given.commandPort ?? s?.commandPort;
  const waveformPort = given.waveformPort ?? s?.waveformPort;
  const channels = given.channels ?? s?.channels;
  return {
    type: 'intan',
    ...(host !== undefined ? { host } : {}),
    ...(commandPort !== undefined ? { commandPort } : {}),
    ...(waveformPort !== undefined ? { waveformPort } : {}),
    ...(channels !== undefined ? { channels } : {}),
  };
}

function decoderOf(pick: Pick, base: DecoderDescription | undefined, replay: boolean, given: (key: keyof SessionFlags) => boolean): DecoderDescription | undefined {
  const model = pick('model');
  // One decoder: a model, or a named one (a Kalman filter calibrated on --calibrate-s seconds, or none).
  if (model !== undefined && given('decoder')) throw new InvalidOptionError('--decoder', 'no value with --model (the model is the decoder)', pick('decoder'));
  if (given('calibrateS') && model !== undefined) throw new InvalidOptionError('--calibrate-s', 'no value with --model (a model is not calibrated live)', pick('calibrateS'));
  if (given('calibrateS') && pick('decoder') === 'none') throw new InvalidOptionError('--calibrate-s', 'no value with --decoder none (only --decoder kalman is calibrated live)', pick('calibrateS'));
  const providers = pick('providers');
  const oip = pick('oip');
  const channelMap = pick('channelMap');
  if (providers !== undefined && model === undefined && base?.type !== 'onnx') throw new InvalidOptionError('--providers', 'a --model to run on them', providers);
  if (oip !== undefined && model === undefined && base?.type !== 'onnx') {
    throw new InvalidOptionError('--oip', 'a --model to fall back on when the server cannot answer (the same model, run locally)', oip);
  }
  const baseOip = base?.type === 'onnx' ? base.oip : undefined;
  const oipUrl = oip ?? baseOip?.url;
  if (oipUrl === undefined && pick('oipModel') !== undefined) throw new InvalidOptionError('--oip-model', 'an --oip server to find it on', pick('oipModel'));
  if (oipUrl === undefined && pick('oipRequired') === true) throw new InvalidOptionError('--oip-required', 'an --oip server to require', 'no --oip');
  if (oipUrl === undefined && pick('oipTokenEnv') !== undefined) throw new InvalidOptionError('--oip-token-env', 'an --oip server to send the token to', pick('oipTokenEnv'));
  if (channelMap !== undefined && model === undefined && base?.type !== 'onnx') throw new InvalidOptionError('--channel-map', 'a --model whose channels it maps', channelMap);
  if (model !== undefined || (base?.type === 'onnx' && pick('decoder') === undefined)) {
    const b = base?.type === 'onnx' && model === undefined ? base : undefined;
    const map: string | ChannelMap | undefined = channelMap ?? (model === undefined ? b?.channelMap : undefined);
    const list = providers !== undefined ? providers.split(',').map((p) => p.trim()) : b?.providers;
    list?.forEach((p, i) => checkOneOf('option', `--providers[${i}]`, p, ONNX_PROVIDERS));
    const oipModel = pick('oipModel') ?? baseOip?.model;
    const tokenEnv = pick('oipTokenEnv') ?? baseOip?.tokenEnv;
    return {
      type: 'onnx',
      model: model ?? b!.model,
      ...(list ? { providers: list as ('cpu' | 'cuda')[] } : {}),
      ...(map !== undefined ? { channelMap: map } : {}),
      ...(oipUrl !== undefined
        ? {
            oip: {
              url: oipUrl,
              timeoutMs: pick('oipTimeoutMs') ?? baseOip?.timeoutMs ?? SESSION_DEFAULTS.oipTimeoutMs,
              required: pick('oipRequired') ?? baseOip?.required ?? false,
              ...(oipModel !== undefined ? { model: oipModel } : {}),
              ...(tokenEnv !== undefined ? { tokenEnv } : {}),
            },
          }
        : {}),
    };
  }
  const name = pick('decoder');
  if (name === 'none') return { type: 'none' };
  if (name === 'kalman' || pick('calibrateS') !== undefined) {
    return { type: 'kalman', calibrateS: pick('calibrateS') ?? (base?.type === 'kalman' ? base.calibrateS : SESSION_DEFAULTS.calibrateS) };
  }
  return base ?? (replay ? undefined : { type: 'kalman', calibrateS: SESSION_DEFAULTS.calibrateS });
}
