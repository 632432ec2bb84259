/**
 * `neurostream serve MODEL.onnx…` — serves ONNX decoders over the Open Inference Protocol (KServe
 * v2 REST), the protocol of the platform's model servers (Triton, KServe, MLServer): other
 * services, or a session's `--oip` decoder, call them at /v2/models/{name}/infer. A model is
 * served under its file name without `.onnx`, or under NAME with `NAME=FILE.onnx`. Runs until
 * SIGINT/SIGTERM; then answers 503 to new requests, finishes the ones in flight and exits 0.
 *
 * Batching: `--max-batch N --max-delay-ms D` runs each model's requests through a dynamic batcher
 * (as Triton's): up to N requests arriving within D ms (default 0: those queued while the previous
 * batch ran) run as one batch, each session's recurrent
 * state in its own row; `--max-queue Q` bounds the requests waiting (one more gets 503).
 *
 * Threads: each model call runs on the server's thread with `--intra-op-threads` onnxruntime
 * threads (default 1). onnxruntime's own default, one per core, makes the idle ones spin after
 * every call: on 2 cores, the sessions part of `bench oip` run before this default (a run not kept
 * in bench/results) had the 2 × 256 GRU cost the server 249 µs of CPU per request with it and
 * 100 µs with 1, and unbatched throughput at 32 sessions go 6236 → 10267 bins/s. Raise it for a
 * large model on a many-core machine.
 *
 * Access: bound beyond loopback (`--host 0.0.0.0`), it requires a bearer token, read from the
 * environment variable NEUROSTREAM_SERVE_TOKEN (never from the command line, which `ps` shows to
 * every user), and refuses to start without one (exit 2). Set on loopback too, it is required there.
 */
import { basename, resolve } from 'node:path';
import { Command } from 'commander';
import { InvalidOptionError, checkInteger, checkOneOf } from '../../core/index.js';
import { ONNX_PROVIDERS, OnnxDecoder, type OnnxProvider, checkOipAccess, startOipServer, checkBatchOptions } from '../../decoding/index.js';
import { integerFlag } from '../parse-flag.js';

/** The environment variable holding the token callers of `serve` must present. */
export const SERVE_TOKEN_ENV = 'NEUROSTREAM_SERVE_TOKEN';

interface ServeFlags {
  host: string;
  port: number;
  providers?: string;
  maxBatch?: number;
  maxDelayMs?: number;
  maxQueue?: number;
  intraOpThreads: number;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('serve ONNX decoders over the Open Inference Protocol (KServe v2 REST: health, metadata, infer; JSON and binary tensors)')
    .argument('<models...>', 'ONNX models, each FILE.onnx (served as FILE) or NAME=FILE.onnx')
    .option('--host <addr>', `address to bind (beyond loopback: only with a token in ${SERVE_TOKEN_ENV}, which callers send as Authorization: Bearer <token>)`, '127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free one)', integerFlag('--port'), 8000)
    .option('--providers <list>', `execution providers in order of preference, from ${ONNX_PROVIDERS.join(', ')} (default cuda,cpu)`)
    .option('--max-batch <n>', 'dynamic batching: most requests for one model run as one batch (default: no batching, each request runs at once)', integerFlag('--max-batch'))
    .option('--max-delay-ms <ms>', 'dynamic batching: longest a request waits for others to join its batch (default 0 with --max-batch, as Triton\'s: a batch is what queued while the previous one ran)', integerFlag('--max-delay-ms'))
    .option('--intra-op-threads <n>', "onnxruntime threads per model call (each call runs on the server's thread; more threads help a large model on a many-core machine, and cost a small one CPU in spinning threads)", integerFlag('--intra-op-threads'), 1)
    .option('--max-queue <n>', 'dynamic batching: most requests waiting per model; one more is refused with 503 (default 256)', integerFlag('--max-queue'))
    .action(async (models: string[], flags: ServeFlags) => {
      process.exitCode = await serve(models, flags);
    });
}

/** The token from NEUROSTREAM_SERVE_TOKEN; refuses a host beyond loopback without one. */
function serveToken(host: string): string | undefined {
  const raw = process.env[SERVE_TOKEN_ENV];
  const token = raw === '' ? undefined : raw;
  checkOipAccess(host, token, { host: '--host', token: SERVE_TOKEN_ENV });
  return token;
}

async function serve(specs: string[], flags: ServeFlags): Promise<number> {
  const token = serveToken(flags.host);
  if (flags.maxBatch === undefined && (flags.maxDelayMs !== undefined || flags.maxQueue !== undefined)) {
    throw new InvalidOptionError(flags.maxDelayMs !== undefined ? '--max-delay-ms' : '--max-queue', 'dynamic batching, turned on by --max-batch N', 'no --max-batch');
  }
  const batch = flags.maxBatch === undefined ? undefined : checkBatchOptions({ maxBatch: flags.maxBatch, maxDelayMs: flags.maxDelayMs ?? 0, ...(flags.maxQueue !== undefined ? { maxQueue: flags.maxQueue } : {}) });
  checkInteger('option', '--intra-op-threads', flags.intraOpThreads, { min: 1, max: 1024 });
  const providers = flags.providers?.split(',').map((p, i) => checkOneOf('option', `--providers[${i}]`, p.trim(), ONNX_PROVIDERS) as OnnxProvider);
  const entries = specs.map((spec) => {
    const at = spec.indexOf('=');
    const file = at > 0 ? spec.slice(at + 1) : spec;
    const name = at > 0 ? spec.slice(0, at) : basename(file).replace(/\.onnx$/i, '');
    if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new InvalidOptionError(`model name of ${spec}`, 'letters, digits, _ . - (it is a URL path segment); use NAME=FILE.onnx', name);
    return { name, file: resolve(file) };
  });
  const names = entries.map((e) => e.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new InvalidOptionError('models', 'each name once (use NAME=FILE.onnx to rename one)', twice);
  const loaded = new Map<string, OnnxDecoder>();
  try {
    for (const { name, file } of entries) {
      const decoder = await OnnxDecoder.load(file, {
        ...(providers ? { providers } : {}),
        intraOpThreads: flags.intraOpThreads,
        log: (event) => {
          // Asked for by name: a warning. The default list's CUDA probe is quiet (the serving line names the provider).
          if (event.type === 'provider-unavailable' && providers) process.stderr.write(`neurostream serve: execution provider ${event.provider} unavailable for ${file}: ${event.reason.split('\n')[0]}; trying the next\n`);
        },
      });
      loaded.set(name, decoder);
    }
  } catch (error) {
    for (const d of loaded.values()) await d.dispose();
    throw error;
  }
  const server = await startOipServer({ models: loaded, host: flags.host, port: flags.port, ...(token !== undefined ? { token } : {}), ...(batch ? { batch } : {}) }).catch(async (error: unknown) => {
    for (const d of loaded.values()) await d.dispose();
    throw error;
  });
  for (const [name, d] of loaded) {
    const io = `${d.inputShape.join(' × ')} ${d.inputNames.length === 1 ? 'input' : 'inputs'} → ${d.outputNames.join(', ')}`;
    process.stdout.write(`serving ${name} (${d.name} on ${d.provider}, ${flags.intraOpThreads} onnxruntime thread${flags.intraOpThreads === 1 ? '' : 's'} per call, ${d.kind}, ${io}${d.stateNames.length > 0 ? ', recurrent' : ''}) at ${server.url}/v2/models/${name}\n`);
  }
  for (const [name, b] of server.batchers()) {
    const how = b.mode === 'stacked' ? 'rows stacked into one call' : 'batch dimension fixed at 1: rows run one by one in one queue';
    const within = batch!.maxDelayMs === 0 ? 'as they queue while the previous batch runs' : `within ${batch!.maxDelayMs} ms`;
    process.stdout.write(`batching ${name}: up to ${batch!.maxBatch} requests ${within}, ${batch!.maxQueue} waiting at most (${how})\n`);
  }
  if (token !== undefined) process.stdout.write(`access: every request but /v2/health/* needs Authorization: Bearer <the token in ${SERVE_TOKEN_ENV}>\n`);
  process.stdout.write(`ready: ${server.url}/v2/health/ready\n`);
  await new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stdout.write(`${signal}: finishing requests in flight…\n`);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  for (const d of loaded.values()) await d.dispose();
  const counts = server.counts();
  process.stdout.write(`stopped: ${Object.entries(counts).map(([status, n]) => `${n} × HTTP ${status}`).join(', ') || 'no requests'}\n`);
  return 0;
}
