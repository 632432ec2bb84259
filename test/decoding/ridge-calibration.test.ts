/**
 * Ridge calibration against scikit-learn (test/fixtures/generate-ridge-reference.py, run with
 * Debian's python3-sklearn): the z-scoring, the lag-major design with zeros before each run,
 * the fit with intercept, the inner-CV scores and the choice of alpha.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidDataError, InvalidOptionError } from '../../core/index.js';
import { calibrateRidge, laggedDesign } from '../../decoding/calibration/ridge-calibration.js';
import { BuiltinDecoder } from '../../decoding/decoders/builtin-decoder.js';

interface Reference {
  n: number;
  F: number;
  D: number;
  lags: number;
  X: number[];
  Y: number[];
  fixed: { alpha: number; runStarts: number[]; mean: number[]; std: number[]; weights: number[]; bias: number[] };
  innerCv: { alphas: number[]; innerFolds: number; runStarts: number[]; meanR2: number[]; chosen: number };
}
const ref = JSON.parse(readFileSync(new URL('../fixtures/ridge-reference.json', import.meta.url), 'utf8')) as Reference;
const X = Float64Array.from(ref.X);
const Y = Float64Array.from(ref.Y);
const featureNames = Array.from({ length: ref.F }, (_, f) => `f${f}`);
const targetNames = ['y0', 'y1'];

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(Math.abs(actual[i]! - expected[i]!), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThan(tolerance);
}

describe('laggedDesign', () => {
  it('is lag-major with zeros before the start of each run', () => {
    // n 5 × F 2, runs start at 0 and 3
    const Z = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const d = laggedDesign(Z, 5, 2, 2, [0, 3]);
    const rows = Array.from({ length: 5 }, (_, t) => Array.from(d.subarray(t * 6, t * 6 + 6)));
    expect(rows).toEqual([
      [1, 2, 0, 0, 0, 0],
      [3, 4, 1, 2, 0, 0],
      [5, 6, 3, 4, 1, 2],
      [7, 8, 0, 0, 0, 0],
      [9, 10, 7, 8, 0, 0],
    ]);
    expect(Array.from(laggedDesign(Z, 5, 2, 0))).toEqual(Array.from(Z));
  });
});

describe('calibrateRidge against scikit-learn', () => {
  it('fixed alpha: the standardizer, the weights and the bias to 1e-6', () => {
    const model = calibrateRidge(X, Y, ref.n, ref.F, ref.D, { lags: ref.lags, alphas: [ref.fixed.alpha], runStarts: ref.fixed.runStarts, featureNames, targetNames });
    expect(model.type).toBe('ridge');
    expect(model.lags).toBe(ref.lags);
    expect(model.alpha).toBe(ref.fixed.alpha);
    expectClose(model.standardizer.mean, ref.fixed.mean, 1e-9);
    expectClose(model.standardizer.std, ref.fixed.std, 1e-9);
    expectClose(model.weights, ref.fixed.weights, 1e-6);
    expectClose(model.bias, ref.fixed.bias, 1e-6);
  });

  it('inner CV: the mean R² of every alpha to 1e-6 and the same choice', () => {
    let scores: ReadonlyArray<{ alpha: number; meanR2: number }> = [];
    const model = calibrateRidge(X, Y, ref.n, ref.F, ref.D, {
      lags: ref.lags,
      alphas: ref.innerCv.alphas,
      innerFolds: ref.innerCv.innerFolds,
      runStarts: ref.innerCv.runStarts,
      featureNames,
      targetNames,
      onAlphaScores: (s) => (scores = s),
    });
    expect(scores.map((s) => s.alpha)).toEqual(ref.innerCv.alphas);
    expectClose(
      scores.map((s) => s.meanR2),
      ref.innerCv.meanR2,
      1e-6,
    );
    expect(model.alpha).toBe(ref.innerCv.chosen);
  });

  it('the model runs in the BuiltinDecoder: its first bins equal the design times the weights', () => {
    const model = calibrateRidge(X, Y, ref.n, ref.F, ref.D, { lags: ref.lags, alphas: [ref.fixed.alpha], featureNames, targetNames });
    const decoder = new BuiltinDecoder(model);
    const P = (ref.lags + 1) * ref.F;
    const Z = new Float64Array(ref.n * ref.F);
    for (let i = 0; i < Z.length; i++) Z[i] = (X[i]! - model.standardizer.mean[i % ref.F]!) / model.standardizer.std[i % ref.F]!;
    const design = laggedDesign(Z, ref.n, ref.F, ref.lags);
    for (let t = 0; t < 6; t++) {
      const out = decoder.decode(Float32Array.from(X.subarray(t * ref.F, (t + 1) * ref.F)));
      for (let d = 0; d < ref.D; d++) {
        let y = model.bias[d]!;
        for (let j = 0; j < P; j++) y += design[t * P + j]! * model.weights[j * ref.D + d]!;
        expect(out[d]).toBeCloseTo(y, 5);
      }
    }
  });

  it('rejects bad options and data with the name of what is wrong', () => {
    const base = { lags: 1, featureNames, targetNames };
    expect(() => calibrateRidge(X, Y, ref.n, ref.F, ref.D, { ...base, lags: -1 })).toThrow(InvalidOptionError);
    expect(() => calibrateRidge(X, Y, ref.n, ref.F, ref.D, { ...base, alphas: [] })).toThrow(/--alphas/);
    expect(() => calibrateRidge(X, Y, ref.n, ref.F, ref.D, { ...base, alphas: [1, 0] })).toThrow(/--alphas\[1\]/);
    expect(() => calibrateRidge(X, Y, ref.n, ref.F, ref.D, { ...base, featureNames: ['a'] })).toThrow(/featureNames: expected 6 names/);
    expect(() => calibrateRidge(X, Y, ref.n + 1, ref.F, ref.D, base)).toThrow(InvalidDataError);
    const nan = Float64Array.from(X);
    nan[7] = Number.NaN;
    expect(() => calibrateRidge(nan, Y, ref.n, ref.F, ref.D, base)).toThrow(/calibration X row 1, feature "f1": expected a finite number, got NaN/);
  });
});
