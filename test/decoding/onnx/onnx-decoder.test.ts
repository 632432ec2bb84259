/**
 * OnnxDecoder with the real onnxruntime-node: execution-provider selection and its reports, the
 * checks against the ONNX convention and their messages, foreign models, ordering of calls.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, InvalidDataError, InvalidOptionError } from '../../../core/index.js';
import { BuiltinDecoder } from '../../../decoding/decoders/builtin-decoder.js';
import { DEFAULT_PROVIDERS, OnnxDecoder, type OnnxDecoderEvent, type OnnxProvider } from '../../../decoding/onnx/onnx-decoder.js';
import { exportOnnx } from '../../../decoding/onnx/onnx-export.js';
import { OnnxGraphBuilder } from '../../../decoding/onnx/onnx-graph-builder.js';
import { differences, randomCspLda, randomInputs, randomKalman, randomLda, randomRidge, TestRandom } from './helpers.js';

/** onnxruntime's own answer for a provider alone: undefined when it works here, else its error. */
async function probe(provider: OnnxProvider, bytes: Uint8Array): Promise<string | undefined> {
  try {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: [provider] });
    await session.release();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

const ridge = randomRidge(new TestRandom(1), 96, 2, 2);
const ridgeBytes = exportOnnx(ridge);

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'neurostream-onnx-decoder-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('OnnxDecoder: execution providers', () => {
  it('["cuda", "cpu"]: reports why CUDA could not be used, with onnxruntime\'s reason, and runs on the CPU', async () => {
    const cudaError = await probe('cuda', ridgeBytes);
    const events: OnnxDecoderEvent[] = [];
    const decoder = await OnnxDecoder.load(ridgeBytes, { providers: ['cuda', 'cpu'], log: (e) => events.push(e) });
    try {
      if (cudaError === undefined) {
        // a machine with the CUDA provider installed and a GPU
        expect(decoder.provider).toBe('cuda');
        expect(events).toEqual([{ type: 'provider-selected', file: 'model.onnx', provider: 'cuda', tried: [] }]);
        return;
      }
      expect(decoder.provider).toBe('cpu');
      expect(events).toHaveLength(2);
      const [unavailable, selected] = events;
      expect(unavailable).toMatchObject({ type: 'provider-unavailable', file: 'model.onnx', provider: 'cuda' });
      expect((unavailable as { reason: string }).reason).toContain(cudaError);
      expect((unavailable as { reason: string }).reason).toMatch(/docs\/onnx\.md|CUDA 12/);
      expect(selected).toEqual({ type: 'provider-selected', file: 'model.onnx', provider: 'cpu', tried: ['cuda'] });
      const x = randomInputs(new TestRandom(2), ridge.standardizer, 96, 1)[0]!;
      expect(differences([await decoder.decode(x)], [new BuiltinDecoder(ridge).decode(x)]).scaled).toBeLessThan(1e-5);
    } finally {
      await decoder.dispose();
    }
  });

  it('probes quietly without keeping onnxruntime\'s log level raised: the application\'s setting is back after load', async () => {
    expect(ort.env.logLevel).toBe('warning'); // onnxruntime's default
    const decoder = await OnnxDecoder.load(ridgeBytes, { providers: ['cuda', 'cpu'] });
    try {
      expect(ort.env.logLevel).toBe('warning');
    } finally {
      await decoder.dispose();
    }
    // also when no provider can be used (a CPU machine): the level comes back on the error path too
    const gpuOnly = await OnnxDecoder.load(ridgeBytes, { providers: ['cuda', 'tensorrt'] }).catch(() => undefined);
    await gpuOnly?.dispose();
    expect(ort.env.logLevel).toBe('warning');
  });

  it('["cuda"] alone fails with one error naming the provider and onnxruntime\'s reason', async (ctx) => {
    const cudaError = await probe('cuda', ridgeBytes);
    if (cudaError === undefined) ctx.skip();
    const events: OnnxDecoderEvent[] = [];
    const error = await rejection(OnnxDecoder.load(ridgeBytes, { providers: ['cuda'], log: (e) => events.push(e) }));
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).code).toBe(ErrorCode.InvalidOption);
    expect(error.message).toMatch(/^model\.onnx providers: expected an execution provider onnxruntime-node can use on this machine \(cuda: /);
    expect(error.message).toContain(cudaError!);
    expect(error.message).toContain('add "cpu" as a fallback');
    expect(error.message).toMatch(/got "cuda"$/);
    expect(events.map((e) => e.type)).toEqual(['provider-unavailable']);
  });

  it('["webgpu", "tensorrt", "cpu"]: each provider that cannot start is reported in turn', async () => {
    const failing: OnnxProvider[] = [];
    for (const p of ['webgpu', 'tensorrt'] as const) if ((await probe(p, ridgeBytes)) !== undefined) failing.push(p);
    const events: OnnxDecoderEvent[] = [];
    const decoder = await OnnxDecoder.load(ridgeBytes, { providers: ['webgpu', 'tensorrt', 'cpu'], log: (e) => events.push(e) });
    try {
      const unavailable = events.filter((e) => e.type === 'provider-unavailable').map((e) => e.provider);
      expect(unavailable).toEqual(failing);
      const chosen = (['webgpu', 'tensorrt', 'cpu'] as const).find((p) => !failing.includes(p));
      expect(decoder.provider).toBe(chosen);
    } finally {
      await decoder.dispose();
    }
  });

  it(`defaults to ${JSON.stringify(DEFAULT_PROVIDERS)}, ending on the CPU`, async () => {
    expect(DEFAULT_PROVIDERS.at(-1)).toBe('cpu');
    const events: OnnxDecoderEvent[] = [];
    const decoder = await OnnxDecoder.load(ridgeBytes, { log: (e) => events.push(e), intraOpThreads: 1 });
    try {
      const selected = events.at(-1)!;
      expect(selected.type).toBe('provider-selected');
      expect(selected.provider).toBe(decoder.provider);
      expect(events.slice(0, -1).map((e) => e.provider)).toEqual(DEFAULT_PROVIDERS.slice(0, DEFAULT_PROVIDERS.indexOf(decoder.provider)));
    } finally {
      await decoder.dispose();
    }
  });

  it('rejects unknown, empty or repeated provider lists and a bad thread count', async () => {
    await expect(OnnxDecoder.load(ridgeBytes, { providers: ['gpu' as OnnxProvider] })).rejects.toThrow('providers[0]: expected one of cuda, tensorrt, webgpu, cpu, got "gpu"');
    await expect(OnnxDecoder.load(ridgeBytes, { providers: [] })).rejects.toThrow(/^providers: expected a non-empty list/);
    await expect(OnnxDecoder.load(ridgeBytes, { providers: ['cpu', 'cpu'] })).rejects.toThrow('providers: expected each provider once, got "cpu, cpu"');
    await expect(OnnxDecoder.load(ridgeBytes, { providers: ['cpu'], intraOpThreads: 0 })).rejects.toThrow('intraOpThreads: expected an integer ≥ 1, got 0');
  });
});

describe('OnnxDecoder: checks against the expected input', () => {
  it('a model with 96 features where 192 are expected fails naming the file and both sizes', async () => {
    const path = join(dir, 'model.onnx');
    await writeFile(path, ridgeBytes);
    const expectInputNames = Array.from({ length: 192 }, (_, i) => `ch${i}`);
    const error = await rejection(OnnxDecoder.load(path, { providers: ['cpu'], expectInputNames }));
    expect(error).toBeInstanceOf(InvalidDataError);
    expect(error.message).toBe(`${path} input "input": expected shape [1, 192] (192 features), got "[1, 96]"`);
  });

  it('a CSP model with 8 channels where 16 are expected names channels', async () => {
    const csp = randomCspLda(new TestRandom(3), 8, 100, 2, 2);
    const expectInputNames = Array.from({ length: 16 }, (_, i) => `ch${i}`);
    await expect(OnnxDecoder.load(exportOnnx(csp), { providers: ['cpu'], expectInputNames, label: 'csp.onnx' })).rejects.toThrow(
      'csp.onnx input "input": expected shape [1, 16, 100] (16 channels), got "[1, 8, 100]"',
    );
  });

  it('names in another order fail at the first difference; the right names load', async () => {
    const names = [...ridge.inputNames];
    [names[2], names[3]] = [names[3]!, names[2]!];
    await expect(OnnxDecoder.load(ridgeBytes, { providers: ['cpu'], expectInputNames: names })).rejects.toThrow(
      'model.onnx metadata neurostream.input_names[2]: expected "f3" (the expected features, in order), got "f2"',
    );
    const ok = await OnnxDecoder.load(ridgeBytes, { providers: ['cpu'], expectInputNames: ridge.inputNames });
    await ok.dispose();
  });

  it('decode with the wrong number of values rejects naming both', async () => {
    const decoder = await OnnxDecoder.load(ridgeBytes, { providers: ['cpu'] });
    try {
      await expect(decoder.decode(new Float32Array(95))).rejects.toThrow('model.onnx input "input": expected 96 values (shape [96]), got a Float32Array of 95');
      // and the decoder still works
      expect((await decoder.decode(new Float32Array(96))).length).toBe(2);
    } finally {
      await decoder.dispose();
    }
    await expect(decoder.decode(new Float32Array(96))).rejects.toThrow(/disposed/);
  });
});

describe('OnnxDecoder: damaged files', () => {
  it('a file that is not protobuf fails naming the file', async () => {
    const path = join(dir, 'garbage.onnx');
    const garbage = new Uint8Array(4096);
    const r = new TestRandom(4);
    for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(r.next() * 256);
    await writeFile(path, garbage);
    const error = await rejection(OnnxDecoder.load(path, { providers: ['cpu'] }));
    expect(error).toBeInstanceOf(InvalidDataError);
    expect(error.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: expected an ONNX model`));
    expect(error.message).toMatch(/got a Buffer of 4096$/);
  });

  it('a truncated model fails naming the file and the protobuf error', async () => {
    const path = join(dir, 'truncated.onnx');
    await writeFile(path, ridgeBytes.subarray(0, Math.floor(ridgeBytes.length / 2)));
    await expect(OnnxDecoder.load(path, { providers: ['cpu'] })).rejects.toThrow(
      new RegExp(`truncated\\.onnx: expected an ONNX model \\(a serialised onnx\\.ModelProto; protobuf: .+\\), got a Buffer of ${Math.floor(ridgeBytes.length / 2)}`),
    );
  });

  it('text is not a model', async () => {
    const text = new TextEncoder().encode('this is not an ONNX model\n');
    await expect(OnnxDecoder.load(text, { providers: ['cpu'], label: 'notes.txt' })).rejects.toThrow(/^notes\.txt: expected an ONNX model/);
  });

  it('a missing file fails naming it', async () => {
    const path = join(dir, 'absent.onnx');
    await expect(OnnxDecoder.load(path, { providers: ['cpu'] })).rejects.toThrow(`${path}: expected a readable ONNX model file (ENOENT`);
  });

  it('a well-formed protobuf that onnxruntime rejects reports onnxruntime\'s reason', async () => {
    const g = new OnnxGraphBuilder();
    g.input('input', [1, 3]);
    g.node('MatMul', ['input', g.floats('w', new Float32Array(8), [4, 2])], ['output']); // 3 ≠ 4
    g.output('output', [1, 2]);
    await expect(OnnxDecoder.load(g.encode(), { providers: ['cpu'], label: 'bad.onnx' })).rejects.toThrow(
      /^bad\.onnx: expected an ONNX model that onnxruntime can load \(onnxruntime: .*MatMul.*\), got a (Buffer|Uint8Array) of \d+$/,
    );
  });
});

describe('OnnxDecoder: the convention and foreign models', () => {
  it('a foreign model without metadata: its single input and output, input_i / output_i names, continuous', async () => {
    const g = new OnnxGraphBuilder();
    g.input('x', ['batch', 3]);
    g.node('MatMul', ['x', g.floats('w', [1, 2, 3, 4, 5, 6], [3, 2])], ['y']);
    g.output('y', ['batch', 2]);
    const bytes = g.encode();
    const decoder = await OnnxDecoder.load(bytes, { providers: ['cpu'] });
    try {
      expect([decoder.inputTensor, decoder.outputTensor]).toEqual(['x', 'y']);
      expect(decoder.inputNames).toEqual(['input_0', 'input_1', 'input_2']);
      expect(decoder.outputNames).toEqual(['output_0', 'output_1']);
      expect(decoder.kind).toBe('continuous');
      expect(decoder.decoderType).toBeUndefined();
      expect(Array.from(await decoder.decode(Float32Array.from([1, 1, 1])))).toEqual([9, 12]);
    } finally {
      await decoder.dispose();
    }
    const told = await OnnxDecoder.load(bytes, { providers: ['cpu'], kind: 'discrete', expectInputNames: ['a', 'b', 'c'] });
    expect(told.kind).toBe('discrete');
    expect(told.inputNames).toEqual(['a', 'b', 'c']);
    await told.dispose();
  });

  it('a foreign recurrent model carries h_in ← h_out from zeros', async () => {
    const g = new OnnxGraphBuilder();
    g.input('x', [1, 2]);
    g.input('h_in', [1, 2]);
    g.node('Add', ['x', 'h_in'], ['h_out']); // running sum
    g.output('h_out', [1, 2]);
    g.node('Identity', ['h_out'], ['y']);
    g.output('y', [1, 2]);
    const decoder = await OnnxDecoder.load(g.encode(), { providers: ['cpu'] });
    try {
      expect(decoder.stateNames).toEqual(['h_in']);
      expect(decoder.outputTensor).toBe('y');
      const sums = [];
      for (let i = 1; i <= 4; i++) sums.push(Array.from(await decoder.decode(Float32Array.from([i, -i]))));
      expect(sums).toEqual([[1, -1], [3, -3], [6, -6], [10, -10]]);
    } finally {
      await decoder.dispose();
    }
  });

  it('an input <x>_in without an output <x>_out is named', async () => {
    const g = new OnnxGraphBuilder();
    g.input('input', [1, 2]);
    g.input('memory_in', [1, 2]);
    g.node('Add', ['input', 'memory_in'], ['output']);
    g.output('output', [1, 2]);
    await expect(OnnxDecoder.load(g.encode(), { providers: ['cpu'] })).rejects.toThrow(
      'model.onnx input "memory_in": expected a matching output "memory_out" (recurrent state), got "[\\"output\\"]"',
    );
  });

  it('two candidate inputs and no "input" fail listing them', async () => {
    const g = new OnnxGraphBuilder();
    g.input('a', [1, 2]);
    g.input('b', [1, 2]);
    g.node('Add', ['a', 'b'], ['output']);
    g.output('output', [1, 2]);
    await expect(OnnxDecoder.load(g.encode(), { providers: ['cpu'] })).rejects.toThrow(/^model\.onnx inputs: expected one input named "input" .*, got "\[\\"a\\",\\"b\\"\]"$/);
  });

  it('metadata that disagrees with the graph is named', async () => {
    const make = (meta: Record<string, string>): Uint8Array => {
      const g = new OnnxGraphBuilder();
      g.input('input', [1, 2]);
      g.input('state_in', [1, 2]);
      g.node('Add', ['input', 'state_in'], ['state_out']);
      g.output('state_out', [1, 2]);
      g.node('Identity', ['state_out'], ['output']);
      g.output('output', [1, 2]);
      for (const [k, v] of Object.entries(meta)) g.meta(k, v);
      return g.encode();
    };
    const load = (bytes: Uint8Array, kind?: 'discrete'): Promise<OnnxDecoder> => OnnxDecoder.load(bytes, { providers: ['cpu'], ...(kind ? { kind } : {}) });
    await expect(load(make({ 'neurostream.input_names': '["a","b","c"]' }))).rejects.toThrow(
      'model.onnx metadata neurostream.input_names: expected 2 names (input "input" has shape [1, 2]), got an array of 3',
    );
    await expect(load(make({ 'neurostream.output_names': 'vel_x' }))).rejects.toThrow('model.onnx metadata neurostream.output_names: expected a JSON array of strings, got "vel_x"');
    await expect(load(make({ 'neurostream.kind': 'regression' }))).rejects.toThrow('model.onnx metadata neurostream.kind: expected one of continuous, discrete, got "regression"');
    await expect(load(make({ 'neurostream.kind': 'continuous' }), 'discrete')).rejects.toThrow('model.onnx kind: expected "continuous" as the model\'s neurostream.kind says, got "discrete"');
    await expect(load(make({ 'neurostream.state_init': '{"state_in":[1,2,3]}' }))).rejects.toThrow(
      'model.onnx metadata neurostream.state_init["state_in"]: expected 2 finite numbers (input "state_in" has shape [1, 2]), got an array of 3',
    );
    await expect(load(make({ 'neurostream.state_init': '{"hidden_in":[1,2]}' }))).rejects.toThrow(
      'model.onnx metadata neurostream.state_init: expected keys among the state inputs ["state_in"], got "hidden_in"',
    );
    await expect(load(make({ 'neurostream.output_names': '["u","v","w"]' }))).rejects.toThrow(
      'model.onnx metadata neurostream.output_names: expected 2 names (output "output" has shape [1, 2]), got an array of 3',
    );
    const named = await load(make({ 'neurostream.output_names': '["u","v"]', 'neurostream.state_init': '{"state_in":[10,20]}' }));
    try {
      expect(named.outputNames).toEqual(['u', 'v']);
      expect(Array.from(await named.decode(Float32Array.from([1, 2])))).toEqual([11, 22]);
      named.reset();
      expect(Array.from(await named.decode(Float32Array.from([0, 0])))).toEqual([10, 20]);
    } finally {
      await named.dispose();
    }
  });
});

describe('OnnxDecoder: ordering of calls', () => {
  it('decode calls made without waiting run in call order; reset() is ordered with them', async () => {
    const model = randomKalman(new TestRandom(8), 6, 4, 2);
    const xs = randomInputs(new TestRandom(9), model.standardizer, 6, 30);
    const builtin = new BuiltinDecoder(model);
    const expected = xs.map((x) => builtin.decode(x));
    const decoder = await OnnxDecoder.load(exportOnnx(model), { providers: ['cpu'] });
    try {
      const first = xs.map((x) => decoder.decode(x));
      decoder.reset();
      const second = xs.map((x) => decoder.decode(x));
      const [a, b] = [await Promise.all(first), await Promise.all(second)];
      expect(differences(a, expected).scaled).toBeLessThan(1e-5);
      expect(differences(b, a).abs).toBe(0);
      // without the reset the second pass would have continued the first
      expect(differences([expected[0]!], [new BuiltinDecoder(model).decode(xs[0]!)]).abs).toBe(0);
      const continued = builtin.decode(xs[0]!);
      expect(differences([continued], [expected[0]!]).abs).toBeGreaterThan(1e-3);
    } finally {
      await decoder.dispose();
    }
  });

  it('an LDA decoder is stateless: reset() changes nothing', async () => {
    const model = randomLda(new TestRandom(10), 4, 3, false);
    const decoder = await OnnxDecoder.load(exportOnnx(model), { providers: ['cpu'] });
    try {
      const x = Float32Array.from([1, 2, 3, 4]);
      const y = await decoder.decode(x);
      decoder.reset();
      expect(Array.from(await decoder.decode(x))).toEqual(Array.from(y));
      expect(decoder.stateNames).toEqual([]);
    } finally {
      await decoder.dispose();
    }
  });
});
