/**
 * Intent — a decoder's output for one bin. `continuous` intents carry e.g. a 2-D velocity in
 * `values`; `discrete` ones carry class probabilities with `labels[i]` naming `values[i]`.
 * `latency` splits the time from the arrival of the bin's last byte to the intent's emission.
 */
import { InvalidDataError } from './errors.js';
import { checkInteger, checkNumber, checkOneOf } from './validate.js';

export const INTENT_KINDS = ['continuous', 'discrete'] as const;
export type IntentKind = (typeof INTENT_KINDS)[number];

export interface IntentLatency {
  readonly acquisitionMs: number;
  readonly featuresMs: number;
  readonly decodeMs: number;
  /**
   * Time the bin was held back waiting for a model (a calibration being fitted), ms; absent when
   * it was not. Not part of the three stages above, and such a bin's latency is not the live
   * path's: latency figures leave it out.
   */
  readonly heldMs?: number;
}

export interface Intent {
  readonly bin: number;
  readonly kind: IntentKind;
  readonly values: Float32Array;
  readonly labels?: readonly string[];
  readonly latency: IntentLatency;
}

export function createIntent(init: Intent): Intent {
  checkInteger('data', 'Intent.bin', init.bin, { min: 0 });
  checkOneOf('data', 'Intent.kind', init.kind, INTENT_KINDS);
  if (!(init.values instanceof Float32Array)) {
    throw new InvalidDataError('Intent.values', 'a Float32Array', init.values);
  }
  if (init.labels !== undefined && init.labels.length !== init.values.length) {
    throw new InvalidDataError('Intent.labels', `${init.values.length} labels (one per value)`, init.labels);
  }
  if (init.kind === 'discrete' && init.labels === undefined) {
    throw new InvalidDataError('Intent.labels', 'labels for a discrete intent', init.labels);
  }
  const latency = init.latency;
  checkNumber('data', 'Intent.latency.acquisitionMs', latency?.acquisitionMs, { min: 0 });
  checkNumber('data', 'Intent.latency.featuresMs', latency.featuresMs, { min: 0 });
  checkNumber('data', 'Intent.latency.decodeMs', latency.decodeMs, { min: 0 });
  if (latency.heldMs !== undefined) checkNumber('data', 'Intent.latency.heldMs', latency.heldMs, { min: 0 });
  return Object.freeze({
    ...init,
    latency: Object.freeze({ ...latency }),
    ...(init.labels ? { labels: Object.freeze([...init.labels]) } : {}),
  });
}
