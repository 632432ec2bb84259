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
    };
    expect(report.environment.node).toBe(process.version);
    expect(report.bandpass.map((b) => b.channels)).toEqual([96, 256, 1024]);
    for (const b of report.bandpass) {
      expect(b.samplesPerSecond).toBeGreaterThan(0);
      expect(b.ratioToFili).toBeGreaterThan(0);
    }
    expect(report.chains).toHaveLength(5);
    expect(existsSync(join(cwd, 'bench', 'results', 'dsp.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(cwd, 'bench', 'results', 'dsp.json'), 'utf8'))).toEqual(report);
  });

  it('names the benchmarks it knows when given another', async () => {
    const r = await runCli(['bench', 'everything']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('benchmark: expected one of dsp, simulators, devices, recordings, decode, dashboard, oip, pipeline, lsl, decoders, got "everything"');
  });
});
