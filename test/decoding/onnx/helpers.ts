/** Seeded random models and inputs for the ONNX tests, and a reader of exported initializers. */
import { Matrix, inverse } from 'ml-matrix';
import onnxProto from 'onnx-proto';
import type { CspLdaModel, KalmanModel, LdaModel, RidgeModel, Standardizer } from '../../../decoding/models.js';

/** xorshift32-based generator, independent of the one the exporter uses. */
export class TestRandom {
  private s: number;
  constructor(seed: number) {
    this.s = (seed * 2654435761) >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x / 4294967296;
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  array(n: number, lo: number, hi: number): Float64Array {
    return Float64Array.from({ length: n }, () => this.uniform(lo, hi));
  }
}

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function standardizer(r: TestRandom, F: number): Standardizer {
  return { mean: r.array(F, -2, 2), std: r.array(F, 0.5, 2) };
}

export function randomRidge(r: TestRandom, F: number, D: number, lags: number): RidgeModel {
  return {
    type: 'ridge',
    inputNames: names('f', F),
    outputNames: names('vel_', D),
    lags,
    standardizer: standardizer(r, F),
    weights: r.array((lags + 1) * F * D, -0.3, 0.3),
    bias: r.array(D, -1, 1),
    alpha: 1,
  };
}

/** A Kalman model with the steady-state gain from iterating the Riccati recursion (ml-matrix, float64). */
export function randomKalman(r: TestRandom, M: number, N: number, D: number): KalmanModel {
  const A = Matrix.eye(N, N).mul(0.9);
  for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) A.set(i, j, A.get(i, j) + r.uniform(-0.05, 0.05));
  const H = new Matrix(M, N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) H.set(i, j, r.uniform(-1, 1));
  const diag = (n: number, lo: number, hi: number): Matrix => {
    const m = new Matrix(n, n);
    for (let i = 0; i < n; i++) m.set(i, i, r.uniform(lo, hi));
    return m;
  };
  const W = diag(N, 0.01, 0.1);
  const Q = diag(M, 0.5, 2);
  let P = Matrix.eye(N, N);
  let K = new Matrix(N, M);
  for (let it = 0; it < 500; it++) {
    const Pm = A.mmul(P).mmul(A.transpose()).add(W);
    const S = H.mmul(Pm).mmul(H.transpose()).add(Q);
    K = Pm.mmul(H.transpose()).mmul(inverse(S));
    P = Matrix.eye(N, N).sub(K.mmul(H)).mmul(Pm);
  }
  const flat = (m: Matrix): Float64Array => Float64Array.from(m.to1DArray());
  return {
    type: 'kalman',
    inputNames: names('f', M),
    outputNames: names('pos_', D),
    stateNames: names('x', N),
    standardizer: standardizer(r, M),
    A: flat(A),
    W: flat(W),
    H: flat(H),
    Q: flat(Q),
    x0: r.array(N, -1, 1),
    K: flat(K),
  };
}

export function randomLda(r: TestRandom, F: number, K: number, withStandardizer: boolean): LdaModel {
  return {
    type: 'lda',
    inputNames: names('f', F),
    classes: names('class_', K),
    ...(withStandardizer ? { standardizer: standardizer(r, F) } : {}),
    coef: r.array(K * F, -1, 1),
    intercept: r.array(K, -1, 1),
    shrinkage: 0,
  };
}

export function randomCspLda(r: TestRandom, C: number, T: number, k: number, K: number): CspLdaModel {
  const lda = randomLda(r, k, K, true);
  return {
    type: 'csp-lda',
    channelNames: names('ch', C),
    samples: T,
    classes: lda.classes,
    filters: r.array(k * C, -1, 1),
    components: k,
    lda: { ...lda, inputNames: names('csp', k), standardizer: { mean: r.array(k, -0.5, 0.5), std: r.array(k, 0.5, 2) } },
  };
}

/** Inputs around each feature's mean, spread by its std (so standardised values are O(1)). */
export function randomInputs(r: TestRandom, s: Standardizer | undefined, F: number, steps: number): Float32Array[] {
  return Array.from({ length: steps }, () =>
    Float32Array.from({ length: F }, (_, f) => (s ? s.mean[f]! + s.std[f]! * r.normal() : r.normal())),
  );
}

/** The float32 initializers of a serialised ONNX model, by name. */
export function readInitializers(bytes: Uint8Array): Map<string, { dims: number[]; data: Float32Array }> {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const out = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const t of model.graph?.initializer ?? []) {
    if (t.dataType !== onnxProto.onnx.TensorProto.DataType.FLOAT || !t.rawData) continue;
    const raw = t.rawData;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const data = Float32Array.from({ length: raw.byteLength / 4 }, (_, i) => view.getFloat32(i * 4, true));
    out.set(t.name!, { dims: (t.dims ?? []).map(Number), data });
  }
  return out;
}

/** max |a − b| and max |a − b| / max(1, |b|) over paired vectors. */
export function differences(a: readonly Float32Array[], b: readonly ArrayLike<number>[]): { abs: number; scaled: number } {
  let abs = 0;
  let scaled = 0;
  a.forEach((v, i) => {
    const w = b[i]!;
    if (v.length !== w.length) throw new Error(`step ${i}: ${v.length} values vs ${w.length}`);
    for (let j = 0; j < v.length; j++) {
      const d = Math.abs(v[j]! - w[j]!);
      abs = Math.max(abs, d);
      scaled = Math.max(scaled, d / Math.max(1, Math.abs(w[j]!)));
    }
  });
  return { abs, scaled };
}
