/**
 * NWB export throughput and memory: a synthetic recording of 256 channels × 30 kHz (the issue's
 * reference size; 30.7 MB/s of float32 samples) with features (threshold crossings and spike-band
 * power per channel, 20 ms bins), decoder outputs and markers, written by RecordingWriter, is
 * converted to NWB by the code `neurostream convert DIR out.nwb` runs, in a child process of its
 * own so that its peak resident memory (`process.resourceUsage().maxRSS`) is the conversion's:
 *   - at a quarter of the duration and at the full duration, uncompressed: MB/s of samples, and
 *     peak RSS — bounded memory means the peak does not grow with the data;
 *   - at a quarter of the duration with `--compress` (gzip 4): MB/s and the size ratio;
 *   - the baseline: the same child converting 1 s (what loading Node, h5wasm and the modules costs).
 * Run: `neurostream bench nwb [--json]` (writes bench/results/nwb.json). `BENCH_SECONDS` (default
 * 60) sets the full duration; the recording and the NWB files go to a temporary directory under
 * the current one and are removed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createFeatureFrame, createIntent, createMarker, createSampleBlock } from '../core/index.js';
import { Random } from '../devices/simulators/random.js';
import { RecordingWriter } from '../recordings/recording-writer.js';
import { type BenchOptions, benchEnvironment, benchStreamInfo, finish, isMain, progress, resultPath } from './report.js';

const CHANNELS = 256;
const RATE = 30_000;
const BLOCK = 30; // 1 ms
const BIN = 600; // 20 ms

/** Writes `seconds` of synthetic signals, features, intents and markers as a recording in `dir`. */
function writeRecording(dir: string, seconds: number): void {
  const info = benchStreamInfo(CHANNELS, RATE);
  const random = new Random(7);
  const second = new Float32Array(CHANNELS * RATE);
  for (let i = 0; i < second.length; i++) second[i] = random.normal() * 8 + (i % 997 === 0 ? -120 : 0);
  const blocksPerSecond = RATE / BLOCK;
  const blockData = Array.from({ length: blocksPerSecond }, (_, k) => {
    const data = new Float32Array(CHANNELS * BLOCK);
    for (let c = 0; c < CHANNELS; c++) data.set(second.subarray(c * RATE + k * BLOCK, c * RATE + (k + 1) * BLOCK), c * BLOCK);
    return data;
  });
  const names = [...info.channelNames.map((n) => `tc:${n}`), ...info.channelNames.map((n) => `sbp:${n}`)];
  const writer = new RecordingWriter(dir, { info });
  for (let k = 0; k < seconds * blocksPerSecond; k++) {
    const first = k * BLOCK;
    writer.writeBlock(createSampleBlock({ info, first, length: BLOCK, data: blockData[k % blocksPerSecond]!, hostTime: 0 }));
    if ((first + BLOCK) % BIN === 0) {
      const bin = (first + BLOCK) / BIN - 1;
      const values = new Float32Array(names.length);
      for (let i = 0; i < values.length; i++) values[i] = i < CHANNELS ? (bin + i) % 3 : 60 + ((bin * 7 + i) % 40);
      writer.writeFeatures(createFeatureFrame({ bin, t0: bin * BIN, values, names, hostTime: bin * 20 }));
      writer.writeIntent(createIntent({ bin, kind: 'continuous', values: Float32Array.of(Math.sin(bin / 50), Math.cos(bin / 50)), latency: { acquisitionMs: 1, featuresMs: 0.5, decodeMs: 0.2 } }));
      if (bin % 150 === 0) writer.writeMarkers([createMarker(bin * BIN, 'target_on', [bin % 2 ? 10 : -10, 0]), createMarker(bin * BIN + 900, 'kinematics', [0, 0, 1, 1])]);
    }
  }
  const failure = writer.close();
  if (failure) throw failure;
}

interface Conversion {
  seconds: number;
  dataMB: number;
  convertS: number;
  mbPerS: number;
  realTimeX: number;
  peakRssMB: number;
  nwbMB: number;
  /** At the end of the child: V8's heap, ArrayBuffers, and h5wasm's WebAssembly memory (it never shrinks: its peak). */
  endHeapTotalMB: number;
  endArrayBuffersMB: number;
  wasmHeapMB: number;
}

/** Converts `recording` to `out` in a child process (this file with --child); its time and peak RSS. */
function convertInChild(recording: string, out: string, seconds: number, compress: boolean): Conversion {
  const self = fileURLToPath(import.meta.url);
  const raw = execFileSync(process.execPath, [self, '--child', recording, out, ...(compress ? ['--compress'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const child = JSON.parse(raw.trim().split('\n').at(-1)!) as { maxRssKiB: number; convertS: number; heapTotalMB: number; arrayBuffersMB: number; wasmHeapMB: number };
  const dataMB = (seconds * RATE * CHANNELS * 4) / 1e6;
  return { seconds, dataMB, convertS: child.convertS, mbPerS: dataMB / child.convertS, realTimeX: seconds / child.convertS, peakRssMB: child.maxRssKiB / 1024, nwbMB: statSync(out).size / 1e6, endHeapTotalMB: child.heapTotalMB, endArrayBuffersMB: child.arrayBuffersMB, wasmHeapMB: child.wasmHeapMB };
}

/** The child: `convert IN OUT [--compress]` as the CLI runs it, then its own peak RSS as JSON. */
async function child(args: string[]): Promise<void> {
  const [input, output] = args;
  const { convert } = await import('../cli/commands/convert.js');
  const started = performance.now();
  await convert(input!, output!, { ...(args.includes('--compress') ? { compress: true } : {}) } as never);
  const convertS = (performance.now() - started) / 1000;
  const { h5 } = await import('../recordings/nwb/h5.js');
  const memory = process.memoryUsage();
  const wasm = (h5().Module as unknown as { HEAPU8: Uint8Array }).HEAPU8.length;
  process.stdout.write(`\n${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, convertS, heapTotalMB: memory.heapTotal / 2 ** 20, arrayBuffersMB: memory.arrayBuffers / 2 ** 20, wasmHeapMB: wasm / 2 ** 20 })}\n`);
}

export async function runNwbBench(options: BenchOptions): Promise<object> {
  const log = progress(options);
  const seconds = Number(process.env.BENCH_SECONDS ?? 60);
  const quarter = Math.max(1, Math.round(seconds / 4));
  const root = mkdtempSync(join(resolve(process.cwd()), '.bench-nwb-'));
  try {
    const results: Record<string, Conversion> = {};
    for (const [key, s, compress] of [['baseline1s', 1, false], ['quarter', quarter, false], ['full', seconds, false], ['quarterCompressed', quarter, true]] as const) {
      const rec = join(root, `rec-${s}`);
      if (!statSafe(rec)) {
        log(`writing a recording of ${s} s × ${CHANNELS} ch × ${RATE / 1000} kHz (${((s * RATE * CHANNELS * 4) / 1e6).toFixed(0)} MB) with features, intents, markers…\n`);
        writeRecording(rec, s);
      }
      log(`converting it to NWB${compress ? ' (--compress)' : ''}…\n`);
      const out = join(root, `${key}.nwb`);
      results[key] = convertInChild(rec, out, s, compress);
      const r = results[key]!;
      log(`  ${r.mbPerS.toFixed(0)} MB/s = ${r.realTimeX.toFixed(1)}× real time, peak RSS ${r.peakRssMB.toFixed(0)} MB (at the end: V8 heap ${r.endHeapTotalMB.toFixed(0)} MB, h5wasm ${r.wasmHeapMB.toFixed(0)} MB), NWB ${r.nwbMB.toFixed(0)} MB\n`);
      rmSync(out, { force: true });
      if (key === 'full') rmSync(rec, { recursive: true, force: true });
    }
    const full = results.full!;
    const hourS = 3600;
    const report = {
      benchmark: 'nwb',
      environment: benchEnvironment(),
      channels: CHANNELS,
      sampleRateHz: RATE,
      binSamples: BIN,
      conversions: results,
      peakRssGrowthMB: full.peakRssMB - results.quarter!.peakRssMB,
      /** Samples' MB/s without the fixed cost (start-up, h5wasm, schema cache): between the quarter and the full run. */
      marginalMBPerS: (full.dataMB - results.quarter!.dataMB) / (full.convertS - results.quarter!.convertS),
      oneHourExtrapolation: {
        dataGB: (hourS * RATE * CHANNELS * 4) / 1e9,
        convertMinutes: hourS / full.realTimeX / 60,
        note: 'samples, features and decoder outputs stream chunk by chunk; what is held grows with the duration only by per-bin metadata (bin, t0, host time, latencies: ~180 000 bins an hour at 20 ms) and the markers, a few MB per hour',
      },
    };
    return finish(resultPath('nwb'), report, options);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function statSafe(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

if (isMain(import.meta.url)) {
  if (process.argv[2] === '--child') await child(process.argv.slice(3));
  else await runNwbBench({ json: process.argv.includes('--json') });
}
