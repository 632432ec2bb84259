/**
 * Every built-in model exported to ONNX and run by onnxruntime-node (through OnnxDecoder) gives
 * the BuiltinDecoder's outputs to 1e-5 over 200 consecutive steps; recurrent state carries, and
 * reset() repeats the sequence.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuiltinDecoder } from '../../../decoding/decoders/builtin-decoder.js';
import type { DecoderModel } from '../../../decoding/models.js';
import { OnnxDecoder } from '../../../decoding/onnx/onnx-decoder.js';
import { exportOnnx, writeOnnx } from '../../../decoding/onnx/onnx-export.js';
import { differences, randomCspLda, randomInputs, randomKalman, randomLda, randomRidge, TestRandom } from './helpers.js';

const STEPS = 200;
const TOLERANCE = 1e-5;

async function runAll(decoder: { decode(x: Float32Array): Float32Array | Promise<Float32Array> }, inputs: readonly Float32Array[]): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const x of inputs) out.push(await decoder.decode(x));
  return out;
}

function spread(outputs: readonly Float32Array[]): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of outputs) for (const x of v) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
  return hi - lo;
}

interface Case {
  label: string;
  model: DecoderModel;
  inputs: Float32Array[];
  recurrent: boolean;
}

function cases(): Case[] {
  const r = new TestRandom(20260131);
  const ridge = randomRidge(r, 16, 3, 4);
  const ridge0 = randomRidge(r, 10, 2, 0);
  const kalman = randomKalman(r, 12, 6, 2);
  const kalmanFull = randomKalman(r, 8, 4, 4);
  const lda = randomLda(r, 9, 4, true);
  const ldaRaw = randomLda(r, 6, 3, false);
  const csp = randomCspLda(r, 8, 250, 4, 3);
  const epochs = Array.from({ length: STEPS }, () => {
    const e = new Float32Array(8 * 250);
    for (let i = 0; i < e.length; i++) e[i] = 5 * r.normal();
    return e;
  });
  return [
    { label: 'ridge, 4 lags', model: ridge, inputs: randomInputs(r, ridge.standardizer, 16, STEPS), recurrent: true },
    { label: 'ridge, no lags', model: ridge0, inputs: randomInputs(r, ridge0.standardizer, 10, STEPS), recurrent: false },
    { label: 'kalman, 2 of 6 states out', model: kalman, inputs: randomInputs(r, kalman.standardizer, 12, STEPS), recurrent: true },
    { label: 'kalman, all 4 states out', model: kalmanFull, inputs: randomInputs(r, kalmanFull.standardizer, 8, STEPS), recurrent: true },
    { label: 'lda, standardised', model: lda, inputs: randomInputs(r, lda.standardizer, 9, STEPS), recurrent: false },
    { label: 'lda, raw', model: ldaRaw, inputs: randomInputs(r, undefined, 6, STEPS), recurrent: false },
    { label: 'csp-lda, 8 ch × 250', model: csp, inputs: epochs, recurrent: false },
  ];
}

describe('exportOnnx: onnxruntime agrees with the built-in decoders', () => {
  for (const c of cases()) {
    it(`${c.label}: ${STEPS} steps within ${TOLERANCE}, reset() repeats`, async () => {
      const builtin = new BuiltinDecoder(c.model);
      const onnx = await OnnxDecoder.load(exportOnnx(c.model), { providers: ['cpu'] });
      try {
        expect(onnx.provider).toBe('cpu');
        expect(onnx.kind).toBe(builtin.kind);
        expect(onnx.inputShape).toEqual(builtin.inputShape);
        expect(onnx.inputNames).toEqual(builtin.inputNames);
        expect(onnx.outputNames).toEqual(builtin.outputNames);
        expect(onnx.decoderType).toBe(c.model.type);

        const expected = await runAll(builtin, c.inputs);
        const got = await runAll(onnx, c.inputs);
        const diff = differences(got, expected);
        console.info(`${c.label}: max |onnx − builtin| = ${diff.abs.toExponential(2)}, scaled ${diff.scaled.toExponential(2)}`);
        expect(diff.scaled).toBeLessThanOrEqual(TOLERANCE);
        // the comparison is not between constants
        expect(spread(expected)).toBeGreaterThan(0.1);
        if (c.model.type === 'lda' || c.model.type === 'csp-lda') {
          for (const p of got) expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
        }

        if (c.recurrent) {
          // the state matters: a fresh decoder fed step 100's input alone answers differently
          const fresh = new BuiltinDecoder(c.model).decode(c.inputs[100]!);
          expect(differences([fresh], [expected[100]!]).abs).toBeGreaterThan(1e-2);
        }

        onnx.reset();
        builtin.reset();
        const again = await runAll(onnx, c.inputs);
        expect(differences(again, got).abs).toBe(0);
        expect(differences(await runAll(builtin, c.inputs), expected).abs).toBe(0);
      } finally {
        await onnx.dispose();
      }
    });
  }
});

describe('exportOnnx: the model file', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'neurostream-onnx-export-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is opset 13, IR 7, float32, with the neurostream metadata', () => {
    const model = randomKalman(new TestRandom(5), 5, 4, 2);
    const proto = onnxProto.onnx.ModelProto.decode(exportOnnx(model));
    expect(Number(proto.irVersion)).toBe(7);
    expect(proto.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 13]]);
    const meta = new Map(proto.metadataProps.map((p) => [p.key, p.value]));
    expect(meta.get('neurostream.kind')).toBe('continuous');
    expect(meta.get('neurostream.decoder')).toBe('kalman');
    expect(JSON.parse(meta.get('neurostream.input_names')!)).toEqual(model.inputNames);
    expect(JSON.parse(meta.get('neurostream.output_names')!)).toEqual(model.outputNames);
    const init = JSON.parse(meta.get('neurostream.state_init')!) as Record<string, number[]>;
    expect(init.state_in).toEqual(Array.from(model.x0));
    const graph = proto.graph as onnxProto.onnx.GraphProto;
    expect(graph.input.map((i) => i.name)).toEqual(['input', 'state_in']);
    expect(graph.output.map((o) => o.name).sort()).toEqual(['output', 'state_out']);
    const { FLOAT, INT64 } = onnxProto.onnx.TensorProto.DataType;
    const types = graph.initializer.map((t) => [t.name, t.dataType]);
    expect(types).toEqual(graph.initializer.map((t) => [t.name, /_(starts|ends|axes)$/.test(t.name!) ? INT64 : FLOAT]));
    expect(types.filter(([, type]) => type === FLOAT).length).toBe(5); // mean, std, Aᵀ, Hᵀ, Kᵀ
  });

  it('ridge with lags carries history_in → history_out of L·F values', () => {
    const model = randomRidge(new TestRandom(6), 7, 2, 3);
    const graph = onnxProto.onnx.ModelProto.decode(exportOnnx(model)).graph as onnxProto.onnx.GraphProto;
    const dims = (v: onnxProto.onnx.IValueInfoProto): number[] => v.type!.tensorType!.shape!.dim!.map((d) => Number(d.dimValue));
    const byName = new Map([...graph.input, ...graph.output].map((v) => [v.name, dims(v)]));
    expect(byName.get('history_in')).toEqual([1, 21]);
    expect(byName.get('history_out')).toEqual([1, 21]);
    expect(byName.get('output')).toEqual([1, 2]);
    expect(graph.node.map((n) => n.opType)).toEqual(['Sub', 'Div', 'Concat', 'MatMul', 'Add', 'Slice']);
  });

  it('writeOnnx writes a file OnnxDecoder loads by path', async () => {
    const model = randomLda(new TestRandom(7), 5, 2, true);
    const path = join(dir, 'lda.onnx');
    await writeOnnx(path, model);
    const decoder = await OnnxDecoder.load(path, { providers: ['cpu'], expectInputNames: model.inputNames });
    try {
      expect(decoder.name).toBe('onnx:lda.onnx');
      expect(decoder.kind).toBe('discrete');
      const x = Float32Array.from([0.5, -1, 2, 0, 1]);
      expect(differences([await decoder.decode(x)], [new BuiltinDecoder(model).decode(x)]).abs).toBeLessThan(1e-6);
    } finally {
      await decoder.dispose();
    }
  });
});
