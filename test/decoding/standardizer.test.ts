import { describe, expect, it } from 'vitest';
import { applyStandardizer, fitStandardizer, runFirstRows } from '../../decoding/calibration/standardizer.js';

describe('standardizer', () => {
  // n 4 × F 3: a varying feature, a constant one, a large-offset one
  const X = Float64Array.from([1, 5, 1000, 2, 5, 1002, 3, 5, 1004, 10, 5, 2000]);

  it('fits the mean and the population std (ddof 0); a constant feature gets std 1', () => {
    const s = fitStandardizer(X, 4, 3);
    expect(Array.from(s.mean)).toEqual([4, 5, 1251.5]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt((9 + 4 + 1 + 36) / 4), 12);
    expect(s.std[1]).toBe(1);
    const Z = applyStandardizer(s, X, 4, 3);
    expect(Array.from({ length: 4 }, (_, r) => Z[r * 3 + 1])).toEqual([0, 0, 0, 0]);
    let sum = 0;
    let sq = 0;
    for (let r = 0; r < 4; r++) {
      sum += Z[r * 3 + 2]!;
      sq += Z[r * 3 + 2]! ** 2;
    }
    expect(sum).toBeCloseTo(0, 12);
    expect(sq / 4).toBeCloseTo(1, 12);
  });

  it('fits on the training rows only', () => {
    const s = fitStandardizer(X, 4, 3, Int32Array.from([0, 1, 2]));
    expect(s.mean[0]).toBe(2);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(2 / 3), 14);
    expect(s.mean[2]).toBe(1002);
  });

  it('rejects bad shapes and rows', () => {
    expect(() => fitStandardizer(X, 5, 3)).toThrow(/standardizer X: expected 5 × 3 = 15 values/);
    expect(() => fitStandardizer(X, 4, 3, [0, 7])).toThrow(/standardizer rows/);
  });

  it('runFirstRows: the first row of each run', () => {
    expect(Array.from(runFirstRows(6, [0, 3]))).toEqual([0, 0, 0, 3, 3, 3]);
    expect(Array.from(runFirstRows(3))).toEqual([0, 0, 0]);
    expect(() => runFirstRows(3, [5])).toThrow(/runStarts/);
  });
});
