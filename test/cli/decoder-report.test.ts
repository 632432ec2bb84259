/**
 * `neurostream bench decoders`: every built-in decoder of the data's kind on fixed folds, and an
 * ONNX model beside them; report.md, report.json and SVG plots; the same command twice gives the
 * same scores (only the latencies, timings, differ).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { sharedData } from '../helpers/shared-data.js';

const RUNS = ['06', '10', '14'].map((r) => fileURLToPath(sharedData(`eeg/eegmmidb/S001/S001R${r}.edf`)));
const MI = ['--classes', 'T1,T2', '--window', '1,2', '--band', '7,30'];

interface Report {
  kind: string;
  metric: string;
  decoders: { decoder: string; fitted: string; score: number; scoreStd?: number; metrics: Record<string, unknown>; latency: { p50Ms: number; p99Ms: number } }[];
}

const scores = (r: Report): unknown => r.decoders.map(({ decoder, score, scoreStd, metrics }) => ({ decoder, score, scoreStd, metrics }));

describe('neurostream bench decoders', () => {
  it('compares the continuous decoders and a model on fixed folds, the same way every time', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ns-report-'));
    const rec = join(root, 'training');
    expect((await runCli(['run', '--channels', '16', '--fast', '--duration', '20', '--decoder', 'none', '--record', rec, '--no-dashboard'], { timeoutMs: 120_000 })).code).toBe(0);
    const model = join(root, 'kalman.onnx');
    expect((await runCli(['calibrate', rec, '--decoder', 'kalman', '--out', model])).code).toBe(0);
    const runs: Report[] = [];
    for (const out of [join(root, 'a'), join(root, 'b')]) {
      const r = await runCli(['bench', 'decoders', rec, '--model', model, '--out', out], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`wrote ${out}/report.md, report.json, scores.svg, latency.svg`);
      for (const f of ['report.md', 'report.json', 'scores.svg', 'latency.svg']) expect(existsSync(join(out, f)), f).toBe(true);
      runs.push(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report);
    }
    const [a, b] = runs as [Report, Report];
    expect(a.kind).toBe('continuous');
    expect(a.decoders.map((d) => [d.decoder, d.fitted])).toEqual([
      ['ridge', 'cross-validated'],
      ['kalman', 'cross-validated'],
      ['onnx:kalman.onnx', 'as given'],
    ]);
    for (const d of a.decoders) {
      expect(d.latency.p50Ms).toBeGreaterThan(0);
      expect(d.latency.p99Ms).toBeGreaterThanOrEqual(d.latency.p50Ms);
    }
    // The cross-validated rows are what `evaluate --folds 5` says of the same data: the mean R² and
    // the sample standard deviation of its per-fold R².
    for (const [k, decoder] of ['ridge', 'kalman'].entries()) {
      const e = await runCli(['evaluate', rec, '--decoder', decoder, '--folds', '5', '--json'], { timeoutMs: 120_000 });
      expect(e.code, e.stderr).toBe(0);
      const evaluated = JSON.parse(e.stdout) as { meanR2: number; perFold: { meanR2: number }[] };
      const folds = evaluated.perFold.map((f) => f.meanR2);
      const mean = folds.reduce((x, y) => x + y, 0) / folds.length;
      expect(a.decoders[k]!.score).toBe(evaluated.meanR2);
      expect(a.decoders[k]!.scoreStd).toBeCloseTo(Math.sqrt(folds.reduce((x, y) => x + (y - mean) ** 2, 0) / (folds.length - 1)), 12);
    }
    expect(scores(b)).toEqual(scores(a)); // reproducible
    const md = readFileSync(join(root, 'a', 'report.md'), 'utf8');
    expect(md).toContain('| decoder | fitted | mean R² | ± folds | R² per target | mean r | latency p50 / p99 (ms) | provider |');
    expect(md).toMatch(/\| ridge \| cross-validated \| -?\d\.\d{3} \|/);
    expect(md).toContain('5 contiguous folds, in time order (no shuffling)');
    const svg = readFileSync(join(root, 'a', 'scores.svg'), 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<rect x=/g)?.length).toBe(3);
  }, 300_000);

  it('compares the discrete decoders on EEG runs (accuracy, κ, ITR)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ns-report-mi-'));
    const r = await runCli(['bench', 'decoders', ...RUNS, ...MI, '--out', out, '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.kind).toBe('discrete');
    expect(report.decoders.map((d) => d.decoder)).toEqual(['lda', 'csp-lda']);
    // Chance is the larger class: 24 of 45 epochs (T1 21, T2 24; the data's README quotes 0.533).
    // Both decoders are well above it on these fixed folds (lda 0.76, csp-lda 0.98 today); with 45
    // epochs, 0.65 is above what guessing reaches one time in 20, and csp-lda stays near the README's
    // 0.933 (MNE's CSP + LDA on the same runs).
    const [lda, cspLda] = report.decoders as [Report['decoders'][number], Report['decoders'][number]];
    for (const d of report.decoders) {
      expect(d.metrics['chance']).toBeCloseTo(24 / 45, 12);
      expect(d.metrics['accuracy']).toBe(d.score);
      expect(d.metrics).toMatchObject({ kappa: expect.any(Number), itrBitsPerMin: expect.any(Number) });
      // Wolpaw's ITR for two classes at that accuracy.
      const p = d.score;
      expect(d.metrics['itrBitsPerTrial']).toBeCloseTo(1 + p * Math.log2(p) + (1 - p) * Math.log2(1 - p), 9);
    }
    expect(lda.score).toBeGreaterThan(0.65);
    expect(cspLda.score).toBeGreaterThanOrEqual(0.9);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('| decoder | fitted | accuracy | ± folds | chance | κ | ITR (bits/min) | latency p50 / p99 (ms) | provider |');
  }, 300_000);

  it('refuses data and report options for the other benchmarks', async () => {
    const r = await runCli(['bench', 'dsp', 'somewhere']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bench dsp: expected no data, --out or --model (only bench decoders takes them), got "somewhere"');
  });

  it('says in one line that an --out it cannot create is refused, instead of retrying forever (/proc)', async () => {
    const m1 = fileURLToPath(sharedData('spiking/m1_binned.csv'));
    const r = await runCli(['bench', 'decoders', m1, '--features', 'unit_*', '--target', 'vel_x,vel_y', '--out', '/proc/neurostream-test/report'], { timeoutMs: 120_000 });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^neurostream: --out \/proc\/neurostream-test\/report: expected a directory this process can create and write into, got "ENOENT: no such file or directory, mkdir .*\[NS_INVALID_OPTION\]$/);
  }, 150_000);
});
