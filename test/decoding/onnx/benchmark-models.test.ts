/**
 * The decode-benchmark models (exportGru, exportMlp) run by onnxruntime-node agree with plain
 * TypeScript references computed in float64 from the weights read back out of the ONNX file:
 * the GRU per the ONNX operator spec (gates z, r, h; linear_before_reset = 0):
 *   z = σ(W_z x + R_z h + Wb_z + Rb_z),  r = σ(W_r x + R_r h + Wb_r + Rb_r)
 *   ĥ = tanh(W_h x + R_h (r ⊙ h) + Wb_h + Rb_h),  h' = (1 − z) ⊙ ĥ + z ⊙ h
 */
import { describe, expect, it } from 'vitest';
import { OnnxDecoder } from '../../../decoding/onnx/onnx-decoder.js';
import { exportGru, exportMlp, gruParameterCount, mlpParameterCount } from '../../../decoding/onnx/onnx-export.js';
import { differences, readInitializers, TestRandom } from './helpers.js';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

interface GruLayer {
  W: Float32Array; // [3H × I], rows z, r, h
  R: Float32Array; // [3H × H]
  B: Float32Array; // [6H]: Wb (z, r, h), Rb (z, r, h)
  inSize: number;
}

type Variant = 'spec' | 'linear-before-reset' | 'gates-rzh';

/** One GRU step in float64; `variant` ≠ 'spec' are deliberately wrong readings of the spec. */
function gruStep(layer: GruLayer, H: number, x: ArrayLike<number>, h: Float64Array, variant: Variant): Float64Array {
  const { W, R, B, inSize: I } = layer;
  const [zi, ri] = variant === 'gates-rzh' ? [1, 0] : [0, 1];
  const wx = (gate: number, j: number): number => {
    let s = 0;
    const row = (gate * H + j) * I;
    for (let i = 0; i < I; i++) s += W[row + i]! * x[i]!;
    return s;
  };
  const rv = (gate: number, j: number, v: ArrayLike<number>): number => {
    let s = 0;
    const row = (gate * H + j) * H;
    for (let i = 0; i < H; i++) s += R[row + i]! * v[i]!;
    return s;
  };
  const wb = (gate: number, j: number): number => B[gate * H + j]!;
  const rb = (gate: number, j: number): number => B[3 * H + gate * H + j]!;
  const z = new Float64Array(H);
  const r = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    z[j] = sigmoid(wx(zi, j) + rv(zi, j, h) + wb(zi, j) + rb(zi, j));
    r[j] = sigmoid(wx(ri, j) + rv(ri, j, h) + wb(ri, j) + rb(ri, j));
  }
  const rh = h.map((v, j) => r[j]! * v);
  const next = new Float64Array(H);
  for (let j = 0; j < H; j++) {
    const candidate =
      variant === 'linear-before-reset'
        ? Math.tanh(wx(2, j) + r[j]! * (rv(2, j, h) + rb(2, j)) + wb(2, j))
        : Math.tanh(wx(2, j) + rv(2, j, rh) + wb(2, j) + rb(2, j));
    next[j] = (1 - z[j]!) * candidate + z[j]! * h[j]!;
  }
  return next;
}

function linear(W: Float32Array, b: Float32Array, x: ArrayLike<number>, inSize: number, outSize: number): Float64Array {
  const y = new Float64Array(outSize);
  for (let o = 0; o < outSize; o++) {
    let s = b[o]!;
    for (let i = 0; i < inSize; i++) s += x[i]! * W[i * outSize + o]!;
    y[o] = s;
  }
  return y;
}

function inputs(seed: number, n: number, steps: number): Float32Array[] {
  const r = new TestRandom(seed);
  return Array.from({ length: steps }, () => Float32Array.from({ length: n }, () => r.normal()));
}

describe('exportGru', () => {
  const I = 256;
  const H = 256;
  const layers = 2;
  const O = 3;
  const STEPS = 40;

  it(`2 × GRU(${I} → ${H}) + read-out: onnxruntime matches the ONNX-spec reference over ${STEPS} steps; reset() repeats`, async () => {
    const bytes = exportGru({ inputSize: I, hiddenSize: H, layers, outputSize: O, seed: 11 });
    const init = readInitializers(bytes);
    const gru: GruLayer[] = Array.from({ length: layers }, (_, l) => ({
      W: init.get(`gru${l}_W`)!.data,
      R: init.get(`gru${l}_R`)!.data,
      B: init.get(`gru${l}_B`)!.data,
      inSize: l === 0 ? I : H,
    }));
    expect(init.get('gru0_W')!.dims).toEqual([1, 3 * H, I]);
    expect(init.get('gru1_R')!.dims).toEqual([1, 3 * H, H]);
    let floats = 0;
    for (const t of init.values()) floats += t.data.length;
    expect(floats).toBe(gruParameterCount({ inputSize: I, hiddenSize: H, layers, outputSize: O }));

    const reference = (variant: Variant): Float64Array[] => {
      const h: Float64Array[] = Array.from({ length: layers }, () => new Float64Array(H));
      return xs.map((x) => {
        let v: ArrayLike<number> = x;
        for (let l = 0; l < layers; l++) v = h[l] = gruStep(gru[l]!, H, v, h[l]!, variant);
        return linear(init.get('readout_W')!.data, init.get('readout_b')!.data, v, H, O);
      });
    };
    const xs = inputs(3, I, STEPS);
    const expected = reference('spec');

    const decoder = await OnnxDecoder.load(bytes, { providers: ['cpu'] });
    try {
      expect(decoder.stateNames).toEqual(['hidden_in']);
      expect(decoder.inputShape).toEqual([I]);
      expect(decoder.outputNames).toEqual(['out_0', 'out_1', 'out_2']);
      expect(decoder.decoderType).toBe('gru');
      const got: Float32Array[] = [];
      for (const x of xs) got.push(await decoder.decode(x));
      const diff = differences(got, expected);
      console.info(`GRU: max |onnx − reference| = ${diff.abs.toExponential(2)}`);
      expect(diff.abs).toBeLessThanOrEqual(1e-5);
      // the references that read the spec wrongly are told apart, and the state matters
      expect(differences(got, reference('linear-before-reset')).abs).toBeGreaterThan(1e-3);
      expect(differences(got, reference('gates-rzh')).abs).toBeGreaterThan(1e-3);
      expect(differences([got[STEPS - 1]!], [expected[0]!]).abs).toBeGreaterThan(1e-3);

      decoder.reset();
      const again: Float32Array[] = [];
      for (const x of xs) again.push(await decoder.decode(x));
      expect(differences(again, got).abs).toBe(0);
    } finally {
      await decoder.dispose();
    }
  });

  it('the same seed gives the same model, another seed another', () => {
    const a = exportGru({ inputSize: 4, hiddenSize: 5, layers: 1, outputSize: 2, seed: 1 });
    expect(Buffer.from(exportGru({ inputSize: 4, hiddenSize: 5, layers: 1, outputSize: 2, seed: 1 })).equals(a)).toBe(true);
    expect(Buffer.from(exportGru({ inputSize: 4, hiddenSize: 5, layers: 1, outputSize: 2, seed: 2 })).equals(a)).toBe(false);
  });

  it('a single layer exports and runs', async () => {
    const decoder = await OnnxDecoder.load(exportGru({ inputSize: 8, hiddenSize: 6, layers: 1, outputSize: 2, seed: 4 }), { providers: ['cpu'] });
    try {
      const y = await decoder.decode(new Float32Array(8).fill(0.5));
      expect(y.length).toBe(2);
      expect(y.every(Number.isFinite)).toBe(true);
    } finally {
      await decoder.dispose();
    }
  });
});

describe('exportMlp', () => {
  it('the default benchmark MLP has about 1 M parameters and matches a float64 reference', async () => {
    const options = { inputSize: 256, outputSize: 2, seed: 9 };
    const bytes = exportMlp(options);
    const init = readInitializers(bytes);
    let floats = 0;
    for (const t of init.values()) floats += t.data.length;
    expect(floats).toBe(mlpParameterCount(options));
    expect(floats).toBeGreaterThan(0.9e6);
    expect(floats).toBeLessThan(1.2e6);

    const widths = [256, 1024, 768, 2];
    const xs = inputs(5, 256, 30);
    const expected = xs.map((x) => {
      let v: ArrayLike<number> = x;
      for (let l = 1; l < widths.length; l++) {
        const y = linear(init.get(`layer${l}_W`)!.data, init.get(`layer${l}_b`)!.data, v, widths[l - 1]!, widths[l]!);
        v = l < widths.length - 1 ? y.map((a) => Math.max(0, a)) : y;
      }
      return v as Float64Array;
    });
    const decoder = await OnnxDecoder.load(bytes, { providers: ['cpu'] });
    try {
      expect(decoder.stateNames).toEqual([]);
      const got: Float32Array[] = [];
      for (const x of xs) got.push(await decoder.decode(x));
      const diff = differences(got, expected);
      console.info(`MLP (${floats} parameters): max |onnx − reference| = ${diff.abs.toExponential(2)}`);
      expect(diff.abs).toBeLessThanOrEqual(1e-5);
      // not a constant: the outputs move with the input
      expect(differences([got[0]!], [got[1]!]).abs).toBeGreaterThan(1e-3);
    } finally {
      await decoder.dispose();
    }
  });

  it('custom sizes', async () => {
    const bytes = exportMlp({ inputSize: 10, hidden: [7], outputSize: 4, seed: 2 });
    expect(mlpParameterCount({ inputSize: 10, hidden: [7], outputSize: 4 })).toBe(10 * 7 + 7 + 7 * 4 + 4);
    const decoder = await OnnxDecoder.load(bytes, { providers: ['cpu'] });
    try {
      expect(decoder.inputShape).toEqual([10]);
      expect((await decoder.decode(new Float32Array(10))).length).toBe(4);
    } finally {
      await decoder.dispose();
    }
  });

  it('rejects a size that is not a positive integer', () => {
    expect(() => exportMlp({ hidden: [0] })).toThrow(/exportMlp\.hidden\[0\]: expected an integer ≥ 1, got 0/);
    expect(() => exportGru({ hiddenSize: 2.5 })).toThrow(/exportGru\.hiddenSize/);
  });
});
