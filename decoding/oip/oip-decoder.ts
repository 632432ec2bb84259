/**
 * A decoder that runs on a model server over the Open Inference Protocol (KServe v2 REST: Triton,
 * KServe, MLServer, or `neurostream serve`), with a local decoder to fall back on.
 *
 * - At start: `/v2/health/ready`, the server's extensions (`binary_tensor_data` → binary tensors)
 *   and the model's metadata (its data input `[1, F]`, output `[1, D]`, and recurrent state pairs
 *   `<x>_in`/`<x>_out`) are checked; a local fallback must have the same input and output sizes.
 *   A server that is unreachable or not ready at start does not stop the session: decoding starts
 *   on the fallback (reported as `fallback`), the server is probed, and once it answers its model
 *   is checked as above and decoding moves to it (`recovered`); a model that turns out not to match
 *   the fallback is reported (`incompatible`) and decoding stays local. `requireServer` refuses to
 *   start instead. A server that answers but does not know the model is a configuration error.
 * - Each bin is one `POST /v2/models/{model}/infer`, with a timeout, on a kept-alive connection
 *   (one `http.Agent` with keepAlive per decoder: no TCP or TLS handshake per bin). With binary
 *   tensors the request is written into one buffer allocated at start (its JSON header is fixed:
 *   the shapes do not change), the bin and the recurrent state copied into their places in it, and
 *   the state that comes back copied into arrays that also live for the session. Requests go one at a time
 *   (a recurrent model's state travels with each request and comes back with its answer), so at
 *   most `maxInFlight` (1) is outstanding; the decode operator bounds the bins queued behind it.
 * - When the server is unreachable, stalls past the timeout or answers an error, the bin — and
 *   every bin after it — is decoded by the local fallback, carrying the recurrent state over when
 *   the fallback is an ONNX copy of the model; the event is reported (`fallback`), never silent.
 *   The server is probed (`/v2/health/ready` and the model's `/ready`) every `probeIntervalMs`; once
 *   it says it is ready, the next bin is tried on it (with the fallback's state): when that answers,
 *   decoding moves back to it and `recovered` is reported. A server that says it is ready but fails
 *   that bin (`retry-failed`, not a state change), or fails again within `maxProbeIntervalMs` of
 *   recovering, is tried at doubling intervals up to `maxProbeIntervalMs`, so that a server
 *   answering badly is neither hammered nor flipped to and from every second; each state change
 *   (`fallback`, `recovered`) is reported once. Without a fallback, a failed request fails the decode.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { InvalidDataError, InvalidOptionError } from '../../core/errors.js';
import type { IntentKind } from '../../core/intent.js';
import { checkInteger, checkString } from '../../core/validate.js';
import type { Decoder } from '../decoder.js';
import { MAX_DECODER_NAMES, MAX_TENSOR_VALUES, OnnxDecoder } from '../onnx/onnx-decoder.js';
import { HEADER_LENGTH, encodeInferRequest, parseInferResponse, type OipTensor } from './oip-codec.js';
import { oipModelMetadata } from './oip-model-metadata.js';

export type OipDecoderEvent =
  | { type: 'connected'; url: string; model: string; binary: boolean }
  | { type: 'fallback'; url: string; model: string; reason: string; fallback: string }
  | { type: 'recovered'; url: string; model: string; afterMs: number; bins: number; binary: boolean }
  /** The server said it was ready but failed the bin tried on it; the next try is in `nextTryMs`. */
  | { type: 'retry-failed'; url: string; model: string; reason: string; nextTryMs: number }
  | { type: 'incompatible'; url: string; model: string; reason: string };

export interface OipDecoderOptions {
  /** The server's base URL, e.g. `http://gpu-server:8000`. */
  url: string;
  /** The model's name on the server. */
  model: string;
  /** Per-request timeout, ms (default 200). */
  timeoutMs?: number;
  /** Binary tensors (default: when the server lists `binary_tensor_data`); false forces JSON. */
  binary?: boolean;
  /** The local decoder used while the server cannot answer. */
  fallback?: Decoder;
  /** How often a server that failed is probed, ms (default 1000). */
  probeIntervalMs?: number;
  /**
   * The longest wait between tries of a server that answers badly, ms (default 30 000): the wait
   * doubles from `probeIntervalMs` each time a server that said it was ready fails the bin tried
   * on it, or fails again within this long of recovering.
   */
  maxProbeIntervalMs?: number;
  /** Refuse to start when the server is unreachable or not ready (default false: start on the fallback). */
  requireServer?: boolean;
  /**
   * A bearer token sent with every request (`Authorization: Bearer <token>`), for a server that
   * requires one (`neurostream serve` beyond loopback). The URL's credentials are the other way
   * to give it: `http://:TOKEN@host:8000` (the password, or the user name when there is no
   * password); they are taken out of the URL and never shown. Not both.
   */
  token?: string;
  log?: (event: OipDecoderEvent) => void;
}

interface Remote {
  kind: IntentKind;
  inputName: string;
  outputName: string;
  features: number;
  outputs: number;
  inputNames: string[];
  outputNames: string[];
  states: { input: string; output: string; shape: number[]; init: Float32Array }[];
  binary: boolean;
}

const STATE_IN = '_in';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const STATE_OUT = '_out';

class RemoteError extends Error {}

async function fetchWithTimeout(url: string, init: RequestInit, timeoutMs: number, token: string | undefined): Promise<Response> {
  const headers = token === undefined ? init.headers : { ...(init.headers as Record<string, string> | undefined), Authorization: `Bearer ${token}` };
  try {
    return await fetch(url, { ...init, ...(headers ? { headers } : {}), signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const e = error as { name?: string; cause?: { code?: string; message?: string }; message?: string };
    if (e.name === 'TimeoutError' || e.name === 'AbortError') throw new RemoteError(`no answer within ${timeoutMs} ms`);
    // undici's UND_ERR_SOCKET: the server closed a kept-alive connection under the request (it died or restarted).
    if (e.cause?.code === 'UND_ERR_SOCKET') throw new RemoteError(`the connection closed under the request (${e.cause.message ?? 'other side closed'})`);
    throw new RemoteError(`unreachable (${e.cause?.code ?? e.cause?.message ?? e.message ?? String(error)})`);
  }
}

/** An infer answer: status, the binary header's length, the body. */
interface RawAnswer {
  status: number;
  headerLength: string | undefined;
  body: Buffer;
}

/**
 * POSTs `body` on `agent`'s kept-alive connections; resolves with the whole answer, or rejects
 * with a RemoteError saying what went wrong (timeout, connection closed under the request,
 * unreachable) in the words `fetchWithTimeout` uses.
 */
function postKeptAlive(url: URL, agent: HttpAgent, headers: Record<string, string>, body: Buffer, timeoutMs: number, retried = false): Promise<RawAnswer> {
  const started = performance.now();
  return new Promise<RawAnswer>((resolve, reject) => {
    let settled = false;
    const fail = (error: RemoteError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'POST', agent, headers }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const h = res.headers[HEADER_LENGTH];
        resolve({ status: res.statusCode ?? 0, headerLength: Array.isArray(h) ? h[0] : h, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
      });
      res.on('error', (error) => fail(new RemoteError(`the answer broke off (${error.message})`)));
      res.on('aborted', () => fail(new RemoteError('the answer broke off (aborted)')));
    });
    const timer = setTimeout(() => fail(new RemoteError(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      const closed = error.code === 'ECONNRESET' || error.code === 'EPIPE';
      // A kept-alive connection the server closed while idle (its keep-alive timeout): the request
      // never reached it (or was lost with it: a request is stateless, the state travels in it, so
      // sending it again is harmless); sent once more on a new connection, within the same time limit.
      if (closed && req.reusedSocket && !retried && !settled) {
        settled = true;
        clearTimeout(timer);
        const left = timeoutMs - (performance.now() - started);
        if (left >= 1) {
          postKeptAlive(url, agent, headers, body, Math.floor(left), true).then(resolve, reject);
          return;
        }
        settled = false;
      }
      fail(new RemoteError(closed ? `the connection closed under the request (${error.message})` : `unreachable (${error.code ?? error.message})`));
    });
    req.end(body);
  });
}

async function errorOf(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  return errorText(response.status, Buffer.from(text, 'utf8'));
}

/** `HTTP 400: <the server's error message>` from an error answer's body. */
function errorText(status: number, body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return `HTTP ${status}: ${body.error}`;
  } catch {
    // not JSON
  }
  return `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
}

export class OipDecoder implements Decoder {
  readonly name: string;
  readonly kind: IntentKind;
  readonly inputShape: readonly number[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Bins decoded remotely and by the fallback. */
  readonly counts = { remote: 0, fallback: 0 };
  private readonly base: string;
  private state = new Map<string, Float32Array>();
  /** What decoding calls on the server; described from the fallback until the server has been seen. */
  private remote: Remote;
  /** True until the server's own metadata has been read (it was down at start). */
  private provisional = false;
  private usingFallback = false;
  /** The server said it is ready: the next bin is tried on it. */
  private trial = false;
  private failedAt = 0;
  /** When decoding last moved (back) to the server. */
  private remoteSince = 0;
  /** The wait before the next probe, ms (doubles while the server answers badly). */
  private probeDelayMs: number;
  private probe: ReturnType<typeof setTimeout> | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private sequence = 0;
  /** Kept-alive connections to the server (one at a time is in use: requests go one by one). */
  private readonly agent: HttpAgent;
  private readonly inferUrl: URL;
  /** The binary request laid out once for `remote`: rebuilt only when the server's model is read again. */
  private plan: { remote: Remote; body: Buffer; headers: Record<string, string>; input: Float32Array; states: Float32Array[] } | undefined;

  private constructor(
    private readonly options: Required<Pick<OipDecoderOptions, 'url' | 'model' | 'timeoutMs' | 'probeIntervalMs' | 'maxProbeIntervalMs'>> & OipDecoderOptions,
    remote: Remote,
  ) {
    this.remote = remote;
    this.probeDelayMs = options.probeIntervalMs;
    this.remoteSince = Date.now();
    this.base = options.url.replace(/\/+$/, '');
    this.name = `oip:${options.model}@${new URL(this.base).host}`;
    this.inferUrl = new URL(`${this.base}/v2/models/${encodeURIComponent(options.model)}/infer`);
    const agentOptions = { keepAlive: true, maxSockets: 1, keepAliveMsecs: 1000 };
    this.agent = this.inferUrl.protocol === 'https:' ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
    this.kind = remote.kind;
    this.inputShape = [remote.features];
    this.inputNames = remote.inputNames;
    this.outputNames = remote.outputNames;
    this.resetState();
  }

  /** Where bins are decoded now: `oip` (the server) or the fallback's provider, marked. */
  get provider(): string {
    return this.usingFallback ? `${this.options.fallback?.provider ?? 'none'} (fallback: server unreachable)` : 'oip';
  }

  /** True while the fallback decodes. */
  get fallingBack(): boolean {
    return this.usingFallback;
  }

  /** Checks the server and the model, and returns a decoder ready to call it. */
  static async connect(options: OipDecoderOptions): Promise<OipDecoder> {
    const given = checkString('option', 'oip url', options.url, { nonEmpty: true });
    let parsed: URL;
    try {
      parsed = new URL(given);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('protocol');
    } catch {
      throw new InvalidOptionError('oip url', 'an http(s) URL such as http://127.0.0.1:8000', given.replace(/\/\/[^/@]*@/, '//…@'));
    }
    // Credentials in the URL are the token: taken out of it, never shown.
    let token = options.token;
    if (parsed.username !== '' || parsed.password !== '') {
      if (token !== undefined) throw new InvalidOptionError('oip url', 'a token given once: in the URL or as the token option, not both', 'both');
      token = decodeURIComponent(parsed.password !== '' ? parsed.password : parsed.username);
      parsed.username = '';
      parsed.password = '';
    }
    if (token !== undefined && (typeof token !== 'string' || token === '' || /\s/.test(token))) {
      throw new InvalidOptionError('oip token', 'a token without white space', typeof token === 'string' ? `a token of ${token.length} characters` : token);
    }
    const url = parsed.toString();
    const model = checkString('option', 'oip model', options.model, { nonEmpty: true });
    const timeoutMs = checkInteger('option', 'oip timeoutMs', options.timeoutMs ?? 200, { min: 1, max: 60_000 });
    const probeIntervalMs = checkInteger('option', 'oip probeIntervalMs', options.probeIntervalMs ?? 1000, { min: 10, max: 600_000 });
    const maxProbeIntervalMs = checkInteger('option', 'oip maxProbeIntervalMs', options.maxProbeIntervalMs ?? 30_000, { min: probeIntervalMs, max: 3_600_000 });
    const base = url.replace(/\/+$/, '');
    const settings = { ...options, url: base, model, timeoutMs, probeIntervalMs, maxProbeIntervalMs, ...(token !== undefined ? { token } : {}) };
    const startTimeout = Math.max(timeoutMs, 2000);
    let remote: Remote | undefined;
    let notReady: string | undefined;
    try {
      const ready = await fetchWithTimeout(`${base}/v2/health/ready`, {}, startTimeout, token);
      if (ready.status !== 200) notReady = `not ready (${await errorOf(ready)})`;
      else await ready.arrayBuffer();
      if (notReady === undefined) remote = await OipDecoder.fromServer(base, model, options.binary, options.fallback, startTimeout, token);
    } catch (error) {
      if (!(error instanceof RemoteError)) throw error; // a model it does not know, or one that does not fit
      notReady = error.message;
    }
    if (remote === undefined) {
      if (!options.fallback || options.requireServer) {
        throw new InvalidOptionError(`${base}/v2/health/ready`, 'a ready Open Inference Protocol server', notReady);
      }
      // Start locally; the server's model is checked when it answers.
      const provisional = OipDecoder.describe(`fallback ${options.fallback.name}`, { ...oipModelMetadata(model, options.fallback) }, false, undefined);
      const decoder = new OipDecoder(settings, provisional);
      decoder.provisional = true;
      decoder.switchToFallback(`${notReady ?? 'unreachable'} at start`);
      return decoder;
    }
    const decoder = new OipDecoder(settings, remote);
    options.log?.({ type: 'connected', url: base, model, binary: remote.binary });
    return decoder;
  }

  /**
   * The server's extensions and the model's metadata, described (and checked against the fallback).
   * A server that cannot be reached throws a RemoteError; a model it does not know, or one that does
   * not fit, an InvalidOptionError or InvalidDataError.
   */
  private static async fromServer(
    base: string,
    model: string,
    binaryOption: boolean | undefined,
    fallback: Decoder | undefined,
    timeoutMs: number,
    token: string | undefined,
  ): Promise<Remote> {
    const where = `${base} model "${model}"`;
    const server = await fetchWithTimeout(`${base}/v2`, {}, timeoutMs, token).catch(() => undefined);
    const extensions = server?.ok ? ((await server.json().catch(() => ({}))) as { extensions?: unknown }).extensions : undefined;
    const binary = binaryOption ?? (Array.isArray(extensions) && extensions.includes('binary_tensor_data'));
    const metaResponse = await fetchWithTimeout(`${base}/v2/models/${encodeURIComponent(model)}`, {}, timeoutMs, token);
    if (metaResponse.status === 401) {
      throw new InvalidOptionError(`${base}`, token === undefined ? 'no token needed, or one given (--oip-token-env NAME, or the URL\'s credentials)' : 'the token the server expects', await errorOf(metaResponse));
    }
    if (metaResponse.status !== 200) throw new InvalidOptionError(`${where}`, 'a model the server knows (GET /v2/models/{name} → 200)', await errorOf(metaResponse));
    let meta: Record<string, unknown>;
    try {
      meta = (await metaResponse.json()) as Record<string, unknown>;
    } catch (error) {
      throw new RemoteError(`metadata that is not JSON (${(error as Error).message})`);
    }
    return OipDecoder.describe(where, meta, binary, fallback);
  }

  /** Reads the model metadata into what decoding needs; checks the fallback against it. */
  private static describe(where: string, meta: Record<string, unknown>, binary: boolean, fallback: Decoder | undefined): Remote {
    type Sig = { name: string; datatype: string; shape: number[] };
    const list = (key: 'inputs' | 'outputs'): Sig[] => {
      const v = meta[key];
      if (!Array.isArray(v) || v.length === 0) throw new InvalidDataError(`${where} metadata ${key}`, 'a list of tensors', v);
      return v as Sig[];
    };
    const inputs = list('inputs');
    const outputs = list('outputs');
    const outNames = new Set(outputs.map((o) => o.name));
    const isState = (n: string): boolean => n.endsWith(STATE_IN) && outNames.has(n.slice(0, -STATE_IN.length) + STATE_OUT);
    const data = inputs.filter((i) => !isState(i.name));
    if (data.length !== 1) throw new InvalidDataError(`${where} inputs`, 'one data input besides <x>_in state inputs', inputs.map((i) => i.name));
    const stateOuts = new Set(inputs.filter((i) => isState(i.name)).map((i) => i.name.slice(0, -STATE_IN.length) + STATE_OUT));
    const dataOut = outputs.filter((o) => !stateOuts.has(o.name));
    if (dataOut.length !== 1) throw new InvalidDataError(`${where} outputs`, 'one data output besides <x>_out state outputs', outputs.map((o) => o.name));
    const input = data[0]!;
    const output = dataOut[0]!;
    for (const t of [...inputs, ...outputs]) if (t.datatype !== 'FP32') throw new InvalidDataError(`${where} tensor "${t.name}" datatype`, 'FP32', t.datatype);
    const fixed = (t: Sig, rank: number): boolean => Array.isArray(t.shape) && t.shape.length === rank && (t.shape[0] === 1 || t.shape[0] === -1) && t.shape.slice(1).every((d) => Number.isSafeInteger(d) && d > 0);
    if (!fixed(input, 2)) throw new InvalidDataError(`${where} input "${input.name}" shape`, '[1, F] (a feature vector; -1 allowed for the batch)', input.shape);
    if (!fixed(output, 2)) throw new InvalidDataError(`${where} output "${output.name}" shape`, '[1, D]', output.shape);
    // Bounds on what the server declares, before anything is allocated for it.
    for (const [t, what] of [[input, 'features'], [output, 'outputs']] as const) {
      if (t.shape[1]! > MAX_DECODER_NAMES) throw new InvalidDataError(`${where} ${t === input ? 'input' : 'output'} "${t.name}" shape`, `at most ${MAX_DECODER_NAMES} ${what}`, `[${t.shape.join(', ')}]`);
    }
    const features = input.shape[1]!;
    const D = output.shape[1]!;
    const ns = (meta['neurostream'] ?? {}) as { kind?: unknown; input_names?: unknown; output_names?: unknown; state_init?: unknown };
    const names = (v: unknown, n: number): string[] | undefined => (Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined);
    if (fallback) {
      if (fallback.inputShape.length !== 1 || fallback.inputShape[0] !== features || fallback.outputNames.length !== D) {
        throw new InvalidOptionError(
          `fallback ${fallback.name}`,
          `a decoder of ${features} features → ${D} outputs, as ${where}`,
          `${fallback.inputShape.join(' × ')} → ${fallback.outputNames.length}`,
        );
      }
    }
    const states = inputs
      .filter((i) => isState(i.name))
      .map((i) => {
        // One -1 is the batch dimension (Triton with max_batch_size > 0 puts it first; a GRU's state
        // [layers, -1, H] has it second): one session is one row.
        const batchDims = Array.isArray(i.shape) ? i.shape.filter((d) => d === -1).length : 0;
        const shape = Array.isArray(i.shape) && batchDims === 1 && i.shape.length > 1 ? i.shape.map((d) => (d === -1 ? 1 : d)) : i.shape;
        if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) throw new InvalidDataError(`${where} state input "${i.name}" shape`, 'fixed sizes (one -1 allowed for the batch)', i.shape);
        const size = shape.reduce((a, b) => a * b, 1);
        if (size > MAX_TENSOR_VALUES) throw new InvalidDataError(`${where} state input "${i.name}" shape`, `a state of at most ${MAX_TENSOR_VALUES} values`, `[${i.shape.join(', ')}]`);
        // The initial state: the server's neurostream description; else (Triton, KServe: no such
        // field) the local ONNX copy's, when it has this state; else zeros (the convention's default).
        const given = (ns.state_init as Record<string, unknown> | undefined)?.[i.name];
        const local = fallback instanceof OnnxDecoder ? fallback.initialState().get(i.name) : undefined;
        const init =
          Array.isArray(given) && given.length === size && given.every((v) => typeof v === 'number')
            ? Float32Array.from(given as number[])
            : local !== undefined && local.length === size
              ? local
              : new Float32Array(size);
        return { input: i.name, output: i.name.slice(0, -STATE_IN.length) + STATE_OUT, shape, init };
      });
    const kind = ns.kind === 'discrete' || ns.kind === 'continuous' ? ns.kind : (fallback?.kind ?? 'continuous');
    return {
      kind,
      inputName: input.name,
      outputName: output.name,
      features,
      outputs: D,
      inputNames: names(ns.input_names, features) ?? (fallback ? [...fallback.inputNames] : Array.from({ length: features }, (_, i) => `input_${i}`)),
      outputNames: names(ns.output_names, D) ?? (fallback ? [...fallback.outputNames] : Array.from({ length: D }, (_, i) => `output_${i}`)),
      states,
      binary,
    };
  }

  decode(input: Float32Array): Promise<Float32Array> {
    if (this.disposed) return Promise.reject(new InvalidOptionError(this.name, 'a decoder that has not been disposed', 'disposed'));
    if (!(input instanceof Float32Array) || input.length !== this.remote.features) {
      return Promise.reject(new InvalidDataError(`${this.name} input`, `${this.remote.features} values`, input));
    }
    const data = input.slice();
    const run = this.chain.then(() => this.step(data));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async step(input: Float32Array): Promise<Float32Array> {
    const fallback = this.options.fallback;
    if (this.usingFallback && this.trial) {
      // The server says it is back: try this bin on it, with the fallback's state.
      this.trial = false;
      if (fallback instanceof OnnxDecoder && this.remote.states.length > 0) this.state = await fallback.getState();
      try {
        const out = await this.infer(input);
        this.counts.remote++;
        this.usingFallback = false;
        this.remoteSince = Date.now();
        this.options.log?.({ type: 'recovered', url: this.base, model: this.options.model, afterMs: Date.now() - this.failedAt, bins: this.counts.fallback, binary: this.remote.binary });
        return out;
      } catch (error) {
        if (!(error instanceof RemoteError)) throw error;
        // Still falling back (no state change): try again later, twice as late.
        this.backOff();
        this.options.log?.({ type: 'retry-failed', url: this.base, model: this.options.model, reason: error.message, nextTryMs: this.probeDelayMs });
        this.scheduleProbe();
      }
    } else if (!this.usingFallback) {
      try {
        const out = await this.infer(input);
        this.counts.remote++;
        return out;
      } catch (error) {
        if (!(error instanceof RemoteError) || !fallback) throw error instanceof RemoteError ? new InvalidDataError(`${this.name}`, 'an answer from the model server', error.message) : error;
        this.switchToFallback(error.message);
      }
    }
    this.counts.fallback++;
    return fallback!.decode(input);
  }

  /** Doubles the wait before the next try, up to maxProbeIntervalMs. */
  private backOff(): void {
    this.probeDelayMs = Math.min(this.probeDelayMs * 2, this.options.maxProbeIntervalMs);
  }

  private switchToFallback(reason: string): void {
    const fallback = this.options.fallback!;
    const now = Date.now();
    // Failing again soon after recovering is a flapping server: wait longer before the next try.
    if (this.failedAt > 0 && now - this.remoteSince < this.options.maxProbeIntervalMs) this.backOff();
    else this.probeDelayMs = this.options.probeIntervalMs;
    this.usingFallback = true;
    this.failedAt = now;
    if (fallback instanceof OnnxDecoder && this.remote.states.length > 0) {
      try {
        fallback.setState(this.state);
      } catch {
        fallback.reset();
      }
    }
    this.options.log?.({ type: 'fallback', url: this.base, model: this.options.model, reason, fallback: `${fallback.name} (${fallback.provider})` });
    this.scheduleProbe();
  }

  private scheduleProbe(): void {
    clearTimeout(this.probe);
    this.probe = setTimeout(() => {
      void this.probeOnce().then((outcome) => {
        if (this.disposed) return;
        if (outcome === 'ready') this.trial = true;
        else if (outcome === 'down') this.scheduleProbe();
        // 'incompatible': reported; decoding stays local for the rest of the session.
      });
    }, this.probeDelayMs);
    this.probe.unref();
  }

  /** Is the server back? The first time it answers, its model is read and checked against the fallback's. */
  private async probeOnce(): Promise<'ready' | 'down' | 'incompatible'> {
    if (!(await this.isReady())) return 'down';
    if (!this.provisional) return 'ready';
    const t = Math.max(this.options.timeoutMs, 500);
    let remote: Remote;
    try {
      remote = await OipDecoder.fromServer(this.base, this.options.model, this.options.binary, this.options.fallback, t, this.options.token);
    } catch (error) {
      if (error instanceof RemoteError) return 'down';
      this.reportIncompatible((error as Error).message);
      return 'incompatible';
    }
    // The fallback's recurrent state must be the server's to carry it over.
    const states = (r: Remote): string => JSON.stringify(r.states.map((x) => [x.input, x.output, x.shape]));
    if (states(remote) !== states(this.remote)) {
      this.reportIncompatible(`its recurrent state ${states(remote)} is not the fallback's ${states(this.remote)}`);
      return 'incompatible';
    }
    if (this.disposed) return 'down';
    this.remote = { ...remote, kind: this.remote.kind, inputNames: this.remote.inputNames, outputNames: this.remote.outputNames };
    this.provisional = false;
    return 'ready';
  }

  private reportIncompatible(reason: string): void {
    this.options.log?.({ type: 'incompatible', url: this.base, model: this.options.model, reason });
  }

  private async isReady(): Promise<boolean> {
    try {
      const t = Math.max(this.options.timeoutMs, 500);
      const [server, model] = await Promise.all([
        fetchWithTimeout(`${this.base}/v2/health/ready`, {}, t, this.options.token),
        fetchWithTimeout(`${this.base}/v2/models/${encodeURIComponent(this.options.model)}/ready`, {}, t, this.options.token),
      ]);
      await Promise.all([server.arrayBuffer(), model.arrayBuffer()]);
      return server.status === 200 && model.status === 200;
    } catch {
      return false;
    }
  }

  /**
   * The binary request for the current model, laid out once: the fixed JSON header, then the bin
   * and each state tensor at fixed offsets (Float32Array views when the buffer's offsets allow,
   * else copied in little-endian per request).
   */
  private binaryPlan(): NonNullable<OipDecoder['plan']> {
    const r = this.remote;
    if (this.plan?.remote === r) return this.plan;
    const tensors: OipTensor[] = [
      { name: r.inputName, shape: [1, r.features], data: new Float32Array(r.features) },
      ...r.states.map((s) => ({ name: s.input, shape: s.shape, data: new Float32Array(s.init.length) })),
    ];
    const encoded = encodeInferRequest(tensors, { binary: true });
    // A buffer of its own (not a slice of Node's pool), the tensors 4-byte aligned after the header.
    const headerBytes = Number(encoded.headers['Inference-Header-Content-Length']);
    const pad = (4 - (headerBytes % 4)) % 4;
    const backing = new ArrayBuffer(pad + encoded.body.length);
    const body = Buffer.from(backing, pad, encoded.body.length);
    encoded.body.copy(body);
    const views: Float32Array[] = [];
    let offset = pad + headerBytes;
    for (const t of tensors) {
      views.push(new Float32Array(backing, offset, t.data.length));
      offset += t.data.byteLength;
    }
    const headers: Record<string, string> = { ...encoded.headers, 'Content-Length': String(body.length) };
    if (this.options.token !== undefined) headers['Authorization'] = `Bearer ${this.options.token}`;
    this.plan = { remote: r, body, headers, input: views[0]!, states: views.slice(1) };
    return this.plan;
  }

  private async infer(input: Float32Array): Promise<Float32Array> {
    const r = this.remote;
    let body: Buffer;
    let headers: Record<string, string>;
    if (r.binary && LITTLE_ENDIAN) {
      const plan = this.binaryPlan();
      plan.input.set(input);
      r.states.forEach((s, i) => plan.states[i]!.set(this.state.get(s.input)!));
      ({ body, headers } = plan);
    } else {
      const tensors: OipTensor[] = [{ name: r.inputName, shape: [1, r.features], data: input }];
      for (const s of r.states) tensors.push({ name: s.input, shape: s.shape, data: this.state.get(s.input)! });
      const encoded = encodeInferRequest(tensors, { binary: r.binary, id: String(++this.sequence) });
      body = encoded.body;
      headers = { ...encoded.headers, 'Content-Length': String(body.length), ...(this.options.token !== undefined ? { Authorization: `Bearer ${this.options.token}` } : {}) };
    }
    const answer = await postKeptAlive(this.inferUrl, this.agent, headers, body, this.options.timeoutMs);
    if (answer.status !== 200) throw new RemoteError(errorText(answer.status, answer.body));
    let parsed;
    try {
      parsed = parseInferResponse(answer.body, answer.headerLength);
    } catch (error) {
      throw new RemoteError(`a malformed answer (${(error as Error).message})`);
    }
    const out = parsed.outputs.find((t) => t.name === r.outputName);
    if (!out || out.data.length !== r.outputs) throw new RemoteError(`output "${r.outputName}" missing or not ${r.outputs} values`);
    const next = r.states.map((s) => parsed.outputs.find((t) => t.name === s.output));
    r.states.forEach((s, i) => {
      if (!next[i] || next[i].data.length !== s.init.length) throw new RemoteError(`state output "${s.output}" missing or of the wrong size`);
    });
    // Only a whole answer moves the state on; the arrays are kept, their values replaced.
    r.states.forEach((s, i) => {
      const held = this.state.get(s.input);
      if (held && held.length === s.init.length) held.set(next[i]!.data);
      else this.state.set(s.input, next[i]!.data);
    });
    return out.data;
  }

  private resetState(): void {
    this.state = new Map(this.remote.states.map((s) => [s.input, s.init.slice()]));
  }

  reset(): void {
    this.chain = this.chain.then(async () => {
      const fallback = this.options.fallback;
      fallback?.reset();
      // The initial state of a local ONNX copy is the model's own (neurostream.state_init).
      this.state = fallback instanceof OnnxDecoder && this.remote.states.length > 0 ? await fallback.getState() : new Map(this.remote.states.map((s) => [s.input, s.init.slice()]));
    });
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.probe);
    await this.chain;
    this.agent.destroy();
    await this.options.fallback?.dispose();
  }
}
