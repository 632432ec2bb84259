/**
 * Turns `--device` and its flags into a SimulatedDevice factory. Option names of the simulators
 * are mapped back to the flags the user typed, so errors name `--channels`, not `channels`.
 */
import { InvalidOptionError } from '../core/index.js';
import { EegSimulator } from '../devices/simulators/eeg-simulator.js';
import { IntracorticalSimulator } from '../devices/simulators/intracortical-simulator.js';
import type { SimulatedDevice } from '../devices/simulators/simulated-device.js';

export const DEVICE_NAMES = ['intracortical', 'eeg'] as const;
export type DeviceName = (typeof DEVICE_NAMES)[number];

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

/**
 * Validates the flags now (by building one device) and returns a factory for fresh devices, one
 * per subscription.
 */
export function deviceFactory(flags: DeviceFlags): () => SimulatedDevice {
  const startTime = new Date().toISOString();
  const create = (): SimulatedDevice => {
    const common = {
      seed: flags.seed,
      mainsHz: flags.mains,
      startTime,
      ...(flags.channels !== undefined ? { channels: flags.channels } : {}),
      ...(flags.rate !== undefined ? { sampleRateHz: flags.rate } : {}),
    };
    return flags.device === 'eeg' ? new EegSimulator(common) : new IntracorticalSimulator(common);
  };
  try {
    create();
  } catch (error) {
    throw asFlagError(error);
  }
  return create;
}
