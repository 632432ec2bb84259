/**
 * Open Inference Protocol round trip per bin on loopback: the `oip` decoder calling a model served
 * by `neurostream serve` in another process (as a model server is), JSON against binary tensors, for a small
 * recurrent model (the 2 × 256 GRU: 256 features in, its 2 × 256 state out and back each bin) and
 * a wide one (a 1024-channel session's 2048 features into the same GRU shape), beside the same
 * model run locally. p50/p99/max over `BENCH_BINS` bins (default 2000) after 200 of warm-up.
 * Run: `neurostream bench oip [--json]` (writes bench/results/oip.json).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OipDecoder } from '../decoding/oip/oip-decoder.js';
import { exportGru } from '../decoding/onnx/benchmark-models.js';
import { OnnxDecoder } from '../decoding/onnx/onnx-decoder.js';
import type { Decoder } from '../decoding/decoder.js';
import { Random } from '../devices/simulators/random.js';
import { type BenchOptions, benchEnvironment, finish, isMain, progress, resultPath } from './report.js';

function quantiles(values: number[]): { p50: number; p99: number; max: number; mean: number } {
  const s = Float64Array.from(values).sort();
  const q = (p: number): number => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { p50: q(0.5), p99: q(0.99), max: s[s.length - 1]!, mean: values.reduce((a, b) => a + b, 0) / values.length };
}

export async function runOipBench(options: BenchOptions): Promise<object> {
  const log = progress(options);
  const bins = Number(process.env.BENCH_BINS ?? 2000);
  const warmup = 200;
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
    const child = spawn(process.execPath, [cli, 'serve', file, '--port', '0', '--providers', 'cpu'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => {
        out += t;
        const m = /ready: (http:\/\/\S+)\/v2\/health\/ready/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`neurostream serve exited (${code}): ${out}`)));
    });
    const server = { url };
    const inputs = Array.from({ length: 64 }, () => Float32Array.from({ length: c.features }, () => random.normal()));
    const time = async (decoder: Decoder): Promise<ReturnType<typeof quantiles>> => {
      const ms: number[] = [];
      for (let i = 0; i < warmup + bins; i++) {
        const t = performance.now();
        await decoder.decode(inputs[i % inputs.length]!);
        if (i >= warmup) ms.push(performance.now() - t);
      }
      return quantiles(ms);
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
    child.kill('SIGINT');
    await new Promise((resolve) => child.once('close', resolve));
  }
  rmSync(dir, { recursive: true, force: true });
  const report = {
    benchmark: 'oip',
    environment: benchEnvironment(),
    bins,
    warmup,
    note: 'per-bin round trip of the oip decoder to `neurostream serve` in another process on loopback, one request in flight, the recurrent state sent and returned with each bin; local = the same model on onnxruntime in this process',
    models: results,
  };
  return finish(resultPath('oip'), report, options);
}

if (isMain(import.meta.url)) await runOipBench({ json: process.argv.includes('--json') });
