/**
 * Decoding latency per bin on this machine's CPU: p50, p99 and max of the time one `decode` call
 * takes for
 *   - a Kalman filter, 192 features → 4 states (+ the constant), calibrated on synthetic data:
 *     the built-in (JavaScript) and the same model exported to ONNX, on onnxruntime-node;
 *   - a 2-layer GRU, hidden size 256, over 256 features (ONNX, made by the project's export code);
 *   - a 1 M-parameter MLP (ONNX).
 * Each runs `BENCH_BINS` (default 5000) bins after 200 warm-up bins; latency is measured around
 * the call as the session makes it (an ONNX call is a Promise). Targets: Kalman p99 ≤ 0.5 ms,
 * GRU p99 ≤ 5 ms.
 * Run: `neurostream bench decode [--json]` (writes bench/results/decode.json).
 */
import { hostNowMs } from '../core/index.js';
import { calibrateKalman } from '../decoding/calibration/kalman-calibration.js';
import type { Decoder } from '../decoding/decoder.js';
import { BuiltinDecoder } from '../decoding/decoders/builtin-decoder.js';
import { exportGru, exportMlp, mlpParameterCount, gruParameterCount } from '../decoding/onnx/benchmark-models.js';
import { OnnxDecoder } from '../decoding/onnx/onnx-decoder.js';
import { exportOnnx } from '../decoding/onnx/onnx-export.js';
import { type BenchOptions, benchEnvironment, finish, isMain, progress, resultPath } from './report.js';

interface LatencyFigures {
  bins: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function measure(decoder: Decoder, inputs: readonly Float32Array[], bins: number): Promise<LatencyFigures> {
  for (let i = 0; i < 200; i++) await decoder.decode(inputs[i % inputs.length]!);
  decoder.reset();
  const times = new Float64Array(bins);
  for (let i = 0; i < bins; i++) {
    const started = hostNowMs();
    await decoder.decode(inputs[i % inputs.length]!);
    times[i] = hostNowMs() - started;
  }
  const sorted = times.slice().sort();
  let sum = 0;
  for (const t of times) sum += t;
  return { bins, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), p999Ms: quantile(sorted, 0.999), maxMs: sorted[bins - 1]!, meanMs: sum / bins };
}

/** Deterministic pseudo-random inputs (the values do not change the cost). */
function inputs(size: number, count: number): Float32Array[] {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, next));
}

export async function runDecodeBench(options: BenchOptions): Promise<object> {
  const log = progress(options);
  const bins = Number(process.env.BENCH_BINS ?? 5000);

  // A Kalman filter of the reference size, calibrated on synthetic tuning (192 features ← 4 kinematic states).
  const F = 192;
  const n = 3000;
  const D = 4;
  const Y = new Float64Array(n * D);
  const X = new Float64Array(n * F);
  const noise = inputs(F, n);
  for (let i = 0; i < n; i++) {
    const t = i * 0.02;
    const state = [Math.sin(t), Math.cos(t * 0.7), Math.cos(t), -0.7 * Math.sin(t * 0.7)];
    Y.set(state, i * D);
    for (let f = 0; f < F; f++) X[i * F + f] = 5 + state[f % D]! * (1 + (f % 7)) + noise[i]![f]!;
  }
  const names = Array.from({ length: F }, (_, f) => `f${f}`);
  const kalman = calibrateKalman(X, Y, n, F, D, { featureNames: names, targetNames: ['pos_x', 'pos_y', 'vel_x', 'vel_y'] });
  const kalmanInputs = inputs(F, 256).map((v) => v.map((x) => 5 + x));

  const results: Record<string, LatencyFigures & { provider: string; parameters?: number }> = {};
  const run = async (label: string, decoder: Decoder, data: Float32Array[], parameters?: number): Promise<void> => {
    log(`${label}…\n`);
    const figures = await measure(decoder, data, bins);
    results[label] = { ...figures, provider: decoder.provider, ...(parameters !== undefined ? { parameters } : {}) };
    log(`  p50 ${figures.p50Ms.toFixed(3)} ms, p99 ${figures.p99Ms.toFixed(3)} ms, max ${figures.maxMs.toFixed(3)} ms (${decoder.provider})\n`);
    await decoder.dispose();
  };

  await run('kalman-js', new BuiltinDecoder(kalman), kalmanInputs);
  await run('kalman-onnx', await OnnxDecoder.load(exportOnnx(kalman), { providers: ['cpu'] }), kalmanInputs);
  const gru = { inputSize: 256, hiddenSize: 256, layers: 2, outputSize: 2, seed: 1 };
  await run('gru-2x256-onnx', await OnnxDecoder.load(exportGru(gru), { providers: ['cpu'] }), inputs(256, 256), gruParameterCount(gru));
  const mlp = { inputSize: 256, hidden: [1024, 768], outputSize: 2, seed: 1 };
  await run('mlp-1m-onnx', await OnnxDecoder.load(exportMlp(mlp), { providers: ['cpu'] }), inputs(256, 256), mlpParameterCount(mlp));

  const report = {
    benchmark: 'decode',
    environment: benchEnvironment(),
    bins,
    results,
    targets: { 'kalman p99 ms': 0.5, 'gru p99 ms': 5 },
    met: {
      kalman: (results['kalman-js']?.p99Ms ?? Infinity) <= 0.5,
      gru: (results['gru-2x256-onnx']?.p99Ms ?? Infinity) <= 5,
    },
  };
  return finish(resultPath('decode'), report, options);
}

if (isMain(import.meta.url)) await runDecodeBench({ json: process.argv.includes('--json') });
