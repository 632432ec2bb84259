/**
 * `--device` and its flags: the device names, the flags each device takes, and the errors of the
 * devices API (which name option fields: `channels`, `sampleRateHz`, `settings[1]` …) re-labelled
 * with the flag the user typed. Opening the device is session/'s `openDevice`.
 */
import { InvalidOptionError } from '../core/index.js';
import { SIMULATOR_KINDS, checkLslQuery, lslPredicateOf, simulate } from '../devices/index.js';

export const DRIVER_NAMES = ['cyton', 'frame', 'intan', 'lsl'] as const;
export const DEVICE_NAMES = [...SIMULATOR_KINDS, ...DRIVER_NAMES] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

/** The device flags `run` takes. */
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
  /** lsl: the signal stream's name, or a query selecting it. */
  stream?: string;
  lslQuery?: string;
  /** lsl: marker streams, each a name or a query. */
  lslMarkers?: string[];
}

const FLAG_OF_OPTION: Record<string, string> = {
  channels: '--channels',
  sampleRateHz: '--rate',
  rateHz: '--rate',
  seed: '--seed',
  mainsHz: '--mains',
  durationS: '--duration',
  blockMs: '--block-ms',
};

/**
 * Re-labels an InvalidOptionError of the devices API or of session/'s `openDevice` with the
 * command-line flag it came from (`settings[1]` → `--settings item 2`); other errors pass.
 */
export function asFlagError(error: unknown): unknown {
  if (!(error instanceof InvalidOptionError)) return error;
  const setting = /^settings\[(\d+)\]$/.exec(error.option);
  if (setting) return new InvalidOptionError(`--settings item ${Number(setting[1]) + 1}`, error.expected, error.received);
  const flag = FLAG_OF_OPTION[error.option];
  return flag ? new InvalidOptionError(flag, error.expected, error.received) : error;
}

/** Checks a simulator's flags by building it once (errors name --channels, --rate, --seed, --mains). */
export function checkSimulatorFlags(flags: { device: (typeof SIMULATOR_KINDS)[number]; seed: number; mains: 50 | 60; channels?: number; rate?: number }): void {
  try {
    simulate({
      kind: flags.device,
      seed: flags.seed,
      simulator: { mainsHz: flags.mains },
      ...(flags.channels !== undefined ? { channels: flags.channels } : {}),
      ...(flags.rate !== undefined ? { rateHz: flags.rate } : {}),
    });
  } catch (error) {
    throw asFlagError(error);
  }
}

/** Refuses a flag the chosen device does not take (one error naming the flag). */
export function checkDeviceFlags(flags: DeviceFlags): void {
  if (flags.device !== 'lsl') {
    for (const [flag, value] of [['--stream', flags.stream], ['--lsl-query', flags.lslQuery], ['--lsl-markers', flags.lslMarkers]] as const) {
      if (value !== undefined) throw new InvalidOptionError(flag, `no value for --device ${flags.device} (only --device lsl uses it)`, value);
    }
  } else {
    for (const [flag, value] of [['--port', flags.port], ['--host', flags.host], ['--command-port', flags.commandPort], ['--waveform-port', flags.waveformPort], ['--settings', flags.settings], ['--channels', flags.channels], ['--rate', flags.rate]] as const) {
      if (value !== undefined) throw new InvalidOptionError(flag, "no value for --device lsl (the stream's description gives channels and rate)", value);
    }
    if ((flags.stream === undefined) === (flags.lslQuery === undefined)) {
      throw new InvalidOptionError(
        flags.stream === undefined ? '--stream' : '--lsl-query',
        "the signal stream of --device lsl: its name (--stream NAME) or a query (--lsl-query \"type='EEG'\"), one of the two",
        flags.stream === undefined ? undefined : `${flags.stream} and --lsl-query ${flags.lslQuery}`,
      );
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
