/**
 * EDF/BDF sample coding: little-endian int16 (EDF) or int24 two's complement (BDF), with the
 * physical/digital scaling `phys = (dig − dmin)·(pmax − pmin)/(dmax − dmin) + pmin`, computed in
 * Float64 and stored as Float32. Pure functions over typed arrays.
 */

export interface EdfScaling {
  readonly physicalMin: number;
  readonly physicalMax: number;
  readonly digitalMin: number;
  readonly digitalMax: number;
}

/** The digital value at byte `o` (2 or 3 bytes, little-endian, signed). */
export function readDigital(bytes: Uint8Array, o: number, bytesPerSample: 2 | 3): number {
  if (bytesPerSample === 2) {
    const v = bytes[o]! | (bytes[o + 1]! << 8);
    return (v << 16) >> 16;
  }
  const v = bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16);
  return (v << 8) >> 8;
}

/**
 * Decodes `count` samples starting at byte `offset` into `out[outOffset…]`:
 * physical value × `factor` (unit conversion).
 */
export function decodePhysical(
  bytes: Uint8Array,
  offset: number,
  count: number,
  bytesPerSample: 2 | 3,
  s: EdfScaling,
  factor: number,
  out: Float32Array,
  outOffset: number,
): void {
  const gain = (s.physicalMax - s.physicalMin) / (s.digitalMax - s.digitalMin);
  const dmin = s.digitalMin;
  const pmin = s.physicalMin;
  let o = offset;
  if (bytesPerSample === 2) {
    for (let i = 0; i < count; i++, o += 2) {
      const dig = ((bytes[o]! | (bytes[o + 1]! << 8)) << 16) >> 16;
      out[outOffset + i] = ((dig - dmin) * gain + pmin) * factor;
    }
  } else {
    for (let i = 0; i < count; i++, o += 3) {
      const dig = ((bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16)) << 8) >> 8;
      out[outOffset + i] = ((dig - dmin) * gain + pmin) * factor;
    }
  }
}

/** Decodes digital values masked by `mask` (BioSemi Status: `0xFFFF`, the trigger code). */
export function decodeMasked(
  bytes: Uint8Array,
  offset: number,
  count: number,
  bytesPerSample: 2 | 3,
  mask: number,
  out: Float32Array,
  outOffset: number,
): void {
  for (let i = 0, o = offset; i < count; i++, o += bytesPerSample) out[outOffset + i] = readDigital(bytes, o, bytesPerSample) & mask;
}

/**
 * Encodes `count` physical values (in the file's physical unit) from `values[from…]` as digital
 * samples at byte `offset`; values beyond the physical range (and NaN, written as the digital
 * value nearest 0) are clamped. Returns how many were clamped.
 */
export function encodePhysical(
  values: Float32Array,
  from: number,
  count: number,
  s: EdfScaling,
  bytesPerSample: 2 | 3,
  bytes: Uint8Array,
  offset: number,
): number {
  const inv = (s.digitalMax - s.digitalMin) / (s.physicalMax - s.physicalMin);
  const dmin = s.digitalMin;
  const dmax = s.digitalMax;
  const pmin = s.physicalMin;
  const zero = Math.min(dmax, Math.max(dmin, Math.round((0 - pmin) * inv + dmin)));
  let clipped = 0;
  let o = offset;
  for (let i = 0; i < count; i++, o += bytesPerSample) {
    const v = values[from + i]!;
    let dig = Math.round((v - pmin) * inv + dmin);
    if (!(dig >= dmin)) {
      clipped++;
      dig = Number.isNaN(dig) ? zero : dmin;
    } else if (dig > dmax) {
      clipped++;
      dig = dmax;
    }
    bytes[o] = dig & 0xff;
    bytes[o + 1] = (dig >> 8) & 0xff;
    if (bytesPerSample === 3) bytes[o + 2] = (dig >> 16) & 0xff;
  }
  return clipped;
}

/** How many of `count` values from `values[from…]` `encodePhysical` would clamp (NaN and ±Infinity included). */
export function countClipped(values: Float32Array, from: number, count: number, s: EdfScaling): number {
  const inv = (s.digitalMax - s.digitalMin) / (s.physicalMax - s.physicalMin);
  let clipped = 0;
  for (let i = 0; i < count; i++) {
    const dig = Math.round((values[from + i]! - s.physicalMin) * inv + s.digitalMin);
    if (!(dig >= s.digitalMin && dig <= s.digitalMax)) clipped++;
  }
  return clipped;
}

/** Fills `count` samples at byte `offset` with one digital value. */
export function fillDigital(value: number, count: number, bytesPerSample: 2 | 3, bytes: Uint8Array, offset: number): void {
  for (let i = 0, o = offset; i < count; i++, o += bytesPerSample) {
    bytes[o] = value & 0xff;
    bytes[o + 1] = (value >> 8) & 0xff;
    if (bytesPerSample === 3) bytes[o + 2] = (value >> 16) & 0xff;
  }
}

/** The digital value that stores physical 0 (nearest, clamped to the digital range). */
export function digitalZero(s: EdfScaling): number {
  const dig = Math.round(((0 - s.physicalMin) * (s.digitalMax - s.digitalMin)) / (s.physicalMax - s.physicalMin) + s.digitalMin);
  return Math.min(s.digitalMax, Math.max(s.digitalMin, dig));
}
