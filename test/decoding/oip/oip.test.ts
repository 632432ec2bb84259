/**
 * The Open Inference Protocol both ways on loopback, with real onnxruntime: `startOipServer`
 * serving an exported Kalman filter (recurrent state as `state_in`/`state_out`), and the `oip`
 * decoder calling it — JSON and binary tensors — giving the local ONNX decoder's outputs bit for
 * bit; the server's errors (404, 400 naming the field, 405, 413, 503); and the decoder against a
 * server that errs, stalls or disappears mid-session: the fallback engages, is reported, carries
 * the state, and the server's return is reported too — outputs stay the local decoder's throughout.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InvalidDataError, InvalidOptionError } from '../../../core/errors.js';
import { encodeInferRequest, encodeInferResponse, parseInferRequest, parseInferResponse } from '../../../decoding/oip/oip-codec.js';
import { OipDecoder, type OipDecoderEvent } from '../../../decoding/oip/oip-decoder.js';
import { startOipServer, type OipServer } from '../../../decoding/oip/oip-server.js';
import { OnnxDecoder } from '../../../decoding/onnx/onnx-decoder.js';
import { exportOnnx } from '../../../decoding/onnx/onnx-export.js';
import { thrown } from '../../helpers/thrown.js';
import { randomInputs, randomKalman, TestRandom } from '../onnx/helpers.js';

const F = 24;
const kalmanBytes = exportOnnx(randomKalman(new TestRandom(5), F, 4, 4));
const inputs = randomInputs(new TestRandom(6), undefined, F, 120);
let served: OnnxDecoder;
let server: OipServer;
let reference: Float32Array[];

async function local(): Promise<OnnxDecoder> {
  return OnnxDecoder.load(kalmanBytes, { providers: ['cpu'], label: 'kalman.onnx' });
}

beforeAll(async () => {
  served = await local();
  server = await startOipServer({ models: new Map([['kalman', served]]), port: 0 });
  const ref = await local();
  reference = [];
  for (const x of inputs) reference.push(await ref.decode(x));
  await ref.dispose();
});

afterAll(async () => {
  await server.close();
  await served.dispose();
});

const bits = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('OIP bodies', () => {
  it('round-trip JSON and binary tensors, and name the field that is wrong', () => {
    const t = [{ name: 'input', shape: [1, 3], data: Float32Array.of(1.5, -2, 1e-7) }, { name: 'state_in', shape: [2], data: Float32Array.of(0.1, 0.2) }];
    for (const binary of [false, true]) {
      const { body, headers } = encodeInferRequest(t, { binary, id: '7' });
      const parsed = parseInferRequest(body, headers['Inference-Header-Content-Length']);
      expect(parsed.id).toBe('7');
      expect(parsed.binaryOutput).toBe(binary);
      expect(parsed.inputs.map((x) => [x.name, x.shape, bits(x.data)])).toEqual(t.map((x) => [x.name, x.shape, bits(x.data)]));
      expect(headers['Content-Type']).toBe(binary ? 'application/octet-stream' : 'application/json');
      const response = encodeInferResponse({ modelName: 'm', outputs: t }, () => binary);
      expect(parseInferResponse(response.body, response.headers['Inference-Header-Content-Length']).outputs.map((x) => bits(x.data))).toEqual(t.map((x) => bits(x.data)));
    }
    // Nested data is accepted as row-major.
    const nested = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', shape: [2, 2], datatype: 'FP32', data: [[1, 2], [4, 5]] }] }));
    expect(Array.from(parseInferRequest(nested, undefined).inputs[0]!.data)).toEqual([1, 2, 4, 5]);
    const field = (json: unknown, header?: string): string => (thrown(() => parseInferRequest(Buffer.from(JSON.stringify(json)), header)) as InvalidDataError).field;
    expect(field({ inputs: [] })).toBe('inputs');
    expect(field({ inputs: [{ name: 'x', shape: [2], datatype: 'INT64', data: [1, 2] }] })).toBe('inputs[0].datatype');
    expect(field({ inputs: [{ name: 'x', shape: [3], datatype: 'FP32', data: [1, 2] }] })).toBe('inputs[0].data');
    expect(field({ inputs: [{ name: 'x', shape: [-1], datatype: 'FP32', data: [] }] })).toBe('inputs[0].shape');
    expect(field({ inputs: [{ name: 'x', shape: [2], datatype: 'FP32', parameters: { binary_data_size: 8 } }] })).toBe('inputs[0] binary data');
    expect(field({ inputs: [] }, '999')).toBe('Inference-Header-Content-Length');
  });
});

describe('neurostream serve (OIP server)', () => {
  const get = (path: string): Promise<Response> => fetch(`${server.url}${path}`);

  it('answers health, server and model metadata as the protocol says', async () => {
    expect((await get('/v2/health/live')).status).toBe(200);
    expect((await get('/v2/health/ready')).status).toBe(200);
    expect(await (await get('/v2')).json()).toMatchObject({ name: 'neurostream', extensions: ['binary_tensor_data'] });
    expect((await get('/v2/models/kalman/ready')).status).toBe(200);
    const meta = await (await get('/v2/models/kalman')).json();
    expect(meta).toMatchObject({
      name: 'kalman',
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, F] }, { name: 'state_in', datatype: 'FP32' }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [1, 4] }, { name: 'state_out', datatype: 'FP32' }],
      neurostream: { kind: 'continuous', output_names: served.outputNames },
    });
    expect(await (await get('/v2/models/kalman/versions/1')).json()).toEqual(meta);
  });

  it('maps errors like Triton: 404 unknown model or version, 400 bad input naming it, 405, 413', async () => {
    const unknown = await get('/v2/models/nope');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: 'unknown model "nope"; served: kalman' });
    expect((await get('/v2/models/kalman/versions/2')).status).toBe(404);
    expect((await get('/v2/elsewhere')).status).toBe(404);
    const infer = (body: unknown): Promise<Response> => fetch(`${server.url}/v2/models/kalman/infer`, { method: 'POST', body: JSON.stringify(body) });
    const missing = await infer({ inputs: [{ name: 'input', shape: [1, F], datatype: 'FP32', data: new Array(F).fill(0) }] });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: string }).error).toMatch(/^input "state_in": expected a tensor for each model input \(input, state_in\), got "none"/);
    const badShape = await infer({ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }, { name: 'state_in', shape: [4, 1], datatype: 'FP32', data: [0, 0, 0, 0] }] });
    expect(badShape.status).toBe(400);
    expect(((await badShape.json()) as { error: string }).error).toContain('input "input" shape: expected [1, 24], got "[1, 3]"');
    const notJson = await fetch(`${server.url}/v2/models/kalman/infer`, { method: 'POST', body: 'nonsense' });
    expect(notJson.status).toBe(400);
    expect((await fetch(`${server.url}/v2/models/kalman/infer`)).status).toBe(405);
    const big = await fetch(`${server.url}/v2/models/kalman/infer`, { method: 'POST', body: new Uint8Array(17 * 1024 * 1024) });
    expect(big.status).toBe(413);
  });
});

describe('the oip decoder', () => {
  it.each([true, false])('against neurostream serve gives the local decoder’s outputs bit for bit (binary tensors: %s)', async (binary) => {
    const events: OipDecoderEvent[] = [];
    const oip = await OipDecoder.connect({ url: server.url, model: 'kalman', binary, log: (e) => events.push(e) });
    expect(events).toEqual([{ type: 'connected', url: server.url, model: 'kalman', binary }]);
    expect(oip.outputNames).toEqual(served.outputNames);
    expect(oip.provider).toBe('oip');
    const outs: Float32Array[] = [];
    for (const x of inputs) outs.push(await oip.decode(x));
    expect(outs.map(bits)).toEqual(reference.map(bits));
    // reset() starts the sequence again.
    oip.reset();
    expect(bits(await oip.decode(inputs[0]!))).toBe(bits(reference[0]!));
    expect(oip.counts).toEqual({ remote: inputs.length + 1, fallback: 0 });
    await oip.dispose();
  });

  it('refuses at start an unreachable server, an unknown model, and a fallback of another shape', async () => {
    const probe = createServer();
    const closedPort = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const down = await OipDecoder.connect({ url: `http://127.0.0.1:${closedPort}`, model: 'kalman' }).catch((e: unknown) => e);
    expect(down).toBeInstanceOf(InvalidOptionError);
    expect((down as Error).message).toBe(`http://127.0.0.1:${closedPort}/v2/health/ready: expected a ready Open Inference Protocol server, got "unreachable (ECONNREFUSED)"`);
    const unknown = await OipDecoder.connect({ url: server.url, model: 'nope' }).catch((e: unknown) => e as Error);
    expect((unknown as Error).message).toContain('expected a model the server knows (GET /v2/models/{name} → 200), got "HTTP 404: unknown model \\"nope\\"; served: kalman"');
    const other = await OnnxDecoder.load(exportOnnx(randomKalman(new TestRandom(2), 8, 4, 4)), { providers: ['cpu'] });
    const mismatch = await OipDecoder.connect({ url: server.url, model: 'kalman', fallback: other }).catch((e: unknown) => e as Error);
    expect((mismatch as Error).message).toMatch(/fallback onnx:model\.onnx: expected a decoder of 24 features → 4 outputs/);
    await other.dispose();
  });

  type Mode = { infer: 'proxy' | 'error' | 'stall'; ready?: boolean };
  /**
   * A server that proxies to `target` (the real one), except that `infer` does what `mode` says,
   * and while `mode.ready` is false the health and model readiness answer 503 (a server loading).
   */
  async function faultyServer(mode: Mode, target: () => string = () => server.url): Promise<{ url: string; close: () => Promise<void> }> {
    const sockets = new Set<import('node:net').Socket>();
    const proxy: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (mode.ready === false && (req.url === '/v2/health/ready' || req.url?.endsWith('/ready'))) {
          res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'loading models' }));
          return;
        }
        if (req.url?.endsWith('/infer') && mode.infer === 'stall') return; // never answers
        if (req.url?.endsWith('/infer') && mode.infer === 'error') {
          res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: 'GPU out of memory' }));
          return;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
        void fetch(`${target()}${req.url}`, { method: req.method!, headers, ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) }).then(async (r) => {
          const out: Record<string, string> = {};
          r.headers.forEach((v, k) => (out[k] = v));
          res.writeHead(r.status, out).end(Buffer.from(await r.arrayBuffer()));
        });
      });
    });
    proxy.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    const port = await new Promise<number>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve((proxy.address() as { port: number }).port)));
    return {
      url: `http://127.0.0.1:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sockets) s.destroy();
          proxy.close(() => resolve());
        }),
    };
  }

  it.each(['error', 'stall', 'disappear'] as const)('falls back to the local decoder when the server %s, reports it, recovers, and keeps the outputs exact', async (fault) => {
    const mode: { infer: 'proxy' | 'error' | 'stall' } = { infer: 'proxy' };
    const faulty = await faultyServer(mode);
    const events: OipDecoderEvent[] = [];
    const oip = await OipDecoder.connect({ url: faulty.url, model: 'kalman', timeoutMs: 150, probeIntervalMs: 50, fallback: await local(), log: (e) => events.push(e) });
    const outs: Float32Array[] = [];
    for (let i = 0; i < 30; i++) outs.push(await oip.decode(inputs[i]!));
    if (fault === 'disappear') {
      mode.infer = 'stall';
      await faulty.close(); // connections cut, port closed: ECONNREFUSED
    } else {
      mode.infer = fault;
    }
    for (let i = 30; i < 60; i++) outs.push(await oip.decode(inputs[i]!));
    expect(oip.fallingBack).toBe(true);
    expect(oip.provider).toBe('cpu (fallback: server unreachable)');
    const fallback = events.find((e) => e.type === 'fallback');
    expect(fallback).toMatchObject({ type: 'fallback', fallback: 'onnx:kalman.onnx (cpu)' });
    const reason = (fallback as { reason: string }).reason;
    if (fault === 'error') expect(reason).toBe('HTTP 500: GPU out of memory');
    if (fault === 'stall') expect(reason).toBe('no answer within 150 ms');
    if (fault === 'disappear') expect(reason).toMatch(/^(unreachable \(|the connection closed under the request \()/);
    // The server comes back (a disappeared one is not: the test's proxy stays gone).
    if (fault !== 'disappear') {
      mode.infer = 'proxy';
      await new Promise((r) => setTimeout(r, 200)); // a probe finds it ready
    }
    for (let i = 60; i < inputs.length; i++) outs.push(await oip.decode(inputs[i]!));
    if (fault !== 'disappear') {
      expect(events.find((e) => e.type === 'recovered')).toMatchObject({ type: 'recovered', bins: 30 });
      expect(oip.fallingBack).toBe(false);
      expect(oip.counts).toEqual({ remote: 30 + inputs.length - 60, fallback: 30 });
    } else {
      expect(oip.counts).toEqual({ remote: 30, fallback: inputs.length - 30 });
    }
    // The recurrent state crossed over both ways: every output is the local decoder's.
    expect(outs.map(bits)).toEqual(reference.map(bits));
    await oip.dispose();
    if (fault !== 'disappear') await faulty.close();
  });

  it('starts on the fallback when the server is not ready at start, says so, and moves to it once it is, outputs exact', async () => {
    const mode: Mode = { infer: 'proxy', ready: false };
    const loading = await faultyServer(mode);
    const events: OipDecoderEvent[] = [];
    const oip = await OipDecoder.connect({ url: loading.url, model: 'kalman', timeoutMs: 150, probeIntervalMs: 50, fallback: await local(), log: (e) => events.push(e) });
    expect(oip.fallingBack).toBe(true);
    expect(events).toEqual([{ type: 'fallback', url: loading.url, model: 'kalman', reason: 'not ready (HTTP 503: loading models) at start', fallback: 'onnx:kalman.onnx (cpu)' }]);
    const outs: Float32Array[] = [];
    for (let i = 0; i < 30; i++) outs.push(await oip.decode(inputs[i]!));
    await new Promise((r) => setTimeout(r, 150)); // probes find it still loading
    for (let i = 30; i < 40; i++) outs.push(await oip.decode(inputs[i]!));
    expect(oip.counts).toEqual({ remote: 0, fallback: 40 });
    mode.ready = true;
    await new Promise((r) => setTimeout(r, 200)); // a probe finds it ready and reads its model
    for (let i = 40; i < inputs.length; i++) outs.push(await oip.decode(inputs[i]!));
    expect(events.slice(1)).toEqual([{ type: 'recovered', url: loading.url, model: 'kalman', afterMs: expect.any(Number), bins: 40, binary: true }]);
    expect(oip.fallingBack).toBe(false);
    expect(oip.provider).toBe('oip');
    expect(oip.counts).toEqual({ remote: inputs.length - 40, fallback: 40 });
    // The local model's recurrent state went to the server: every output is the local decoder's.
    expect(outs.map(bits)).toEqual(reference.map(bits));
    await oip.dispose();
    await loading.close();
  });

  it('starts locally when the server is unreachable at start, unless it is required; a model that turns out not to fit is reported and never used', async () => {
    const probe = createServer();
    const closedPort = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const url = `http://127.0.0.1:${closedPort}`;
    const events: OipDecoderEvent[] = [];
    const down = await OipDecoder.connect({ url, model: 'kalman', fallback: await local(), log: (e) => events.push(e) });
    expect(events).toEqual([{ type: 'fallback', url, model: 'kalman', reason: 'unreachable (ECONNREFUSED) at start', fallback: 'onnx:kalman.onnx (cpu)' }]);
    expect(down.provider).toBe('cpu (fallback: server unreachable)');
    expect(bits(await down.decode(inputs[0]!))).toBe(bits(reference[0]!));
    await down.dispose();
    const fallback = await local();
    const required = (await OipDecoder.connect({ url, model: 'kalman', fallback, requireServer: true }).catch((e: unknown) => e)) as Error;
    expect(required).toBeInstanceOf(InvalidOptionError);
    expect(required.message).toBe(`${url}/v2/health/ready: expected a ready Open Inference Protocol server, got "unreachable (ECONNREFUSED)"`);
    await fallback.dispose();

    // A server that comes up serving another model under the same name (8 features, not 24).
    const other = await OnnxDecoder.load(exportOnnx(randomKalman(new TestRandom(2), 8, 4, 4)), { providers: ['cpu'] });
    const otherServer = await startOipServer({ models: new Map([['kalman', other]]), port: 0 });
    const mode: Mode = { infer: 'proxy', ready: false };
    const wrong = await faultyServer(mode, () => otherServer.url);
    const seen: OipDecoderEvent[] = [];
    const oip = await OipDecoder.connect({ url: wrong.url, model: 'kalman', probeIntervalMs: 50, fallback: await local(), log: (e) => seen.push(e) });
    const outs: Float32Array[] = [];
    for (let i = 0; i < 20; i++) outs.push(await oip.decode(inputs[i]!));
    mode.ready = true;
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 20; i < 40; i++) outs.push(await oip.decode(inputs[i]!));
    expect(seen.map((e) => e.type)).toEqual(['fallback', 'incompatible']);
    expect((seen[1] as { reason: string }).reason).toMatch(/^fallback onnx:kalman\.onnx: expected a decoder of 8 features → 4 outputs, as http:\/\/127\.0\.0\.1:\d+ model "kalman", got "24 → 4"$/);
    expect(oip.counts).toEqual({ remote: 0, fallback: 40 });
    expect(outs.map(bits)).toEqual(reference.slice(0, 40).map(bits));
    await oip.dispose();
    await wrong.close();
    await otherServer.close();
    await other.dispose();
  });
});
