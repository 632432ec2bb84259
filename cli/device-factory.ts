/**
 * Turns `--device` and its flags into a validated simulator description. Option names of the
 * simulators are mapped back to the flags the user typed, so errors name `--channels`, not
 * `channels`.
 */
import { InvalidOptionError, type StreamInfo } from '../core/index.js';
import { createSimulator, SIMULATOR_KINDS, type SimulatorKind, type SimulatorSpec } from '../devices/simulators/simulator-spec.js';

export const DEVICE_NAMES = SIMULATOR_KINDS;
export type DeviceName = SimulatorKind;

export interface DeviceFlags {
  device: DeviceName;
  channels?: number;
  rate?: number;
  seed: number;
  mains: 50 | 60;
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

/** The simulator the flags describe, validated by building it once here; and its StreamInfo. */
export function simulatorFromFlags(flags: DeviceFlags): { spec: SimulatorSpec; info: StreamInfo } {
  const options = {
    seed: flags.seed,
    mainsHz: flags.mains,
    startTime: new Date().toISOString(),
    ...(flags.channels !== undefined ? { channels: flags.channels } : {}),
    ...(flags.rate !== undefined ? { sampleRateHz: flags.rate } : {}),
  };
  const spec: SimulatorSpec = flags.device === 'eeg' ? { kind: 'eeg', options } : { kind: 'intracortical', options };
  try {
    return { spec, info: createSimulator(spec).info };
  } catch (error) {
    throw asFlagError(error);
  }
}
