/**
 * StreamInfo — what a stream is. Immutable for the life of a stream and recorded into every
 * file's metadata.
 *
 * Layout contract: channel `c` has name `channelNames[c]`, kind `channelKinds[c]`, unit
 * `units[c]` and ADC scale `adcScale[c]` (physical units per ADC count; 0 where the values were
 * never integers, as for floating-point sources). The same index `c` selects the channel's slice
 * in every SampleBlock of the stream.
 */
import { InvalidDataError } from './errors.js';
import { checkNumber, checkOneOf, checkString } from './validate.js';
import { SOFTWARE_VERSION } from './version.js';

export const CHANNEL_KINDS = ['eeg', 'ecog', 'extracellular', 'aux', 'accel'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** Physical units. Neural channels are always µV (written `uV`); accelerometers in g. */
export const CHANNEL_UNITS = ['uV', 'mV', 'V', 'g', 'count'] as const;
export type ChannelUnit = (typeof CHANNEL_UNITS)[number];

/** The most channels one stream may carry. */
export const MAX_CHANNELS = 4096;

export interface DeviceIdentity {
  /** Driver or simulator name, e.g. `intracortical-simulator`, `cyton`. */
  readonly name: string;
  /** Hardware model, e.g. `OpenBCI Cyton+Daisy`. */
  readonly model: string;
  /** Serial number or other stable identifier; empty when unknown. */
  readonly serial: string;
}

/**
 * The range a channel's source declared for its values (EDF/BDF import: the signal's physical
 * and digital minimum and maximum), in the channel's unit. `physicalMin` may exceed
 * `physicalMax` (an inverted polarity is legal EDF). Kept so an export can reuse it.
 */
export interface PhysicalRange {
  readonly physicalMin: number;
  readonly physicalMax: number;
  readonly digitalMin: number;
  readonly digitalMax: number;
}

export interface StreamInfo {
  readonly id: string;
  readonly device: DeviceIdentity;
  readonly channelNames: readonly string[];
  readonly channelKinds: readonly ChannelKind[];
  readonly units: readonly ChannelUnit[];
  /** Nominal sample rate of every channel, in Hz. Never defaulted. */
  readonly sampleRateHz: number;
  readonly adcScale: readonly number[];
  /**
   * Per channel, the resolution of the ADC behind `adcScale`, bits (Cyton 24, Intan RHX 16): the
   * channel's full scale is `adcScale × 2^(bits−1)`. 0 where unknown; absent when the source did
   * not say (then no full scale is assumed).
   */
  readonly adcBits?: readonly number[];
  /**
   * Per channel, the range its source file declared (null where none), e.g. from an EDF/BDF
   * header; absent for live devices. An EDF/BDF export reuses it where it holds the data.
   */
  readonly physicalRanges?: readonly (PhysicalRange | null)[];
  /**
   * True when the source promises that every sample of a channel with `adcBits > 0` and
   * `adcScale > 0` is exactly `Math.fround(k × adcScale)` for an integer `k` of at most
   * `adcBits` bits (a device's ADC counts, decoded by one multiplication). A recording then
   * stores `k` in an integer column (format version 2) and reads back the same float32 values.
   * Absent (false) for floating-point sources and for decoders that do anything else.
   */
  readonly exactCounts?: boolean;
  /** UTC ISO-8601 instant of sample 0. */
  readonly startTime: string;
  readonly softwareVersion: string;
}

export interface StreamInfoInit {
  id: string;
  device: DeviceIdentity;
  channelNames: readonly string[];
  channelKinds: readonly ChannelKind[] | ChannelKind;
  units: readonly ChannelUnit[] | ChannelUnit;
  sampleRateHz: number;
  adcScale?: readonly number[] | number;
  adcBits?: readonly number[] | number;
  physicalRanges?: readonly (PhysicalRange | null)[];
  exactCounts?: boolean;
  startTime: string;
  softwareVersion?: string;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

function perChannel<T>(field: string, value: readonly T[] | T, count: number): T[] {
  if (!Array.isArray(value)) return new Array<T>(count).fill(value as T);
  if (value.length !== count) {
    throw new InvalidDataError(`StreamInfo.${field}`, `${count} entries (one per channel)`, value);
  }
  return [...(value as readonly T[])];
}

/** Validates and freezes a StreamInfo. A single kind, unit or scale applies to every channel. */
export function createStreamInfo(init: StreamInfoInit): StreamInfo {
  const id = checkString('data', 'StreamInfo.id', init.id, { nonEmpty: true });
  const device = init.device as DeviceIdentity | undefined;
  if (typeof device !== 'object' || device === null) {
    throw new InvalidDataError('StreamInfo.device', 'an object with name, model and serial', device);
  }
  checkString('data', 'StreamInfo.device.name', device.name, { nonEmpty: true });
  checkString('data', 'StreamInfo.device.model', device.model);
  checkString('data', 'StreamInfo.device.serial', device.serial);
  const names = init.channelNames;
  if (!Array.isArray(names) || names.length === 0 || names.length > MAX_CHANNELS) {
    throw new InvalidDataError('StreamInfo.channelNames', `an array of 1 to ${MAX_CHANNELS} names`, names);
  }
  const seen = new Set<string>();
  names.forEach((name, c) => {
    checkString('data', `StreamInfo.channelNames[${c}]`, name, { nonEmpty: true });
    if (seen.has(name)) throw new InvalidDataError(`StreamInfo.channelNames[${c}]`, 'a unique name', name);
    seen.add(name);
  });
  const count = names.length;
  const kinds = perChannel('channelKinds', init.channelKinds, count);
  kinds.forEach((k, c) => checkOneOf('data', `StreamInfo.channelKinds[${c}]`, k, CHANNEL_KINDS));
  const units = perChannel('units', init.units, count);
  units.forEach((u, c) => checkOneOf('data', `StreamInfo.units[${c}]`, u, CHANNEL_UNITS));
  const adcScale = perChannel('adcScale', init.adcScale ?? 0, count);
  adcScale.forEach((s, c) => checkNumber('data', `StreamInfo.adcScale[${c}]`, s, { min: 0 }));
  const adcBits = init.adcBits === undefined ? undefined : perChannel('adcBits', init.adcBits, count);
  adcBits?.forEach((b, c) => {
    if (!Number.isInteger(b) || b === 1 || b < 0 || b > 32) throw new InvalidDataError(`StreamInfo.adcBits[${c}]`, 'a whole number of bits, 2–32 (0: unknown)', b);
  });
  const sampleRateHz = checkNumber('data', 'StreamInfo.sampleRateHz', init.sampleRateHz, {
    min: 0,
    exclusiveMin: true,
    max: 1e6,
  });
  const physicalRanges = init.physicalRanges === undefined ? undefined : checkPhysicalRanges(init.physicalRanges, count);
  if (init.exactCounts !== undefined && typeof init.exactCounts !== 'boolean') {
    throw new InvalidDataError('StreamInfo.exactCounts', 'true or false', init.exactCounts);
  }
  const startTime = checkString('data', 'StreamInfo.startTime', init.startTime);
  if (!ISO_UTC.test(startTime) || Number.isNaN(Date.parse(startTime))) {
    throw new InvalidDataError('StreamInfo.startTime', 'a UTC ISO-8601 time like 2026-01-31T12:00:00.000Z', startTime);
  }
  const softwareVersion = init.softwareVersion ?? SOFTWARE_VERSION;
  checkString('data', 'StreamInfo.softwareVersion', softwareVersion, { nonEmpty: true });
  return Object.freeze({
    id,
    device: Object.freeze({ name: device.name, model: device.model, serial: device.serial }),
    channelNames: Object.freeze([...names]),
    channelKinds: Object.freeze(kinds),
    units: Object.freeze(units),
    sampleRateHz,
    adcScale: Object.freeze(adcScale),
    ...(adcBits ? { adcBits: Object.freeze(adcBits) } : {}),
    ...(physicalRanges ? { physicalRanges } : {}),
    ...(init.exactCounts ? { exactCounts: true } : {}),
    startTime,
    softwareVersion,
  });
}

function checkPhysicalRanges(value: readonly (PhysicalRange | null)[], count: number): readonly (PhysicalRange | null)[] {
  if (!Array.isArray(value) || value.length !== count) {
    throw new InvalidDataError('StreamInfo.physicalRanges', `${count} entries (one per channel, null where unknown)`, value);
  }
  return Object.freeze(
    value.map((r: PhysicalRange | null, c) => {
      if (r === null) return null;
      const name = `StreamInfo.physicalRanges[${c}]`;
      if (typeof r !== 'object') throw new InvalidDataError(name, 'an object {physicalMin, physicalMax, digitalMin, digitalMax} or null', r);
      const physicalMin = checkNumber('data', `${name}.physicalMin`, r.physicalMin);
      const physicalMax = checkNumber('data', `${name}.physicalMax`, r.physicalMax);
      const digitalMin = checkNumber('data', `${name}.digitalMin`, r.digitalMin);
      const digitalMax = checkNumber('data', `${name}.digitalMax`, r.digitalMax);
      if (physicalMin === physicalMax) throw new InvalidDataError(`${name}.physicalMax`, `a value different from physicalMin (${physicalMin})`, physicalMax);
      if (!Number.isInteger(digitalMin) || !Number.isInteger(digitalMax) || digitalMin >= digitalMax) {
        throw new InvalidDataError(`${name}.digitalMax`, `an integer above the integer digitalMin (${digitalMin})`, digitalMax);
      }
      return Object.freeze({ physicalMin, physicalMax, digitalMin, digitalMax });
    }),
  );
}

const changedValues = new WeakMap<StreamInfo, StreamInfo>();

/**
 * The StreamInfo of a stream derived from `info` by an operator that changes sample values (a
 * filter, a re-reference): the same, without the `exactCounts` promise (its values are no longer
 * ADC counts × scale). One object per input info, so blocks of one stream keep sharing theirs.
 */
export function changedValuesInfo(info: StreamInfo): StreamInfo {
  if (!info.exactCounts) return info;
  let derived = changedValues.get(info);
  if (!derived) {
    const { exactCounts: _, ...rest } = info;
    derived = Object.freeze(rest);
    changedValues.set(info, derived);
  }
  return derived;
}

/** Number of channels of a stream. */
export function channelCount(info: StreamInfo): number {
  return info.channelNames.length;
}
