/**
 * Open Inference Protocol round trip per bin on loopback: the `oip` decoder calling a model served
 * by `neurostream serve` in another process (as a model server is), JSON against binary tensors, for a small
 * recurrent model (the 2 × 256 GRU: 256 features in, its 2 × 256 state out and back each bin) and
 * a wide one (a 1024-channel session's 2048 features into the same GRU shape), beside the same
 * model run locally. p50/p99/p99.9/max over `BENCH_BINS` bins (default 5000) after `BENCH_WARMUP_S`
 * (default 3) seconds of bins back to back, whose own figures are kept apart (`warmup`): steady
 * state is what a session decoding for hours sees.
 *
 * Many sessions, one service (`--sessions 1,8,32,128`): that many `oip` decoders in this process,
 * each with its own recurrent state and connection, decode bins back to back for
 * `BENCH_SESSION_SECONDS` (default 3), after `BENCH_WARMUP_S` of the same, against `neurostream serve` unbatched and batched
 * (`--max-batch 32`, serve's default delay 0; and again with `--max-delay-ms 1`), the 2 × 256 GRU exported with a symbolic batch dimension
 * (state [2, batch, 256]) so that a batch is one call: requests answered per second (all sessions
 * together) and the p99 of one bin's round trip.
 * Run: `neurostream bench oip [--sessions LIST] [--json]` (writes bench/results/oip.json).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OipDecoder } from '../decoding/oip/oip-decoder.js';
import { exportGru } from '../decoding/onnx/benchmark-models.js';
import { OnnxDecoder } from '../decoding/onnx/onnx-decoder.js';
import type { Decoder } from '../decoding/decoder.js';
import { Random } from '../devices/simulators/random.js';
import { type BenchOptions, benchEnvironment, finish, isMain, progress, resultPath } from './report.js';

function quantiles(values: number[]): { p50: number; p99: number; 'p99.9': number; max: number; mean: number } {
  const s = Float64Array.from(values).sort();
  const q = (p: number): number => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { p50: q(0.5), p99: q(0.99), 'p99.9': q(0.999), max: s[s.length - 1]!, mean: values.reduce((a, b) => a + b, 0) / values.length };
}

/** `neurostream serve FILE ARGS --port 0` in another process; resolves with its URL once ready. */
async function serveModel(cli: string, file: string, args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [cli, 'serve', file, '--port', '0', '--providers', 'cpu', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (t: string) => {
      out += t;
      const m = /ready: (http:\/\/\S+)\/v2\/health\/ready/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`neurostream serve exited (${code}): ${out}`)));
  });
  return { url, child };
}

async function stopServer(child: ChildProcess): Promise<void> {
  child.kill('SIGINT');
  await new Promise((resolve) => child.once('close', resolve));
}

export interface OipBenchOptions extends BenchOptions {
  /** Session counts for the many-sessions part (default 1, 8, 32, 128). */
  sessions?: number[];
}

/** One row of `sessions`: S decoders decoding back to back, batched or not. */
/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function processCpuS(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the command may hold ') '
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ, 100 on Linux
  } catch {
    return undefined;
  }
}

interface SessionRow {
  throughputPerS: number;
  p50: number;
  p99: number;
  'p99.9': number;
  bins: number;
  /** The server process's CPU time per bin answered, µs (Linux; null elsewhere). */
  serverCpuUsPerBin: number | null;
  /** This process's (the sessions') CPU time per bin, µs. */
  clientCpuUsPerBin: number;
}

async function sessionRun(url: string, serverPid: number | undefined, model: string, sessions: number, inputs: Float32Array[], seconds: number, warmupS: number): Promise<SessionRow> {
  const decoders = await Promise.all(Array.from({ length: sessions }, () => OipDecoder.connect({ url, model, binary: true, timeoutMs: 10_000, requireServer: true })));
  const ms: number[] = [];
  let measuring = false;
  let stop = false;
  const loops = decoders.map(async (d, k) => {
    for (let i = k; !stop; i++) {
      const t = performance.now();
      await d.decode(inputs[i % inputs.length]!);
      if (measuring) ms.push(performance.now() - t);
    }
  });
  await new Promise((resolve) => setTimeout(resolve, warmupS * 1000)); // warm-up: both processes' JIT
  measuring = true;
  const start = performance.now();
  const serverCpu0 = processCpuS(serverPid);
  const clientCpu0 = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  measuring = false;
  const elapsedS = (performance.now() - start) / 1000;
  const counted = ms.length;
  const serverCpu1 = processCpuS(serverPid);
  const clientCpu = process.cpuUsage(clientCpu0);
  stop = true;
  await Promise.all(loops);
  for (const d of decoders) {
    if (d.counts.fallback > 0) throw new Error(`${model}: ${d.counts.fallback} bins fell back with ${sessions} sessions`);
    await d.dispose();
  }
  const q = quantiles(ms);
  return {
    throughputPerS: counted / elapsedS,
    p50: q.p50,
    p99: q.p99,
    'p99.9': q['p99.9'],
    bins: counted,
    serverCpuUsPerBin: serverCpu0 === undefined || serverCpu1 === undefined ? null : ((serverCpu1 - serverCpu0) * 1e6) / counted,
    clientCpuUsPerBin: (clientCpu.user + clientCpu.system) / counted,
  };
}

export async function runOipBench(options: OipBenchOptions): Promise<object> {
  const log = progress(options);
  const loadAtBegin = loadavg()[0]!;
  const bins = Number(process.env.BENCH_BINS ?? 5000);
  const warmupS = Number(process.env.BENCH_WARMUP_S ?? 3);
  const random = new Random(11);
  const cases = [
    { name: 'gru-256-features', features: 256 },
    { name: 'gru-2048-features', features: 2048 },
  ];
  const results: Record<string, object> = {};
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-oip-'));
  const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
  for (const c of cases) {
    const bytes = exportGru({ inputSize: c.features, hiddenSize: 256, layers: 2, outputSize: 2, seed: 3 });
    const file = join(dir, `${c.name}.onnx`);
    writeFileSync(file, bytes);
    const { url, child } = await serveModel(cli, file, []);
    const server = { url };
    const inputs = Array.from({ length: 64 }, () => Float32Array.from({ length: c.features }, () => random.normal()));
    // Steady state, as in a session decoding for hours: the first seconds of requests warm both
    // processes' JIT (V8 tiers the HTTP, codec and decoder paths up over ~2 s of back-to-back bins;
    // before that one bin in 50 takes 1–10 ms), and are reported apart as `warmup`.
    const time = async (decoder: Decoder): Promise<ReturnType<typeof quantiles> & { warmup: ReturnType<typeof quantiles> & { bins: number; seconds: number } }> => {
      const early: number[] = [];
      const begin = performance.now();
      let i = 0;
      while (performance.now() - begin < warmupS * 1000) {
        const t = performance.now();
        await decoder.decode(inputs[i++ % inputs.length]!);
        early.push(performance.now() - t);
      }
      const ms: number[] = [];
      for (let k = 0; k < bins; k++) {
        const t = performance.now();
        await decoder.decode(inputs[i++ % inputs.length]!);
        ms.push(performance.now() - t);
      }
      return { ...quantiles(ms), warmup: { seconds: warmupS, bins: early.length, ...quantiles(early) } };
    };
    const row: Record<string, object> = {};
    const local = await OnnxDecoder.load(bytes, { providers: ['cpu'] });
    row['local'] = await time(local);
    await local.dispose();
    for (const binary of [false, true]) {
      const oip = await OipDecoder.connect({ url: server.url, model: c.name, binary, timeoutMs: 5000 });
      const figures = await time(oip);
      if (oip.counts.fallback > 0) throw new Error(`${c.name}: ${oip.counts.fallback} bins fell back`);
      row[binary ? 'oipBinary' : 'oipJson'] = figures;
      await oip.dispose();
    }
    results[c.name] = { features: c.features, stateValues: 2 * 256, ...row, binaryTensorBytesPerRequest: (c.features + 2 * 256) * 4 };
    const fmt = (k: string): string => {
      const v = row[k] as ReturnType<typeof quantiles>;
      return `${k} p50 ${v.p50.toFixed(3)} / p99 ${v.p99.toFixed(3)} ms`;
    };
    log(`${c.name}: ${fmt('local')}; ${fmt('oipJson')}; ${fmt('oipBinary')}\n`);
    await stopServer(child);
  }
  // Many sessions, one service: the small GRU, unbatched and batched.
  const sessionCounts = options.sessions ?? [1, 8, 32, 128];
  const sessionSeconds = Number(process.env.BENCH_SESSION_SECONDS ?? 3);
  const maxBatch = 32;
  // serve's default delay, 0 (Triton's default too): a batch is what queued while the previous one ran.
  const maxDelayMs = 0;
  /** The delay of the second batched configuration, for comparison (`batchedWithDelay`). */
  const longerDelayMs = 1;
  const sessionRows: object[] = [];
  const delayRows: object[] = [];
  // The same GRU with a symbolic batch dimension (state [layers, batch, H]): batched, a batch is one call.
  const gruFile = join(dir, 'gru-256-features.onnx');
  writeFileSync(gruFile, exportGru({ inputSize: 256, hiddenSize: 256, layers: 2, outputSize: 2, seed: 3, batch: 'symbolic' }));
  const inputs = Array.from({ length: 64 }, () => Float32Array.from({ length: 256 }, () => random.normal()));
  const loadAtStart = loadavg()[0]!;
  for (const mode of ['unbatched', 'batched', 'batched, longer delay'] as const) {
    const delay = mode === 'batched' ? maxDelayMs : longerDelayMs;
    const { url, child } = await serveModel(cli, gruFile, mode === 'unbatched' ? [] : ['--max-batch', String(maxBatch), '--max-delay-ms', String(delay), '--max-queue', '1024']);
    for (const sessions of sessionCounts) {
      const row = await sessionRun(url, child.pid, 'gru-256-features', sessions, inputs, sessionSeconds, warmupS);
      if (mode === 'batched, longer delay') delayRows.push({ sessions, maxDelayMs: delay, ...row });
      else sessionRows.push({ sessions, batched: mode === 'batched', ...row });
      log(`${sessions} sessions, ${mode === 'unbatched' ? 'unbatched' : `batched (--max-delay-ms ${delay})`}: ${row.throughputPerS.toFixed(0)} bins/s, p50 ${row.p50.toFixed(3)} / p99 ${row.p99.toFixed(3)} ms; CPU per bin: server ${row.serverCpuUsPerBin?.toFixed(0) ?? '?'} µs, sessions ${row.clientCpuUsPerBin.toFixed(0)} µs\n`);
    }
    await stopServer(child);
  }
  rmSync(dir, { recursive: true, force: true });
  const report = {
    benchmark: 'oip',
    environment: benchEnvironment(),
    bins,
    warmupSeconds: warmupS,
    note: `per-bin round trip of the oip decoder to \`neurostream serve\` in another process on loopback, one request in flight, measured over ${bins} bins after ${warmupS} s of back-to-back bins (their own figures under \`warmup\`), the recurrent state sent and returned with each bin; local = the same model on onnxruntime in this process (onnxruntime's default threads, as a session's local decoder runs it; serve runs 1 per call); 1-minute load average ${loadAtBegin.toFixed(2)} at the start on ${benchEnvironment().cores} cores`,
    models: results,
    sessionsNote: `S oip decoders in this process (one connection and one recurrent state each) decoding gru-256-features bins back to back for ${sessionSeconds} s after ${warmupS} s of warm-up, against neurostream serve in another process: unbatched, and batched with --max-batch ${maxBatch} --max-delay-ms ${maxDelayMs} (serve's default: a batch is what queued while the previous batch ran; batchedWithDelay repeats it with --max-delay-ms ${longerDelayMs}) (the GRU exported with a symbolic batch dimension, its state [2, batch, 256]: a batch is one onnxruntime call on the rows stacked, each session's state in its row; unbatched, each request runs alone as [1, …]); throughputPerS = bins answered per second over all sessions, p99 of one bin's round trip (ms), serverCpuUsPerBin and clientCpuUsPerBin = CPU time (user + system, all threads) of the server process and of this process per bin answered, µs; the clients and the server share this machine's ${benchEnvironment().cores} cores, 1-minute load average ${loadAtStart.toFixed(2)} at the start (this benchmark's own earlier parts included)`,
    sessions: sessionRows,
    batchedWithDelay: delayRows,
  };
  return finish(resultPath('oip'), report, options);
}

if (isMain(import.meta.url)) await runOipBench({ json: process.argv.includes('--json') });
