/**
 * Cross-validation of the continuous decoders, decoding every test fold through the
 * BuiltinDecoder a live session runs:
 *   - against scikit-learn on a synthetic problem (test/fixtures/ridge-reference.json);
 *   - on the m1 recording (../shared/data/spiking/m1_binned.csv: Stevenson et al. 2011, via the
 *     KordingLab spykesML repository): 171 units, 50 ms bins, hand velocity, 5 contiguous folds.
 *     Ridge with 5 bins of history (lags 4: 0–200 ms), alpha by inner CV, must reproduce the
 *     reference (scikit-learn 1.2: x 0.805, y 0.722, mean 0.764); measured here x 0.8052,
 *     y 0.7218, mean 0.7635 (the reference lags across the gap between the two training runs;
 *     this calibration does not, which moves the third decimal of single folds only).
 *     The Kalman filter (state [vel_x, vel_y, 1], Wu et al. 2003, steady-state gain) measures
 *     x 0.6037, y 0.4558, mean 0.5297 — the same to 1e-8 as a NumPy implementation of the same
 *     recipe. A velocity-only Kalman filter is expected below the Wiener filter here: it sees one
 *     bin of counts against five, and its linear-Gaussian observation model fits sparse counts
 *     poorly. The bounds leave 0.03 of margin under the measured figures.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../core/index.js';
import { type FeatureTable, readFeatureTable } from '../../decoding/datasets/feature-table.js';
import { crossValidateContinuous } from '../../decoding/evaluation/continuous-evaluation.js';
import { sharedData } from '../helpers/shared-data.js';

interface Reference {
  n: number;
  F: number;
  D: number;
  lags: number;
  X: number[];
  Y: number[];
  outerCv: { folds: number; alphas: number[]; perFold: { alpha: number; r2: number[]; correlation: number[] }[] };
}
const ref = JSON.parse(readFileSync(new URL('../fixtures/ridge-reference.json', import.meta.url), 'utf8')) as Reference;
const synthetic = {
  X: Float64Array.from(ref.X),
  Y: Float64Array.from(ref.Y),
  n: ref.n,
  featureNames: Array.from({ length: ref.F }, (_, f) => `f${f}`),
  targetNames: ['y0', 'y1'],
};

describe('crossValidateContinuous against scikit-learn', () => {
  it('ridge, 3 contiguous folds, inner CV: alpha, R² and correlation per fold to 1e-6', () => {
    const result = crossValidateContinuous(synthetic, { decoder: 'ridge', lags: ref.lags, folds: ref.outerCv.folds, alphas: ref.outerCv.alphas });
    expect(result.perFold.length).toBe(3);
    result.perFold.forEach((fold, i) => {
      const expected = ref.outerCv.perFold[i]!;
      expect(fold.alpha).toBe(expected.alpha);
      for (let d = 0; d < 2; d++) {
        expect(Math.abs(fold.r2[d]! - expected.r2[d]!)).toBeLessThan(1e-6);
        expect(Math.abs(fold.correlation[d]! - expected.correlation[d]!)).toBeLessThan(1e-6);
      }
    });
    const meanX = ref.outerCv.perFold.reduce((s, f) => s + f.r2[0]!, 0) / 3;
    expect(result.r2[0]).toBeCloseTo(meanX, 6);
    expect(result.meanR2).toBeCloseTo((result.r2[0]! + result.r2[1]!) / 2, 12);
  });

  it('random splits reset the decoder at every gap and are reproducible from the seed', () => {
    const a = crossValidateContinuous(synthetic, { decoder: 'ridge', lags: 1, splits: 3, testSize: 0.25, seed: 1, alphas: [1] });
    const b = crossValidateContinuous(synthetic, { decoder: 'ridge', lags: 1, splits: 3, testSize: 0.25, seed: 1, alphas: [1] });
    expect(a.perFold.length).toBe(3);
    expect(a.perFold[0]!.testSize).toBe(60);
    expect(a.r2).toEqual(b.r2);
    expect(a.meanR2).toBeGreaterThan(0.8);
  });

  it('keeps lags and decoder state from crossing from one input (recording) into the next', () => {
    const half = synthetic.n / 2;
    const joined = crossValidateContinuous(synthetic, { decoder: 'ridge', lags: 2, folds: 3, alphas: [1] });
    const separate = crossValidateContinuous({ ...synthetic, runStarts: [0, half] }, { decoder: 'ridge', lags: 2, folds: 3, alphas: [1] });
    // The middle fold spans the boundary: its lags and resets differ; the data are the same.
    expect(separate.perFold[1]!.r2).not.toEqual(joined.perFold[1]!.r2);
    expect(separate.perFold.map((f) => f.testSize)).toEqual(joined.perFold.map((f) => f.testSize));
  });

  it('rejects unknown decoders and contradictory splits', () => {
    expect(() => crossValidateContinuous(synthetic, { decoder: 'lda' as 'ridge' })).toThrow(/--decoder: expected one of ridge, kalman/);
    expect(() => crossValidateContinuous(synthetic, { decoder: 'ridge', folds: 3, splits: 2 })).toThrow(InvalidOptionError);
    expect(() => crossValidateContinuous(synthetic, { decoder: 'ridge', folds: 1 })).toThrow(/--folds/);
  });
});

describe('m1 motor cortex: velocity from 171 units, 5 contiguous folds', () => {
  let table: FeatureTable;
  beforeAll(async () => {
    table = await readFeatureTable(sharedData('spiking/m1_binned.csv'), { features: 'unit_*', target: ['vel_x', 'vel_y'] });
  });

  it('Kalman filter: R² x ≈ 0.604, y ≈ 0.456 (mean ≥ 0.50)', () => {
    const result = crossValidateContinuous(table, { decoder: 'kalman', folds: 5 });
    expect(result.r2[0]).toBeCloseTo(0.6037, 3);
    expect(result.r2[1]).toBeCloseTo(0.4558, 3);
    expect(result.meanR2).toBeGreaterThanOrEqual(0.5);
    expect(result.meanCorrelation).toBeGreaterThan(0.7);
    for (const fold of result.perFold) expect(fold.meanR2).toBeGreaterThan(0.4);
  });

  it('ridge with 5 bins of history (lags 4), alpha by inner CV: mean R² ≥ 0.76 (scikit-learn 0.764)', () => {
    const result = crossValidateContinuous(table, { decoder: 'ridge', lags: 4, folds: 5 });
    expect(result.r2[0]!).toBeGreaterThanOrEqual(0.8);
    expect(result.r2[1]!).toBeGreaterThanOrEqual(0.715);
    expect(result.meanR2).toBeGreaterThanOrEqual(0.76);
    expect(result.r2[0]).toBeCloseTo(0.805, 2);
    expect(result.r2[1]).toBeCloseTo(0.722, 2);
    // the inner CV chooses alpha 1000 in every fold, as scikit-learn does
    expect(result.perFold.map((f) => f.alpha)).toEqual([1000, 1000, 1000, 1000, 1000]);
  }, 400_000);
});
