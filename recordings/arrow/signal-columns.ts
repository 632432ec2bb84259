/**
 * How each channel of a signals file is stored (format version 2): as the device's integer
 * counts where the stream promises exact counts (`StreamInfo.exactCounts`), with the physical
 * units per count in the field's `scale` metadata, else as float32 in the channel's unit.
 *
 *   int16    adcBits 2–16, adcScale > 0, exactCounts    µV = count × scale (half of float32's bytes)
 *   int32    adcBits 17–32, adcScale > 0, exactCounts   µV = count × scale
 *   float32  everything else                            the value itself
 *
 * The kernels convert between a channel's float32 values and its counts over index ranges.
 * Decoding is `Math.fround(count × scale)`, the sources' own conversion, so
 * a recording reads back the very float32 values that were recorded.
 */
import type { StreamInfo } from '../../core/index.js';
import { instantiateEmbeddedWasm } from '../../core/embedded-wasm.js';
import { COUNTS_SIMD_WASM } from './counts-simd-wasm.js';

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

/**
 * Writes `src[i] × scale` (rounded to float32) into `dst[i]` for i in [0, length): with the
 * WebAssembly SIMD kernel (scripts/build-counts-wasm.mjs: the same float64 product, rounded once,
 * so the same bits, about 2.5 times as fast) for runs of at least {@link SIMD_MIN_COUNTS} counts,
 * else — or where WebAssembly SIMD is missing — with a JavaScript loop.
 */
export function decodeCounts(src: Int16Array | Int32Array, length: number, scale: number, dst: Float32Array): void {
  if (length >= SIMD_MIN_COUNTS && loadSimd()) decodeCountsSimd(src, length, scale, dst);
  else decodeCountsScalar(src, length, scale, dst);
}

/** decodeCounts' JavaScript loop (also its reference in the tests). */
export function decodeCountsScalar(src: Int16Array | Int32Array, length: number, scale: number, dst: Float32Array): void {
  for (let i = 0; i < length; i++) dst[i] = src[i]! * scale;
}

/** Shorter runs are decoded in JavaScript (copying into the kernel's memory would cost more than it saves). */
const SIMD_MIN_COUNTS = 64;
/** Counts per kernel call: the kernel's memory grows to 6 (int16) or 8 (int32) × this bytes at most (6–8 MB). */
const SIMD_CHUNK = 1 << 20;

interface CountsKernel {
  memory: WebAssembly.Memory;
  decode16: (input: number, output: number, n: number, scale: number) => void;
  decode32: (input: number, output: number, n: number, scale: number) => void;
}
let simd: CountsKernel | null | undefined;
/** Views of the kernel's memory (made again after it grows). */
let heap16 = new Int16Array(0);
let heap32 = new Int32Array(0);
let heapF32 = new Float32Array(0);

function loadSimd(): CountsKernel | null {
  if (simd === undefined) simd = instantiateEmbeddedWasm<CountsKernel>(COUNTS_SIMD_WASM);
  return simd;
}

function decodeCountsSimd(src: Int16Array | Int32Array, length: number, scale: number, dst: Float32Array): void {
  const kernel = simd!;
  const wide = src instanceof Int32Array;
  for (let from = 0; from < length; from += SIMD_CHUNK) {
    const n = Math.min(SIMD_CHUNK, length - from);
    // Counts at 0, values after them (16-byte aligned).
    const output = (n * (wide ? 4 : 2) + 15) & ~15;
    const need = output + 4 * n;
    if (kernel.memory.buffer.byteLength < need) {
      try {
        kernel.memory.grow(Math.ceil((need - kernel.memory.buffer.byteLength) / 65536));
      } catch {
        // No memory for the kernel: this run, and those after it, in JavaScript.
        simd = null;
        decodeCountsScalar(from === 0 ? src : src.subarray(from), length - from, scale, from === 0 ? dst : dst.subarray(from));
        return;
      }
    }
    if (heapF32.buffer !== kernel.memory.buffer) {
      heap16 = new Int16Array(kernel.memory.buffer);
      heap32 = new Int32Array(kernel.memory.buffer);
      heapF32 = new Float32Array(kernel.memory.buffer);
    }
    const part = from === 0 && n === src.length ? src : src.subarray(from, from + n);
    if (wide) {
      heap32.set(part);
      kernel.decode32(0, output, n, scale);
    } else {
      heap16.set(part);
      kernel.decode16(0, output, n, scale);
    }
    dst.set(heapF32.subarray(output >> 2, (output >> 2) + n), from);
  }
}
