import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { InvalidDataError, InvalidOptionError } from '../../core/index.js';
import { calibrateLda, ledoitWolfShrinkage } from '../../decoding/calibration/lda-calibration.js';
import { BuiltinDecoder } from '../../decoding/decoders/builtin-decoder.js';
import { ldaForward, type LdaModel } from '../../decoding/models.js';

/** A seeded normal generator (mulberry32 + Box–Muller). */
function normal(seed: number): () => number {
  let a = seed >>> 0;
  const u = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Two Gaussian blobs in 2-D sharing Σ = [[1, 0.5], [0.5, 2]]: class a at (0, 0), b at (2, 1); b twice as many. */
function blobs(nA: number, nB: number, seed = 1): { X: Float64Array; labels: string[] } {
  const g = normal(seed);
  const n = nA + nB;
  const X = new Float64Array(n * 2);
  const labels: string[] = [];
  // Cholesky of Σ: L = [[1, 0], [0.5, √1.75]]
  for (let i = 0; i < n; i++) {
    const z0 = g();
    const z1 = g();
    const b = i >= nA;
    X[2 * i] = (b ? 2 : 0) + z0;
    X[2 * i + 1] = (b ? 1 : 0) + 0.5 * z0 + Math.sqrt(1.75) * z1;
    labels.push(b ? 'b' : 'a');
  }
  return { X, labels };
}

function posterior(model: LdaModel, x: number[]): Float64Array {
  const out = new Float64Array(model.classes.length);
  ldaForward(model, x, new Float64Array(x.length), out);
  return out;
}

describe('calibrateLda on two Gaussian blobs', () => {
  const { X, labels } = blobs(2000, 4000);
  const model = calibrateLda(X, 6000, 2, labels, { featureNames: ['x', 'y'] });

  test('posteriors approach the Bayes posterior of the true distributions (priors 1/3, 2/3)', () => {
    // True: Σ⁻¹ = 1/1.75 · [[2, −0.5], [−0.5, 1]]; log-odds b:a = (μb − μa)ᵀΣ⁻¹x − ½(μbᵀΣ⁻¹μb − μaᵀΣ⁻¹μa) + log 2
    const si = [2 / 1.75, -0.5 / 1.75, 1 / 1.75];
    const w = [2 * si[0]! + 1 * si[1]!, 2 * si[1]! + 1 * si[2]!];
    const bias = -0.5 * (2 * w[0]! + 1 * w[1]!) + Math.log(2);
    for (const x of [[0, 0], [2, 1], [1, 0.5], [-1, 3], [3, -2]]) {
      const truth = 1 / (1 + Math.exp(-(w[0]! * x[0]! + w[1]! * x[1]! + bias)));
      expect(posterior(model, x)[1]).toBeCloseTo(truth, 1);
    }
    expect(model.classes).toEqual(['a', 'b']);
    expect(model.shrinkage).toBe(0);
    // The intercepts carry the training priors.
    const mid = posterior(model, [1, 0.5]);
    expect(mid[1]! / mid[0]!).toBeGreaterThan(1.5);
  });

  test('runs as a BuiltinDecoder, probabilities summing to 1', () => {
    const decoder = new BuiltinDecoder(model);
    expect(decoder.kind).toBe('discrete');
    expect(decoder.outputNames).toEqual(['a', 'b']);
    const p = decoder.decode(Float32Array.of(2, 1));
    expect(p[0]! + p[1]!).toBeCloseTo(1, 6);
    expect(p[1]).toBeGreaterThan(0.8);
  });

  test('class order as asked', () => {
    const swapped = calibrateLda(X, 6000, 2, labels, { featureNames: ['x', 'y'], classes: ['b', 'a'] });
    const p = posterior(swapped, [2, 1]);
    const q = posterior(model, [2, 1]);
    expect(p[0]).toBeCloseTo(q[1]!, 12);
  });

  test('shrinkage: 1 turns Σ into a scaled identity; auto is small for plenty of data and larger for few', () => {
    const full = calibrateLda(X, 6000, 2, labels, { featureNames: ['x', 'y'], shrinkage: 1 });
    // With Σ ∝ I the coefficient difference is parallel to μb − μa = (2, 1).
    const d0 = full.coef[2]! - full.coef[0]!;
    const d1 = full.coef[3]! - full.coef[1]!;
    expect(d0 / d1).toBeCloseTo(2, 1);
    expect(full.shrinkage).toBe(1);
    const auto = calibrateLda(X, 6000, 2, labels, { featureNames: ['x', 'y'], shrinkage: 'auto' });
    expect(auto.shrinkage).toBeGreaterThanOrEqual(0);
    expect(auto.shrinkage).toBeLessThan(0.05);
    // 20 features, 12 samples: singular without shrinkage; Ledoit–Wolf makes it usable.
    const g = normal(7);
    const few = Float64Array.from({ length: 12 * 20 }, () => g());
    const fewLabels = Array.from({ length: 12 }, (_, i) => (i % 2 ? 'a' : 'b'));
    const names = Array.from({ length: 20 }, (_, i) => `f${i}`);
    const shrunk = calibrateLda(few, 12, 20, fewLabels, { featureNames: names, shrinkage: 'auto' });
    expect(shrunk.shrinkage).toBeGreaterThan(0.3);
    for (const v of shrunk.coef) expect(Number.isFinite(v)).toBe(true);
  });

  test('Ledoit–Wolf intensity: scikit-learn ledoit_wolf_shrinkage on a fixed matrix', () => {
    // X[i] = [i % 5, (i² % 7) + 0.5 (i % 5), (3i % 5) − 0.2 i], i = 0 … 11:
    // sklearn.covariance.ledoit_wolf_shrinkage(X) = 0.5995244624228983 (scikit-learn 1.2.1)
    const M = new Float64Array(12 * 3);
    for (let i = 0; i < 12; i++) M.set([i % 5, ((i * i) % 7) + 0.5 * (i % 5), ((3 * i) % 5) - 0.2 * i], 3 * i);
    expect(ledoitWolfShrinkage(M, 12, 3)).toBeCloseTo(0.5995244624228983, 12);
  });

  test('errors name the option or field, what was expected and what came', () => {
    expect(() => calibrateLda(X, 6000, 2, labels, { featureNames: ['x'] })).toThrow(/featureNames: expected 2 names/);
    expect(() => calibrateLda(X, 6000, 2, labels, { featureNames: ['x', 'y'], classes: ['a', 'c'] })).toThrow(InvalidDataError);
    expect(() => calibrateLda(X, 6000, 2, labels, { featureNames: ['x', 'y'], shrinkage: 2 })).toThrow(InvalidOptionError);
    expect(() => calibrateLda(X, 6000, 2, labels.map(() => 'a'), { featureNames: ['x', 'y'] })).toThrow(/classes: expected at least two distinct classes/);
    expect(() => calibrateLda(X, 5000, 2, labels, { featureNames: ['x', 'y'] })).toThrow(/lda X: expected a Float64Array of 5000 × 2 values/);
  });
});

describe("calibrateLda matches scikit-learn's LinearDiscriminantAnalysis (CSP features of the MNE example)", () => {
  const ref = JSON.parse(readFileSync(new URL('../fixtures/csp-reference.json', import.meta.url), 'utf8')) as {
    labels: string[];
    csp: { features: number[][] };
    lda: { probabilityOfT2: Record<string, number[]> };
  };
  const n = ref.labels.length;
  const X = Float64Array.from(ref.csp.features.flat());
  const names = ['csp1', 'csp2', 'csp3', 'csp4'];
  for (const [key, shrinkage] of [['svd', undefined], ['auto', 'auto'], ['fixed0.3', 0.3]] as const) {
    test(`${key}: predict_proba of every epoch`, () => {
      const model = calibrateLda(X, n, 4, ref.labels, { featureNames: names, ...(shrinkage !== undefined ? { shrinkage } : {}) });
      const expected = ref.lda.probabilityOfT2[key]!;
      for (let i = 0; i < n; i++) expect(posterior(model, ref.csp.features[i]!)[1]).toBeCloseTo(expected[i]!, 8);
    });
  }
});
