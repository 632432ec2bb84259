/**
 * End-to-end latency of the live pipeline, bytes → intent, through real parts: the frame-protocol
 * emulator in another process writes 1 ms packets at 30 kHz into a socat pseudo-terminal;
 * frameSource reads and parses them (each block's hostTime is when its last byte arrived); the
 * intracortical chain (300–3000 Hz band-pass, common-average reference, threshold crossings and
 * spike-band power in 20 ms bins) makes the features; a Kalman filter (built-in, calibrated on
 * synthetic tuning) decodes each bin. For each intent: the time from the arrival of the last
 * byte of the packet that completed its bin to the intent's emission — in total, and without the
 * model's own compute — as p50, p99, p99.9 and max; bins, lost samples, throughput and the
 * process's CPU share, at 96, 256 and 1024 channels over the pty (`BENCH_SECONDS` each, default
 * 20), and at 1024 channels from the Intan RHX emulator over loopback TCP — the transport such
 * arrays use: 1024 ch × 30 kHz int16 is 61.6 MB/s, more than a pseudo-terminal carries here (the
 * pair's own capacity is measured first and reported; the attempt is made and its shortfall
 * reported). The emulators play a 2 s loop of the simulator (`emulate --loop-s 2`), so that, like
 * acquisition hardware, they take next to no CPU from the pipeline (here, on 2 cores, a live
 * 256-channel simulation and encoding took over half a core and cost the pipeline samples).
 *
 * Then a soak at 256 channels (`--duration`, default 600 s): memory (RSS, heap) every second and
 * its trend over the second half, latency by minute — steady memory shows no growth.
 * Beside ours, the published anchors (BRAND, Open Ephys), and the record/replay throughput from
 * bench/results/recordings.json (`neurostream bench recordings`) on this machine.
 * Run: `neurostream bench pipeline [--duration S] [--json]` (writes bench/results/pipeline.json).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Subject, type Observable, type Subscription } from 'rxjs';
import { intracorticalChain } from '../acquisition/chains.js';
import { hostNowMs, type SampleBlock } from '../core/index.js';
import { calibrateKalman } from '../decoding/calibration/kalman-calibration.js';
import { BuiltinDecoder } from '../decoding/decoders/builtin-decoder.js';
import { decode, type DecodeStats } from '../decoding/operators/decode.js';
import { frameSource } from '../devices/drivers/frame-source.js';
import { intanSource } from '../devices/drivers/intan-source.js';
import { workerSimulatorSource } from '../devices/worker-simulator-source.js';
import { FrameFormat, frameBytes } from '../devices/protocols/frame/frame-constants.js';
import { INTAN_FRAMES_PER_BLOCK, intanBlockBytes, intanChannelName } from '../devices/protocols/intan/intan-constants.js';
import { Random } from '../devices/simulators/random.js';
import { measurePtyCapacity } from './pty-capacity.js';
import { type BenchOptions, benchEnvironment, finish, isMain, progress, resultPath } from './report.js';

export const ANCHORS = [
  { source: 'BRAND (Ali et al. 2024)', figure: '< 600 µs between nodes at 1024 ch × 30 kHz; < 8 ms from neural input to RNN output' },
  { source: 'Open Ephys closed loop', figure: '≈ 10–30 ms' },
] as const;

const RATE = 30_000;
const BIN_MS = 20;
/** The emulators play a loop of this many seconds: like acquisition hardware, they stay off the pipeline's CPU. */
const LOOP_S = 2;
const CLI = fileURLToPath(new URL('../cli/main.js', import.meta.url));

export interface PipelineBenchOptions extends BenchOptions {
  /** Soak duration, s (default 600). */
  durationS?: number;
}

interface Quantiles {
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

function quantiles(values: readonly number[]): Quantiles {
  const s = Float64Array.from(values).sort();
  const q = (p: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!);
  return { p50: q(0.5), p99: q(0.99), p999: q(0.999), max: q(1) };
}

/** A Kalman filter over F features calibrated on synthetic tuning (the pipeline's decoder; its compute is reported apart). */
export function kalmanFor(features: number): BuiltinDecoder {
  const random = new Random(5);
  const n = 1500;
  const D = 4;
  const X = new Float64Array(n * features);
  const Y = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    const t = i * 0.02;
    const state = [Math.sin(t), Math.cos(t * 0.7), Math.cos(t), -0.7 * Math.sin(t * 0.7)];
    Y.set(state, i * D);
    for (let f = 0; f < features; f++) X[i * features + f] = 5 + state[f % D]! * (1 + (f % 7)) + random.normal();
  }
  const names = Array.from({ length: features }, (_, f) => `input_${f}`);
  return new BuiltinDecoder(calibrateKalman(X, Y, n, features, D, { featureNames: names, targetNames: ['pos_x', 'pos_y', 'vel_x', 'vel_y'] }));
}

/**
 * How the samples arrive: the frame protocol over a pty (a serial device), Intan RHX over loopback
 * TCP, or the simulator in a worker thread (no transport: what `run` does without a device).
 */
export type Transport = 'pty' | 'tcp' | 'worker';

/** Starts the emulator in another process; resolves with it and the source that reads it. */
async function startDevice(channels: number, transport: Transport): Promise<{ emulator: ChildProcess | undefined; source: Observable<SampleBlock>; cleanup: () => void }> {
  if (transport === 'worker') {
    const spec = { kind: 'intracortical' as const, options: { channels, seed: 1, mainsHz: 60 as const, startTime: new Date().toISOString() } };
    return { emulator: undefined, source: workerSimulatorSource(spec, { pacing: 'realtime', blockSamples: 30 }), cleanup: () => {} };
  }
  if (transport === 'pty') {
    const link = join(tmpdir(), `ns-bench-pipeline-${process.pid}-${channels}`);
    const emulator = spawn(process.execPath, [CLI, 'emulate', '--protocol', 'frame', '--channels', String(channels), '--rate', String(RATE), '--format', 'int16', '--frame-ms', '1', '--loop-s', String(LOOP_S), '--link', link], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    emulator.stdout!.setEncoding('utf8'); // pipeline() keeps its last line
    for (let i = 0; i < 1000 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 10));
    if (!existsSync(link)) throw new Error(`the emulator did not create ${link} (is socat installed?)`);
    return { emulator, source: frameSource({ port: link }), cleanup: () => rmSync(link, { force: true }) };
  }
  const emulator = spawn(process.execPath, [CLI, 'emulate', '--protocol', 'intan', '--channels', String(channels), '--command-port', '0', '--waveform-port', '0', '--loop-s', String(LOOP_S)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = await new Promise<[number, number]>((resolve, reject) => {
    let out = '';
    emulator.stdout!.setEncoding('utf8').on('data', (t: string) => {
      out += t;
      const m = /commands (\d+), waveforms (\d+)/.exec(out);
      if (m) resolve([Number(m[1]), Number(m[2])]);
    });
    emulator.once('exit', (code) => reject(new Error(`the Intan emulator exited (${code}): ${out}`)));
  });
  const names = Array.from({ length: channels }, (_, c) => intanChannelName(c));
  return { emulator, source: intanSource({ host: '127.0.0.1', commandPort: ports[0], waveformPort: ports[1], channels: names }), cleanup: () => {} };
}

/** One live pipeline over the pty for `seconds`; `onSecond` sees each second's figures (the soak). */
async function pipeline(
  channels: number,
  transport: Transport,
  seconds: number,
  warmupS: number,
  onSecond?: (second: number, latencies: number[]) => void,
): Promise<{
  total: Quantiles;
  withoutModel: Quantiles;
  model: Quantiles;
  bins: number;
  dropped: number;
  lostSamples: number;
  samples: number;
  cpuShare: number;
  seconds: number;
  /** The emulator's last line (its count of frames sent and of bytes it dropped). */
  emulator?: string;
  gaps: { atS: number; missing: number }[];
}> {
  const { emulator, source: device, cleanup } = await startDevice(channels, transport);
  // The emulator's own account at exit (frames sent, bytes it dropped because the reader fell behind).
  let emulatorOutput = '';
  emulator?.stdout?.on('data', (t: string) => (emulatorOutput += t));
  const decoder = kalmanFor(2 * channels);
  const totals: number[] = [];
  const withoutModel: number[] = [];
  const model: number[] = [];
  let perSecond: number[] = [];
  let stats: DecodeStats | undefined;
  let samples = 0;
  let lost = 0;
  /** Where samples were lost: seconds into the measurement, samples missing (the first 100 gaps). */
  const gaps: { atS: number; missing: number }[] = [];
  let bins = 0;
  const input = new Subject<SampleBlock>();
  let started = NaN;
  let measuring = false;
  let cpu = process.cpuUsage();
  let measureStart = 0;
  const chain = input.pipe(intracorticalChain({ binMs: BIN_MS, calibrationS: 1 }));
  const subscriptions: Subscription[] = [];
  subscriptions.push(
    chain.pipe(decode(decoder, { onStats: (s) => (stats = s) })).subscribe((intent) => {
      if (!measuring) return;
      const { acquisitionMs, featuresMs, decodeMs } = intent.latency;
      const total = acquisitionMs + featuresMs + decodeMs;
      totals.push(total);
      perSecond.push(total);
      withoutModel.push(acquisitionMs + featuresMs);
      model.push(decodeMs);
      bins++;
    }),
  );
  let second = 0;
  await new Promise<void>((resolve, reject) => {
    const source = device.subscribe({
      next: (block) => {
        const now = hostNowMs();
        if (Number.isNaN(started)) started = now;
        if (!measuring && now - started >= warmupS * 1000) {
          measuring = true;
          measureStart = now;
          cpu = process.cpuUsage();
        }
        if (measuring) {
          samples += block.length;
          lost += block.gap?.missing ?? 0;
          if (block.gap && gaps.length < 100) gaps.push({ atS: Math.round((now - measureStart) / 100) / 10, missing: block.gap.missing });
          const elapsed = (now - measureStart) / 1000;
          if (onSecond && elapsed >= second + 1) {
            onSecond(++second, perSecond);
            perSecond = [];
          }
          if (elapsed >= seconds) {
            source.unsubscribe();
            resolve();
            return;
          }
        }
        input.next(block);
      },
      error: (error: unknown) => {
        emulator?.kill('SIGINT');
        cleanup();
        reject(error);
      },
    });
    subscriptions.push(source);
  });
  const used = process.cpuUsage(cpu);
  const wall = (hostNowMs() - measureStart) / 1000;
  for (const s of subscriptions) s.unsubscribe();
  input.complete();
  if (emulator) {
    emulator.kill('SIGINT');
    await new Promise((r) => emulator.once('exit', r));
  }
  cleanup();
  const summary = emulatorOutput.split('\n').find((line) => line.startsWith('emulator stopped'));
  return {
    ...(summary ? { emulator: summary } : {}),
    gaps,
    total: quantiles(totals),
    withoutModel: quantiles(withoutModel),
    model: quantiles(model),
    bins,
    dropped: stats?.dropped ?? 0,
    lostSamples: lost,
    samples,
    cpuShare: (used.user + used.system) / 1e6 / wall,
    seconds: wall,
  };
}

/** Bytes per second a transport must carry for `channels` × 30 kHz: 1 ms int16 frames, or Intan RHX blocks; none for the worker. */
function transportBytesPerS(channels: number, transport: Transport): number {
  if (transport === 'pty') return frameBytes(FrameFormat.Int16, channels, RATE / 1000) * 1000;
  if (transport === 'tcp') return (intanBlockBytes(channels) * RATE) / INTAN_FRAMES_PER_BLOCK;
  return 0;
}

function fmt(q: Quantiles): string {
  return `p50 ${q.p50.toFixed(3)} / p99 ${q.p99.toFixed(3)} / p99.9 ${q.p999.toFixed(3)} / max ${q.max.toFixed(1)} ms`;
}

export async function runPipelineBench(options: PipelineBenchOptions): Promise<object> {
  const log = progress(options);
  const phaseS = Number(process.env.BENCH_SECONDS ?? 20);
  const soakS = options.durationS ?? 600;
  const sizes: Record<string, object> = {};
  // What the pty pair itself carries here, so a loss at the transport is told apart from one in the pipeline.
  log('the socat pty pair alone (node-serialport at both ends, 64 KiB writes), 3 s…\n');
  const pty = await measurePtyCapacity(3);
  log(`  ${pty.readMBPerS.toFixed(1)} MB/s (${pty.meanReadBytes.toFixed(0)} bytes per read)\n`);
  const runs: [number, Transport][] = [
    [96, 'pty'],
    [256, 'pty'],
    [1024, 'pty'],
    [1024, 'tcp'],
    [1024, 'worker'],
  ];
  for (const [channels, transport] of runs) {
    const how =
      transport === 'pty' ? '1 ms frames over a pty (frame protocol)' : transport === 'tcp' ? 'Intan RHX blocks over loopback TCP' : '1 ms blocks from the simulator in a worker thread';
    log(`${channels} ch × 30 kHz, ${how} → chain → Kalman, ${phaseS} s…\n`);
    let r: Awaited<ReturnType<typeof pipeline>>;
    try {
      r = await pipeline(channels, transport, phaseS, 3);
    } catch (error) {
      // Reported, not hidden: e.g. 1024 ch × 30 kHz int16 is 61 MB/s, more than a pty carries here.
      const message = error instanceof Error ? error.message : String(error);
      sizes[`${channels}ch-${transport}`] = { channels, transport, failed: message };
      log(`  failed: ${message}\n`);
      continue;
    }
    const expectedBins = Math.floor((r.seconds * 1000) / BIN_MS);
    sizes[`${channels}ch-${transport}`] = {
      channels,
      transport,
      transportNeedsMBPerS: transportBytesPerS(channels, transport) / 1e6,
      latencyMs: { total: r.total, withoutModel: r.withoutModel, model: r.model },
      bins: r.bins,
      expectedBins,
      decoderDropped: r.dropped,
      lostSamples: r.lostSamples,
      ...(r.gaps.length > 0 ? { gaps: r.gaps } : {}),
      ...(r.emulator ? { emulator: r.emulator } : {}),
      samplesPerChannel: r.samples,
      throughputMSamplesPerS: (r.samples * channels) / r.seconds / 1e6,
      realTime: r.samples / r.seconds / RATE,
      cpuShareOfOneCore: r.cpuShare,
    };
    log(
      `  bytes → intent ${fmt(r.total)}\n  without the model ${fmt(r.withoutModel)}; model ${fmt(r.model)}\n` +
        `  ${r.bins} bins (${expectedBins} expected), ${r.dropped} dropped, ${r.lostSamples} samples lost, ` +
        `${(r.samples / r.seconds / RATE).toFixed(3)}× real time (the transport needs ${(transportBytesPerS(channels, transport) / 1e6).toFixed(1)} MB/s), CPU ${(100 * r.cpuShare).toFixed(0)} % of a core\n`,
    );
  }

  log(`soak: 256 ch for ${soakS} s…\n`);
  const memory: { s: number; rssMB: number; heapMB: number }[] = [];
  const minutes: { minute: number; latency: Quantiles }[] = [];
  let minute: number[] = [];
  const soak = await pipeline(256, 'pty', soakS, 3, (second, latencies) => {
    const m = process.memoryUsage();
    memory.push({ s: second, rssMB: m.rss / 1e6, heapMB: m.heapUsed / 1e6 });
    minute.push(...latencies);
    if (second % 60 === 0 || second === soakS) {
      minutes.push({ minute: Math.ceil(second / 60), latency: quantiles(minute) });
      minute = [];
    }
  });
  // Growth over the second half (after warm-up, JIT and pools have settled): a least-squares slope.
  const half = memory.slice(Math.floor(memory.length / 2));
  const slope = (key: 'rssMB' | 'heapMB'): number => {
    const n = half.length;
    if (n < 2) return NaN;
    const mx = half.reduce((a, p) => a + p.s, 0) / n;
    const my = half.reduce((a, p) => a + p[key], 0) / n;
    const num = half.reduce((a, p) => a + (p.s - mx) * (p[key] - my), 0);
    const den = half.reduce((a, p) => a + (p.s - mx) ** 2, 0);
    return (num / den) * 60; // MB per minute
  };
  const soakReport = {
    channels: 256,
    seconds: soak.seconds,
    latencyMs: { total: soak.total, withoutModel: soak.withoutModel },
    byMinute: minutes,
    bins: soak.bins,
    lostSamples: soak.lostSamples,
    ...(soak.gaps.length > 0 ? { gaps: soak.gaps } : {}),
    ...(soak.emulator ? { emulator: soak.emulator } : {}),
    decoderDropped: soak.dropped,
    memory: {
      rssMB: { first: memory[0]?.rssMB, last: memory.at(-1)?.rssMB, max: Math.max(...memory.map((m) => m.rssMB)) },
      heapMB: { first: memory[0]?.heapMB, last: memory.at(-1)?.heapMB, max: Math.max(...memory.map((m) => m.heapMB)) },
      secondHalfSlopeMBPerMinute: { rss: slope('rssMB'), heap: slope('heapMB') },
      samples: memory.filter((_, i) => i % 10 === 0),
    },
  };
  log(
    `  ${fmt(soak.total)}; RSS ${soakReport.memory.rssMB.first?.toFixed(0)} → ${soakReport.memory.rssMB.last?.toFixed(0)} MB, ` +
      `second-half slope RSS ${soakReport.memory.secondHalfSlopeMBPerMinute.rss.toFixed(2)} MB/min, heap ${soakReport.memory.secondHalfSlopeMBPerMinute.heap.toFixed(2)} MB/min\n`,
  );

  let recordings: object | undefined;
  try {
    const r = JSON.parse(readFileSync(resultPath('recordings'), 'utf8')) as { environment: object; record: object; replay: object };
    recordings = { from: 'bench/results/recordings.json', environment: r.environment, record: r.record, replay: r.replay };
  } catch {
    recordings = { from: 'bench/results/recordings.json', missing: 'run `neurostream bench recordings` for the record and replay throughput' };
  }
  for (const a of ANCHORS) log(`published: ${a.source}: ${a.figure}\n`);
  const report = {
    benchmark: 'pipeline',
    environment: benchEnvironment(),
    method: 'emulator (another process) → socat pty → frameSource (or Intan RHX emulator → loopback TCP → intanSource) → intracortical chain → built-in Kalman; latency per intent from the arrival of the last byte of the packet that completed its bin to the intent’s emission',
    targets: { '256ch': 'p99 ≤ 2 ms without the model', '96ch': 'p99 ≤ 1 ms', '1024ch': 'sustained, no loss' },
    ptyPairCapacity: pty,
    sizes,
    soak: soakReport,
    recordAndReplay: recordings,
    anchors: ANCHORS,
  };
  return finish(resultPath('pipeline'), report, options);
}

if (isMain(import.meta.url)) {
  const at = process.argv.indexOf('--duration');
  await runPipelineBench({ json: process.argv.includes('--json'), ...(at > 0 ? { durationS: Number(process.argv[at + 1]) } : {}) });
}

