/**
 * FeatureFrame — the features of one time bin (threshold-crossing counts, spike-band power,
 * band power …). `values[i]` is the feature named `names[i]`. `t0` is the index of the bin's
 * first sample on the source stream's clock; `hostTime` is when the block that completed the bin
 * arrived (ms, monotonic), the start of the latency measured down to the Intent.
 */
import { InvalidDataError } from './errors.js';
import { checkInteger, checkNumber } from './validate.js';

export interface FeatureFrame {
  readonly bin: number;
  readonly t0: number;
  readonly values: Float32Array;
  readonly names: readonly string[];
  readonly hostTime: number;
}

export function createFeatureFrame(init: FeatureFrame): FeatureFrame {
  checkInteger('data', 'FeatureFrame.bin', init.bin, { min: 0 });
  checkInteger('data', 'FeatureFrame.t0', init.t0, { min: 0 });
  checkNumber('data', 'FeatureFrame.hostTime', init.hostTime);
  if (!(init.values instanceof Float32Array)) {
    throw new InvalidDataError('FeatureFrame.values', 'a Float32Array', init.values);
  }
  if (!Array.isArray(init.names) || init.names.length !== init.values.length) {
    throw new InvalidDataError('FeatureFrame.names', `${init.values.length} names (one per value)`, init.names);
  }
  return Object.freeze({ ...init, names: Object.isFrozen(init.names) ? init.names : Object.freeze([...init.names]) });
}
