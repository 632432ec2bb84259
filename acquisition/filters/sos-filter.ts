/**
 * The IIR kernel: second-order sections in transposed direct form II, exactly as scipy's
 * `sosfilt` computes them (Float64 arithmetic, state carried from one call to the next), over
 * channel-major blocks. Filtering a signal in blocks of any size gives the same output as
 * filtering it whole.
 *
 * Speed: per channel, the sections run in groups of four, all four per sample with their
 * coefficients and state in locals. Each section's recurrence is its own dependency chain, so the
 * CPU overlaps them; a section-at-a-time loop is bound by one chain's latency. Groups are padded
 * with identity sections (b0 = 1, all else 0 — exact in floating point). Between groups the block
 * passes in Float64, so every intermediate value is what sosfilt computes. No allocation per call.
 *
 * State layout (from `createSosState`): per channel, per group of four sections, 8 values
 * (z0, z1 of each section), i.e. state[(c * groups + g) * 8 + 2 * s + k].
 */
import { InvalidDataError } from '../../core/index.js';
import { instantiateEmbeddedWasm } from '../../core/embedded-wasm.js';
import type { Sos } from './butterworth.js';
import { SOS_SIMD_WASM } from './sos-simd-wasm.js';

const groupsOf = (sos: Sos): number => Math.ceil(sos.length / 6 / 4);

/** Coefficients padded to whole groups of four sections: [b0, b1, b2, a1, a2] × 4 per group. */
const padded = new WeakMap<Sos, Float64Array>();
function paddedCoefficients(sos: Sos): Float64Array {
  let p = padded.get(sos);
  if (!p) {
    const S = sos.length / 6;
    const groups = groupsOf(sos);
    p = new Float64Array(groups * 4 * 5);
    for (let s = 0; s < groups * 4; s++) {
      if (s < S) {
        p[5 * s] = sos[6 * s]! / sos[6 * s + 3]!;
        p[5 * s + 1] = sos[6 * s + 1]! / sos[6 * s + 3]!;
        p[5 * s + 2] = sos[6 * s + 2]! / sos[6 * s + 3]!;
        p[5 * s + 3] = sos[6 * s + 4]! / sos[6 * s + 3]!;
        p[5 * s + 4] = sos[6 * s + 5]! / sos[6 * s + 3]!;
      } else {
        p[5 * s] = 1;
      }
    }
    padded.set(sos, p);
  }
  return p;
}

/** Fresh (zero) state for `channels` channels of this cascade. */
export function createSosState(sos: Sos, channels: number): Float64Array {
  return new Float64Array(channels * groupsOf(sos) * 8);
}

/**
 * The WebAssembly SIMD kernel (scripts/build-sos-wasm.mjs): four sections over two channels per
 * pass in f64x2 lanes, the same operations in the same order as runGroup, so results are
 * bit-identical. Instantiated on first use; where WebAssembly SIMD is missing, the JavaScript
 * loop does all the work.
 */
let simd: { memory: WebAssembly.Memory; filterPairs: (k: number, s: number, i: number, o: number, pairs: number, len: number) => void } | null | undefined;

function loadSimd(): typeof simd {
  if (simd === undefined) simd = instantiateEmbeddedWasm<NonNullable<typeof simd>>(SOS_SIMD_WASM);
  return simd;
}

/** Largest working set handed to the SIMD kernel (its memory grows to this at most). */
const SIMD_MAX_BYTES = 64 * 1024 * 1024;

/** Filters channel pairs with the SIMD kernel; returns the first channel left for JavaScript. */
function filterPairsSimd(k: Float64Array, state: Float64Array, input: Float32Array, output: Float32Array, channels: number, length: number): number {
  const kernel = loadSimd();
  if (!kernel) return 0;
  const pairs = channels >> 1;
  const n = 2 * pairs;
  const kPtr = 0;
  const sPtr = 256;
  const inPtr = sPtr + n * 64;
  const outPtr = inPtr + n * length * 4;
  const need = outPtr + n * length * 4;
  // Very long blocks (offline filtering of whole files) stay in JavaScript rather than grow the
  // WebAssembly memory without bound.
  if (need > SIMD_MAX_BYTES) return 0;
  const memory = kernel.memory;
  if (memory.buffer.byteLength < need) memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
  const heap = memory.buffer;
  new Float64Array(heap, kPtr, 20).set(k.subarray(0, 20));
  const wasmState = new Float64Array(heap, sPtr, n * 8);
  wasmState.set(state.subarray(0, n * 8));
  new Float32Array(heap, inPtr, n * length).set(input.subarray(0, n * length));
  kernel.filterPairs(kPtr, sPtr, inPtr, outPtr, pairs, length);
  output.set(new Float32Array(heap, outPtr, n * length));
  state.set(wasmState);
  return n;
}

/** Working buffer shared by all calls (grown to the longest block seen; single-threaded). */
let scratch = new Float64Array(4096);

/**
 * Filters `input` (channel-major, `channels` × `length`) into `output` (same layout; may be the
 * same array), updating `state`.
 */
export function sosFilter(
  sos: Sos,
  state: Float64Array,
  input: Float32Array | Float64Array,
  output: Float32Array | Float64Array,
  channels: number,
  length: number,
): void {
  const groups = groupsOf(sos);
  if (state.length !== channels * groups * 8) {
    throw new InvalidDataError('sosFilter state', `${channels * groups * 8} values (from createSosState for ${channels} channels)`, state);
  }
  if (input.length < channels * length || output.length < channels * length) {
    throw new InvalidDataError('sosFilter input/output', `at least ${channels * length} values`, input.length < channels * length ? input : output);
  }
  const k = paddedCoefficients(sos);
  let c0 = 0;
  if (groups === 1 && channels >= 2 && input instanceof Float32Array && output instanceof Float32Array) {
    c0 = filterPairsSimd(k, state, input, output, channels, length);
  }
  if (scratch.length < length) scratch = new Float64Array(Math.max(length, 2 * scratch.length));
  const buf = scratch;
  for (let c = c0; c < channels; c++) {
    const base = c * length;
    if (groups === 1) {
      // Up to four sections (e.g. a 4th-order band-pass): straight from input to output.
      runGroup(k, 0, state, c * 8, input, base, output, base, length);
      continue;
    }
    runGroup(k, 0, state, c * groups * 8, input, base, buf, 0, length);
    for (let g = 1; g < groups - 1; g++) runGroup(k, 20 * g, state, (c * groups + g) * 8, buf, 0, buf, 0, length);
    runGroup(k, 20 * (groups - 1), state, (c * groups + groups - 1) * 8, buf, 0, output, base, length);
  }
}

/** Four sections from src[from …] to dst[to …], `length` samples (src and dst may be the same). */
function runGroup(
  k: Float64Array,
  o: number,
  state: Float64Array,
  zi: number,
  src: Float32Array | Float64Array,
  from: number,
  dst: Float32Array | Float64Array,
  to: number,
  length: number,
): void {
  const b00 = k[o]!, b01 = k[o + 1]!, b02 = k[o + 2]!, a01 = k[o + 3]!, a02 = k[o + 4]!;
  const b10 = k[o + 5]!, b11 = k[o + 6]!, b12 = k[o + 7]!, a11 = k[o + 8]!, a12 = k[o + 9]!;
  const b20 = k[o + 10]!, b21 = k[o + 11]!, b22 = k[o + 12]!, a21 = k[o + 13]!, a22 = k[o + 14]!;
  const b30 = k[o + 15]!, b31 = k[o + 16]!, b32 = k[o + 17]!, a31 = k[o + 18]!, a32 = k[o + 19]!;
  let z00 = state[zi]!, z01 = state[zi + 1]!, z10 = state[zi + 2]!, z11 = state[zi + 3]!;
  let z20 = state[zi + 4]!, z21 = state[zi + 5]!, z30 = state[zi + 6]!, z31 = state[zi + 7]!;
  for (let i = 0; i < length; i++) {
    const x = src[from + i]!;
    const y0 = b00 * x + z00;
    z00 = b01 * x - a01 * y0 + z01;
    z01 = b02 * x - a02 * y0;
    const y1 = b10 * y0 + z10;
    z10 = b11 * y0 - a11 * y1 + z11;
    z11 = b12 * y0 - a12 * y1;
    const y2 = b20 * y1 + z20;
    z20 = b21 * y1 - a21 * y2 + z21;
    z21 = b22 * y1 - a22 * y2;
    const y3 = b30 * y2 + z30;
    z30 = b31 * y2 - a31 * y3 + z31;
    z31 = b32 * y2 - a32 * y3;
    dst[to + i] = y3;
  }
  state[zi] = z00;
  state[zi + 1] = z01;
  state[zi + 2] = z10;
  state[zi + 3] = z11;
  state[zi + 4] = z20;
  state[zi + 5] = z21;
  state[zi + 6] = z30;
  state[zi + 7] = z31;
}
