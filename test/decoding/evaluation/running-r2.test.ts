import { describe, expect, it } from 'vitest';
import { RunningR2 } from '../../../decoding/evaluation/running-r2.js';

describe('RunningR2', () => {
  it('is 1 for perfect predictions, 0 for the mean, and forgets bins older than the window', () => {
    const r = new RunningR2(2, 4);
    expect(r.meanR2()).toBeNaN();
    const truth = [
      [1, 10],
      [2, 20],
      [3, 10],
      [4, 20],
    ];
    for (const t of truth) r.add([t[0]!, 15], t); // dimension 0 perfect, dimension 1 the mean
    expect(r.r2(0)).toBeCloseTo(1, 12);
    expect(r.r2(1)).toBeCloseTo(0, 12);
    expect(r.meanR2()).toBeCloseTo(0.5, 12);
    for (let i = 0; i < 4; i++) r.add([0, 0], [i, i]); // the window now holds only these
    // truth 0..3 (mean 1.5, SS_tot 5), prediction 0: SS_res = 0+1+4+9 = 14 → R² = 1 − 14/5
    expect(r.r2(0)).toBeCloseTo(1 - 14 / 5, 12);
    expect(r.size).toBe(4);
    expect(() => new RunningR2(1, 1)).toThrow(/RunningR2 window: expected an integer ≥ 2, got 1/);
  });

  it('pools the dimensions weighted by the variance of their truth, defined while any of them varies', () => {
    const r = new RunningR2(2, 10);
    // Dimension 0 held still (a trial along y only): its own R² is undefined, the pooled one is not.
    for (const y of [1, 2, 3, 4]) r.add([0.5, y + 0.5], [0, y]);
    expect(r.r2(0)).toBeNaN();
    // SS_res = 4 × 0.25 (dim 0) + 4 × 0.25 (dim 1) = 2; SS_tot = 0 + 5 → 1 − 2/5
    expect(r.pooledR2()).toBeCloseTo(1 - 2 / 5, 12);
    expect(new RunningR2(2, 10).pooledR2()).toBeNaN();
  });

  it('a dimension whose truth is constant up to rounding has no R², and the mean leaves it out', () => {
    const r = new RunningR2(2, 500);
    for (let i = 0; i < 500; i++) r.add([Math.sin(i / 10) + 0.1, 0.3 + 0.01 * Math.cos(i)], [Math.sin(i / 10), 0.3]);
    expect(r.r2(0)).toBeGreaterThan(0.9);
    expect(r.r2(1)).toBeNaN();
    expect(r.meanR2()).toBe(r.r2(0));
    const still = new RunningR2(1, 500);
    for (let i = 0; i < 500; i++) still.add([0.31], [0.3]);
    expect(still.r2(0)).toBeNaN();
    expect(still.pooledR2()).toBeNaN();
    expect(still.meanR2()).toBeNaN();
  });
});
