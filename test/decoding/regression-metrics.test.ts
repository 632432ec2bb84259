import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../../core/index.js';
import { pearsonCorrelations, r2Scores, regressionScores } from '../../decoding/evaluation/regression-metrics.js';

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
    // a constant truth: R² 1 when exact, 0 otherwise (force_finite); correlation undefined
    expect(r2Scores(t, pred, 4, 2)[1]).toBe(1);
    expect(pearsonCorrelations(t, pred, 4, 2)[1]).toBeNaN();
  });

  it('rejects mismatched shapes', () => {
    expect(() => r2Scores(truth, new Float64Array(6), 4, 2)).toThrow(InvalidDataError);
    expect(() => r2Scores(truth, truth, 3, 2)).toThrow(/truth: expected 3 × 2 = 6 values/);
  });
});
