/**
 * The dashboard under load: 64 channels at 30 kHz acquired in real time (1 ms blocks, paced by
 * the clock), published by the real DashboardPublisher on a real server, watched by real
 * WebSocket clients in another process (as browsers are). Three phases, same stream:
 *   1. one client, a typical trace view (64 channels, 5 s across 1000 pixel columns);
 *   2. one client, the densest view (64 channels, 1 s across 1920 pixels: 1 ms columns);
 *   3. twenty clients with the typical view, one of them stalled (never reads).
 * Reported per phase: frames and bytes per second per client (the traces, and everything:
 * rates, spectra, health, status), sequence gaps, and the acquisition lag — how late each block
 * was handled against the clock that paced it (p50, p99, max) — which must not change when
 * clients are added or stall. Run: `neurostream bench dashboard [--json]` (writes
 * bench/results/dashboard.json). `BENCH_SECONDS` (default 10) sets each phase's measured time.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createSampleBlock, type SampleBlock } from '../core/index.js';
import { Random } from '../devices/simulators/random.js';
import { DashboardPublisher } from '../dashboard/publisher/dashboard-publisher.js';
import { startDashboardServer } from '../dashboard/server/dashboard-server.js';
import { type BenchOptions, benchEnvironment, benchStreamInfo, finish, isMain, progress, resultPath } from './report.js';

const CHANNELS = 64;
const RATE = 30_000;
const BLOCK = 30; // 1 ms
const CLIENTS_SCRIPT = fileURLToPath(new URL('./dashboard-clients.js', import.meta.url));

interface ClientFigures {
  tracesPerS: number;
  framesPerS: number;
  bytesPerS: number;
  sequenceGaps: number;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export async function runDashboardBench(options: BenchOptions): Promise<object> {
  const log = progress(options);
  const measureS = Number(process.env.BENCH_SECONDS ?? 10);
  const warmupS = 2;
  const info = benchStreamInfo(CHANNELS, RATE);
  const random = new Random(3);
  const blocksPerSecond = RATE / BLOCK;
  const blockData = Array.from({ length: blocksPerSecond }, () => {
    const data = new Float32Array(CHANNELS * BLOCK);
    for (let i = 0; i < data.length; i++) data[i] = random.normal() * 10 + (random.uniform() < 0.001 ? -150 : 0);
    return data;
  });

  const server = await startDashboardServer({ port: 0 });
  const publisher = new DashboardPublisher(server, { status: () => ({ label: 'bench', state: 'live', recording: null, decoder: null }) });
  const token = new URL(server.viewerUrl).searchParams.get('token')!;

  // Acquisition: blocks are due every millisecond from t0; each is handled (published) when the
  // pump runs, and its lateness against its due time is the acquisition lag.
  const t0 = performance.now();
  let next = 0;
  let lags: number[] = [];
  /** Time each block spent in publisher.pushBlock (the acquisition side of the dashboard), ms. */
  let pushMs: number[] = [];
  let running = true;
  const pump = (): void => {
    if (!running) return;
    const now = performance.now();
    const due = Math.floor((now - t0) / 1); // blocks due by now (1 ms each)
    while (next < due) {
      const block: SampleBlock = createSampleBlock({ info, first: next * BLOCK, length: BLOCK, data: blockData[next % blocksPerSecond]!, hostTime: t0 + (next + 1) });
      const before = performance.now();
      publisher.pushBlock(block);
      pushMs.push(performance.now() - before);
      lags.push(performance.now() - (t0 + next + 1));
      next++;
    }
    setTimeout(pump, 1);
  };
  pump();

  const typical = { channels: Array.from({ length: CHANNELS }, (_, c) => c), windowS: 5, columns: 1000 };
  const dense = { ...typical, windowS: 1, columns: 1920 };

  async function phase(name: string, clients: number, stalled: number, view: object): Promise<object> {
    // A stalled client first fills the kernel's socket buffers (megabytes on loopback) before its
    // bufferedAmount grows: give it time to reach the point where frames are skipped.
    const phaseWarmupS = stalled > 0 ? warmupS + 6 : warmupS;
    log(`${name}: ${clients} client(s)${stalled ? `, ${stalled} stalled` : ''}, ${phaseWarmupS} + ${measureS} s…\n`);
    const child = spawn(process.execPath, [CLIENTS_SCRIPT, JSON.stringify({ port: server.port, token, clients, stalled, view, stalledView: dense, warmupS: phaseWarmupS, measureS })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let connected = false;
    let sorted = new Float64Array(0);
    let skipping = 0;
    let pushSorted = new Float64Array(0);
    let cost = { turns: 0, totalMs: 0, maxTurnMs: 0 };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (!connected && out.startsWith('connected\n')) {
        connected = true;
        // The clients measure from the end of their warm-up: so does the lag.
        setTimeout(() => {
          lags = [];
          pushMs = [];
          publisher.takeCost();
        }, phaseWarmupS * 1000);
        setTimeout(() => {
          sorted = Float64Array.from(lags).sort();
          pushSorted = Float64Array.from(pushMs).sort();
          cost = publisher.takeCost();
          skipping = server.clients().filter((c) => c.skipped > 0).length;
        }, (phaseWarmupS + measureS) * 1000 - 100);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    if (code !== 0) throw new Error(`clients process failed (${code}): ${out}`);
    lags = [];
    const figures = (JSON.parse(out.trim().split('\n').at(-1)!) as { clients: ClientFigures[] }).clients;
    const traces = figures.map((c) => c.tracesPerS);
    const bytes = figures.map((c) => c.bytesPerS);
    const result = {
      clients,
      stalled,
      view,
      tracesFramesPerS: { min: Math.min(...traces), mean: traces.reduce((a, b) => a + b, 0) / traces.length },
      MBsPerClient: { max: Math.max(...bytes) / 1e6, mean: bytes.reduce((a, b) => a + b, 0) / bytes.length / 1e6 },
      sequenceGaps: figures.reduce((a, c) => a + c.sequenceGaps, 0),
      clientsSkippingFrames: skipping,
      acquisitionLagMs: { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: quantile(sorted, 1), blocks: sorted.length },
      publisher: {
        pushBlockUs: { p50: 1000 * quantile(pushSorted, 0.5), p99: 1000 * quantile(pushSorted, 0.99) },
        framesCpuShare: cost.totalMs / (measureS * 1000),
        longestTurnMs: cost.maxTurnMs,
      },
    };
    log(
      `  traces ${result.tracesFramesPerS.min.toFixed(1)}–${result.tracesFramesPerS.mean.toFixed(1)} frames/s per client (min–mean), ` +
        `≤ ${result.MBsPerClient.max.toFixed(3)} MB/s per client, ${skipping} client(s) skipping, ` +
        `acquisition lag p50 ${result.acquisitionLagMs.p50.toFixed(2)} / p99 ${result.acquisitionLagMs.p99.toFixed(2)} / max ${result.acquisitionLagMs.max.toFixed(1)} ms; ` +
        `publisher: pushBlock p99 ${result.publisher.pushBlockUs.p99.toFixed(0)} µs, frames ${(100 * result.publisher.framesCpuShare).toFixed(1)}% of a core, longest turn ${cost.maxTurnMs.toFixed(2)} ms\n`,
    );
    await new Promise((r) => setTimeout(r, 300)); // let the server see the clients go
    return result;
  }

  try {
    const one = await phase('typical view', 1, 0, typical);
    const densest = await phase('densest view', 1, 0, dense);
    const crowd = await phase('20 clients, one stalled', 19, 1, typical);
    const report = {
      benchmark: 'dashboard',
      environment: benchEnvironment(),
      stream: { channels: CHANNELS, sampleRateHz: RATE, blockSamples: BLOCK, framesPerSecond: 30, measureS },
      targets: { framesPerS: '≥ 30 per client', MBsPerClient: '≤ 2', crowd: 'acquisition lag and the other clients’ frame rates unchanged with 20 clients, one stalled' },
      phases: { typicalView: one, densestView: densest, twentyClientsOneStalled: crowd },
    };
    return finish(resultPath('dashboard'), report, options);
  } finally {
    running = false;
    publisher.close();
    await server.close();
  }
}

if (isMain(import.meta.url)) await runDashboardBench({ json: process.argv.includes('--json') });
