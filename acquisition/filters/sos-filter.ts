/**
 * The IIR kernel: second-order sections in transposed direct form II, exactly as scipy's
 * `sosfilt` computes them (Float64 arithmetic, state carried from one call to the next), over
 * channel-major blocks. Filtering a signal in blocks of any size gives the same output as
 * filtering it whole.
 *
 * State layout: state[(c * sections + s) * 2 + k], k = 0, 1 — the two delay values of section s on
 * channel c (scipy's zi[s, :] per channel). No allocation per call.
 */
import { InvalidDataError } from '../../core/index.js';
import type { Sos } from './butterworth.js';

/** Fresh (zero) state for `channels` channels of this cascade. */
export function createSosState(sos: Sos, channels: number): Float64Array {
  return new Float64Array(channels * (sos.length / 6) * 2);
}

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
  const S = sos.length / 6;
  if (state.length !== channels * S * 2) {
    throw new InvalidDataError('sosFilter state', `${channels * S * 2} values (${channels} channels × ${S} sections × 2)`, state);
  }
  if (input.length < channels * length || output.length < channels * length) {
    throw new InvalidDataError('sosFilter input/output', `at least ${channels * length} values`, input.length < channels * length ? input : output);
  }
  for (let c = 0; c < channels; c++) {
    const base = c * length;
    const sb = c * S * 2;
    for (let i = 0; i < length; i++) {
      let x = input[base + i]!;
      for (let s = 0; s < S; s++) {
        const o = 6 * s;
        const zi = sb + 2 * s;
        const y = sos[o]! * x + state[zi]!;
        state[zi] = sos[o + 1]! * x - sos[o + 4]! * y + state[zi + 1]!;
        state[zi + 1] = sos[o + 2]! * x - sos[o + 5]! * y;
        x = y;
      }
      output[base + i] = x;
    }
  }
}
