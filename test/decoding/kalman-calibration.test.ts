/**
 * Kalman calibration on a simulated linear-Gaussian system (known A, H): the least-squares
 * estimates recover them, the steady-state gain is the fixed point of the Riccati recursion
 * (checked with the information form, an independent formula), the constant state stays 1, and
 * the BuiltinDecoder running the model tracks the hidden state.
 */
import { Matrix, inverse } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { calibrateKalman } from '../../decoding/calibration/kalman-calibration.js';
import { BuiltinDecoder } from '../../decoding/decoders/builtin-decoder.js';
import { r2Scores } from '../../decoding/evaluation/regression-metrics.js';

/** mulberry32 + Box–Muller */
function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

const N0 = 2;
const M = 8;
const A_TRUE = [0.95, 0.1, -0.1, 0.95];
const H_TRUE = Array.from({ length: M * N0 }, (_, i) => Math.sin(1.3 * i + 0.4) * 2);
const OFFSET = Array.from({ length: M }, (_, m) => 5 + m);

function simulate(n: number, seed: number): { X: Float64Array; Y: Float64Array } {
  const g = gaussian(seed);
  const X = new Float64Array(n * M);
  const Y = new Float64Array(n * N0);
  let v = [0, 0];
  for (let t = 0; t < n; t++) {
    v = [A_TRUE[0]! * v[0]! + A_TRUE[1]! * v[1]! + 0.3 * g(), A_TRUE[2]! * v[0]! + A_TRUE[3]! * v[1]! + 0.3 * g()];
    Y.set(v, t * N0);
    for (let m = 0; m < M; m++) X[t * M + m] = OFFSET[m]! + H_TRUE[m * N0]! * v[0]! + H_TRUE[m * N0 + 1]! * v[1]! + 1.5 * g();
  }
  return { X, Y };
}

const featureNames = Array.from({ length: M }, (_, m) => `u${m}`);
const targetNames = ['vel_x', 'vel_y'];

describe('calibrateKalman', () => {
  const { X, Y } = simulate(20000, 7);

  it('recovers A; the state carries a constant with A row [0 0 1] and no process noise', () => {
    let riccati = { iterations: 0, converged: false, change: 0, qRidgeApplied: -1 };
    const model = calibrateKalman(X, Y, 20000, M, N0, { featureNames, targetNames, onRiccati: (r) => (riccati = r) });
    expect(model.stateNames).toEqual(['vel_x', 'vel_y', 'constant']);
    const A = Array.from(model.A);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) expect(A[i * 3 + j]!).toBeCloseTo(A_TRUE[i * 2 + j]!, 1);
    expect(A.slice(6)).toEqual([0, 0, 1]);
    expect(Array.from(model.W.subarray(6))).toEqual([0, 0, 0]);
    expect(model.W[0]!).toBeCloseTo(0.09, 2);
    expect(model.x0[2]).toBe(1);
    // H on standardised features: H_true[m] / std_m
    for (let m = 0; m < M; m++) {
      for (let j = 0; j < 2; j++) expect(model.H[m * 3 + j]! * model.standardizer.std[m]!).toBeCloseTo(H_TRUE[m * 2 + j]!, 0);
    }
    // the gain's row for the constant is exactly zero: it stays 1
    expect(Array.from(model.K.subarray(2 * M))).toEqual(new Array(M).fill(0));
    expect(riccati.converged).toBe(true);
    expect(riccati.qRidgeApplied).toBe(0);
    expect(riccati.iterations).toBeLessThan(1000);
  });

  it('K is the Riccati fixed point (information form: P = (P⁻⁻¹ + HᵀQ⁻¹H)⁻¹, K = PHᵀQ⁻¹)', () => {
    const model = calibrateKalman(X, Y, 20000, M, N0, { featureNames, targetNames, offset: false });
    const A = Matrix.from1DArray(2, 2, model.A);
    const W = Matrix.from1DArray(2, 2, model.W);
    const H = Matrix.from1DArray(M, 2, model.H);
    const Qi = inverse(Matrix.from1DArray(M, M, model.Q));
    let P = W.clone();
    let K = new Matrix(2, M);
    for (let i = 0; i < 2000; i++) {
      const prior = A.mmul(P).mmul(A.transpose()).add(W);
      P = inverse(inverse(prior).add(H.transpose().mmul(Qi).mmul(H)));
      K = P.mmul(H.transpose()).mmul(Qi);
    }
    const k = K.to1DArray();
    for (let i = 0; i < k.length; i++) expect(Math.abs(model.K[i]! - k[i]!)).toBeLessThan(1e-9);
  });

  it('the decoder tracks the hidden state on new data (R² > 0.85 each)', () => {
    const model = calibrateKalman(X, Y, 20000, M, N0, { featureNames, targetNames });
    const test = simulate(3000, 99);
    const decoder = new BuiltinDecoder(model);
    const predicted = new Float64Array(3000 * 2);
    for (let t = 0; t < 3000; t++) predicted.set(decoder.decode(Float32Array.from(test.X.subarray(t * M, (t + 1) * M))), t * 2);
    const r2 = r2Scores(test.Y, predicted, 3000, 2);
    expect(r2[0]!).toBeGreaterThan(0.85);
    expect(r2[1]!).toBeGreaterThan(0.85);
  });

  it('with a diagonal Q (the default beyond 512 features) the decoder still tracks the state; the gain differs', () => {
    const diagonal = calibrateKalman(X, Y, 20000, M, N0, { featureNames, targetNames, qStructure: 'diagonal' });
    const full = calibrateKalman(X, Y, 20000, M, N0, { featureNames, targetNames });
    for (let a = 0; a < M; a++) for (let b = 0; b < M; b++) if (a !== b) expect(diagonal.Q[a * M + b]).toBe(0);
    expect(diagonal.Q[0]).toBeCloseTo(full.Q[0]!, 12); // the same residual variances on the diagonal
    expect(Math.max(...diagonal.K.map((k, i) => Math.abs(k - full.K[i]!)))).toBeGreaterThan(0); // …the gain is not the same filter
    const test = simulate(3000, 99);
    const decoder = new BuiltinDecoder(diagonal);
    const predicted = new Float64Array(3000 * 2);
    for (let t = 0; t < 3000; t++) predicted.set(decoder.decode(Float32Array.from(test.X.subarray(t * M, (t + 1) * M))), t * 2);
    const r2 = r2Scores(test.Y, predicted, 3000, 2);
    expect(r2[0]!).toBeGreaterThan(0.8);
    expect(r2[1]!).toBeGreaterThan(0.8);
  });

  it('regularises a singular Q (a silent unit) and still converges', () => {
    const silent = Float64Array.from(X);
    for (let t = 0; t < 20000; t++) silent[t * M + 3] = 0;
    let applied = 0;
    const model = calibrateKalman(silent, Y, 20000, M, N0, { featureNames, targetNames, onRiccati: (r) => (applied = r.qRidgeApplied) });
    expect(applied).toBeGreaterThan(0);
    expect(model.K.every((v) => Number.isFinite(v))).toBe(true);
    expect(model.standardizer.std[3]).toBe(1);
  });

  it('transitions do not cross the start of a run', () => {
    const a = calibrateKalman(X, Y, 20000, M, N0, { featureNames, targetNames, runStarts: [0, 10000] });
    const b = calibrateKalman(X, Y, 20000, M, N0, { featureNames, targetNames });
    expect(a.A[0]).not.toBe(b.A[0]);
    expect(Math.abs(a.A[0]! - b.A[0]!)).toBeLessThan(1e-3);
    expect(() => calibrateKalman(X, Y, 20000, M, N0, { featureNames, targetNames, runStarts: [20000] })).toThrow(/runStarts/);
  });
});
