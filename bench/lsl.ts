/**
 * Lab Streaming Layer throughput and latency against liblsl 1.17.7 (../shared/tools/lsl-peer's
 * liblsl.so.2, driven through ctypes by bench/lsl-peer.py), on loopback, at 256 channels ×
 * 30 kHz float32 (30.7 MB/s):
 * - throughput (flood: `BENCH_SECONDS` s of data, default 5, pushed as fast as it is taken) of
 *   liblsl → liblsl (the reference), liblsl → our inlet, our outlet → liblsl, our outlet → our inlet:
 *   samples/s from the first push to the last sample received, and how many times real time;
 * - latency (paced: 2 s in real time, chunks of 30 samples = 1 ms): push → the receiver has
 *   the chunk (liblsl's pull_chunk, or our inlet's block), p50/p99/max over chunks;
 * - end to end, liblsl push → our intent: our LSL device feeding the intracortical chain and a
 *   Kalman filter in 20 ms bins, as `run --device lsl` does.
 * Run: `neurostream bench lsl [--json]` (writes bench/results/lsl.json). Loopback only: the peer
 * runs with LSLAPICFG=loopback.cfg and our side with the same settings.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lslInlet } from '../devices/lsl/inlet.js';
import { lslClock } from '../devices/lsl/lsl-clock.js';
import { LSL_LOOPBACK_INI, lslConfigFromIni } from '../devices/lsl/lsl-config.js';
import { openLslOutlet, type LslOutlet } from '../devices/lsl/outlet.js';
import { type BenchOptions, benchEnvironment, finish, isMain, progress, resultPath } from './report.js';

const CHANNELS = 256;
const RATE_HZ = 30_000;

interface Quantiles {
  p50: number;
  p99: number;
  max: number;
  chunks: number;
}

function quantiles(values: number[]): Quantiles {
  const s = Float64Array.from(values).sort();
  const q = (p: number): number => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { p50: r(q(0.5)), p99: r(q(0.99)), max: r(s[s.length - 1]!), chunks: values.length };
}

interface PeerDir {
  lib: string;
  cfg: string;
  script: string;
}

function findPeer(): PeerDir {
  const here = resolve(process.cwd());
  for (const base of [join(here, '..', 'shared', 'tools', 'lsl-peer'), join(here, 'shared', 'tools', 'lsl-peer')]) {
    if (existsSync(join(base, 'liblsl.so.2'))) return { lib: join(base, 'liblsl.so.2'), cfg: join(base, 'loopback.cfg'), script: resolve(here, 'bench', 'lsl-peer.py') };
  }
  throw new Error('bench lsl needs liblsl 1.17.7 at ../shared/tools/lsl-peer/liblsl.so.2 (run it from the repository root)');
}

/** Runs bench/lsl-peer.py; resolves its JSON line. */
function py(peer: PeerDir, args: string[]): Promise<Record<string, unknown>> {
  const child = spawn('/usr/bin/python3', [peer.script, peer.lib, ...args], { env: { ...process.env, LSLAPICFG: peer.cfg }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((res, rej) =>
    child.on('close', (code) => {
      const line = out.trim().split('\n')[0];
      if (line) res(JSON.parse(line) as Record<string, unknown>);
      else rej(new Error(`bench/lsl-peer.py ${args.join(' ')} exited ${code}: ${err}`));
    }),
  );
}

/**
 * The session path in a child process: our LSL device (lslSource) → the intracortical chain
 * (band-pass, CAR, threshold crossings and spike-band power in 20 ms bins) → the built-in
 * Kalman filter. Per intent: our clock at its emission − the LSL timestamp (liblsl's clock at
 * the push, corrected) of the last sample of the block that completed its bin. Measured after
 * `warmupS` (1 s of it is the chain's calibration).
 */
async function intentLatency(name: string, seconds: number, warmupS: number): Promise<{ intents: number; latencyMs: number[]; missingSamples: number }> {
  const config = lslConfigFromIni(LSL_LOOPBACK_INI, 'bench loopback settings');
  const { lslSource } = await import('../devices/lsl/lsl-source.js');
  const { intracorticalChain } = await import('../acquisition/chains.js');
  const { decode } = await import('../decoding/operators/decode.js');
  const { kalmanFor } = await import('./pipeline.js');
  const { tap } = await import('rxjs');
  let anchorTs = 0;
  let lastTs = 0;
  let started = NaN;
  let missingSamples = 0;
  const latencyMs: number[] = [];
  const decoder = kalmanFor(2 * CHANNELS);
  return new Promise((res, rej) => {
    const source = lslSource({ config, predicate: `name='${name}'`, recover: false, resolveTimeoutMs: 30_000, onAnchor: (_s, ts) => (anchorTs = ts), onStats: (s) => (missingSamples = s.missingSamples) });
    const sub = source
      .pipe(
        tap((block) => {
          lastTs = anchorTs + (block.length - 1) / RATE_HZ;
          if (Number.isNaN(started)) started = lslClock();
        }),
        intracorticalChain({ binMs: 20, calibrationS: 1 }),
        decode(decoder),
      )
      .subscribe({
        next: () => {
          const now = lslClock();
          if (now - started >= warmupS) latencyMs.push((now - lastTs) * 1000);
          if (now - started >= seconds) {
            sub.unsubscribe();
            res({ intents: latencyMs.length, latencyMs, missingSamples });
          }
        },
        error: rej,
        complete: () => res({ intents: latencyMs.length, latencyMs, missingSamples }),
      });
  });
}

/** Our inlet in a child process (as a consumer of a session's outlet is): see {@link ourReceive}. */
function ourReceiveChild(name: string, samples: number, mode = '--receive'): Promise<{ samples: number; first: number; last: number; latencyMs: number[] }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), mode, name, String(samples)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((res, rej) =>
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop();
      if (code === 0 && line) res(JSON.parse(line) as { samples: number; first: number; last: number; latencyMs: number[] });
      else rej(new Error(`our inlet (child) exited ${code}: ${err}`));
    }),
  );
}

/** Our inlet: receives `samples`; the clock at the first and last block, latency per block. */
function ourReceive(name: string, samples: number): Promise<{ samples: number; first: number; last: number; latencyMs: number[] }> {
  const config = lslConfigFromIni(LSL_LOOPBACK_INI, 'bench loopback settings');
  return new Promise((res, rej) => {
    let n = 0;
    let first = 0;
    let last = 0;
    const latencyMs: number[] = [];
    const sub = lslInlet({ config, predicate: `name='${name}'`, recover: false, resolveTimeoutMs: 30_000 }).subscribe({
      next: (e) => {
        if (e.kind !== 'samples') return;
        const now = lslClock();
        if (n === 0) first = now;
        last = now;
        n += e.batch.count;
        latencyMs.push((now - e.batch.timestamps[e.batch.count - 1]!) * 1000);
        if (n >= samples) {
          sub.unsubscribe();
          res({ samples: n, first, last, latencyMs });
        }
      },
      error: rej,
      complete: () => rej(new Error(`our inlet: the feed ended after ${n} of ${samples} samples`)),
    });
  });
}

/** Our outlet: pushes `samples` in chunks, paced in real time or as fast as the consumers take them. */
async function ourSend(outlet: LslOutlet, samples: number, chunk: number, paced: boolean, consumers: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (outlet.consumers < consumers) {
    if (Date.now() > deadline) throw new Error('no consumer within 30 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 500));
  const values = Float32Array.from({ length: chunk * CHANNELS }, (_, k) => k % 1000);
  const ts = new Float64Array(chunk);
  const start = lslClock();
  for (let k = 0; k < samples; k += chunk) {
    if (paced) {
      const wait = (start + (k + chunk) / RATE_HZ - lslClock()) * 1000;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    } else {
      while (outlet.bufferedBytes > 8 * 2 ** 20) await new Promise((r) => setImmediate(r));
    }
    for (let i = 0; i < chunk; i++) ts[i] = start + (k + i + 1) / RATE_HZ; // nominal times, as bench/lsl-peer.py
    outlet.push(ts, values);
  }
  return start;
}

interface CaseResult {
  samples: number;
  seconds: number;
  samplesPerS: number;
  timesRealTime: number;
}

function throughput(samples: number, start: number, last: number): CaseResult {
  const seconds = last - start;
  return { samples, seconds: Math.round(seconds * 1000) / 1000, samplesPerS: Math.round(samples / seconds), timesRealTime: Math.round((samples / seconds / RATE_HZ) * 100) / 100 };
}

export async function runLslBench(options: BenchOptions): Promise<object> {
  const log = progress(options);
  const peer = findPeer();
  const floodSamples = Math.round(Number(process.env.BENCH_SECONDS ?? 5) * RATE_HZ);
  const pacedSamples = 2 * RATE_HZ;
  const floodChunk = 300;
  const pacedChunk = 30;
  const config = lslConfigFromIni(LSL_LOOPBACK_INI, 'bench loopback settings');
  const tag = `${process.pid}`;
  const results: Record<string, object> = {};
  let intentResult: { intents: number; missingSamples: number; latencyMs: Quantiles } | undefined;

  const liblslPair = async (how: 'flood' | 'paced', samples: number, chunk: number) => {
    const name = `bench-ll-${how}-${tag}`;
    const recv = py(peer, ['receive', name, String(samples)]);
    const sent = await py(peer, ['send', name, String(CHANNELS), String(RATE_HZ), String(samples), String(chunk), how]);
    return { sent, got: await recv };
  };
  const liblslToOurs = async (how: 'flood' | 'paced', samples: number, chunk: number) => {
    const name = `bench-lo-${how}-${tag}`;
    const recv = ourReceiveChild(name, samples);
    const sent = await py(peer, ['send', name, String(CHANNELS), String(RATE_HZ), String(samples), String(chunk), how]);
    return { sent, got: await recv };
  };
  const oursTo = async (receiver: 'liblsl' | 'ours', how: 'flood' | 'paced', samples: number, chunk: number) => {
    const name = `bench-o${receiver[0]}-${how}-${tag}`;
    const outlet = await openLslOutlet({ config, name, type: 'EEG', channelCount: CHANNELS, nominalSrateHz: RATE_HZ, channelFormat: 'float32', sourceId: name, maxBufferedBytes: 256 * 2 ** 20 });
    try {
      const recv =
        receiver === 'liblsl'
          ? py(peer, ['receive', name, String(samples)]).then((r) => ({ samples: r.samples as number, first: r.first as number, last: r.last as number, latencyMs: r.latency_ms as number[] }))
          : ourReceiveChild(name, samples);
      const start = await ourSend(outlet, samples, chunk, how === 'paced', 1);
      const got = await recv;
      return { start, got, dropped: outlet.droppedConsumers };
    } finally {
      await outlet.close();
    }
  };

  log(`LSL at ${CHANNELS} ch × ${RATE_HZ / 1000} kHz float32, loopback; flood ${floodSamples} samples in chunks of ${floodChunk}, latency over ${pacedSamples} samples in chunks of ${pacedChunk}\n`);
  {
    const f = await liblslPair('flood', floodSamples, floodChunk);
    const p = await liblslPair('paced', pacedSamples, pacedChunk);
    results['liblsl → liblsl'] = { throughput: throughput(f.got.samples as number, f.sent.start as number, f.got.last as number), latencyMs: quantiles(p.got.latency_ms as number[]) };
  }
  {
    const f = await liblslToOurs('flood', floodSamples, floodChunk);
    const p = await liblslToOurs('paced', pacedSamples, pacedChunk);
    results['liblsl → our inlet'] = { throughput: throughput(f.got.samples, f.sent.start as number, f.got.last), latencyMs: quantiles(p.got.latencyMs) };
  }
  for (const receiver of ['liblsl', 'ours'] as const) {
    const f = await oursTo(receiver, 'flood', floodSamples, floodChunk);
    const p = await oursTo(receiver, 'paced', pacedSamples, pacedChunk);
    results[`our outlet → ${receiver === 'liblsl' ? 'liblsl' : 'our inlet'}`] = {
      throughput: throughput(f.got.samples, f.start, f.got.last),
      latencyMs: quantiles(p.got.latencyMs),
      droppedConsumers: f.dropped + p.dropped,
    };
  }
  {
    // liblsl pushes in real time; our session path (LSL device → intracortical chain → Kalman) in a child process.
    const name = `bench-intent-${tag}`;
    const seconds = 8;
    const recv = ourReceiveChild(name, seconds, '--intent') as unknown as Promise<{ intents: number; latencyMs: number[]; missingSamples: number }>;
    await py(peer, ['send', name, String(CHANNELS), String(RATE_HZ), String((seconds + 3) * RATE_HZ), String(pacedChunk), 'paced']);
    const got = await recv;
    intentResult = { intents: got.intents, missingSamples: got.missingSamples, latencyMs: quantiles(got.latencyMs) };
    log(`liblsl push → our intent (LSL device → intracortical chain → Kalman, 20 ms bins): p50 ${intentResult.latencyMs.p50} ms, p99 ${intentResult.latencyMs.p99} ms, max ${intentResult.latencyMs.max} ms over ${got.intents} intents; samples missing ${got.missingSamples}\n`);
  }
  for (const [k, v] of Object.entries(results) as [string, { throughput: CaseResult; latencyMs: Quantiles }][]) {
    log(`${k.padEnd(22)} ${v.throughput.samplesPerS.toLocaleString('en')} samples/s (${v.throughput.timesRealTime}× real time); latency p50 ${v.latencyMs.p50} ms, p99 ${v.latencyMs.p99} ms, max ${v.latencyMs.max} ms\n`);
  }
  const report = {
    benchmark: 'lsl',
    environment: benchEnvironment(),
    note: 'One run on a 2-core machine shared with other workers (their load varies during the run): figures vary between runs; compare rows of the same run. liblsl is 1.17.7 (../shared/tools/lsl-peer/liblsl.so.2) through ctypes (bench/lsl-peer.py), pulling and pushing whole chunks in C.',
    stream: { channels: CHANNELS, rateHz: RATE_HZ, format: 'float32', bytesPerS: CHANNELS * RATE_HZ * 4 },
    method: {
      throughput: `${floodSamples} samples pushed in chunks of ${floodChunk} as fast as the receiver takes them (our outlet waits while 8 MiB are queued); samples / (last sample received − first push)`,
      latency: `${pacedSamples} samples pushed in real time in chunks of ${pacedChunk} (1 ms), samples stamped at their nominal times and each chunk pushed once its last sample's time has come; per chunk: receiver's clock when it has the chunk (liblsl pull_sample then pull_chunk without waiting, or our inlet's block) − the last sample's stamp; same machine, same clock`,
      processes: 'each end in its own process: liblsl in python3 (ctypes), our outlet in the benchmark process, our inlet in a child node process',
    },
    results,
    pushToIntent: {
      method: 'liblsl pushes 256 ch × 30 kHz in real time (1 ms chunks, nominal timestamps, each pushed once its last sample’s time has come); a child node process runs the session path: lslSource (our inlet as a device) → intracorticalChain (300–3000 Hz band-pass, CAR, threshold crossings and spike-band power, 20 ms bins) → built-in Kalman; per intent: our clock at its emission − the corrected LSL timestamp of the last sample of the block that completed its bin; after 3 s (1 s calibration)',
      ...intentResult,
    },
  };
  return finish(resultPath('lsl'), report, options);
}

if (isMain(import.meta.url)) {
  const at = process.argv.indexOf('--receive');
  const intent = process.argv.indexOf('--intent');
  if (intent > 0) {
    const got = await intentLatency(process.argv[intent + 1]!, Number(process.argv[intent + 2]), 3);
    process.stdout.write(`${JSON.stringify(got)}\n`);
    process.exit(0);
  } else if (at > 0) {
    const got = await ourReceive(process.argv[at + 1]!, Number(process.argv[at + 2]));
    process.stdout.write(`${JSON.stringify(got)}\n`);
    process.exit(0);
  } else await runLslBench({ json: process.argv.includes('--json') });
}
