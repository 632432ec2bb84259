/**
 * The `oip` decoder against a server that answers as Triton does (triton-inference-server/server
 * docs/protocol/README.md and extension_binary_data.md; shared/protocols/REFERENCE.md §4): Triton's
 * server metadata (its extension list), a model with `max_batch_size > 0` (a leading -1 on every
 * tensor), binary responses with `Inference-Header-Content-Length` whose outputs come in another
 * order than asked and mix binary and JSON data, `model_version`; and its error statuses: 400 with
 * an `{"error"}` body, 404 for an unknown model, 503 while not ready. The answers are computed by
 * onnxruntime, so the decoder's outputs are checked bit for bit against the local model. Also what
 * the decoder sends: one kept-alive connection for every bin, binary tensors with their sizes.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInferRequest } from '../../../decoding/oip/oip-codec.js';
import { OipDecoder, type OipDecoderEvent } from '../../../decoding/oip/oip-decoder.js';
import { OnnxDecoder } from '../../../decoding/onnx/onnx-decoder.js';
import { exportOnnx } from '../../../decoding/onnx/onnx-export.js';
import { randomInputs, randomKalman, TestRandom } from '../onnx/helpers.js';

const F = 24;
const N = 4;
const kalmanBytes = exportOnnx(randomKalman(new TestRandom(5), F, N, 4));
const inputs = randomInputs(new TestRandom(7), undefined, F, 40);
const local = (): Promise<OnnxDecoder> => OnnxDecoder.load(kalmanBytes, { providers: ['cpu'], label: 'kalman.onnx' });
const bits = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

/** What a Triton serving `kalman` with max_batch_size 8 answers; `mode` makes it fail as Triton does. */
interface Stub {
  url: string;
  mode: 'ok' | 'invalid-arg' | 'loading';
  connections: number;
  /** Cut the connection of the next infer request without answering (a kept-alive connection closed by the server). */
  dropNext: boolean;
  requests: { headers: IncomingMessage['headers']; headerLength: number; body: Buffer }[];
  server: Server;
}

async function tritonStub(model: OnnxDecoder): Promise<Stub> {
  const stub = { mode: 'ok', connections: 0, dropNext: false, requests: [] } as unknown as Stub;
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    const bytes = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': String(bytes.length) }).end(bytes);
  };
  stub.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const path = req.url ?? '/';
        if (path === '/v2/health/ready') return res.writeHead(stub.mode === 'loading' ? 503 : 200, { 'Content-Length': '0' }).end();
        if (path === '/v2/models/kalman/ready') return res.writeHead(stub.mode === 'loading' ? 503 : 200, { 'Content-Length': '0' }).end();
        if (path === '/v2') {
          return json(res, 200, {
            name: 'triton',
            version: '2.41.0',
            extensions: ['classification', 'sequence', 'model_repository', 'schedule_policy', 'model_configuration', 'system_shared_memory', 'cuda_shared_memory', 'binary_tensor_data', 'parameters', 'statistics', 'trace', 'logging'],
          });
        }
        if (path === '/v2/models/kalman') {
          return json(res, 200, {
            name: 'kalman',
            versions: ['1'],
            platform: 'onnxruntime_onnx',
            inputs: [
              { name: 'input', datatype: 'FP32', shape: [-1, F] },
              { name: 'state_in', datatype: 'FP32', shape: [-1, N] },
            ],
            outputs: [
              { name: 'output', datatype: 'FP32', shape: [-1, 4] },
              { name: 'state_out', datatype: 'FP32', shape: [-1, N] },
            ],
          });
        }
        if (path.startsWith('/v2/models/') && !path.startsWith('/v2/models/kalman')) {
          const name = path.split('/')[3];
          return json(res, 404, { error: `Request for unknown model: '${name}' is not found` });
        }
        if (path !== '/v2/models/kalman/infer' || req.method !== 'POST') return json(res, 400, { error: `unexpected ${req.method} ${path}` });
        if (stub.dropNext) {
          stub.dropNext = false;
          req.socket.destroy();
          return;
        }
        const body = Buffer.concat(chunks);
        const headerLength = Number(req.headers['inference-header-content-length']);
        stub.requests.push({ headers: req.headers, headerLength, body });
        if (stub.mode === 'loading') return json(res, 503, { error: "Request for unknown model: 'kalman' has no available versions" });
        if (stub.mode === 'invalid-arg') return json(res, 400, { error: "[request id: <id_unknown>] unexpected shape for input 'input' for model 'kalman'. Expected [-1,24], got [1,25]" });
        const request = parseInferRequest(body, req.headers['inference-header-content-length'] as string);
        const out = await model.run(new Map(request.inputs.map((t) => [t.name, { data: t.data, shape: t.shape }])));
        const output = out.get('output')!;
        const state = out.get('state_out')!;
        // As Triton may: the state first and as JSON data, the output binary; model_version and parameters present.
        const header = Buffer.from(
          JSON.stringify({
            model_name: 'kalman',
            model_version: '1',
            parameters: { sequence_id: 0, sequence_start: false, sequence_end: false },
            outputs: [
              { name: 'state_out', datatype: 'FP32', shape: state.shape, data: Array.from(state.data) },
              { name: 'output', datatype: 'FP32', shape: output.shape, parameters: { binary_data_size: output.data.byteLength } },
            ],
          }),
        );
        const bytes = Buffer.concat([header, Buffer.from(output.data.buffer, output.data.byteOffset, output.data.byteLength)]);
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(header.length), 'Content-Length': String(bytes.length) }).end(bytes);
      })();
    });
  });
  stub.server.on('connection', () => stub.connections++);
  const port = await new Promise<number>((resolve) => stub.server.listen(0, '127.0.0.1', () => resolve((stub.server.address() as { port: number }).port)));
  stub.url = `http://127.0.0.1:${port}`;
  return stub;
}

let served: OnnxDecoder;
let stub: Stub;
let reference: string[];

beforeAll(async () => {
  served = await local();
  stub = await tritonStub(served);
  const ref = await local();
  reference = [];
  for (const x of inputs) reference.push(bits(await ref.decode(x)));
  await ref.dispose();
});

afterAll(async () => {
  stub.server.closeAllConnections();
  await new Promise((resolve) => stub.server.close(resolve));
  await served.dispose();
});

describe('the oip decoder against Triton-conformant answers', () => {
  it('decodes with binary tensors on one kept-alive connection, reading mixed binary/JSON outputs in any order, bit for bit', async () => {
    stub.mode = 'ok';
    stub.requests.length = 0;
    const events: OipDecoderEvent[] = [];
    // Triton knows nothing of neurostream's state_init: the initial state is the local copy's.
    const oip = await OipDecoder.connect({ url: stub.url, model: 'kalman', timeoutMs: 5000, requireServer: true, fallback: await local(), log: (e) => events.push(e) });
    expect(events).toEqual([{ type: 'connected', url: stub.url, model: 'kalman', binary: true }]);
    const before = stub.connections;
    const got: string[] = [];
    for (const x of inputs) got.push(bits(await oip.decode(x)));
    expect(got).toEqual(reference);
    expect(oip.counts).toEqual({ remote: inputs.length, fallback: 0 });
    expect(stub.connections - before).toBe(1);
    expect(stub.requests).toHaveLength(inputs.length);
    for (const r of stub.requests) {
      expect(r.headers['content-type']).toBe('application/octet-stream');
      expect(Number(r.headers['content-length'])).toBe(r.body.length);
      expect(r.body.length).toBe(r.headerLength + (F + N) * 4);
      const header = JSON.parse(r.body.subarray(0, r.headerLength).toString('utf8')) as { parameters: unknown; inputs: unknown };
      expect(header.parameters).toEqual({ binary_data_output: true });
      expect(header.inputs).toEqual([
        { name: 'input', shape: [1, F], datatype: 'FP32', parameters: { binary_data_size: F * 4 } },
        { name: 'state_in', shape: [1, N], datatype: 'FP32', parameters: { binary_data_size: N * 4 } },
      ]);
    }
    await oip.dispose();
  });

  it('a 400 with an error body: falls back with the server\'s message, outputs exact; a 404 model and a 503 server are told apart at start', async () => {
    stub.mode = 'ok';
    const events: OipDecoderEvent[] = [];
    const oip = await OipDecoder.connect({ url: stub.url, model: 'kalman', timeoutMs: 5000, probeIntervalMs: 20_000, fallback: await local(), log: (e) => events.push(e) });
    const got: string[] = [];
    for (const [i, x] of inputs.entries()) {
      if (i === 10) stub.mode = 'invalid-arg';
      got.push(bits(await oip.decode(x)));
    }
    expect(got).toEqual(reference);
    expect(oip.counts).toEqual({ remote: 10, fallback: inputs.length - 10 });
    expect(events.map((e) => e.type)).toEqual(['connected', 'fallback']);
    expect((events[1] as { reason: string }).reason).toBe("HTTP 400: [request id: <id_unknown>] unexpected shape for input 'input' for model 'kalman'. Expected [-1,24], got [1,25]");
    await oip.dispose();

    stub.mode = 'ok';
    const unknown = await OipDecoder.connect({ url: stub.url, model: 'nope', fallback: await local() }).catch((e: unknown) => e as Error);
    expect((unknown as Error).message).toContain(`expected a model the server knows (GET /v2/models/{name} → 200), got "HTTP 404: Request for unknown model: 'nope' is not found"`);

    stub.mode = 'loading';
    const startEvents: OipDecoderEvent[] = [];
    const loading = await OipDecoder.connect({ url: stub.url, model: 'kalman', probeIntervalMs: 20_000, fallback: await local(), log: (e) => startEvents.push(e) });
    expect(startEvents).toEqual([{ type: 'fallback', url: stub.url, model: 'kalman', reason: 'not ready (HTTP 503) at start', fallback: 'onnx:kalman.onnx (cpu)' }]);
    expect(bits(await loading.decode(inputs[0]!))).toBe(reference[0]);
    await loading.dispose();
    const refused = await OipDecoder.connect({ url: stub.url, model: 'kalman', requireServer: true, fallback: await local() }).catch((e: unknown) => e as Error);
    expect((refused as Error).message).toContain('expected a ready Open Inference Protocol server, got "not ready (HTTP 503)"');
    stub.mode = 'ok';
  });

  it('a 503 on infer (model not ready) sends the bin to the fallback, reported with the server\'s message', async () => {
    stub.mode = 'ok';
    const events: OipDecoderEvent[] = [];
    const oip = await OipDecoder.connect({ url: stub.url, model: 'kalman', timeoutMs: 5000, probeIntervalMs: 20_000, fallback: await local(), log: (e) => events.push(e) });
    const got: string[] = [];
    for (const [i, x] of inputs.entries()) {
      if (i === 5) stub.mode = 'loading';
      got.push(bits(await oip.decode(x)));
    }
    expect(got).toEqual(reference);
    expect((events[1] as { reason: string }).reason).toBe("HTTP 503: Request for unknown model: 'kalman' has no available versions");
    await oip.dispose();
    stub.mode = 'ok';
  });

  it('sends a bin once more on a new connection when the server closed the kept-alive one under it, without falling back', async () => {
    stub.mode = 'ok';
    const events: OipDecoderEvent[] = [];
    const oip = await OipDecoder.connect({ url: stub.url, model: 'kalman', timeoutMs: 5000, probeIntervalMs: 20_000, fallback: await local(), log: (e) => events.push(e) });
    const before = stub.connections;
    const got: string[] = [];
    for (const [i, x] of inputs.entries()) {
      if (i === 20) stub.dropNext = true;
      got.push(bits(await oip.decode(x)));
    }
    expect(got).toEqual(reference);
    expect(stub.connections - before).toBe(2);
    expect(events.map((e) => e.type)).toEqual(['connected']);
    expect(oip.counts).toEqual({ remote: inputs.length, fallback: 0 });
    await oip.dispose();
  });
});
