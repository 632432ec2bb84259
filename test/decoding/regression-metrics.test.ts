import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../../core/index.js';
import { pearsonCorrelations, r2Scores, regressionScores, truthVaries, undefinedR2Notes } from '../../decoding/evaluation/regression-metrics.js';

describe('regression metrics', () => {
  const truth = Float64Array.from([1, 10, 2, 20, 4, 5, 3, 30]); // n 4 × D 2

  it('a perfect prediction has R² 1 and correlation 1', () => {
    const s = regressionScores(truth, truth, 4, 2);
    expect(s.r2).toEqual([1, 1]);
    expect(s.correlation[0]).toBeCloseTo(1, 12);
    expect(s.correlation[1]).toBeCloseTo(1, 12);
    expect(s.meanR2).toBe(1);
  });

  it('predicting the mean of the truth has R² 0; worse than the mean is negative', () => {
    const mean = Float64Array.from([2.5, 16.25, 2.5, 16.25, 2.5, 16.25, 2.5, 16.25]);
    expect(r2Scores(truth, mean, 4, 2)).toEqual([0, 0]);
    const opposite = Float64Array.from([4, 30, 3, 20, 1, 5, 2, 10]);
    expect(r2Scores(truth, opposite, 4, 2)[0]!).toBeLessThan(0);
  });

  it('matches hand-computed values (scikit-learn r2_score, SciPy pearsonr)', () => {
    // truth x = [1, 2, 4, 3], prediction [1.5, 2, 3, 3.5]: SS_res = 0.25 + 0 + 1 + 0.25, SS_tot = 5
    const pred = Float64Array.from([1.5, 0, 2, 0, 3, 0, 3.5, 0]);
    const t = Float64Array.from([1, 0, 2, 0, 4, 0, 3, 0]);
    expect(r2Scores(t, pred, 4, 2)[0]).toBeCloseTo(1 - 1.5 / 5, 14);
    // r = Σab / √(Σa² Σb²): a = [-1.5, -.5, 1.5, .5], b = [-1, -.5, .5, 1] → 3 / √(5 · 2.5)
    expect(pearsonCorrelations(t, pred, 4, 2)[0]).toBeCloseTo(3 / Math.sqrt(5 * 2.5), 14);
    // a constant truth: R² and correlation undefined, even when predicted exactly
    expect(r2Scores(t, pred, 4, 2)[1]).toBeNaN();
    expect(pearsonCorrelations(t, pred, 4, 2)[1]).toBeNaN();
  });

  it('a truth constant up to rounding has no R² or correlation (not −1e13), and the means leave it out', () => {
    // 0.3 repeated: the computed mean is off by rounding, so SS_tot is tiny but not zero.
    const n = 15_000;
    const t = new Float64Array(n * 2);
    const pred = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) {
      t[i * 2] = Math.sin(i / 10);
      pred[i * 2] = Math.sin(i / 10) + 0.1 * Math.cos(i / 7);
      t[i * 2 + 1] = 0.3;
      pred[i * 2 + 1] = 0.3 + 0.01 * Math.sin(i);
    }
    const s = regressionScores(t, pred, n, 2);
    expect(s.r2[0]).toBeGreaterThan(0.9);
    expect(s.r2[1]).toBeNaN();
    expect(s.correlation[1]).toBeNaN();
    expect(s.meanR2).toBe(s.r2[0]);
    expect(s.meanCorrelation).toBe(s.correlation[0]);
    expect(truthVaries(t, n, 2)).toEqual([true, false]);
    expect(undefinedR2Notes(['vel_x', 'vel_y'], [[true, false]])).toEqual(['R² undefined: target vel_y has no variance']);
    expect(undefinedR2Notes(['vel_x', 'vel_y'], [[true, true], [true, false], [true, true]])).toEqual(['R² of vel_y: mean over 2 of 3 folds; undefined in fold 1 (target vel_y has no variance there)']);
    // A small but real variation (1e-6 of the scale) is variance.
    for (let i = 0; i < n; i++) t[i * 2 + 1] = 0.3 + 3e-7 * Math.sin(i);
    expect(Number.isFinite(r2Scores(t, pred, n, 2)[1])).toBe(true);
  });

  it('rejects mismatched shapes', () => {
    expect(() => r2Scores(truth, new Float64Array(6), 4, 2)).toThrow(InvalidDataError);
    expect(() => r2Scores(truth, truth, 3, 2)).toThrow(/truth: expected 3 × 2 = 6 values/);
  });
});
