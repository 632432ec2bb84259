/**
 * Butterworth filter design — low-pass, high-pass, band-pass and band-stop of any order — as
 * second-order sections, computed the way scipy's `butter(N, Wn, btype, fs=fs, output='sos')`
 * does: analog prototype → frequency transform (pre-warped) → bilinear transform → sections.
 * A true band-pass/band-stop (not a high-pass × low-pass cascade), so results match scipy, MNE
 * and BrainFlow.
 *
 * SOS layout (scipy's): section s is [b0, b1, b2, a0 = 1, a1, a2] at sos[6s … 6s + 5].
 */
import { checkInteger, checkNumber, checkOneOf, InvalidOptionError } from '../../core/index.js';
import { type Complex, add, c, div, mul, neg, prod, scale, sqrt, sub } from './complex.js';
import { zpkToSos } from './zpk-to-sos.js';

export const FILTER_TYPES = ['lowpass', 'highpass', 'bandpass', 'bandstop'] as const;
export type FilterType = (typeof FILTER_TYPES)[number];

export interface ButterworthOptions {
  type: FilterType;
  order: number;
  /** One cut-off for low/high-pass, [low, high] for band-pass/stop, Hz. */
  cutoffHz: number | readonly [number, number];
  sampleRateHz: number;
}

/** Second-order sections, 6 coefficients each. */
export type Sos = Float64Array;

export function designButterworth(options: ButterworthOptions): Sos {
  const type = checkOneOf('option', 'filter type', options.type, FILTER_TYPES);
  const order = checkInteger('option', 'filter order', options.order, { min: 1, max: 32 });
  const fs = checkNumber('option', 'sampleRateHz', options.sampleRateHz, { min: 0, exclusiveMin: true });
  const nyquist = fs / 2;
  const band = type === 'bandpass' || type === 'bandstop';
  const cut = options.cutoffHz;
  if (band !== Array.isArray(cut)) {
    throw new InvalidOptionError('cutoffHz', band ? `[low, high] in Hz for a ${type} filter` : `one frequency in Hz for a ${type} filter`, cut);
  }
  const edges = (Array.isArray(cut) ? cut : [cut]) as number[];
  edges.forEach((f, i) => checkNumber('option', band ? `cutoffHz[${i}]` : 'cutoffHz', f, { min: 0, exclusiveMin: true }));
  for (const f of edges) {
    if (f >= nyquist) throw new InvalidOptionError('cutoffHz', `frequencies below the Nyquist frequency (${nyquist} Hz)`, f);
  }
  if (band && edges[0]! >= edges[1]!) throw new InvalidOptionError('cutoffHz', 'low < high', cut);

  // As scipy: normalise to fs = 2, pre-warp, design in the s-plane.
  const fsn = 2;
  const warped = edges.map((f) => 2 * fsn * Math.tan((Math.PI * ((2 * f) / fs)) / fsn));
  // Analog prototype: poles on the unit circle in the left half-plane, no zeros, gain 1.
  let p: Complex[] = [];
  for (let m = -order + 1; m < order; m += 2) {
    const angle = (Math.PI * m) / (2 * order);
    p.push(c(-Math.cos(angle), -Math.sin(angle)));
  }
  let z: Complex[] = [];
  let k = 1;
  const degree = p.length - z.length;
  if (type === 'lowpass') {
    const wo = warped[0]!;
    z = z.map((v) => scale(v, wo));
    p = p.map((v) => scale(v, wo));
    k *= wo ** degree;
  } else if (type === 'highpass') {
    const wo = warped[0]!;
    k *= realPart(div(prod(z.map(neg)), prod(p.map(neg))));
    z = [...z.map((v) => div(c(wo), v)), ...new Array<Complex>(degree).fill(c(0))];
    p = p.map((v) => div(c(wo), v));
  } else {
    const bw = warped[1]! - warped[0]!;
    const wo = Math.sqrt(warped[0]! * warped[1]!);
    const split = (list: Complex[], half: (v: Complex) => Complex): Complex[] => {
      const h = list.map(half);
      const roots = h.map((v) => sqrt(sub(mul(v, v), c(wo * wo))));
      return [...h.map((v, i) => add(v, roots[i]!)), ...h.map((v, i) => sub(v, roots[i]!))];
    };
    if (type === 'bandpass') {
      z = [...split(z, (v) => scale(v, bw / 2)), ...new Array<Complex>(degree).fill(c(0))];
      p = split(p, (v) => scale(v, bw / 2));
      k *= bw ** degree;
    } else {
      k *= realPart(div(prod(z.map(neg)), prod(p.map(neg))));
      z = [...split(z, (v) => div(c(bw / 2), v)), ...new Array<Complex>(degree).fill(c(0, wo)), ...new Array<Complex>(degree).fill(c(0, -wo))];
      p = split(p, (v) => div(c(bw / 2), v));
    }
  }
  // Bilinear transform.
  const fs2 = 2 * fsn;
  const zd = z.map((v) => div(add(c(fs2), v), sub(c(fs2), v)));
  const pd = p.map((v) => div(add(c(fs2), v), sub(c(fs2), v)));
  const extra = pd.length - zd.length;
  for (let i = 0; i < extra; i++) zd.push(c(-1));
  k *= realPart(div(prod(z.map((v) => sub(c(fs2), v))), prod(p.map((v) => sub(c(fs2), v)))));
  return zpkToSos(zd, pd, k);
}

function realPart(v: Complex): number {
  return v.re;
}

/** Number of sections. */
export function sectionCount(sos: Sos): number {
  return sos.length / 6;
}
