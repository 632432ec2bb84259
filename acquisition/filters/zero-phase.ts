/**
 * Zero-phase (forward-backward) filtering for offline use, as scipy's `sosfiltfilt` computes it:
 * odd extension of 3 × (2 × sections + 1) samples at both ends (fewer taps for first-order
 * sections), steady-state initial conditions (`sosfilt_zi`) scaled by the first sample, forward
 * pass, backward pass, extension removed. Needs the whole signal; allocates working buffers.
 */
import { InvalidDataError } from '../../core/index.js';
import type { Sos } from './butterworth.js';
import { createSosState, sosFilter } from './sos-filter.js';

/** scipy's sosfilt_zi: per section [z0, z1] of the step response's steady state. */
function steadyState(sos: Sos): Float64Array {
  const S = sos.length / 6;
  const zi = new Float64Array(2 * S);
  let scale = 1;
  for (let s = 0; s < S; s++) {
    // Normalised so that a0 = 1 (lfilter_zi solves (I − companion(a)ᵀ) z = b[1:] − a[1:]·b0).
    const a0 = sos[6 * s + 3]!;
    const [b0, b1, b2] = [sos[6 * s]! / a0, sos[6 * s + 1]! / a0, sos[6 * s + 2]! / a0];
    const [a1, a2] = [sos[6 * s + 4]! / a0, sos[6 * s + 5]! / a0];
    const B0 = b1 - a1 * b0;
    const B1 = b2 - a2 * b0;
    const det = 1 + a1 + a2;
    zi[2 * s] = (scale * (B0 + B1)) / det;
    zi[2 * s + 1] = (scale * ((1 + a1) * B1 - a2 * B0)) / det;
    scale *= (b0 + b1 + b2) / (1 + a1 + a2);
  }
  return zi;
}

/** Writes a per-section steady state × `x0` into the kernel's state layout (one channel). */
function loadState(state: Float64Array, zi: Float64Array, x0: number): void {
  state.fill(0);
  const S = zi.length / 2;
  for (let s = 0; s < S; s++) {
    const at = Math.floor(s / 4) * 8 + 2 * (s % 4);
    state[at] = zi[2 * s]! * x0;
    state[at + 1] = zi[2 * s + 1]! * x0;
  }
}

/** Filters each channel of `input` (channel-major) forward and backward into `output`. */
export function sosFiltFilt(sos: Sos, input: Float32Array | Float64Array, output: Float32Array | Float64Array, channels: number, length: number): void {
  const S = sos.length / 6;
  let firstOrder = 0;
  let firstOrderDen = 0;
  for (let s = 0; s < S; s++) {
    if (sos[6 * s + 2] === 0) firstOrder++;
    if (sos[6 * s + 5] === 0) firstOrderDen++;
  }
  const edge = 3 * (2 * S + 1 - Math.min(firstOrder, firstOrderDen));
  if (length <= edge) {
    throw new InvalidDataError('zero-phase input', `more than ${edge} samples per channel (3 × the filter's taps)`, length);
  }
  const zi = steadyState(sos);
  const n = length + 2 * edge;
  const ext = new Float64Array(n);
  const y = new Float64Array(n);
  const state = createSosState(sos, 1);
  for (let c = 0; c < channels; c++) {
    const x = input.subarray(c * length, (c + 1) * length);
    const first = x[0]!;
    const last = x[length - 1]!;
    for (let i = 0; i < edge; i++) ext[i] = 2 * first - x[edge - i]!;
    for (let i = 0; i < length; i++) ext[edge + i] = x[i]!;
    for (let i = 0; i < edge; i++) ext[edge + length + i] = 2 * last - x[length - 2 - i]!;
    loadState(state, zi, ext[0]!);
    sosFilter(sos, state, ext, y, 1, n);
    y.reverse();
    loadState(state, zi, y[0]!);
    sosFilter(sos, state, y, ext, 1, n);
    ext.reverse();
    for (let i = 0; i < length; i++) output[c * length + i] = ext[edge + i]!;
  }
}
