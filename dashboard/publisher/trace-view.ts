/**
 * What one client asks to see of the traces (its `view` message), checked, and how its pixel
 * columns map onto the publisher's base columns.
 *
 * A client column is `factor` consecutive base columns: client column `k` covers base columns
 * `[k · factor, (k + 1) · factor)`, i.e. stream time `[k · step, (k + 1) · step)` with
 * `step = factor / baseColumnsPerSecond`. So the client's columns are exact min/max of the samples
 * they cover, whatever its width, and the number of columns is the width asked for, rounded so
 * that each column holds whole base columns (never finer than one base column).
 */
import { InvalidDataError } from '../../core/errors.js';

export interface TraceViewLimits {
  channels: number;
  baseColumnsPerSecond: number;
  maxWindowS: number;
  /** Most channels one client may ask for at once. */
  maxViewChannels: number;
}

export interface TraceView {
  /** Channel indices, in display order. */
  readonly channels: Int32Array;
  readonly windowS: number;
  /** Base columns per client column. */
  readonly factor: number;
  /** Client columns across the window. */
  readonly columns: number;
  /** Seconds per client column. */
  readonly step: number;
}

export const MIN_VIEW_COLUMNS = 16;
export const MAX_VIEW_COLUMNS = 4096;

export function layoutTraceView(channels: Int32Array, windowS: number, columns: number, limits: TraceViewLimits): TraceView {
  const baseColumns = windowS * limits.baseColumnsPerSecond;
  const factor = Math.max(1, Math.round(baseColumns / columns));
  const count = Math.max(1, Math.ceil(baseColumns / factor));
  return { channels, windowS, factor, columns: count, step: factor / limits.baseColumnsPerSecond };
}

export function defaultTraceView(limits: TraceViewLimits): TraceView {
  const n = Math.min(limits.channels, 16);
  return layoutTraceView(Int32Array.from({ length: n }, (_, i) => i), Math.min(5, limits.maxWindowS), 1000, limits);
}

/** Checks a client's `{ type: 'view', channels, windowS, columns }`; throws InvalidDataError naming the field. */
export function parseTraceView(message: Record<string, unknown>, limits: TraceViewLimits): TraceView {
  const channels = message['channels'];
  if (!Array.isArray(channels) || channels.length === 0 || channels.length > limits.maxViewChannels) {
    throw new InvalidDataError('view.channels', `an array of 1 to ${limits.maxViewChannels} channel indices`, Array.isArray(channels) ? `${channels.length} entries` : channels);
  }
  const seen = new Set<number>();
  const indices = new Int32Array(channels.length);
  channels.forEach((c: unknown, i) => {
    if (typeof c !== 'number' || !Number.isInteger(c) || c < 0 || c >= limits.channels || seen.has(c)) {
      throw new InvalidDataError(`view.channels[${i}]`, `a distinct channel index from 0 to ${limits.channels - 1}`, c);
    }
    seen.add(c);
    indices[i] = c;
  });
  const windowS = message['windowS'];
  const minWindowS = MIN_VIEW_COLUMNS / limits.baseColumnsPerSecond;
  if (typeof windowS !== 'number' || !(windowS >= minWindowS && windowS <= limits.maxWindowS)) {
    throw new InvalidDataError('view.windowS', `seconds from ${minWindowS} to ${limits.maxWindowS}`, windowS);
  }
  const columns = message['columns'];
  if (typeof columns !== 'number' || !Number.isInteger(columns) || columns < MIN_VIEW_COLUMNS || columns > MAX_VIEW_COLUMNS) {
    throw new InvalidDataError('view.columns', `an integer from ${MIN_VIEW_COLUMNS} to ${MAX_VIEW_COLUMNS} (pixel columns)`, columns);
  }
  return layoutTraceView(indices, windowS, columns, limits);
}
