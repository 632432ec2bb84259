/**
 * The Open Inference Protocol server and client against hostile or broken peers, over real HTTP
 * on loopback with real onnxruntime: the bearer token (required beyond loopback, any case of the
 * scheme, 401 without it), a chunked body over the limit (413, not a reset), data nested past the
 * shape, NaN and ±Infinity inputs (400), and a client against a server that says it is ready but
 * answers every request badly (retries back off, each state change reported once).
 */
import { request, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../core/errors.js';
import { OipDecoder, type OipDecoderEvent } from '../../../decoding/oip/oip-decoder.js';
import { oipModelMetadata } from '../../../decoding/oip/oip-model-metadata.js';
import { startOipServer, type OipServer } from '../../../decoding/oip/oip-server.js';
import { OnnxDecoder } from '../../../decoding/onnx/onnx-decoder.js';
import { exportOnnx } from '../../../decoding/onnx/onnx-export.js';
import { startBadOipServer } from '../../helpers/bad-oip-server.js';
import { randomInputs, randomKalman, TestRandom } from '../onnx/helpers.js';

const F = 24;
const TOKEN = 't0ken-'.repeat(6);
const kalmanBytes = exportOnnx(randomKalman(new TestRandom(5), F, 4, 4));
const inputs = randomInputs(new TestRandom(6), undefined, F, 40);

function local(): Promise<OnnxDecoder> {
  return OnnxDecoder.load(kalmanBytes, { providers: ['cpu'], label: 'kalman.onnx' });
}

let served: OnnxDecoder;
beforeAll(async () => {
  served = await local();
});
afterAll(async () => {
  await served.dispose();
});

/** A request on loopback; `chunks` are written one by one (chunked transfer unless a length is set). */
function send(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; chunks?: Buffer[] } = {},
): Promise<{ status: number; body: string; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    const chunks = [...(options.chunks ?? [])];
    const next = (): void => {
      const chunk = chunks.shift();
      if (chunk === undefined) req.end();
      else if (req.write(chunk)) setImmediate(next);
      else req.once('drain', next);
    };
    next();
  });
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** The Kalman filter's recurrent state input, as JSON, zeros. */
function stateTensor(): { name: string; shape: number[]; datatype: 'FP32'; data: number[] } {
  const { shape } = served.signature().inputs[1]!;
  return { name: 'state_in', shape, datatype: 'FP32', data: new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0) };
}

describe('OIP server: access', () => {
  it('refuses to bind beyond loopback without a token, and a token that is too short, naming the option', async () => {
    const models = new Map([['kalman', served]]);
    const beyond = await startOipServer({ models, host: '0.0.0.0', port: 0 }).catch((e: unknown) => e);
    expect(beyond).toBeInstanceOf(InvalidOptionError);
    expect((beyond as Error).message).toBe('host: expected a loopback address (127.0.0.1, ::1, localhost) unless a token is given, got "0.0.0.0"');
    const short = await startOipServer({ models, port: 0, token: 'abc' }).catch((e: unknown) => e);
    expect((short as Error).message).toBe('token: expected a token of at least 16 non-space characters, got "a token of 3 characters"');
  });

  it('bound to 0.0.0.0 with a token: 401 without it or with a wrong one, any case of "Bearer" with it; health needs none', async () => {
    const server = await startOipServer({ models: new Map([['kalman', served]]), host: '0.0.0.0', port: 0, token: TOKEN });
    try {
      // 0.0.0.0 is every address of this machine: 127.0.0.1 reaches it.
      expect((await send(server.port, '/v2/health/ready')).status).toBe(200);
      expect((await send(server.port, '/v2/health/live')).status).toBe(200);
      const missing = await send(server.port, '/v2/models/kalman');
      expect(missing.status).toBe(401);
      expect(missing.headers['www-authenticate']).toBe('Bearer');
      expect(JSON.parse(missing.body)).toEqual({ error: 'missing token: send Authorization: Bearer <token>' });
      const wrong = await send(server.port, '/v2/models/kalman', { headers: { Authorization: `Bearer ${TOKEN.slice(0, -1)}x` } });
      expect(wrong.status).toBe(401);
      expect(wrong.body).not.toContain(TOKEN);
      expect((await send(server.port, '/v2', { headers: { Authorization: `Basic ${TOKEN}` } })).status).toBe(401);
      const infer = json({ inputs: [{ name: 'input', shape: [1, F], datatype: 'FP32', data: Array.from(inputs[0]!) }, stateTensor()] });
      expect((await send(server.port, '/v2/models/kalman/infer', { method: 'POST', chunks: [infer] })).status).toBe(401);
      for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
        expect((await send(server.port, '/v2/models/kalman', { headers: { Authorization: `${scheme} ${TOKEN}` } })).status, scheme).toBe(200);
      }
      const ok = await send(server.port, '/v2/models/kalman/infer', { method: 'POST', headers: { Authorization: `bearer ${TOKEN}` }, chunks: [infer] });
      expect(ok.status).toBe(200);
      expect(server.counts()[401]).toBe(4);
    } finally {
      await server.close();
    }
  });

  it('the oip decoder sends the token given as an option or in the URL, and decodes as the local model does', async () => {
    const server = await startOipServer({ models: new Map([['kalman', served]]), host: '0.0.0.0', port: 0, token: TOKEN });
    const reference = await local();
    try {
      const expected: Float32Array[] = [];
      for (const x of inputs.slice(0, 5)) expected.push(await reference.decode(x));
      const viaOption = await OipDecoder.connect({ url: `http://127.0.0.1:${server.port}`, model: 'kalman', token: TOKEN, fallback: await local() });
      const viaUrl = await OipDecoder.connect({ url: `http://:${TOKEN}@127.0.0.1:${server.port}`, model: 'kalman', fallback: await local() });
      try {
        for (const decoder of [viaOption, viaUrl]) {
          expect(decoder.name).toBe(`oip:kalman@127.0.0.1:${server.port}`); // the token is never shown
          for (let i = 0; i < 5; i++) expect(Array.from(await decoder.decode(inputs[i]!))).toEqual(Array.from(expected[i]!));
          expect(decoder.counts).toEqual({ remote: 5, fallback: 0 });
        }
      } finally {
        await viaOption.dispose();
        await viaUrl.dispose();
      }
      // Without the token: a configuration error naming the server, not a silent fallback.
      const refused = await OipDecoder.connect({ url: `http://127.0.0.1:${server.port}`, model: 'kalman', fallback: await local() }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(InvalidOptionError);
      expect((refused as Error).message).toMatch(/^http:\/\/127\.0\.0\.1:\d+: expected no token needed, or one given \(--oip-token-env NAME, or the URL's credentials\), got "HTTP 401: missing token/);
    } finally {
      await reference.dispose();
      await server.close();
    }
  });
});

describe('OIP server: bad requests', () => {
  let server: OipServer;
  beforeAll(async () => {
    server = await startOipServer({ models: new Map([['kalman', served]]), port: 0, maxBodyBytes: 4096 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers a chunked body over the limit with 413 (not a connection reset), and serves the next request', async () => {
    const chunks = Array.from({ length: 16 }, () => Buffer.alloc(1024, 0x20));
    const r = await send(server.port, '/v2/models/kalman/infer', { method: 'POST', chunks });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toEqual({ error: 'request body larger than the limit of 4096 bytes' });
    const declared = await send(server.port, '/v2/models/kalman/infer', { method: 'POST', headers: { 'Content-Length': String(8192) }, chunks: [Buffer.alloc(8192, 0x20)] });
    expect(declared.status).toBe(413);
    expect((await send(server.port, '/v2/health/ready')).status).toBe(200);
  });

  it('refuses data nested deeper than its shape with 400 naming the nesting limit', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 1500; i++) deep = [deep];
    const r = await send(server.port, '/v2/models/kalman/infer', { method: 'POST', chunks: [json({ inputs: [{ name: 'input', shape: [1, F], datatype: 'FP32', data: deep }] })] });
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error).toBe('inputs[0].data: expected data nested at most 2 deep (the nesting limit: one level per dimension of the shape), got "an array nested deeper than 2"');
    const rank = await send(server.port, '/v2/models/kalman/infer', { method: 'POST', chunks: [json({ inputs: [{ name: 'input', shape: Array(40).fill(1), datatype: 'FP32', data: [1] }] })] });
    expect(rank.status).toBe(400);
    expect(JSON.parse(rank.body).error).toBe('inputs[0].shape: expected at most 16 dimensions, got "40"');
  });

  it('refuses NaN and ±Infinity inputs with 400, JSON (1e999, beyond FP32) or binary', async () => {
    const state = stateTensor();
    const stateBytes = state.data.length * 4;
    const data = Array.from(inputs[0]!);
    const asJson = async (text: string): Promise<{ status: number; error: string }> => {
      const r = await send(server.port, '/v2/models/kalman/infer', { method: 'POST', chunks: [Buffer.from(text)] });
      return { status: r.status, error: (JSON.parse(r.body) as { error: string }).error };
    };
    const body = (values: string): string => `{"inputs":[{"name":"input","shape":[1,${F}],"datatype":"FP32","data":[${values}]},${JSON.stringify(state)}]}`;
    expect(await asJson(body(['1e999', ...data.slice(1)].join(',')))).toEqual({ status: 400, error: 'inputs[0].data[0]: expected finite FP32 values (NaN and ±Infinity are not data), got "Infinity"' });
    expect(await asJson(body([...data.slice(0, 3), '-1e39', ...data.slice(4)].join(',')))).toEqual({ status: 400, error: 'inputs[0].data[3]: expected finite FP32 values (NaN and ±Infinity are not data), got "-1e+39 (beyond FP32\'s range)"' });
    expect((await asJson(body(['"NaN"', ...data.slice(1)].join(',')))).status).toBe(400);
    // Binary tensors carry NaN and Infinity as bits.
    for (const [bad, seen] of [[NaN, 'NaN'], [Infinity, 'Infinity'], [-Infinity, '-Infinity']] as const) {
      const x = Float32Array.from(inputs[0]!);
      x[5] = bad;
      const header = json({ inputs: [{ name: 'input', shape: [1, F], datatype: 'FP32', parameters: { binary_data_size: F * 4 } }, { name: 'state_in', shape: state.shape, datatype: 'FP32', parameters: { binary_data_size: stateBytes } }] });
      const r = await send(server.port, '/v2/models/kalman/infer', {
        method: 'POST',
        headers: { 'Inference-Header-Content-Length': String(header.length), 'Content-Type': 'application/octet-stream' },
        chunks: [header, Buffer.from(x.buffer), Buffer.alloc(stateBytes)],
      });
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body).error).toBe(`inputs[0] binary data[5]: expected finite FP32 values (NaN and ±Infinity are not data), got "${seen}"`);
    }
  });
});

describe('oip decoder against a server that answers badly', () => {
  for (const [what, answer] of [
    ['500s', (res: import('node:http').ServerResponse) => res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"error":"GPU on fire"}')],
    ['malformed bodies', (res: import('node:http').ServerResponse) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"model_name":"kalman","outputs":[{"name":"output"')],
  ] as const) {
    it(`${what}: one fallback, no recovery reported, retries at doubling intervals (not every probe interval)`, async () => {
      const bad = await startBadOipServer('kalman', JSON.stringify(oipModelMetadata('kalman', served)), answer);
      const events: OipDecoderEvent[] = [];
      // Probes every 20 ms at first, doubling to at most 320 ms: over ~2.5 s, about 1 + 4 + 2.5/0.32 ≈ 13 tries (125 without backing off).
      const decoder = await OipDecoder.connect({ url: bad.url, model: 'kalman', fallback: await local(), timeoutMs: 500, probeIntervalMs: 20, maxProbeIntervalMs: 320, log: (e) => events.push(e) });
      const reference = await local();
      try {
        const t0 = Date.now();
        let i = 0;
        while (Date.now() - t0 < 2500) {
          const x = inputs[i++ % inputs.length]!;
          // Every bin is the local model's, bit for bit, whatever the server does.
          expect(Array.from(await decoder.decode(x))).toEqual(Array.from(await reference.decode(x)));
          await new Promise((r) => setTimeout(r, 5));
        }
        const types = events.map((e) => e.type);
        expect(types.filter((t) => t === 'fallback')).toHaveLength(1);
        expect(types.filter((t) => t === 'recovered')).toHaveLength(0);
        const retries = events.filter((e): e is Extract<OipDecoderEvent, { type: 'retry-failed' }> => e.type === 'retry-failed');
        expect(retries.length).toBe(bad.infers() - 1);
        // Generous bounds: the tries back off (≥ 4 happen, far fewer than one per 20 ms probe).
        expect(bad.infers()).toBeGreaterThanOrEqual(4);
        expect(bad.infers()).toBeLessThanOrEqual(30);
        expect(retries.slice(0, 5).map((e) => e.nextTryMs)).toEqual([40, 80, 160, 320, 320].slice(0, Math.min(5, retries.length)));
        expect(decoder.counts.remote).toBe(0);
      } finally {
        await decoder.dispose();
        await reference.dispose();
        await bad.close();
      }
    }, 30_000);
  }
});
