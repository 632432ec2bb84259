import { describe, expect, it } from 'vitest';
import { Random } from '../../../devices/simulators/random.js';

describe('Random', () => {
  it('repeats its sequence for the same seed and stream, and differs otherwise', () => {
    const a = new Random(7, 3);
    const b = new Random(7, 3);
    const c = new Random(7, 4);
    const d = new Random(8, 3);
    const seq = (r: Random) => Array.from({ length: 16 }, () => r.nextUint32());
    const sa = seq(a);
    expect(seq(b)).toEqual(sa);
    expect(seq(c)).not.toEqual(sa);
    expect(seq(d)).not.toEqual(sa);
  });

  it('draws standard normals: mean 0, variance 1, no excess kurtosis, Gaussian tails', () => {
    const r = new Random(1);
    const n = 400_000;
    let s1 = 0;
    let s2 = 0;
    let s4 = 0;
    let beyond3 = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s1 += x;
      s2 += x * x;
      s4 += x ** 4;
      if (Math.abs(x) > 3) beyond3++;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(0.01);
    expect(s2 / n).toBeCloseTo(1, 1);
    expect(s4 / n / (s2 / n) ** 2).toBeGreaterThan(2.9);
    expect(s4 / n / (s2 / n) ** 2).toBeLessThan(3.1);
    // P(|x| > 3) = 0.0027 for a Gaussian.
    expect(beyond3 / n).toBeGreaterThan(0.0022);
    expect(beyond3 / n).toBeLessThan(0.0032);
  });

  it('addNormal continues the same sequence as normal()', () => {
    const a = new Random(5);
    const b = new Random(5);
    const out = new Float32Array(10_000);
    a.addNormal(out, 0, out.length, 2);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(Math.fround(2 * b.normal()), 5);
    expect(a.nextUint32()).toBe(b.nextUint32());
  });

  it('draws uniforms on [0, 1) and exponentials with mean 1', () => {
    const r = new Random(2);
    let lo = 1;
    let hi = 0;
    let sum = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = r.uniform();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      sum += r.exponential();
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(sum / 100_000).toBeCloseTo(1, 1);
  });
});
