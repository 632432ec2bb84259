/**
 * `neurostream bench decoders DATA… [--model FILE.onnx…] [--out DIR]` — the standard decoder
 * comparison: every built-in decoder of the data's kind (continuous: ridge, Kalman; discrete —
 * with `--classes` —: LDA, CSP + LDA) cross-validated on the same fixed folds (5 contiguous, no
 * shuffling, no seed needed), and each ONNX model given scored on all the data; then each decoder's
 * per-bin (or per-epoch) latency, fitted on all the data. Written under DIR (default
 * bench/results/decoders): report.json, report.md and two SVG plots (scores, latency).
 * The same command on the same data gives the same scores; only the latencies are timings.
 * DIR is new, empty, or holds an earlier decoders report (which is replaced); any other file in
 * the way is refused before anything runs.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { makeDirectory, checkNewOutputDirectory, checkExistingWritableDirectory } from '../recordings/index.js';
import { basename, join, resolve } from 'node:path';
import { InvalidOptionError } from '../core/index.js';
import { BuiltinDecoder, type Decoder, OnnxDecoder } from '../decoding/index.js';
import { benchEnvironment } from '../bench/report.js';
import { fitDecoder } from './commands/calibrate.js';
import { evaluate } from './commands/evaluate.js';
import type { DecoderName, DecodingInputFlags } from './decoding-inputs.js';
import { barChartSvg } from './svg-bars.js';

export interface DecoderReportFlags extends DecodingInputFlags {
  out?: string;
  model?: string[];
  lags: number;
}

interface Latency {
  p50Ms: number;
  p99Ms: number;
  calls: number;
}

interface Row {
  decoder: string;
  provider: string;
  fitted: 'cross-validated' | 'as given';
  score: number;
  scoreStd?: number;
  metrics: Record<string, unknown>;
  latency: Latency;
}

const FOLDS = 5;

async function timeDecoder(decoder: Decoder, samples: readonly Float32Array[]): Promise<Latency> {
  const ms: number[] = [];
  const warmup = Math.min(100, samples.length);
  for (let i = 0; i < warmup; i++) await decoder.decode(samples[i]!);
  decoder.reset();
  const calls = Math.max(samples.length, 500);
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await decoder.decode(samples[i % samples.length]!);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number): number => ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)]!;
  return { p50Ms: q(0.5), p99Ms: q(0.99), calls };
}

const REPORT_FILES = ['report.json', 'report.md', 'scores.svg', 'latency.svg'];

/** DIR may be new, empty, or an earlier decoders report's (replaced): nothing else is overwritten. */
function checkReportDir(dir: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return checkNewOutputDirectory(dir, '--out');
    throw new InvalidOptionError(`--out ${dir}`, 'a directory for the report', (error as { code?: string }).code ?? (error as Error).message);
  }
  checkExistingWritableDirectory(dir, `--out ${dir}`);
  if (!entries.some((f) => REPORT_FILES.includes(f))) return;
  let previous: unknown;
  try {
    previous = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  } catch {
    previous = undefined;
  }
  if ((previous as { benchmark?: unknown } | undefined)?.benchmark !== 'decoders') {
    throw new InvalidOptionError(`--out ${dir}`, `a new directory, or one holding an earlier decoders report (${REPORT_FILES.join(', ')} are replaced)`, 'a directory with other files of those names');
  }
}

function std(values: readonly number[]): number {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, values.length - 1));
}

export async function decoderReport(inputs: readonly string[], flags: DecoderReportFlags, log: (line: string) => void): Promise<{ dir: string; report: object }> {
  if (inputs.length === 0) throw new InvalidOptionError('bench decoders', 'the data to compare decoders on (recordings, EDF/BDF files with --classes, or a CSV table)', 'nothing');
  const kind = flags.classes !== undefined ? 'discrete' : 'continuous';
  checkReportDir(resolve(flags.out ?? join('bench', 'results', 'decoders')));
  // What reads the data (features, targets, classes, window, band, lags), without the report's own options.
  const { model: models = [], out, ...inputFlags } = flags;
  const builtins: DecoderName[] = kind === 'continuous' ? ['ridge', 'kalman'] : ['lda', 'csp-lda'];
  const rows: Row[] = [];
  /** What the scores leave out and why (an R² undefined for a target without variance), once each. */
  const notes = new Set<string>();
  let data: Record<string, unknown> = {};
  let samplesOf: Float32Array[] | undefined;
  for (const decoder of builtins) {
    log(`${decoder}: ${FOLDS} contiguous folds…\n`);
    const r = (await evaluate(inputs, { ...inputFlags, decoder, json: true, folds: FOLDS } as Parameters<typeof evaluate>[1])) as Record<string, unknown>;
    const fit = await fitDecoder(inputs, { ...inputFlags, decoder });
    samplesOf ??= fit.samples;
    const latency = await timeDecoder(new BuiltinDecoder(fit.model), fit.samples);
    const perFold = (r['perFold'] ?? r['perSplit']) as { meanR2?: number; accuracy?: number }[] | undefined;
    const foldScores = perFold?.map((f) => (kind === 'continuous' ? f.meanR2 : f.accuracy)).filter((v): v is number => typeof v === 'number' && !Number.isNaN(v)) ?? [];
    const score = (kind === 'continuous' ? r['meanR2'] : r['accuracy']) as number;
    if (kind === 'continuous') for (const note of (r['notes'] as string[] | undefined) ?? []) notes.add(note);
    rows.push({
      decoder,
      provider: 'js',
      fitted: 'cross-validated',
      score,
      ...(foldScores.length > 1 ? { scoreStd: std(foldScores) } : {}),
      metrics: kind === 'continuous' ? { r2: r['r2'], correlation: r['correlation'], meanCorrelation: r['meanCorrelation'] } : { accuracy: r['accuracy'], chance: r['chance'], kappa: r['kappa'], itrBitsPerMin: r['itrBitsPerMin'], itrBitsPerTrial: r['itrBitsPerTrial'] },
      latency,
    });
    data =
      kind === 'continuous'
        ? { bins: r['bins'], features: r['features'], targets: r['targets'] }
        : { epochs: r['epochs'], channels: r['channels'], samples: r['samples'], classes: r['classes'], filter: r['filter'] };
    log(`  ${kind === 'continuous' ? 'mean R²' : 'accuracy'} ${Number.isNaN(score) ? 'undefined' : score.toFixed(3)}; ${latency.p50Ms.toFixed(3)} ms per call (p99 ${latency.p99Ms.toFixed(3)})\n`);
  }
  for (const model of models) {
    log(`${model}: scored on all the data…\n`);
    const r = (await evaluate(inputs, { ...inputFlags, model, json: true } as Parameters<typeof evaluate>[1])) as Record<string, unknown>;
    const decoder = await OnnxDecoder.load(model, { providers: ['cpu'] });
    try {
      const size = decoder.inputShape.reduce((a, b) => a * b, 1);
      const samples = samplesOf?.filter((s) => s.length === size) ?? [];
      const latency = samples.length > 0 ? await timeDecoder(decoder, samples) : { p50Ms: NaN, p99Ms: NaN, calls: 0 };
      const score = (kind === 'continuous' ? r['meanR2'] : r['accuracy']) as number;
      for (const note of (r['notes'] as string[] | undefined) ?? []) if (kind === 'continuous') notes.add(note);
      rows.push({
        decoder: `onnx:${basename(model)}`,
        provider: decoder.provider,
        fitted: 'as given',
        score,
        metrics: kind === 'continuous' ? { r2: r['r2'], correlation: r['correlation'], meanCorrelation: r['meanCorrelation'] } : { accuracy: r['accuracy'], chance: r['chance'], kappa: r['kappa'], itrBitsPerMin: r['itrBitsPerMin'] },
        latency,
      });
      log(`  ${kind === 'continuous' ? 'mean R²' : 'accuracy'} ${Number.isNaN(score) ? 'undefined' : score.toFixed(3)}; ${latency.p50Ms.toFixed(3)} ms per call\n`);
    } finally {
      await decoder.dispose();
    }
  }

  const dir = resolve(out ?? join('bench', 'results', 'decoders'));
  try {
    makeDirectory(dir); // one level at a time: a recursive mkdir spins forever under /proc
  } catch (error) {
    throw new InvalidOptionError(`--out ${dir}`, 'a directory this process can create and write into', (error as Error).message);
  }
  const metric = kind === 'continuous' ? 'mean R² (cross-validated)' : 'accuracy (cross-validated)';
  const report = {
    benchmark: 'decoders',
    environment: benchEnvironment(),
    kind,
    inputs: inputs.map((i) => resolve(i)),
    data,
    protocol: { builtins: `${FOLDS} contiguous folds, in time order (no shuffling)`, models: 'scored on all the data as given (no fitting)', latency: 'fitted on all the data; per call after 100 warm-up calls, ≥ 500 calls, single thread' },
    metric,
    decoders: rows,
    notes: [...notes],
  };
  writeFileSync(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(dir, 'scores.svg'), barChartSvg(`${metric}${kind === 'discrete' ? ` — chance ${Number((rows[0]?.metrics['chance'] as number) ?? NaN).toFixed(2)}` : ''}`, kind === 'continuous' ? 'R²' : 'accuracy', rows.map((r) => ({ label: r.decoder, value: r.score, ...(r.scoreStd !== undefined ? { error: r.scoreStd } : {}) })), kind === 'continuous' ? {} : { min: 0, max: 1 }));
  writeFileSync(join(dir, 'latency.svg'), barChartSvg('decode latency per call (p50; whisker to p99)', 'ms', rows.map((r) => ({ label: r.decoder, value: r.latency.p50Ms, error: r.latency.p99Ms - r.latency.p50Ms })), { digits: 3 }));
  writeFileSync(join(dir, 'report.md'), markdown(report, rows, kind));
  return { dir, report };
}

function markdown(report: { environment: object; inputs: string[]; data: Record<string, unknown>; protocol: Record<string, string>; metric: string; notes: string[] }, rows: Row[], kind: string): string {
  const f = (x: unknown, d = 3): string => (typeof x === 'number' && Number.isFinite(x) ? x.toFixed(d) : '—');
  const env = report.environment as Record<string, unknown>;
  const lines = [
    '# Decoder comparison',
    '',
    `Data: ${report.inputs.map((i) => `\`${i}\``).join(', ')} — ${Object.entries(report.data).map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`).join('; ')}.`,
    '',
    `Protocol: built-in decoders ${report.protocol['builtins']}; ONNX models ${report.protocol['models']}. Latency: ${report.protocol['latency']}.`,
    '',
    `Machine: ${String(env['cpu'])}, ${String(env['cores'])} cores, Node ${String(env['node'])}, neurostream ${String(env['neurostream'])} (${String(env['commit'])}), ${String(env['date'])}.`,
    '',
    kind === 'continuous'
      ? '| decoder | fitted | mean R² | ± folds | R² per target | mean r | latency p50 / p99 (ms) | provider |'
      : '| decoder | fitted | accuracy | ± folds | chance | κ | ITR (bits/min) | latency p50 / p99 (ms) | provider |',
    kind === 'continuous' ? '| --- | --- | --- | --- | --- | --- | --- | --- |' : '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => {
      const lat = `${f(r.latency.p50Ms)} / ${f(r.latency.p99Ms)}`;
      if (kind === 'continuous') {
        const per = Object.entries((r.metrics['r2'] ?? {}) as Record<string, number>).map(([k, v]) => `${k} ${f(v)}`).join(', ');
        return `| ${r.decoder} | ${r.fitted} | ${f(r.score)} | ${f(r.scoreStd)} | ${per} | ${f(r.metrics['meanCorrelation'])} | ${lat} | ${r.provider} |`;
      }
      return `| ${r.decoder} | ${r.fitted} | ${f(r.score)} | ${f(r.scoreStd)} | ${f(r.metrics['chance'])} | ${f(r.metrics['kappa'])} | ${f(r.metrics['itrBitsPerMin'], 1)} | ${lat} | ${r.provider} |`;
    }),
    '',
    ...(report.notes.length > 0 ? [...report.notes.map((n) => `Note: ${n} (— in the table; means are over the targets where R² is defined).`), ''] : []),
    '![scores](scores.svg) ![latency](latency.svg)',
    '',
    'Rerun: the same command on the same data gives the same scores (the folds are fixed); latencies are timings of this machine.',
    '',
  ];
  return lines.join('\n');
}
