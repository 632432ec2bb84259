/**
 * Dynamic batching in `neurostream serve` (startOipServer's `batch`), with real onnxruntime on
 * loopback: concurrent sessions of a recurrent model (the GRU's state batch dimension is fixed at
 * 1: rows run one by one in one queue) and of a stateless model with a symbolic batch dimension
 * (rows stacked into one call) get exactly the outputs and states they get unbatched, bit for bit;
 * no session's state reaches another's row; and the queue bound refuses with 503 and a clear message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelBatcher, checkBatchOptions, stacksRows } from '../../../decoding/oip/oip-batcher.js';
import { encodeInferRequest, parseInferResponse } from '../../../decoding/oip/oip-codec.js';
import { OipDecoder } from '../../../decoding/oip/oip-decoder.js';
import { startOipServer, type OipServer } from '../../../decoding/oip/oip-server.js';
import { exportGru } from '../../../decoding/onnx/benchmark-models.js';
import { OnnxDecoder } from '../../../decoding/onnx/onnx-decoder.js';
import { OnnxGraphBuilder } from '../../../decoding/onnx/onnx-graph-builder.js';
import { TestRandom } from '../onnx/helpers.js';

const F = 16;
const H = 8;
const LAYERS = 2;
const gruBytes = exportGru({ inputSize: F, hiddenSize: H, layers: LAYERS, outputSize: 3, seed: 9 });
/** The same GRU (same weights) with a symbolic batch dimension: `hidden_in` [layers, batch, H]. */
const gruBatchBytes = exportGru({ inputSize: F, hiddenSize: H, layers: LAYERS, outputSize: 3, seed: 9, batch: 'symbolic' });

/** A stateless two-layer model whose batch dimension is symbolic ([batch, F] → [batch, 4]). */
function stackableBytes(): Uint8Array {
  const r = new TestRandom(21);
  const g = new OnnxGraphBuilder();
  g.input('input', ['batch', F]);
  const w1 = g.floats('w1', Array.from({ length: F * 12 }, () => r.normal()), [F, 12]);
  const b1 = g.floats('b1', Array.from({ length: 12 }, () => r.normal()), [12]);
  const w2 = g.floats('w2', Array.from({ length: 12 * 4 }, () => r.normal()), [12, 4]);
  const h = g.node('Relu', [g.node('Add', [g.node('MatMul', ['input', w1], ['p1']), b1], ['a1'])], ['h1']);
  g.node('MatMul', [h, w2], ['output']);
  g.output('output', ['batch', 4]);
  return g.encode({ graphName: 'stackable' });
}

const load = (bytes: Uint8Array, label: string): Promise<OnnxDecoder> => OnnxDecoder.load(bytes, { providers: ['cpu'], label });
const bits = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

async function post(url: string, model: string, tensors: { name: string; shape: number[]; data: Float32Array }[]): Promise<{ status: number; outputs?: Map<string, Float32Array>; error?: string }> {
  const { body, headers } = encodeInferRequest(tensors, { binary: true });
  const res = await fetch(`${url}/v2/models/${model}/infer`, { method: 'POST', headers, body: new Uint8Array(body) });
  const bytes = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) return { status: res.status, error: (JSON.parse(bytes.toString('utf8')) as { error: string }).error };
  const parsed = parseInferResponse(bytes, res.headers.get('inference-header-content-length') ?? undefined);
  return { status: 200, outputs: new Map(parsed.outputs.map((t) => [t.name, t.data])) };
}

let gru: OnnxDecoder;
let gruBatch: OnnxDecoder;
let stackable: OnnxDecoder;
let server: OipServer;

beforeAll(async () => {
  gru = await load(gruBytes, 'gru.onnx');
  gruBatch = await load(gruBatchBytes, 'gru-batch.onnx');
  stackable = await load(stackableBytes(), 'stackable.onnx');
  server = await startOipServer({ models: new Map([['gru', gru], ['gru-batch', gruBatch], ['stackable', stackable]]), port: 0, batch: { maxBatch: 32, maxDelayMs: 30 } });
});

afterAll(async () => {
  await server.close();
  await gru.dispose();
  await gruBatch.dispose();
  await stackable.dispose();
});

describe('dynamic batching (serve --max-batch --max-delay-ms)', () => {
  it('runs a recurrent model with its batch dimension fixed at 1 row by row, symbolic-batch ones (a GRU with [layers, batch, H] state, a stateless one) stacked', () => {
    expect(stacksRows(gru)).toBe(false);
    expect(stacksRows(gruBatch)).toBe(true);
    expect(stacksRows(stackable)).toBe(true);
    expect(server.batchers().get('gru')!.mode).toBe('per-row');
    expect(server.batchers().get('gru-batch')!.mode).toBe('stacked');
    expect(server.batchers().get('stackable')!.mode).toBe('stacked');
    expect(gruBatch.signature().inputs.map((t) => t.shape)).toEqual([[-1, F], [LAYERS, -1, H]]);
  });

  it.each(['gru', 'gru-batch'])('gives 16 concurrent %s clients, each with its own recurrent state, exactly their unbatched outputs and states, bit for bit', async (model) => {
    const r = new TestRandom(33);
    const sessions = Array.from({ length: 16 }, () => ({
      input: Float32Array.from({ length: F }, () => r.normal()),
      // Each session's own state, far from the others' (no row could pass for another).
      state: Float32Array.from({ length: LAYERS * H }, () => r.normal()),
    }));
    const tensors = (s: (typeof sessions)[number]): { name: string; shape: number[]; data: Float32Array }[] => [
      { name: 'input', shape: [1, F], data: s.input },
      { name: 'hidden_in', shape: [LAYERS, 1, H], data: s.state },
    ];
    // Unbatched: each alone, one after the other, on the model itself.
    const alone: Awaited<ReturnType<OnnxDecoder['run']>>[] = [];
    for (const s of sessions) alone.push(await gru.run(new Map(tensors(s).map((t) => [t.name, t]))));
    const before = { ...server.batchers().get(model)!.stats };
    // In reverse arrival order too, so that a row's position in its batch is not its session's index.
    const order = sessions.map((_, i) => i).reverse();
    const answers = await Promise.all(order.map((i) => post(server.url, model, tensors(sessions[i]!))));
    const stats = server.batchers().get(model)!.stats;
    expect(stats.rows - before.rows).toBe(16);
    expect(stats.batches - before.batches).toBeLessThan(16); // some requests shared a batch
    answers.forEach((a, k) => {
      const i = order[k]!;
      expect(a.status).toBe(200);
      expect(bits(a.outputs!.get('output')!)).toBe(bits(alone[i]!.get('output')!.data));
      expect(bits(a.outputs!.get('hidden_out')!)).toBe(bits(alone[i]!.get('hidden_out')!.data));
    });
    // Different states gave different answers: a leaked state would have shown.
    expect(new Set(answers.map((a) => bits(a.outputs!.get('hidden_out')!))).size).toBe(16);
  });

  it.each(['gru', 'gru-batch'])('keeps each oip decoder session of %s on its own state across many batched bins, as the local fixed-batch GRU decodes it', async (model) => {
    const r = new TestRandom(44);
    const clients = 8;
    const bins = 25;
    const inputs = Array.from({ length: clients }, () => Array.from({ length: bins }, () => Float32Array.from({ length: F }, () => r.normal())));
    const expected: string[][] = [];
    for (const seq of inputs) {
      const local = await load(gruBytes, 'gru.onnx');
      const outs: string[] = [];
      for (const x of seq) outs.push(bits(await local.decode(x)));
      expected.push(outs);
      await local.dispose();
    }
    const decoders = await Promise.all(inputs.map(() => OipDecoder.connect({ url: server.url, model, timeoutMs: 5000, requireServer: true })));
    const before = server.batchers().get(model)!.stats.batches;
    const got = await Promise.all(
      decoders.map(async (d, c) => {
        const outs: string[] = [];
        for (const x of inputs[c]!) outs.push(bits(await d.decode(x)));
        return outs;
      }),
    );
    const batches = server.batchers().get(model)!.stats.batches - before;
    for (const d of decoders) await d.dispose();
    expect(got).toEqual(expected);
    expect(batches).toBeLessThan(clients * bins);
    expect(decoders.every((d) => d.counts.remote === bins && d.counts.fallback === 0)).toBe(true);
  });

  it('stacks the rows of a symbolic-batch model into one call, each row answered as if alone, bit for bit', async () => {
    const r = new TestRandom(55);
    const rows = Array.from({ length: 24 }, () => Float32Array.from({ length: F }, () => r.normal()));
    const alone: Float32Array[] = [];
    for (const x of rows) alone.push((await stackable.run(new Map([['input', { data: x, shape: [1, F] }]]))).get('output')!.data);
    const before = { ...server.batchers().get('stackable')!.stats };
    const answers = await Promise.all(rows.map((x) => post(server.url, 'stackable', [{ name: 'input', shape: [1, F], data: x }])));
    const stats = server.batchers().get('stackable')!.stats;
    expect(stats.largest).toBeGreaterThan(1);
    expect(stats.batches - before.batches).toBeLessThan(24);
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      expect(bits(a.outputs!.get('output')!)).toBe(bits(alone[i]!));
    });
  });

  it('refuses requests beyond the queue bound with 503 and a message naming the limit, and serves those queued', async () => {
    const bounded = await startOipServer({ models: new Map([['gru', gru]]), port: 0, batch: { maxBatch: 64, maxDelayMs: 1500, maxQueue: 4 } });
    try {
      const r = new TestRandom(66);
      const request = (): { name: string; shape: number[]; data: Float32Array }[] => [
        { name: 'input', shape: [1, F], data: Float32Array.from({ length: F }, () => r.normal()) },
        { name: 'hidden_in', shape: [LAYERS, 1, H], data: new Float32Array(LAYERS * H) },
      ];
      const answers = await Promise.all(Array.from({ length: 10 }, () => post(bounded.url, 'gru', request())));
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses).toEqual([200, 200, 200, 200, 503, 503, 503, 503, 503, 503]);
      for (const a of answers.filter((x) => x.status === 503)) {
        expect(a.error).toBe('model "gru" is busy: its queue holds 4 requests, the limit (--max-queue 4); retry later');
      }
      expect(bounded.batchers().get('gru')!.stats).toMatchObject({ batches: 1, rows: 4, refused: 6 });
    } finally {
      await bounded.close();
    }
  });

  it('checks its settings, naming the flag', () => {
    expect(() => checkBatchOptions({ maxBatch: 0, maxDelayMs: 1 })).toThrow(/--max-batch/);
    expect(() => checkBatchOptions({ maxBatch: 4, maxDelayMs: -1 })).toThrow(/--max-delay-ms/);
    expect(() => new ModelBatcher('gru', gru, { maxBatch: 4, maxDelayMs: 1, maxQueue: 0 })).toThrow(/--max-queue/);
  });
});
