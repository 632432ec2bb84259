/**
 * A device source description (a simulator, a Cyton, a frame-protocol device, Intan RHX) opened as
 * a session's source, through the public devices API: its blocks, what the status line calls it,
 * the packets its parsers lost and rejected, and the state of a serial link.
 */
import type { Observable } from 'rxjs';
import { type SampleBlock, InvalidOptionError, checkInteger } from '../core/index.js';
import {
  type CytonControl,
  type CytonParserStats,
  type DeviceLinkState,
  type FrameParserStats,
  type IntanLinkStats,
  cyton,
  frameDevice,
  intan,
  intanChannelName,
  simulate,
  loadLslConfig,
  lslPredicateOf,
  lslSessionSource,
  type LslMarkerStats,
  type LslSourceStats,
} from '../devices/index.js';
import { PacketCounter } from './packet-counter.js';
import type { SourceDescription } from './session-description.js';
import type { OpenedSource } from './start-session.js';

/** Every source description but a replay: a device, simulated or real. */
export type DeviceSourceDescription = Exclude<SourceDescription, { type: 'replay' }>;

/** A device opened as a session source; `link` in the drivers' own shape. */
export interface OpenedDevice extends OpenedSource {
  /** Where the link to a serial device stands (undefined until it was first lost). */
  link?: () => DeviceLinkState | undefined;
}

/** Options of {@link openDevice}. */
export interface OpenDeviceOptions {
  /** A simulator completes after this many seconds of samples (a real device runs until told). */
  durationS?: number;
}

/**
 * Opens the device a source description names, as a cold source for `startSession`'s `open`
 * hook: simulators generate in a worker thread (the session's thread only consumes) and complete
 * at `durationS`; real devices count their parsers' lost and corrupt packets over reconnections.
 * Bad options throw an InvalidOptionError naming the description's field (`channels`, `rateHz`,
 * `settings[1]` …) before anything is opened.
 *
 * @example
 * ```ts
 * const device = openDevice({ type: 'simulate', kind: 'eeg', seed: 1, mainsHz: 50, blockMs: 10, fast: true }, { durationS: 5 });
 * device.source.subscribe((block) => console.log(block.first));
 * ```
 */
export function openDevice(source: DeviceSourceDescription, options: OpenDeviceOptions = {}): OpenedDevice {
  switch (source.type) {
    case 'simulate': {
      const simulator = simulate({
        kind: source.kind,
        seed: source.seed,
        blockMs: source.blockMs,
        fast: source.fast,
        worker: true,
        simulator: { mainsHz: source.mainsHz },
        ...(source.channels !== undefined ? { channels: source.channels } : {}),
        ...(source.rateHz !== undefined ? { rateHz: source.rateHz } : {}),
        ...(options.durationS !== undefined ? { durationS: options.durationS } : {}),
      });
      // The simulators' own device names (their StreamInfo's device.name).
      return { label: `${source.kind}-simulator`, source: simulator, completeReason: 'duration reached', runsUntilTold: false };
    }
    case 'intan': {
      const count = checkInteger('option', 'channels', source.channels ?? 32, { min: 1, max: 1024 });
      const host = source.host ?? '127.0.0.1';
      // RHX's TCP stream has no packet counter: nothing is known lost; a block without its magic number, or with corrupt timestamps, is corrupt.
      const counter = new PacketCounter<IntanLinkStats>((s) => ({ lost: 0, corrupt: s.magicMismatches + s.corruptBlocks }));
      const blocks = intan({
        host,
        onParser: counter.observe,
        channels: Array.from({ length: count }, (_, c) => intanChannelName(c)),
        ...(source.commandPort !== undefined ? { commandPort: source.commandPort } : {}),
        ...(source.waveformPort !== undefined ? { waveformPort: source.waveformPort } : {}),
      });
      return { label: `Intan RHX at ${host}`, source: blocks, completeReason: 'device closed', runsUntilTold: true, packets: () => counter.totals() };
    }
    case 'lsl':
      return openLsl(source);
    case 'cyton':
    case 'frame': {
      let link: DeviceLinkState | undefined;
      const onLink = (state: DeviceLinkState): void => {
        link = state;
      };
      let blocks: Observable<SampleBlock>;
      let packets: () => { lost: number; corrupt: number };
      /** A Cyton's commands while it streams (lead-off for impedance); undefined until it streams. */
      let control: CytonControl | undefined;
      if (source.type === 'cyton') {
        const counter = new PacketCounter<CytonParserStats>((s) => ({ lost: s.droppedPackets, corrupt: s.corruptPackets }));
        try {
          blocks = cyton({ port: source.port, commands: source.settings ?? [], onParser: counter.observe, onLink, onControl: (c) => (control = c) });
        } catch (error) {
          // The driver names its commands[i]: the description calls them settings[i].
          if (error instanceof InvalidOptionError && error.option.startsWith('commands[')) throw new InvalidOptionError(error.option.replace(/^commands/, 'settings'), error.expected, error.received);
          throw error;
        }
        packets = () => counter.totals();
      } else {
        const counter = new PacketCounter<FrameParserStats>((s) => ({ lost: s.lostFrames, corrupt: s.corruptFrames }));
        blocks = frameDevice({ port: source.port, onParser: counter.observe, onLink });
        packets = () => counter.totals();
      }
      return {
        label: `${source.type} on ${source.port}`,
        source: blocks,
        completeReason: 'device closed',
        runsUntilTold: true,
        packets,
        link: () => link,
        ...(source.type === 'cyton' ? { leadOff: () => control } : {}),
      };
    }
  }
}

/**
 * An LSL signal stream and any marker streams (their samples become markers on the signal's
 * sample clock), with the LSL settings of LSLAPICFG / lsl_api.cfg; its status says the clock
 * offset, reconnections and markers received.
 */
function openLsl(source: Extract<DeviceSourceDescription, { type: 'lsl' }>): OpenedDevice {
  const config = loadLslConfig();
  const predicate = source.stream !== undefined ? lslPredicateOf(source.stream, 'stream') : source.query!;
  const markers = (source.markers ?? []).map((m, i) => lslPredicateOf(m, `markers[${i}]`));
  let link: DeviceLinkState | undefined;
  let stats: LslSourceStats | undefined;
  let markerStats: LslMarkerStats = { received: 0, moved: 0 };
  const blocks = lslSessionSource({
    config,
    predicate,
    markers,
    resolveTimeoutMs: (source.resolveTimeoutS ?? 10) * 1000,
    onLink: (state) => (link = state),
    onStats: (s) => (stats = s),
    onMarkers: (s) => (markerStats = s),
  });
  return {
    label: `LSL stream ${source.stream ?? source.query}`,
    source: blocks,
    completeReason: 'device closed',
    runsUntilTold: true,
    link: () => link,
    status: () =>
      [
        `lsl offset ${((stats?.correctionS ?? 0) * 1000).toFixed(2)} ms`,
        ...(stats && stats.connections > 1 ? [`reconnected ${stats.connections - 1}x`] : []),
        ...(markers.length > 0 ? [`markers ${markerStats.received}${markerStats.moved > 0 ? ` (${markerStats.moved} moved)` : ''}`] : []),
      ].join(', '),
  };
}
