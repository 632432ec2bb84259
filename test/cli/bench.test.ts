import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

describe('neurostream bench', () => {
  it('runs the DSP benchmark and reports JSON with the machine, Node version and commit', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ns-bench-'));
    const r = await runCli(['bench', 'dsp', '--json'], { cwd, env: { BENCH_SECONDS: '0.2' }, timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      environment: { node: string; cores: number; commit: string };
      bandpass: { channels: number; samplesPerSecond: number; ratioToFili: number }[];
      chains: { name: string; samplesPerSecond: number; realTimeFactor: number }[];
      workers: { channels: number; workers: number; samplesPerSecond: number; speedup: number }[];
      withDisplay: { channels: number; workers: number; samplesPerSecond: number; ratioToChain: number }[];
    };
    expect(report.environment.node).toBe(process.version);
    expect(report.bandpass.map((b) => b.channels)).toEqual([96, 256, 1024]);
    for (const b of report.bandpass) {
      expect(b.samplesPerSecond).toBeGreaterThan(0);
      expect(b.ratioToFili).toBeGreaterThan(0);
    }
    expect(report.chains).toHaveLength(5);
    // The channel-parallel chain against the single-thread chain of the same run, at 256 and 1024 ch.
    for (const channels of [256, 1024]) {
      const rows = report.workers.filter((w) => w.channels === channels);
      expect(rows.map((w) => w.workers).slice(0, 2)).toEqual([1, 2]);
      expect(rows[0]!.speedup).toBe(1);
      for (const w of rows) {
        expect(w.samplesPerSecond).toBeGreaterThan(0);
        expect(w.speedup).toBeCloseTo(w.samplesPerSecond / rows[0]!.samplesPerSecond, 1);
      }
    }
    // The chain writing out the display's referenced samples, against the chain alone on as many threads.
    expect(report.withDisplay.map((w) => [w.channels, w.workers]).slice(0, 2)).toEqual([
      [1024, 1],
      [1024, 2],
    ]);
    for (const w of report.withDisplay) {
      expect(w.samplesPerSecond).toBeGreaterThan(0);
      expect(w.ratioToChain).toBeGreaterThan(0);
    }
    expect(existsSync(join(cwd, 'bench', 'results', 'dsp.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(cwd, 'bench', 'results', 'dsp.json'), 'utf8'))).toEqual(report);
  });

  it('names the benchmarks it knows when given another', async () => {
    const r = await runCli(['bench', 'everything']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('benchmark: expected one of dsp, simulators, devices, recordings, decode, dashboard, oip, pipeline, nwb, lsl, decoders, got "everything"');
  });

  it('bench oip --sessions reports p50/p99/p99.9 per model and throughput and p99 per session count, unbatched and batched', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ns-bench-'));
    const r = await runCli(['bench', 'oip', '--sessions', '1,3', '--json'], { cwd, env: { BENCH_BINS: '50', BENCH_SESSION_SECONDS: '0.3', BENCH_WARMUP_S: '0.2' }, timeoutMs: 240_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      models: Record<string, { local: Record<string, number>; oipBinary: Record<string, number> & { warmup: Record<string, number> } }>;
      sessions: { sessions: number; batched: boolean; throughputPerS: number; p99: number; serverCpuUsPerBin: number | null; clientCpuUsPerBin: number }[];
      batchedWithDelay: { sessions: number; maxDelayMs: number; throughputPerS: number }[];
    };
    for (const name of ['gru-256-features', 'gru-2048-features']) {
      for (const key of ['p50', 'p99', 'p99.9']) expect(report.models[name]!.oipBinary[key]).toBeGreaterThan(0);
      // The first seconds (JIT) apart from the steady state.
      expect(report.models[name]!.oipBinary.warmup.bins).toBeGreaterThan(0);
    }
    expect(report.batchedWithDelay.map((s) => [s.sessions, s.maxDelayMs])).toEqual([[1, 1], [3, 1]]);
    expect(report.sessions.map((s) => [s.sessions, s.batched])).toEqual([[1, false], [3, false], [1, true], [3, true]]);
    for (const s of report.sessions) {
      expect(s.throughputPerS).toBeGreaterThan(0);
      expect(s.p99).toBeGreaterThan(0);
      expect(s.serverCpuUsPerBin).toBeGreaterThan(0); // /proc on Linux
      expect(s.clientCpuUsPerBin).toBeGreaterThan(0);
    }
    const wrong = await runCli(['bench', 'dsp', '--sessions', '8']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--sessions: expected the oip benchmark, got "dsp"');
  }, 300_000);
});
