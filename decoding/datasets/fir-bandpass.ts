/**
 * The band-pass FIR that MNE-Python's `raw.filter(l_freq, h_freq, fir_design='firwin')` designs
 * and applies (MNE ≥ 0.15 defaults: `filter_length='auto'`, `l/h_trans_bandwidth='auto'`,
 * `fir_window='hamming'`, `phase='zero'`, `pad='reflect_limited'`), so that epochs read here are
 * the epochs MNE's examples decode.
 *
 * Design (mne.filter.create_filter → _firwin_design), for band [l, h] at rate fs:
 *   - transition bands: lt = min(max(l/4, 2), l), ht = min(max(h/4, 2), fs/2 − h) (Hz);
 *   - length N = round(3.3 · fs / min(lt, ht)), made odd (3.3: the Hamming window's factor);
 *   - h = lowpass(N_h, cutoff h + ht/2) − lowpass(N, cutoff l − lt/2), each a Hamming-windowed
 *     sinc (scipy's `firwin`, unit gain at DC) of its own odd length N_x = round(3.3 / (Δ/2)) with
 *     Δ the transition width in units of Nyquist, centred in the N taps.
 *   The −6 dB points are at l − lt/2 and h + ht/2 (6 and 33.75 Hz for 7–30 Hz).
 * Application: linear phase compensated by centring (zero phase, one pass — the magnitude
 * response is the FIR's own, not squared), with the signal's ends extended by odd reflection
 * (2·x₀ − x_k; zeros beyond the signal's length, as MNE's 'reflect_limited').
 */
import { InvalidOptionError, checkNumber } from '../../core/index.js';

const HAMMING_FACTOR = 3.3;

/** scipy.signal.firwin(numtaps, cutoff, window='hamming', pass_zero=True): cutoff as a fraction of Nyquist. */
function firwinLowpass(numtaps: number, cutoff: number): Float64Array {
  const h = new Float64Array(numtaps);
  const alpha = (numtaps - 1) / 2;
  let sum = 0;
  for (let i = 0; i < numtaps; i++) {
    const m = i - alpha;
    const x = cutoff * m;
    const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
    const window = numtaps === 1 ? 1 : 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (numtaps - 1));
    h[i] = cutoff * sinc * window;
    sum += h[i]!;
  }
  for (let i = 0; i < numtaps; i++) h[i] = h[i]! / sum;
  return h;
}

function oddLength(transition: number): number {
  const n = Math.round(HAMMING_FACTOR / transition);
  return n + (1 - (n % 2));
}

export interface FirDesign {
  readonly taps: Float64Array;
  /** −6 dB frequencies, Hz. */
  readonly cornersHz: readonly [number, number];
}

/** MNE's default firwin band-pass for `[lowHz, highHz]` at `sampleRateHz`. */
export function designMneBandpass(lowHz: number, highHz: number, sampleRateHz: number, option = 'bandHz'): FirDesign {
  const fs = checkNumber('option', 'sampleRateHz', sampleRateHz, { min: 0, exclusiveMin: true });
  const nyquist = fs / 2;
  checkNumber('option', `${option}[0]`, lowHz, { min: 0, exclusiveMin: true });
  checkNumber('option', `${option}[1]`, highHz, { min: lowHz, exclusiveMin: true });
  if (highHz >= nyquist) throw new InvalidOptionError(`${option}[1]`, `a frequency below the Nyquist frequency (${nyquist} Hz)`, highHz);
  const lt = Math.min(Math.max(lowHz * 0.25, 2), lowHz);
  const ht = Math.min(Math.max(highHz * 0.25, 2), nyquist - highHz);
  let N = Math.max(Math.round((HAMMING_FACTOR * fs) / Math.min(lt, ht)), 1);
  N += N % 2 === 0 ? 1 : 0;
  const taps = new Float64Array(N);
  const add = (numtaps: number, cutoffHz: number, sign: number): void => {
    if (numtaps > N) throw new InvalidOptionError(option, `a band whose transitions fit ${N} taps`, [lowHz, highHz]);
    const lp = firwinLowpass(numtaps, cutoffHz / nyquist);
    const offset = (N - numtaps) / 2;
    for (let i = 0; i < numtaps; i++) taps[offset + i] = taps[offset + i]! + sign * lp[i]!;
  };
  // As _firwin_design walks the bands from Nyquist down: the upper edge adds a low-pass, the
  // lower edge subtracts one.
  add(oddLength((highHz + ht - highHz) / nyquist / 2), highHz + ht / 2, 1);
  add(oddLength((lowHz - (lowHz - lt)) / nyquist / 2), lowHz - lt / 2, -1);
  return { taps, cornersHz: [lowHz - lt / 2, highHz + ht / 2] };
}

/**
 * Zero-phase FIR filtering of each channel of `input` (channel-major, `length` samples per
 * channel) into `output`, as MNE applies a linear-phase FIR (odd `taps`, centred, odd-reflection
 * padding). `output` must not be `input`.
 */
export function firFilterZeroPhase(taps: Float64Array, input: Float32Array | Float64Array, output: Float32Array | Float64Array, channels: number, length: number): void {
  const N = taps.length;
  const M = (N - 1) / 2;
  const ext = new Float64Array(length + 2 * M);
  for (let c = 0; c < channels; c++) {
    const x = input.subarray(c * length, (c + 1) * length);
    const x0 = x[0]!;
    const xn = x[length - 1]!;
    for (let i = 0; i < M; i++) {
      const k = M - i; // ext index i is signal index −k
      ext[i] = k <= length - 1 ? 2 * x0 - x[k]! : 0;
      const r = length - 1 + (i + 1); // signal index past the end
      const back = 2 * (length - 1) - r;
      ext[M + length + i] = back >= 0 ? 2 * xn - x[back]! : 0;
    }
    for (let i = 0; i < length; i++) ext[M + i] = x[i]!;
    const out = output.subarray(c * length, (c + 1) * length);
    // Symmetric taps: y[i] = h[M]·x[i] + Σ_{j=1..M} h[M+j]·(x[i−j] + x[i+j]).
    const centre = taps[M]!;
    for (let i = 0; i < length; i++) {
      const at = i + M;
      let y = centre * ext[at]!;
      for (let j = 1; j <= M; j++) y += taps[M + j]! * (ext[at - j]! + ext[at + j]!);
      out[i] = y;
    }
  }
}
