/**
 * Binned event rates for a heatmap: per-channel counts per bin → rates in Hz, kept in a ring of
 * `columns` bins (one column per bin).
 *
 * Layout contract
 * ---------------
 * - Input counts: `counts[offset + c]` is channel `c`'s event count in bin `bin`. For the
 *   intracortical chain's FeatureFrames, `values[0 … C)` are the threshold-crossing counts, named
 *   `tc:<channel>` (`offset` 0).
 * - Output: channel-major `[channels × count]`, rate of channel `c` in column `j` at
 *   `out[c * count + j]` (Hz = count / binSeconds), oldest column first.
 * - Column `k` is bin `k`, covering stream time `[k · binSeconds, (k + 1) · binSeconds)` when bins
 *   start at sample 0. A bin that never arrived (skipped bin indices: a gap) is empty: NaN.
 *
 * The rates are kept in a ColumnRing (the dashboard's ring of per-bin columns); what this adds is
 * counts → Hz and the check that the values are crossing counts. The live heatmap is fed from it.
 */
import { InvalidDataError, InvalidOptionError } from '../../core/errors.js';
import type { FeatureFrame } from '../../core/feature-frame.js';
import { checkInteger, checkNumber } from '../../core/validate.js';
import { ColumnRing } from './column-ring.js';

export interface BinnedRateOptions {
  channels: number;
  /** Bin width in seconds (e.g. 0.02 for the 20 ms bins of the intracortical chain). */
  binSeconds: number;
  /** Bins kept (heatmap columns). */
  columns: number;
}

export class BinnedRate {
  readonly channels: number;
  readonly binSeconds: number;
  readonly columns: number;
  private readonly ring: ColumnRing;
  private readonly scaled: Float32Array;
  private checkedNames: readonly string[] | undefined;

  constructor(options: BinnedRateOptions) {
    this.channels = checkInteger('option', 'BinnedRate.channels', options.channels, { min: 1, max: 65535 });
    this.binSeconds = checkNumber('option', 'BinnedRate.binSeconds', options.binSeconds, { min: 0, exclusiveMin: true });
    this.columns = checkInteger('option', 'BinnedRate.columns', options.columns, { min: 1, max: 65535 });
    this.ring = new ColumnRing(this.channels, this.columns);
    this.scaled = new Float32Array(this.channels);
  }

  /** One past the newest bin received (0 before any). */
  get endColumn(): number {
    return this.ring.endColumn;
  }

  /** The oldest bin worth sending: the window's first, or the first received if later. */
  get oldestColumn(): number {
    return this.ring.oldestColumn;
  }

  /** Stream time (s) of the start of the newest bin. */
  get newestColumnTime(): number {
    return (this.ring.endColumn - 1) * this.binSeconds;
  }

  /** Adds bin `bin`'s counts, `counts[offset … offset + channels)`. Bins must arrive in order. */
  push(bin: number, counts: Float32Array, offset = 0): void {
    const end = this.ring.endColumn;
    if (!Number.isSafeInteger(bin) || bin < end) {
      throw new InvalidDataError('FeatureFrame.bin', `an integer ≥ ${end} (bins in order)`, bin);
    }
    if (counts.length < offset + this.channels) {
      throw new InvalidDataError('FeatureFrame.values', `at least ${offset + this.channels} values`, counts);
    }
    const scale = 1 / this.binSeconds;
    for (let c = 0; c < this.channels; c++) this.scaled[c] = counts[offset + c]! * scale;
    this.ring.push(bin, this.scaled);
  }

  /**
   * Adds a FeatureFrame whose `values[offset … offset + channels)` are crossing counts named
   * `tc:<channel>` (checked once per distinct names array).
   */
  pushFrame(frame: FeatureFrame, offset = 0): void {
    if (frame.names !== this.checkedNames) {
      for (let c = 0; c < this.channels; c++) {
        const name = frame.names[offset + c];
        if (name === undefined || !name.startsWith('tc:')) {
          throw new InvalidDataError(`FeatureFrame.names[${offset + c}]`, 'a crossing count named tc:<channel>', name);
        }
      }
      this.checkedNames = frame.names;
    }
    this.push(frame.bin, frame.values, offset);
  }

  /** Copies bins `[fromColumn, fromColumn + count)` (inside the window) channel-major `[channels × count]`. */
  copyColumns(fromColumn: number, count: number, out: Float32Array): void {
    const end = this.ring.endColumn;
    if (!Number.isSafeInteger(fromColumn) || !Number.isSafeInteger(count) || count < 0 || fromColumn < end - this.columns || fromColumn + count > end) {
      throw new InvalidOptionError('BinnedRate.copyColumns', `columns inside the window [${end - this.columns}, ${end})`, `[${fromColumn}, ${fromColumn + count})`);
    }
    if (out.length < this.channels * count) throw new InvalidOptionError('BinnedRate.out', `at least ${this.channels * count} values`, out);
    this.ring.copyColumns(fromColumn, count, out);
  }

  /** Copies the latest window `[endColumn - columns, endColumn)`; returns the newest bin index. */
  copyWindow(out: Float32Array): number {
    const end = this.ring.endColumn;
    this.copyColumns(end - this.columns, this.columns, out);
    return end - 1;
  }
}
