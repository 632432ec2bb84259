/**
 * `simulate(options)` — a simulated device (intracortical array or scalp EEG) as a cold
 * Observable of SampleBlocks: the public face of the simulators (devices/simulators/) and their
 * sources (simulator-source.ts in this thread, worker-simulator-source.ts in a worker thread).
 */
import type { Observable } from 'rxjs';
import { type SampleBlock, InvalidOptionError, checkNumber } from '../core/index.js';
import { simulatorSource } from './simulator-source.js';
import type { EegSimulatorOptions } from './simulators/eeg-simulator.js';
import type { IntracorticalSimulatorOptions } from './simulators/intracortical-simulator.js';
import { type SimulatorSpec, createSimulator } from './simulators/simulator-spec.js';
import { workerSimulatorSource } from './worker-simulator-source.js';

/** What every simulator takes. */
export interface SimulateCommonOptions {
  /** Number of channels: 1–1024 intracortical (default 96); 8, 16 or 64 EEG (default 8). */
  channels?: number;
  /** Sample rate, Hz. Default 30 000 (intracortical), 250 (EEG, 8/16 channels) or 160 (EEG, 64). */
  rateHz?: number;
  /** Seed of every random draw: the same seed gives the same samples. Default 1. */
  seed?: number;
  /** Stop (complete) after this many seconds of samples. Default: run until unsubscribed. */
  durationS?: number;
  /** Emit as fast as the generator runs instead of in real time (offline work, tests). Default false. */
  fast?: boolean;
  /** Duration of each block, ms. Default 10. */
  blockMs?: number;
  /** Generate in a worker thread, so that the subscriber's thread only consumes. Default false. */
  worker?: boolean;
}

/** Options of `simulate({ kind: 'intracortical' })`. */
export interface SimulateIntracorticalOptions extends SimulateCommonOptions {
  kind: 'intracortical';
  /** Further simulator settings (noise, LFP rhythms, the centre-out task …). */
  simulator?: Omit<IntracorticalSimulatorOptions, 'channels' | 'sampleRateHz' | 'seed' | 'onSpike'>;
}

/** Options of `simulate({ kind: 'eeg' })`. */
export interface SimulateEegOptions extends SimulateCommonOptions {
  kind: 'eeg';
  /** Further simulator settings (mains frequency, rhythms, cue timing …). */
  simulator?: Omit<EegSimulatorOptions, 'channels' | 'sampleRateHz' | 'seed'>;
}

/** Options of {@link simulate}. */
export type SimulateOptions = SimulateIntracorticalOptions | SimulateEegOptions;

/**
 * A simulated device as a cold Observable: each subscription runs its own simulator from the
 * start (the same seed gives the same samples, markers included — the intracortical simulator's
 * `kinematics` markers and the EEG simulator's cues ride on the blocks). Options are checked
 * here, at the call: a bad one throws an InvalidOptionError naming it.
 *
 * @example
 * ```ts
 * simulate({ kind: 'intracortical', channels: 32, durationS: 2, fast: true }).subscribe((b) => console.log(b.first));
 * ```
 */
export function simulate(options: SimulateOptions): Observable<SampleBlock> {
  const { kind, channels, rateHz, seed, durationS, fast = false, blockMs = 10, worker = false } = options;
  const base = {
    ...(channels !== undefined ? { channels } : {}),
    ...(rateHz !== undefined ? { sampleRateHz: rateHz } : {}),
    ...(seed !== undefined ? { seed } : {}),
  };
  let spec: SimulatorSpec;
  if (kind === 'intracortical') spec = { kind, options: { ...options.simulator, ...base } };
  else if (kind === 'eeg') spec = { kind, options: { ...options.simulator, ...base } };
  else throw new InvalidOptionError('kind', "'intracortical' or 'eeg'", kind);
  // Built once here: the options are checked now, and the rate is the simulator's own.
  const fs = createSimulator(spec).info.sampleRateHz;
  checkNumber('option', 'blockMs', blockMs, { min: 0, exclusiveMin: true, max: 10_000 });
  let durationSamples: number | undefined;
  if (durationS !== undefined) {
    checkNumber('option', 'durationS', durationS, { min: 0, exclusiveMin: true });
    durationSamples = Math.max(1, Math.round(durationS * fs));
    if (!Number.isSafeInteger(durationSamples)) throw new InvalidOptionError('durationS', 'a duration of at most 2^53 samples', durationS);
  }
  const pacing = {
    pacing: fast ? ('fast' as const) : ('realtime' as const),
    blockSamples: Math.max(1, Math.round((blockMs * fs) / 1000)),
    ...(durationSamples !== undefined ? { durationSamples } : {}),
  };
  return worker ? workerSimulatorSource(spec, pacing) : simulatorSource(() => createSimulator(spec), pacing);
}
