/**
 * Turns `--device` and its flags into a source of SampleBlocks: a simulator (in a worker thread)
 * or a driver for a real device on a serial port. Option names of the simulators are mapped back
 * to the flags the user typed, so errors name `--channels`, not `channels`.
 */
import type { Observable } from 'rxjs';
import { InvalidOptionError, type SampleBlock, checkInteger } from '../core/index.js';
import { cytonSource } from '../devices/drivers/cyton-source.js';
import { frameSource } from '../devices/drivers/frame-source.js';
import { intanSource, type IntanLinkStats } from '../devices/drivers/intan-source.js';
import { intanChannelName } from '../devices/protocols/intan/intan-constants.js';
import type { Pacing } from '../devices/simulator-source.js';
import { createSimulator, SIMULATOR_KINDS, type SimulatorSpec } from '../devices/simulators/simulator-spec.js';
import { workerSimulatorSource } from '../devices/worker-simulator-source.js';
import type { CytonParserStats } from '../devices/protocols/cyton/cyton-parser.js';
import type { CytonControl } from '../devices/index.js';
import type { FrameParserStats } from '../devices/protocols/frame/frame-parser.js';
import type { DeviceLinkState } from '../devices/transport/serial-connection.js';
import { PacketCounter, type PacketCounts } from './packet-counter.js';
import type { SourceDescription } from '../session/index.js';
import { checkLslQuery, loadLslConfig, lslPredicateOf, lslSessionSource, type LslMarkerStats, type LslSourceStats } from '../devices/index.js';

export const DRIVER_NAMES = ['cyton', 'frame', 'intan', 'lsl'] as const;
export const DEVICE_NAMES = [...SIMULATOR_KINDS, ...DRIVER_NAMES] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

export interface DeviceFlags {
  device: DeviceName;
  port?: string;
  host?: string;
  commandPort?: number;
  waveformPort?: number;
  /** cyton: channel-setting commands, comma-separated. */
  settings?: string;
  channels?: number;
  rate?: number;
  seed: number;
  mains: 50 | 60;
  /** lsl: the signal stream's name, or a query selecting it. */
  stream?: string;
  lslQuery?: string;
  /** lsl: marker streams, each a name or a query. */
  lslMarkers?: string[];
  /** lsl: seconds to wait for the streams to answer. */
  lslTimeoutS?: number;
}

export interface DeviceChoice {
  /** What the status line calls the device before its first block arrives. */
  label: string;
  source: Observable<SampleBlock>;
  /** Packets the device's parser lost and rejected so far (real devices; simulators have none). */
  packets?: () => PacketCounts;
  /** Where the link to a serial device stands (undefined until it was first lost). */
  link?: () => DeviceLinkState | undefined;
  /** A Cyton's commands while it streams (lead-off for impedance); undefined before it is opened. */
  leadOff?: () => CytonControl | undefined;
  /** Shown with the session's status (an LSL source: markers received, reconnections, clock offset). */
  status?: () => string;
}

const FLAG_OF_OPTION: Record<string, string> = {
  channels: '--channels',
  sampleRateHz: '--rate',
  seed: '--seed',
  mainsHz: '--mains',
};

/** Re-labels a simulator's InvalidOptionError with the command-line flag it came from. */
function asFlagError(error: unknown): unknown {
  if (error instanceof InvalidOptionError && FLAG_OF_OPTION[error.option]) {
    return new InvalidOptionError(FLAG_OF_OPTION[error.option]!, error.expected, error.received);
  }
  return error;
}

/** The simulator the flags describe, validated by building it once here. */
export function simulatorSpecFromFlags(flags: DeviceFlags): SimulatorSpec {
  const options = {
    seed: flags.seed,
    mainsHz: flags.mains,
    startTime: new Date().toISOString(),
    ...(flags.channels !== undefined ? { channels: flags.channels } : {}),
    ...(flags.rate !== undefined ? { sampleRateHz: flags.rate } : {}),
  };
  const spec: SimulatorSpec = flags.device === 'eeg' ? { kind: 'eeg', options } : { kind: 'intracortical', options };
  try {
    createSimulator(spec);
  } catch (error) {
    throw asFlagError(error);
  }
  return spec;
}

/** Refuses a flag the chosen device does not take (one error naming the flag). */
export function checkDeviceFlags(flags: Omit<DeviceFlags, 'seed' | 'mains'>): void {
  if (flags.device !== 'lsl') {
    for (const [flag, value] of [['--stream', flags.stream], ['--lsl-query', flags.lslQuery], ['--lsl-markers', flags.lslMarkers]] as const) {
      if (value !== undefined) throw new InvalidOptionError(flag, `no value for --device ${flags.device} (only --device lsl uses it)`, value);
    }
  } else {
    for (const [flag, value] of [['--port', flags.port], ['--host', flags.host], ['--command-port', flags.commandPort], ['--waveform-port', flags.waveformPort], ['--settings', flags.settings], ['--channels', flags.channels], ['--rate', flags.rate]] as const) {
      if (value !== undefined) throw new InvalidOptionError(flag, 'no value for --device lsl (the stream\'s description gives channels and rate)', value);
    }
    if ((flags.stream === undefined) === (flags.lslQuery === undefined)) {
      throw new InvalidOptionError(flags.stream === undefined ? '--stream' : '--lsl-query', 'the signal stream of --device lsl: its name (--stream NAME) or a query (--lsl-query "type=\'EEG\'"), one of the two', flags.stream === undefined ? undefined : `${flags.stream} and --lsl-query ${flags.lslQuery}`);
    }
    if (flags.lslQuery !== undefined) checkLslQuery(flags.lslQuery, '--lsl-query');
    flags.lslMarkers?.forEach((m, i) => lslPredicateOf(m, `--lsl-markers[${i}]`));
    return;
  }
  if (flags.device === 'intan') {
    if (flags.port !== undefined) throw new InvalidOptionError('--port', 'no value for --device intan (it is reached over TCP: --host, --command-port, --waveform-port)', flags.port);
    if (flags.rate !== undefined) throw new InvalidOptionError('--rate', 'no value for --device intan (set the rate in RHX)', flags.rate);
    return;
  }
  for (const [flag, value] of [['--host', flags.host], ['--command-port', flags.commandPort], ['--waveform-port', flags.waveformPort]] as const) {
    if (value !== undefined) throw new InvalidOptionError(flag, `no value for --device ${flags.device} (only --device intan uses it)`, value);
  }
  if (flags.settings !== undefined && flags.device !== 'cyton') {
    throw new InvalidOptionError('--settings', `no value for --device ${flags.device} (only --device cyton uses it)`, flags.settings);
  }
  if (flags.device === 'cyton' || flags.device === 'frame') {
    for (const [flag, value] of [['--channels', flags.channels], ['--rate', flags.rate]] as const) {
      if (value !== undefined) throw new InvalidOptionError(flag, `no value for --device ${flags.device} (the device reports it)`, value);
    }
    return;
  }
  if (flags.port !== undefined) throw new InvalidOptionError('--port', `no value for the ${flags.device} simulator`, flags.port);
}

export function deviceFromFlags(
  flags: DeviceFlags,
  pacing: { pacing: Pacing; blockMs: number; durationS?: number },
): DeviceChoice {
  checkDeviceFlags(flags);
  if (flags.device === 'intan') {
    const count = checkInteger('option', '--channels', flags.channels ?? 32, { min: 1, max: 1024 });
    const host = flags.host ?? '127.0.0.1';
    // RHX's TCP stream has no packet counter: nothing is known lost; a block without its magic number, or with corrupt timestamps, is corrupt.
    const counter = new PacketCounter<IntanLinkStats>((s) => ({ lost: 0, corrupt: s.magicMismatches + s.corruptBlocks }));
    const source = intanSource({
      host,
      onParser: counter.observe,
      channels: Array.from({ length: count }, (_, c) => intanChannelName(c)),
      ...(flags.commandPort !== undefined ? { commandPort: flags.commandPort } : {}),
      ...(flags.waveformPort !== undefined ? { waveformPort: flags.waveformPort } : {}),
    });
    return { label: `Intan RHX at ${host}`, source, packets: () => counter.totals() };
  }
  if (flags.device === 'lsl') return lslDevice(flags);
  if (flags.device === 'cyton' || flags.device === 'frame') {
    if (flags.port === undefined) throw new InvalidOptionError('--port', `the serial port of the ${flags.device} device, e.g. /dev/ttyUSB0`, undefined);
    const commands = flags.settings?.split(',').map((c) => c.trim()).filter(Boolean) ?? [];
    let source: Observable<SampleBlock>;
    const cyton = new PacketCounter<CytonParserStats>((s) => ({ lost: s.droppedPackets, corrupt: s.corruptPackets }));
    let link: DeviceLinkState | undefined;
    let control: CytonControl | undefined;
    const onLink = (state: DeviceLinkState): void => {
      link = state;
    };
    const frame = new PacketCounter<FrameParserStats>((s) => ({ lost: s.lostFrames, corrupt: s.corruptFrames }));
    try {
      source =
        flags.device === 'cyton'
          ? cytonSource({ port: flags.port, commands, onParser: cyton.observe, onLink, onControl: (c) => (control = c) })
          : frameSource({ port: flags.port, onParser: frame.observe, onLink });
    } catch (error) {
      // cytonSource names settings commands[i]: say which item of --settings was wrong.
      if (error instanceof InvalidOptionError && error.option.startsWith('commands[')) {
        throw new InvalidOptionError(`--settings item ${Number(/\d+/.exec(error.option)![0]) + 1}`, error.expected, error.received);
      }
      throw error;
    }
    const counter = flags.device === 'cyton' ? cyton : frame;
    return { label: `${flags.device} on ${flags.port}`, source, packets: () => counter.totals(), link: () => link, ...(flags.device === 'cyton' ? { leadOff: () => control } : {}) };
  }
  const spec = simulatorSpecFromFlags(flags);
  const info = createSimulator(spec).info;
  const fs = info.sampleRateHz;
  const durationSamples = pacing.durationS === undefined ? undefined : Math.max(1, Math.round(pacing.durationS * fs));
  if (durationSamples !== undefined && !Number.isSafeInteger(durationSamples)) {
    throw new InvalidOptionError('--duration', 'a duration of at most 2^53 samples', pacing.durationS);
  }
  // The simulator generates on the other core; the session's thread only consumes.
  const source = workerSimulatorSource(spec, {
    pacing: pacing.pacing,
    blockSamples: Math.max(1, Math.round((pacing.blockMs * fs) / 1000)),
    ...(durationSamples !== undefined ? { durationSamples } : {}),
  });
  return { label: `${info.device.name}`, source };
}

/** `--device lsl`: the signal stream and the marker streams, with the LSL settings of LSLAPICFG / lsl_api.cfg. */
function lslDevice(flags: DeviceFlags): DeviceChoice {
  const config = loadLslConfig();
  const predicate = flags.stream !== undefined ? lslPredicateOf(flags.stream, '--stream') : flags.lslQuery!;
  const markers = (flags.lslMarkers ?? []).map((m, i) => lslPredicateOf(m, `--lsl-markers[${i}]`));
  let link: DeviceLinkState | undefined;
  let stats: LslSourceStats | undefined;
  let markerStats: LslMarkerStats = { received: 0, moved: 0 };
  const source = lslSessionSource({
    config,
    predicate,
    markers,
    resolveTimeoutMs: (flags.lslTimeoutS ?? 10) * 1000,
    onLink: (state) => (link = state),
    onStats: (s) => (stats = s),
    onMarkers: (s) => (markerStats = s),
  });
  return {
    label: `LSL stream ${flags.stream ?? flags.lslQuery}`,
    source,
    link: () => link,
    status: () =>
      [
        `lsl offset ${((stats?.correctionS ?? 0) * 1000).toFixed(2)} ms`,
        ...(stats && stats.connections > 1 ? [`reconnected ${stats.connections - 1}x`] : []),
        ...(markers.length > 0 ? [`markers ${markerStats.received}${markerStats.moved > 0 ? ` (${markerStats.moved} moved)` : ''}`] : []),
      ].join(', '),
  };
}

/** The device flags a (non-replay) source description stands for, to open it with {@link deviceFromFlags}. */
export function deviceFlagsOf(source: Exclude<SourceDescription, { type: 'replay' }>): DeviceFlags {
  switch (source.type) {
    case 'simulate':
      return {
        device: source.kind,
        seed: source.seed,
        mains: source.mainsHz,
        ...(source.channels !== undefined ? { channels: source.channels } : {}),
        ...(source.rateHz !== undefined ? { rate: source.rateHz } : {}),
      };
    case 'cyton':
      return { device: 'cyton', port: source.port, seed: 0, mains: 60, ...(source.settings ? { settings: source.settings.join(',') } : {}) };
    case 'frame':
      return { device: 'frame', port: source.port, seed: 0, mains: 60 };
    case 'lsl':
      return {
        device: 'lsl',
        seed: 0,
        mains: 60,
        ...(source.stream !== undefined ? { stream: source.stream } : {}),
        ...(source.query !== undefined ? { lslQuery: source.query } : {}),
        ...(source.markers !== undefined ? { lslMarkers: source.markers } : {}),
        ...(source.resolveTimeoutS !== undefined ? { lslTimeoutS: source.resolveTimeoutS } : {}),
      };
    case 'intan':
      return {
        device: 'intan',
        seed: 0,
        mains: 60,
        ...(source.host !== undefined ? { host: source.host } : {}),
        ...(source.commandPort !== undefined ? { commandPort: source.commandPort } : {}),
        ...(source.waveformPort !== undefined ? { waveformPort: source.waveformPort } : {}),
        ...(source.channels !== undefined ? { channels: source.channels } : {}),
      };
  }
}
