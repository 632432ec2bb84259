/**
 * How each channel of a signals file is stored (format version 2): as the device's integer
 * counts where the stream promises exact counts (`StreamInfo.exactCounts`), with the physical
 * units per count in the field's `scale` metadata, else as float32 in the channel's unit.
 *
 *   int16    adcBits 2–16, adcScale > 0, exactCounts    µV = count × scale (half of float32's bytes)
 *   int32    adcBits 17–32, adcScale > 0, exactCounts   µV = count × scale
 *   float32  everything else                            the value itself
 *
 * The kernels convert between a channel's float32 values and its counts over index ranges,
 * without allocating. Decoding is `Math.fround(count × scale)`, the sources' own conversion, so
 * a recording reads back the very float32 values that were recorded.
 */
import type { StreamInfo } from '../../core/index.js';

export type SignalColumnType = 'int16' | 'int32' | 'float32';

/** The column type of every channel of `info` (see the table above). */
export function signalColumnTypes(info: StreamInfo): SignalColumnType[] {
  return info.channelNames.map((_, c) => {
    const bits = info.adcBits?.[c] ?? 0;
    const scale = info.adcScale[c] ?? 0;
    if (info.exactCounts !== true || !(scale > 0) || bits < 2) return 'float32';
    return bits <= 16 ? 'int16' : bits <= 32 ? 'int32' : 'float32';
  });
}

/**
 * Writes `src[i] / scale` as counts into `dst[i]` for i in [0, length). Returns -1 when every
 * value is exactly `Math.fround(count × scale)` for a count `dst` can hold, else the index of
 * the first value that is not (NaN, a filtered value, a count out of range): `dst` is then
 * incomplete and must not be written. The nearest count is tried, then its neighbours (a
 * float32 holds `count × scale` to half a count near the top of a 24-bit range). −0 is count 0
 * (it reads back as +0, the one value whose bits a recording does not keep).
 */
export function encodeCounts(src: Float32Array, length: number, scale: number, dst: Int16Array | Int32Array): number {
  const min = dst instanceof Int16Array ? -32768 : -2147483648;
  const max = dst instanceof Int16Array ? 32767 : 2147483647;
  const inv = 1 / scale;
  for (let i = 0; i < length; i++) {
    const v = src[i]!;
    let k = Math.round(v * inv);
    if (Math.fround(k * scale) !== v) {
      if (Math.fround((k + 1) * scale) === v) k += 1;
      else if (Math.fround((k - 1) * scale) === v) k -= 1;
      else return i;
    }
    if (k < min || k > max) return i;
    dst[i] = k; // −0 (as Math.round(−0.2) × scale gives) is count 0: equal, not the same bits
  }
  return -1;
}

/** Writes `src[i] × scale` (rounded to float32) into `dst[i]` for i in [0, length). */
export function decodeCounts(src: Int16Array | Int32Array, length: number, scale: number, dst: Float32Array): void {
  for (let i = 0; i < length; i++) dst[i] = src[i]! * scale;
}
