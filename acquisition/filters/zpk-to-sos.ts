/**
 * Zeros, poles and gain of a digital filter → second-order sections, pairing as scipy's
 * `zpk2sos(..., pairing='nearest')` does (the poles closest to the unit circle go last, each with
 * its nearest zeros), so that sections and their order match scipy's `butter(..., output='sos')`.
 */
import { type Complex, abs, c, conj, sub } from './complex.js';

const TOL = 100 * Number.EPSILON;
const isReal = (z: Complex): boolean => Math.abs(z.im) <= TOL * abs(z);

/** Conjugate pairs (as the member with positive imaginary part) then reals, like scipy's _cplxreal. */
function cplxreal(values: readonly Complex[]): Complex[] {
  const sorted = [...values].sort((a, b) => a.re - b.re || Math.abs(a.im) - Math.abs(b.im));
  const reals = sorted.filter(isReal).map((z) => c(z.re, 0));
  const rest = sorted.filter((z) => !isReal(z));
  const positive = rest.filter((z) => z.im > 0);
  const negative = rest.filter((z) => z.im < 0);
  if (positive.length !== negative.length) throw new Error('zpk2sos: a complex value has no conjugate');
  const pairs = positive.map((zp, i) => c((zp.re + negative[i]!.re) / 2, (zp.im - negative[i]!.im) / 2));
  return [...pairs, ...reals];
}

function nearestIndex(from: readonly Complex[], to: Complex, which: 'real' | 'complex' | 'any'): number {
  const order = from.map((_, i) => i).sort((i, j) => abs(sub(from[i]!, to)) - abs(sub(from[j]!, to)));
  if (which === 'any') return order[0]!;
  const found = order.find((i) => isReal(from[i]!) === (which === 'real'));
  if (found === undefined) throw new Error(`zpk2sos: no ${which} value left to pair`);
  return found;
}

/** [b0, b1, b2, a0, a1, a2] of one section from up to two zeros and two poles. */
function section(zeros: readonly Complex[], poles: readonly Complex[]): number[] {
  const poly = (roots: readonly Complex[]): number[] => {
    // Monic polynomial with these roots, highest power first, padded to degree 2 on the left
    // (scipy's _single_zpksos: a first-order section is [0, 1, −r]).
    let re = [1];
    let im = [0];
    for (const r of roots) {
      const nre = new Array<number>(re.length + 1).fill(0);
      const nim = new Array<number>(re.length + 1).fill(0);
      for (let i = 0; i < re.length; i++) {
        nre[i]! += re[i]!;
        nim[i]! += im[i]!;
        nre[i + 1]! -= re[i]! * r.re - im[i]! * r.im;
        nim[i + 1]! -= re[i]! * r.im + im[i]! * r.re;
      }
      re = nre;
      im = nim;
    }
    while (re.length < 3) re.unshift(0);
    return re;
  };
  return [...poly(zeros), ...poly(poles)];
}

export function zpkToSos(zeros: readonly Complex[], poles: readonly Complex[], gain: number): Float64Array {
  let p = [...poles];
  let z = [...zeros];
  while (p.length < z.length) p.push(c(0));
  while (z.length < p.length) z.push(c(0));
  const nSections = (Math.max(p.length, z.length) + 1) >> 1;
  if (p.length % 2 === 1) {
    p.push(c(0));
    z.push(c(0));
  }
  z = cplxreal(z);
  p = cplxreal(p);
  const worst = (list: readonly Complex[]): number => {
    let best = 0;
    for (let i = 1; i < list.length; i++) if (Math.abs(1 - abs(list[i]!)) < Math.abs(1 - abs(list[best]!))) best = i;
    return best;
  };
  const take = (list: Complex[], i: number): Complex => list.splice(i, 1)[0]!;
  const sos = new Float64Array(nSections * 6);
  for (let si = nSections - 1; si >= 0; si--) {
    const p1 = take(p, worst(p));
    let row: number[];
    if (isReal(p1) && p.filter(isReal).length === 0) {
      const z1 = take(z, nearestIndex(z, p1, 'real'));
      row = section([z1, c(0)], [p1, c(0)]);
    } else if (p.length + 1 === z.length && !isReal(p1) && p.filter(isReal).length === 1 && z.filter(isReal).length === 1) {
      const z1 = take(z, nearestIndex(z, p1, 'complex'));
      row = section([z1, conj(z1)], [p1, conj(p1)]);
    } else {
      let p2: Complex;
      if (isReal(p1)) {
        const realIdx = p.map((_, i) => i).filter((i) => isReal(p[i]!));
        p2 = take(p, realIdx[worst(realIdx.map((i) => p[i]!))]!);
      } else {
        p2 = conj(p1);
      }
      if (z.length > 0) {
        const z1 = take(z, nearestIndex(z, p1, 'any'));
        if (!isReal(z1)) row = section([z1, conj(z1)], [p1, p2]);
        else if (z.length > 0) row = section([z1, take(z, nearestIndex(z, p1, 'real'))], [p1, p2]);
        else row = section([z1], [p1, p2]);
      } else {
        row = section([], [p1, p2]);
      }
    }
    sos.set(row, si * 6);
  }
  for (let i = 0; i < 3; i++) sos[i]! *= gain;
  return sos;
}
