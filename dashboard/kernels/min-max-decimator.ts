/**
 * Min/max decimation of traces to pixel columns (the uPlot way: one vertical min–max bar per
 * pixel column, which draws exactly what a full-resolution plot would light up).
 *
 * Layout contract
 * ---------------
 * - Input is channel-major (planar), as in SampleBlock: channel `c`'s samples are
 *   `data[c * length … (c + 1) * length)`.
 * - Output is channel-major `[channels × count]`: channel `c`, column `j` is `out[c * count + j]`,
 *   oldest column first.
 * - Column assignment is a pure function of the absolute sample index `n` (samples since stream
 *   start): `column(n) = floor(n · columns / windowSamples)` with
 *   `windowSamples = windowSeconds · sampleRateHz`. Column `k` therefore covers stream time
 *   `[k · Δ, (k + 1) · Δ)`, `Δ = windowSeconds / columns`, and its min/max depends only on which
 *   samples were fed, never on how they were cut into blocks.
 * - A column that received no sample (before the stream started, or inside a gap) is empty:
 *   min = max = NaN. Nothing is interpolated; a column only partly covered by a gap holds the
 *   min/max of the samples it did receive. NaN samples are treated as missing.
 *
 * No allocation per call: the ring is allocated once; callers pass the output arrays.
 */
import { InvalidDataError, InvalidOptionError } from '../../core/errors.js';
import { channelCount } from '../../core/stream-info.js';
import type { SampleBlock } from '../../core/sample-block.js';
import { checkInteger, checkNumber } from '../../core/validate.js';

/**
 * One-shot decimation of a whole buffer: `input` is channel-major `[channels × length]`; writes
 * `outMin`/`outMax` channel-major `[channels × columns]`. Sample `n` goes to column
 * `floor(n · columns / length)` (the same rule as the streaming decimator with
 * `windowSamples = length`); columns without samples (when `length < columns`) are NaN.
 */
export function minMaxColumns(
  input: Float32Array,
  length: number,
  channels: number,
  columns: number,
  outMin: Float32Array,
  outMax: Float32Array,
): void {
  checkInteger('option', 'minMaxColumns.length', length, { min: 0 });
  checkInteger('option', 'minMaxColumns.channels', channels, { min: 1 });
  checkInteger('option', 'minMaxColumns.columns', columns, { min: 1 });
  if (input.length < channels * length) {
    throw new InvalidOptionError('minMaxColumns.input', `at least ${channels * length} values (${channels} channels × ${length} samples)`, input);
  }
  const need = channels * columns;
  if (outMin.length < need) throw new InvalidOptionError('minMaxColumns.outMin', `at least ${need} values`, outMin);
  if (outMax.length < need) throw new InvalidOptionError('minMaxColumns.outMax', `at least ${need} values`, outMax);
  let start = 0;
  for (let j = 0; j < columns; j++) {
    // First sample of column j+1: ceil((j+1)·length/columns), exact for integers below 2^26.
    const stop = Math.ceil(((j + 1) * length) / columns);
    for (let c = 0; c < channels; c++) {
      const base = c * length;
      let mn = NaN;
      let mx = NaN;
      for (let i = base + start, e = base + stop; i < e; i++) {
        const v = input[i]!;
        if (v === v) {
          if (!(v >= mn)) mn = v;
          if (!(v <= mx)) mx = v;
        }
      }
      outMin[c * columns + j] = mn;
      outMax[c * columns + j] = mx;
    }
    start = stop;
  }
}

export interface MinMaxDecimatorOptions {
  channels: number;
  sampleRateHz: number;
  /** Seconds shown across the window. */
  windowSeconds: number;
  /** Pixel columns across the window. */
  columns: number;
}

/**
 * Streaming min/max per pixel column over a sliding window, kept in a ring of `columns` columns.
 * Feed it blocks in sample order (any sizes, gaps allowed); read the latest window with
 * `copyWindow`, or only some columns (e.g. those completed since the last frame) with
 * `copyColumns`.
 */
export class MinMaxDecimator {
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly windowSeconds: number;
  readonly columns: number;
  /** Samples per window (may be fractional). */
  readonly windowSamples: number;
  /** Seconds per column, Δ. */
  readonly columnSeconds: number;
  /** Ring, channel-major `[channels × columns]`; column `k` lives in slot `k mod columns`. */
  private readonly ringMin: Float32Array;
  private readonly ringMax: Float32Array;
  private end = 0;
  private next = -1;
  /** Scratch: the first sample (within a block) of each column a push reaches, and its end. */
  private readonly starts: Int32Array;

  constructor(options: MinMaxDecimatorOptions) {
    this.channels = checkInteger('option', 'MinMaxDecimator.channels', options.channels, { min: 1, max: 65535 });
    this.sampleRateHz = checkNumber('option', 'MinMaxDecimator.sampleRateHz', options.sampleRateHz, { min: 0, exclusiveMin: true });
    this.windowSeconds = checkNumber('option', 'MinMaxDecimator.windowSeconds', options.windowSeconds, { min: 0, exclusiveMin: true });
    this.columns = checkInteger('option', 'MinMaxDecimator.columns', options.columns, { min: 1, max: 65535 });
    this.windowSamples = this.windowSeconds * this.sampleRateHz;
    if (this.windowSamples < 1) {
      throw new InvalidOptionError('MinMaxDecimator.windowSeconds', `a window of at least one sample (≥ ${1 / this.sampleRateHz} s)`, this.windowSeconds);
    }
    this.columnSeconds = this.windowSeconds / this.columns;
    this.ringMin = new Float32Array(this.channels * this.columns).fill(NaN);
    this.ringMax = new Float32Array(this.channels * this.columns).fill(NaN);
    this.starts = new Int32Array(this.columns + 1);
  }

  /** The column that absolute sample `n` falls into. */
  columnOf(n: number): number {
    return Math.floor((n * this.columns) / this.windowSamples);
  }

  /** The first absolute sample of column `k` (consistent with `columnOf`). */
  columnStart(k: number): number {
    let s = Math.max(0, Math.ceil((k * this.windowSamples) / this.columns));
    while (s > 0 && this.columnOf(s - 1) >= k) s--;
    while (this.columnOf(s) < k) s++;
    return s;
  }

  /** Stream time (s) of the start of column `k`. */
  columnTime(k: number): number {
    return k * this.columnSeconds;
  }

  /** One past the newest column that has been reached (it may still be partial). 0 before any data. */
  get endColumn(): number {
    return this.end;
  }

  /** Columns below this index are complete: no later sample can fall into them. */
  get completeColumn(): number {
    return this.next < 0 ? 0 : this.columnOf(this.next);
  }

  /** The absolute index of the next sample expected (-1 before any data). */
  get nextSample(): number {
    return this.next;
  }

  /** Index of the newest column (`endColumn - 1`; -1 before any data). */
  get newestColumn(): number {
    return this.end - 1;
  }

  /** Stream time (s) of the start of the newest column. */
  get newestColumnTime(): number {
    return this.columnTime(this.end - 1);
  }

  /** Feeds a SampleBlock (gaps are taken from `first`; `gap.missing` needs no separate handling). */
  pushBlock(block: SampleBlock): void {
    if (channelCount(block.info) !== this.channels) {
      throw new InvalidDataError('SampleBlock.info.channelNames', `${this.channels} channels`, block.info.channelNames);
    }
    this.push(block.data, block.length, block.first);
  }

  /**
   * Feeds channel-major data: `length` samples per channel starting at absolute sample `first`.
   * `first` beyond the next expected sample is a gap; before it is an error.
   */
  push(data: Float32Array, length: number, first: number): void {
    if (this.next >= 0 && first < this.next) {
      throw new InvalidDataError('SampleBlock.first', `a sample index ≥ ${this.next} (blocks in order, no overlap)`, first);
    }
    if (data.length < this.channels * length) {
      throw new InvalidDataError('SampleBlock.data', `at least ${this.channels * length} values (${this.channels} channels × ${length})`, data);
    }
    if (length <= 0) return;
    const C = this.columns;
    const ringMin = this.ringMin;
    const ringMax = this.ringMax;
    const end = first + length;
    // The columns this block reaches, opened at once; those that fall out of the window before the
    // block ends are skipped (their samples would be overwritten in the same slots).
    const kLast = this.columnOf(end - 1);
    const kFirst = Math.max(this.columnOf(first), kLast - C + 1);
    if (kLast >= this.end) this.advanceTo(kLast);
    const columns = kLast - kFirst + 1;
    // Each column's first sample (relative to the block), then each channel's row in one sweep.
    const starts = this.starts;
    starts[0] = kFirst === this.columnOf(first) ? 0 : this.columnStart(kFirst) - first;
    for (let j = 1; j < columns; j++) starts[j] = this.columnStart(kFirst + j) - first;
    starts[columns] = length;
    for (let c = 0; c < this.channels; c++) {
      const row = c * length;
      let slot = kFirst % C;
      for (let j = 0; j < columns; j++) {
        const r = c * C + slot;
        // An empty column (NaN) starts from ±Infinity; a NaN sample fails both tests and is skipped.
        let mn = ringMin[r]!;
        let mx = ringMax[r]!;
        if (mn !== mn) mn = Infinity;
        if (mx !== mx) mx = -Infinity;
        for (let i = row + starts[j]!, e = row + starts[j + 1]!; i < e; i++) {
          const v = data[i]!;
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
        // Still at both sentinels: no sample (±Infinity samples move one of them).
        const empty = mn === Infinity && mx === -Infinity;
        ringMin[r] = empty ? NaN : mn;
        ringMax[r] = empty ? NaN : mx;
        if (++slot === C) slot = 0;
      }
    }
    this.next = end;
  }

  /** Opens columns `end … k` (emptied), moving the window forward. */
  private advanceTo(k: number): void {
    const C = this.columns;
    const from = Math.max(this.end, k - C + 1);
    for (let col = from; col <= k; col++) {
      const slot = col % C;
      for (let c = 0; c < this.channels; c++) {
        this.ringMin[c * C + slot] = NaN;
        this.ringMax[c * C + slot] = NaN;
      }
    }
    this.end = k + 1;
  }

  /**
   * Copies columns `[fromColumn, fromColumn + count)` — which must lie inside the window
   * `[endColumn - columns, endColumn)` — into `outMin`/`outMax`, channel-major
   * `[channels × count]`, oldest first. Columns before the stream's first sample are NaN.
   */
  copyColumns(fromColumn: number, count: number, outMin: Float32Array, outMax: Float32Array): void {
    const C = this.columns;
    if (!Number.isSafeInteger(fromColumn) || !Number.isSafeInteger(count) || count < 0 || fromColumn < this.end - C || fromColumn + count > this.end) {
      throw new InvalidOptionError('MinMaxDecimator.copyColumns', `columns inside the window [${this.end - C}, ${this.end})`, `[${fromColumn}, ${fromColumn + count})`);
    }
    const need = this.channels * count;
    if (outMin.length < need) throw new InvalidOptionError('MinMaxDecimator.outMin', `at least ${need} values`, outMin);
    if (outMax.length < need) throw new InvalidOptionError('MinMaxDecimator.outMax', `at least ${need} values`, outMax);
    for (let j = 0; j < count; j++) {
      const slot = (((fromColumn + j) % C) + C) % C;
      for (let c = 0; c < this.channels; c++) {
        outMin[c * count + j] = this.ringMin[c * C + slot]!;
        outMax[c * count + j] = this.ringMax[c * C + slot]!;
      }
    }
  }

  /**
   * Coarser columns for a client, straight from the ring: output column `j` is the min/max over
   * base columns `[fromColumn + j·factor, fromColumn + (j + 1)·factor)` of channel
   * `channels[i]`, written channel-major `[channels.length × count]` at `i · count + j`. Base
   * columns outside the window (too old, or not reached yet) count as empty; a column with no
   * sample at all is NaN. Nothing is allocated.
   */
  reduceColumns(
    fromColumn: number,
    count: number,
    factor: number,
    channels: ArrayLike<number>,
    outMin: Float32Array,
    outMax: Float32Array,
  ): void {
    if (!Number.isSafeInteger(fromColumn) || !Number.isSafeInteger(count) || count < 0) {
      throw new InvalidOptionError('MinMaxDecimator.reduceColumns', 'integer columns', `[${fromColumn}, +${count})`);
    }
    if (!Number.isSafeInteger(factor) || factor < 1) throw new InvalidOptionError('MinMaxDecimator.reduceColumns.factor', 'an integer ≥ 1', factor);
    const rows = channels.length;
    const need = rows * count;
    if (outMin.length < need) throw new InvalidOptionError('MinMaxDecimator.outMin', `at least ${need} values`, outMin);
    if (outMax.length < need) throw new InvalidOptionError('MinMaxDecimator.outMax', `at least ${need} values`, outMax);
    for (let i = 0; i < rows; i++) {
      const c = channels[i]!;
      if (!(c >= 0 && c < this.channels) || !Number.isInteger(c)) {
        throw new InvalidOptionError(`MinMaxDecimator.reduceColumns.channels[${i}]`, `a channel index from 0 to ${this.channels - 1}`, c);
      }
    }
    const C = this.columns;
    const lo = Math.max(0, this.end - C);
    const hi = this.end;
    for (let i = 0; i < rows; i++) {
      const base = channels[i]! * C;
      for (let j = 0; j < count; j++) {
        const from = Math.max(lo, fromColumn + j * factor);
        const to = Math.min(hi, fromColumn + (j + 1) * factor);
        let mn = NaN;
        let mx = NaN;
        for (let k = from; k < to; k++) {
          const r = base + (k % C);
          const a = this.ringMin[r]!;
          const b = this.ringMax[r]!;
          if (!(a >= mn)) mn = a === a ? a : mn;
          if (!(b <= mx)) mx = b === b ? b : mx;
        }
        outMin[i * count + j] = mn;
        outMax[i * count + j] = mx;
      }
    }
  }

  /** Copies the whole latest window `[endColumn - columns, endColumn)`; returns `newestColumn`. */
  copyWindow(outMin: Float32Array, outMax: Float32Array): number {
    this.copyColumns(this.end - this.columns, this.columns, outMin, outMax);
    return this.end - 1;
  }
}
