/**
 * Serves ONNX decoders over the Open Inference Protocol (KServe v2 REST), so that the platform's
 * services — or another neurostream session's `oip` decoder — can call them like any Triton,
 * KServe or MLServer model (shared/protocols/REFERENCE.md §4):
 *
 *   GET  /v2/health/live, /v2/health/ready          200 (503 once closing)
 *   GET  /v2                                        { name, version, extensions: ['binary_tensor_data'] }
 *   GET  /v2/models/{name}[/versions/1]              metadata: platform onnxruntime_onnx, FP32 inputs/outputs
 *   GET  /v2/models/{name}[/versions/1]/ready        200
 *   POST /v2/models/{name}[/versions/1]/infer        JSON or binary tensors
 *
 * Errors are `{ "error": "…" }` with Triton's statuses: 404 unknown model or path, 400 bad
 * request (the message names the field), 401 a missing or wrong token, 405 wrong method, 413 body
 * too large (declared or chunked), 503 not ready or the model's batch queue full, 500 the model failed.
 *
 * Batching: with `batch`, infer requests for one model go through a dynamic batcher
 * ({@link ModelBatcher}: up to `maxBatch` requests that arrive within `maxDelayMs`, a bounded queue).
 *
 * Access: with a `token`, every request but `/v2/health/live` and `/v2/health/ready` must carry
 * `Authorization: Bearer <token>` (any case of the scheme; compared in constant time). Bound
 * beyond loopback (`0.0.0.0`, a LAN address), a token is required: the server refuses to start
 * without one, as the dashboard does. Models are stateless per request: a recurrent model's state travels as
 * its `<x>_in` inputs and `<x>_out` outputs (what the `oip` decoder does). The model metadata
 * also carries neurostream's description (`neurostream`: kind, input and output names) for clients
 * that want it; others ignore it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { bearerToken, isLoopbackHost, tokenMatches, tokenProblem } from '../../core/bearer-auth.js';
import { InvalidDataError, InvalidOptionError } from '../../core/errors.js';
import { SOFTWARE_VERSION } from '../../core/version.js';
import { checkInteger, checkString } from '../../core/validate.js';
import type { OnnxDecoder } from '../onnx/onnx-decoder.js';
import { ModelBatcher, QueueFullError, type BatchOptions } from './oip-batcher.js';
import { HEADER_LENGTH, encodeInferResponse, parseInferRequest } from './oip-codec.js';
import { oipModelMetadata } from './oip-model-metadata.js';

export interface OipServerOptions {
  /** Models by the name they are served under. */
  models: ReadonlyMap<string, OnnxDecoder>;
  host?: string;
  /** Default 8000 (Triton's HTTP port); 0 picks a free one. */
  port?: number;
  /** Largest request body, bytes (default 16 MiB). */
  maxBodyBytes?: number;
  /**
   * The bearer token callers must present (at least 16 non-space characters). Required when
   * `host` is not a loopback address.
   */
  token?: string;
  /** Dynamic batching of each model's infer requests (default none: each request runs at once). */
  batch?: BatchOptions;
}

export interface OipServer {
  readonly url: string;
  readonly port: number;
  /** Requests answered, by status. */
  counts(): Record<number, number>;
  /** Each model's batcher (when batching): its mode and the batches it ran. */
  batchers(): ReadonlyMap<string, ModelBatcher>;
  close(): Promise<void>;
}

const MODEL_PATH = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const bytes = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(bytes.length) });
  res.end(bytes);
}

/**
 * The request body, up to `limit` bytes. A body over the limit — declared by Content-Length or
 * found while reading a chunked one — rejects with 413 at once; what the client still sends is
 * read and discarded (up to 4 × `limit` bytes in all, then the connection is cut) so that it
 * reads the answer instead of a connection reset, and may send its next request.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const refuse = (message: string): void => {
      over = true;
      chunks.length = 0;
      reject(new HttpError(413, message));
    };
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (declared > limit) refuse(`request body of ${declared} bytes is larger than the limit of ${limit}`);
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) {
        if (size > 4 * limit) req.destroy();
        return;
      }
      if (size > limit) {
        refuse(`request body larger than the limit of ${limit} bytes`);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!over) resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (error) => {
      if (!over) reject(error);
    });
  });
}

/** How {@link checkOipAccess} names the host and the token in its errors. */
export interface OipAccessNames {
  /** Default `host`. */
  host?: string;
  /** Where the token comes from, e.g. an environment variable's name. Default `token`. */
  token?: string;
}

/**
 * The access rule of {@link startOipServer}, to check before anything is loaded: a token (at
 * least 16 non-space characters, never echoed in an error) is required beyond loopback. Throws an
 * InvalidOptionError naming the host or the token as `names` says.
 */
export function checkOipAccess(host: string, token: unknown, names: OipAccessNames = {}): void {
  const tokenName = names.token ?? 'token';
  if (token !== undefined) {
    const problem = typeof token === 'string' ? tokenProblem(token) : 'not a string';
    // Never echo a token back: describe its shape only.
    if (problem !== undefined) throw new InvalidOptionError(tokenName, 'a token of at least 16 non-space characters', problem);
  } else if (!isLoopbackHost(host)) {
    const unless = names.token === undefined ? 'a token is given' : `${tokenName} holds the token callers must send`;
    throw new InvalidOptionError(names.host ?? 'host', `a loopback address (127.0.0.1, ::1, localhost) unless ${unless}`, host);
  }
}

/** Serves `models` over the Open Inference Protocol (KServe v2 REST) until closed. */
export async function startOipServer(options: OipServerOptions): Promise<OipServer> {
  if (!(options.models instanceof Map) || options.models.size === 0) throw new InvalidOptionError('models', 'at least one model', options.models);
  for (const name of options.models.keys()) {
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new InvalidOptionError('model name', 'letters, digits, _ . - (it is a URL path segment)', name);
  }
  const host = checkString('option', 'host', options.host ?? '127.0.0.1', { nonEmpty: true });
  const port = checkInteger('option', 'port', options.port ?? 8000, { min: 0, max: 65535 });
  const maxBodyBytes = checkInteger('option', 'maxBodyBytes', options.maxBodyBytes ?? 16 * 1024 * 1024, { min: 1024 });
  const token = options.token;
  checkOipAccess(host, token);
  const counts: Record<number, number> = {};
  let closing = false;
  const batchers = new Map<string, ModelBatcher>();
  if (options.batch !== undefined) for (const [name, model] of options.models) batchers.set(name, new ModelBatcher(name, model, options.batch));

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const method = req.method ?? 'GET';
    const get = (): void => {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed on ${path}; use GET`);
    };
    if (path === '/v2/health/live') {
      get();
      res.writeHead(200, { 'Content-Length': '0' }).end();
      return;
    }
    if (path === '/v2/health/ready') {
      get();
      res.writeHead(closing ? 503 : 200, { 'Content-Length': '0' }).end();
      return;
    }
    if (token !== undefined && !tokenMatches(bearerToken(req.headers.authorization), token)) {
      throw new HttpError(401, `${req.headers.authorization === undefined ? 'missing' : 'wrong'} token: send Authorization: Bearer <token>`, { 'WWW-Authenticate': 'Bearer' });
    }
    if (path === '/v2') {
      get();
      sendJson(res, 200, { name: 'neurostream', version: SOFTWARE_VERSION, extensions: ['binary_tensor_data'] });
      return;
    }
    const m = MODEL_PATH.exec(path);
    if (!m) throw new HttpError(404, `no such endpoint: ${path}`);
    const name = decodeURIComponent(m[1]!);
    const model = options.models.get(name);
    if (!model) throw new HttpError(404, `unknown model "${name}"; served: ${[...options.models.keys()].join(', ')}`);
    if (m[2] !== undefined && m[2] !== '1') throw new HttpError(404, `unknown version "${m[2]}" of model "${name}"; served: 1`);
    if (m[3] === '/ready') {
      get();
      res.writeHead(closing ? 503 : 200, { 'Content-Length': '0' }).end();
      return;
    }
    if (m[3] === undefined) {
      get();
      sendJson(res, 200, oipModelMetadata(name, model));
      return;
    }
    if (method !== 'POST') throw new HttpError(405, `${method} is not allowed on ${path}; use POST`);
    if (closing) throw new HttpError(503, `model "${name}" is not ready: the server is shutting down`);
    const body = await readBody(req, maxBodyBytes);
    const header = req.headers[HEADER_LENGTH];
    let request;
    try {
      request = parseInferRequest(body, Array.isArray(header) ? header[0] : header);
    } catch (error) {
      throw new HttpError(400, error instanceof Error ? error.message : String(error));
    }
    const inputs = new Map(request.inputs.map((t) => [t.name, { data: t.data, shape: t.shape }]));
    let outputs: Map<string, { data: Float32Array; shape: number[] }>;
    try {
      const batcher = batchers.get(name);
      outputs = await (batcher ? batcher.infer(inputs) : model.run(inputs));
    } catch (error) {
      if (error instanceof QueueFullError) throw new HttpError(503, error.message, { 'Retry-After': '1' });
      throw new HttpError(error instanceof InvalidDataError ? 400 : 500, error instanceof Error ? error.message : String(error));
    }
    const wanted = request.outputs ?? [...outputs.keys()].map((n) => ({ name: n, binary: request.binaryOutput }));
    for (const o of wanted) if (!outputs.has(o.name)) throw new HttpError(400, `outputs: unknown output "${o.name}"; the model has ${[...outputs.keys()].join(', ')}`);
    const binary = new Map(wanted.map((o) => [o.name, o.binary]));
    const encoded = encodeInferResponse(
      { modelName: name, ...(request.id !== undefined ? { id: request.id } : {}), outputs: wanted.map((o) => ({ name: o.name, ...outputs.get(o.name)! })) },
      (n) => binary.get(n) === true,
    );
    res.writeHead(200, { ...encoded.headers, 'Content-Length': String(encoded.body.length) });
    res.end(encoded.body);
  }

  const server: Server = createServer((req, res) => {
    res.on('finish', () => (counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1));
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      const headers = error instanceof HttpError ? error.headers : {};
      if (res.headersSent) res.destroy();
      else sendJson(res, status, { error: error instanceof Error ? error.message : String(error) }, headers);
    });
  });
  server.keepAliveTimeout = 30_000;
  const actualPort = await new Promise<number>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' || error.code === 'EACCES' ? new InvalidOptionError('--port', 'a free port this process may bind', port) : error),
    );
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${actualPort}`,
    port: actualPort,
    counts: () => ({ ...counts }),
    batchers: () => batchers,
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
