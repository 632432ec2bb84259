/**
 * Marker — an event on a stream's sample clock: task cues, stimulation, annotations, and the
 * simulators' ground truth (cursor kinematics).
 *
 * `sample` is the index (since stream start) of the sample the event belongs to. `value` is a
 * number, a short text, or a small numeric vector (e.g. `[x, y, vx, vy]`), as each `type`
 * documents. `duration` (samples, optional) spans events that last, such as EDF+ annotations.
 * Markers are frozen; vectors are frozen arrays.
 */
import { InvalidDataError } from './errors.js';
import { checkInteger, checkString } from './validate.js';

export type MarkerValue = number | string | readonly number[];

export interface Marker {
  readonly sample: number;
  readonly type: string;
  readonly value: MarkerValue;
  /** How many samples the event lasts (EDF+ annotations have durations); absent for instants. */
  readonly duration?: number;
}

export function createMarker(sample: number, type: string, value: MarkerValue, duration?: number): Marker {
  checkInteger('data', 'Marker.sample', sample, { min: 0 });
  checkString('data', 'Marker.type', type, { nonEmpty: true });
  const extra = duration === undefined ? {} : { duration: checkInteger('data', 'Marker.duration', duration, { min: 0 }) };
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidDataError('Marker.value', 'a finite number', value);
    return Object.freeze({ sample, type, value, ...extra });
  }
  if (typeof value === 'string') return Object.freeze({ sample, type, value, ...extra });
  if (Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return Object.freeze({ sample, type, value: Object.freeze([...value]), ...extra });
  }
  throw new InvalidDataError('Marker.value', 'a finite number, a string or an array of finite numbers', value);
}
