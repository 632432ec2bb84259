/**
 * A simulator described as plain data, so that it can be built anywhere — in this thread or in a
 * worker thread — from the same description.
 */
import { checkOneOf } from '../../core/index.js';
import { EegSimulator, type EegSimulatorOptions } from './eeg-simulator.js';
import { IntracorticalSimulator, type IntracorticalSimulatorOptions } from './intracortical-simulator.js';
import type { SimulatedDevice } from './simulated-device.js';

export const SIMULATOR_KINDS = ['intracortical', 'eeg'] as const;
export type SimulatorKind = (typeof SIMULATOR_KINDS)[number];

export type SimulatorSpec =
  | { kind: 'intracortical'; options: Omit<IntracorticalSimulatorOptions, 'onSpike'> }
  | { kind: 'eeg'; options: EegSimulatorOptions };

export function createSimulator(spec: SimulatorSpec): SimulatedDevice {
  checkOneOf('option', 'simulator kind', spec.kind, SIMULATOR_KINDS);
  return spec.kind === 'eeg' ? new EegSimulator(spec.options) : new IntracorticalSimulator(spec.options);
}
