/**
 * How an EDF/BDF export scales each channel: which physical range (and digital range) it writes,
 * in which physical dimension, and what that costs (clipping, resolution).
 *
 * Per channel, the first that applies:
 *   1. `given`   — a range the caller fixed (`physicalRange`, e.g. `convert --physical-range`);
 *   2. `source`  — the range the source declared (`StreamInfo.physicalRanges`, kept by the EDF/BDF
 *                  importer) with its digital range, when that digital range fits the format and
 *                  the range holds the data: the file's own samples come back digit for digit;
 *   3. `adc`     — a channel with `adcScale > 0`: ±(2^(bits−1) − 1)·adcScale over a symmetric
 *                  digital range, one ADC count per digital step (lossless), when it holds the data;
 *   4. `default` — a channel without ADC scale: ±(2^(bits−1) − 1) × a default step (0.1 µV, 1e-4 mV,
 *                  1e-7 V, 1e-4 g, 1 count), when it holds the data;
 *   5. `fitted`  — the data's own [min, max] (from a first pass, `dataRanges`) over the full
 *                  digital range, rounded outward to fit the header's 8 characters.
 * Without `dataRanges` every range "holds the data" (the writer cannot know), as before.
 *
 * Header numbers have 8 characters: a range that does not fit in the channel's unit is written in
 * a larger one (µV → mV → V), e.g. a DC channel at −12002900 µV is written as −12002.9 mV. The
 * returned scaling is in the channel's unit, computed from the written (re-parsed) numbers —
 * exactly what a reader computes.
 *
 * Resolution: a channel whose digital step is coarser than its source's resolution (the source
 * range's step, else `adcScale`) loses distinct values; `coarseChannels` lists them (in 16-bit EDF
 * the remedy is BDF's 24 bits). Channels without a known resolution (floating-point sources) are
 * not judged.
 */
import { channelCount, InvalidDataError, InvalidOptionError, type ChannelUnit, type SampleBlock, type StreamInfo } from '../../core/index.js';
import { EDF_DIGITAL_RANGE } from './edf-header.js';
import type { EdfScaling } from './edf-samples.js';

/** Per channel: finite minimum and maximum of the data, and how many values were NaN or ±Infinity. */
export interface ChannelDataRange {
  /** +Infinity when the channel has no finite value. */
  min: number;
  /** −Infinity when the channel has no finite value. */
  max: number;
  nonFinite: number;
  /** Values seen (finite or not). */
  count: number;
}

export type EdfRangeOrigin = 'given' | 'source' | 'adc' | 'default' | 'fitted';

/** A channel's scaling (in the channel's unit) and how it is written. */
export interface EdfChannelScaling extends EdfScaling {
  readonly origin: EdfRangeOrigin;
  /** Physical dimension written in the header (`uV`, or `mV`/`V` when µV numbers do not fit). */
  readonly dimension: string;
  /** The header's physical minimum and maximum, as written (in `dimension`). */
  readonly minText: string;
  readonly maxText: string;
  /** Physical value of one digital step, in the channel's unit (always > 0). */
  readonly step: number;
  /** The source's resolution in the channel's unit (0 when unknown). */
  readonly resolution: number;
}

export interface EdfScalingOptions {
  format: 'edf' | 'bdf';
  info: StreamInfo;
  /** [min, max] for every channel, or one pair (or null: automatic) per channel. */
  physicalRange?: readonly [number, number] | readonly (readonly [number, number] | null)[];
  /** Per channel, what the data hold (a first pass over them: `scanDataRanges`). */
  dataRanges?: readonly ChannelDataRange[];
}

const DEFAULT_STEP: Record<ChannelUnit, number> = { uV: 0.1, mV: 1e-4, V: 1e-7, g: 1e-4, count: 1 };
/** Dimensions a channel may be written in, with the factor from its unit to each. */
const DIMENSIONS: Record<ChannelUnit, readonly (readonly [string, number])[]> = {
  uV: [['uV', 1], ['mV', 1e-3], ['V', 1e-6]],
  mV: [['mV', 1], ['V', 1e-3]],
  V: [['V', 1]],
  g: [['g', 1]],
  count: [['count', 1]],
};
/** A step this much coarser than the resolution counts as coarser (float rounding of header numbers). */
const RESOLUTION_TOLERANCE = 1e-4;

/** A number in at most `width` characters (fewer decimals when needed), or null when impossible. */
export function formatEdfNumber(value: number, width = 8): string | null {
  if (!Number.isFinite(value)) return null;
  const plain = String(value);
  if (plain.length <= width && !/e/i.test(plain)) return plain;
  for (let d = width; d >= 0; d--) {
    let text = value.toFixed(d);
    if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
    if (text === '-0') text = '0';
    if (text.length <= width) return text;
  }
  return null;
}

/**
 * The number of at most `width` characters nearest `value` on one side: `down` gives one ≤ value,
 * `up` one ≥ value (for ranges that must still hold the data). Null when impossible.
 */
export function formatEdfBound(value: number, direction: 'down' | 'up', width = 8): string | null {
  if (!Number.isFinite(value)) return null;
  const plain = String(value);
  if (plain.length <= width && !/e/i.test(plain)) return plain;
  // a header number scaled by a unit factor (−12002.9 mV → −12002900.000000002 µV) is that number
  const nearest = formatEdfNumber(value, width);
  if (nearest !== null && Math.abs(Number(nearest) - value) <= 1e-12 * Math.max(1, Math.abs(value))) return nearest;
  for (let d = width; d >= 0; d--) {
    const f = 10 ** d;
    let q = direction === 'down' ? Math.floor(value * f) : Math.ceil(value * f);
    let text = (q / f).toFixed(d);
    // value·f can round either way in binary: step once more if the text is on the wrong side
    if (direction === 'down' ? Number(text) > value : Number(text) < value) {
      q += direction === 'down' ? -1 : 1;
      text = (q / f).toFixed(d);
    }
    if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '');
    if (text === '-0') text = '0';
    if (text.length <= width) return text;
  }
  return null;
}

/** Ranges of channels that hold nothing yet, one per channel: `accumulateDataRanges` fills them. */
export function emptyDataRanges(channels: number): ChannelDataRange[] {
  return Array.from({ length: channels }, () => ({ min: Infinity, max: -Infinity, nonFinite: 0, count: 0 }));
}

/**
 * Adds one block to each channel's finite min/max and NaN/±Infinity count — one step of the first
 * pass, so that the caller drives the pass block by block (and may yield, or stop, between blocks).
 */
export function accumulateDataRanges(ranges: ChannelDataRange[], block: SampleBlock): void {
  const n = block.length;
  if (block.data.length !== ranges.length * n) {
    throw new InvalidDataError('SampleBlock.data', `${ranges.length} channels × ${n} values`, block.data);
  }
  for (let c = 0; c < ranges.length; c++) {
    const r = ranges[c]!;
    let min = r.min;
    let max = r.max;
    let bad = 0;
    for (let i = c * n, end = (c + 1) * n; i < end; i++) {
      const v = block.data[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
      if (!Number.isFinite(v)) bad++;
    }
    if (bad > 0) {
      // ±Infinity took part in min/max: recompute over the finite values only
      min = r.min;
      max = r.max;
      for (let i = c * n, end = (c + 1) * n; i < end; i++) {
        const v = block.data[i]!;
        if (!Number.isFinite(v)) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    r.min = min;
    r.max = max;
    r.nonFinite += bad;
    r.count += n;
  }
}

/** One pass over the blocks at once: each channel's finite min/max and its NaN/±Infinity count. */
export function scanDataRanges(blocks: Iterable<SampleBlock>, channels: number): ChannelDataRange[] {
  const ranges = emptyDataRanges(channels);
  for (const block of blocks) accumulateDataRanges(ranges, block);
  return ranges;
}

interface Candidate {
  origin: EdfRangeOrigin;
  low: number;
  high: number;
  /** For `source`: the range as declared (may be inverted: pmin > pmax). */
  pmin: number;
  pmax: number;
  dmin: number;
  dmax: number;
  /** Round the written numbers outward (they must hold the data) rather than to the nearest. */
  outward: boolean;
}

/** Writes a candidate's numbers in the first dimension where both fit 8 characters. */
function write(c: Candidate, unit: ChannelUnit): { dimension: string; minText: string; maxText: string; pmin: number; pmax: number } | null {
  for (const [dimension, factor] of DIMENSIONS[unit]) {
    const inverted = c.pmin > c.pmax;
    const minText = c.outward ? formatEdfBound(c.pmin * factor, inverted ? 'up' : 'down') : formatEdfNumber(c.pmin * factor);
    const maxText = c.outward ? formatEdfBound(c.pmax * factor, inverted ? 'down' : 'up') : formatEdfNumber(c.pmax * factor);
    if (minText === null || maxText === null || Number(minText) === Number(maxText)) continue;
    return { dimension, minText, maxText, pmin: Number(minText) / factor, pmax: Number(maxText) / factor };
  }
  return null;
}

/** Plans every channel's scaling (see the module comment). */
export function planEdfScaling(options: EdfScalingOptions): EdfChannelScaling[] {
  const { info, format, dataRanges } = options;
  const channels = channelCount(info);
  const [dLow, dHigh] = EDF_DIGITAL_RANGE[format];
  const dTop = dHigh;
  const ranges = options.physicalRange;
  const perChannel = Array.isArray(ranges) && ranges.some((r) => r === null || Array.isArray(r));
  if (perChannel && (ranges as readonly unknown[]).length !== channels) {
    throw new InvalidOptionError('physicalRange', `one [min, max] (or null) per channel (${channels})`, ranges);
  }
  if (dataRanges !== undefined && dataRanges.length !== channels) {
    throw new InvalidOptionError('dataRanges', `one range per channel (${channels})`, dataRanges);
  }
  return info.channelNames.map((channelName, c) => {
    const unit = info.units[c]!;
    const scale = info.adcScale[c]!;
    const data = dataRanges?.[c];
    const finite = data !== undefined && data.min <= data.max;
    // A value within half a step beyond an end is stored as that end, not clipped (float32 data
    // read from a file's extreme digital value lie a rounding error beyond its physical range).
    const holds = (lo: number, hi: number, step: number) => !finite || (data.min >= lo - 0.499 * step && data.max <= hi + 0.499 * step);
    const source = info.physicalRanges?.[c] ?? null;
    const candidates: Candidate[] = [];
    const given = perChannel ? (ranges as readonly (readonly [number, number] | null)[])[c] : (ranges as readonly [number, number] | undefined);
    if (given !== undefined && given !== null) {
      const name = perChannel ? `physicalRange[${c}]` : 'physicalRange';
      const lo = checkFinite(`${name}[0]`, given[0]);
      const hi = checkFinite(`${name}[1]`, given[1]);
      if (!(lo < hi)) throw new InvalidOptionError(name, 'a pair [min, max] with min < max', given);
      candidates.push({ origin: 'given', low: lo, high: hi, pmin: lo, pmax: hi, dmin: dLow, dmax: dHigh, outward: false });
    } else {
      if (source && source.digitalMin >= dLow && source.digitalMax <= dHigh) {
        const { physicalMin: pmin, physicalMax: pmax, digitalMin: dmin, digitalMax: dmax } = source;
        candidates.push({ origin: 'source', low: Math.min(pmin, pmax), high: Math.max(pmin, pmax), pmin, pmax, dmin, dmax, outward: true });
      }
      if (scale > 0) candidates.push({ origin: 'adc', low: -dTop * scale, high: dTop * scale, pmin: -dTop * scale, pmax: dTop * scale, dmin: -dTop, dmax: dTop, outward: false });
      else {
        const step = DEFAULT_STEP[unit];
        candidates.push({ origin: 'default', low: -dTop * step, high: dTop * step, pmin: -dTop * step, pmax: dTop * step, dmin: dLow, dmax: dHigh, outward: false });
      }
      if (finite) {
        let lo = data.min;
        let hi = data.max;
        if (!(hi > lo)) {
          const widen = scale > 0 ? scale : DEFAULT_STEP[unit];
          lo -= widen;
          hi += widen;
        }
        candidates.push({ origin: 'fitted', low: lo, high: hi, pmin: lo, pmax: hi, dmin: dLow, dmax: dHigh, outward: true });
      }
    }
    const resolution = source ? Math.abs(source.physicalMax - source.physicalMin) / (source.digitalMax - source.digitalMin) : scale;
    for (const candidate of candidates) {
      const written = write(candidate, unit);
      if (written === null) continue;
      const lo = Math.min(written.pmin, written.pmax);
      const hi = Math.max(written.pmin, written.pmax);
      const step = (hi - lo) / (candidate.dmax - candidate.dmin);
      if (candidate.origin !== 'given' && !holds(lo, hi, step)) continue;
      return {
        origin: candidate.origin,
        dimension: written.dimension,
        minText: written.minText,
        maxText: written.maxText,
        physicalMin: written.pmin,
        physicalMax: written.pmax,
        digitalMin: candidate.dmin,
        digitalMax: candidate.dmax,
        step,
        resolution,
      };
    }
    if (given !== undefined && given !== null) {
      throw new InvalidOptionError(perChannel ? `physicalRange[${c}]` : 'physicalRange', 'a physical range whose numbers fit 8 characters', given);
    }
    throw new InvalidDataError(
      `channel ${JSON.stringify(channelName)}`,
      `values whose range fits EDF's 8-character header numbers (in ${DIMENSIONS[unit].map(([d]) => d).join(', ')})`,
      `${data?.min} to ${data?.max} ${unit}`,
    );
  });
}

function checkFinite(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidOptionError(name, 'a finite number', value);
  return value;
}

/** Channels whose digital step is coarser than their source's resolution. */
export function coarseChannels(scaling: readonly EdfChannelScaling[]): number[] {
  const out: number[] = [];
  scaling.forEach((s, c) => {
    if (s.resolution > 0 && s.step > s.resolution * (1 + RESOLUTION_TOLERANCE)) out.push(c);
  });
  return out;
}

/** `lo…hi unit` of a channel's written range, in its unit. */
export function describeRange(s: EdfScaling, unit: string): string {
  const lo = Math.min(s.physicalMin, s.physicalMax);
  const hi = Math.max(s.physicalMin, s.physicalMax);
  return `${round(lo)}…${round(hi)} ${unit}`;
}

function round(v: number): string {
  return String(Number(v.toPrecision(8)));
}
