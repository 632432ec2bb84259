import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { OnnxDecoder } from '../../decoding/onnx/onnx-decoder.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { readManifest } from '../../recordings/session-manifest.js';
import { runCli } from '../helpers/cli.js';
import { sharedData } from '../helpers/shared-data.js';

const M1 = fileURLToPath(sharedData('spiking/m1_binned.csv'));
const RUNS = ['06', '10', '14'].map((r) => fileURLToPath(sharedData(`eeg/eegmmidb/S001/S001R${r}.edf`)));
const MI = ['--classes', 'T1,T2', '--window', '1,2', '--band', '7,30'];

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-decoding-'));
}

async function json(args: string[]): Promise<Record<string, unknown>> {
  const r = await runCli([...args, '--json'], { timeoutMs: 240_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** A table where vel depends on the features of the previous bin only. */
function laggedTable(path: string): void {
  let s = 7;
  const random = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
  const rows = ['time_s,unit_a,unit_b,vel_x'];
  let previous = [0, 0];
  for (let t = 0; t < 600; t++) {
    const x = [random(), random()];
    rows.push(`${(t * 0.05).toFixed(2)},${x[0]},${x[1]},${2 * previous[0]! - previous[1]! + 0.01 * random()}`);
    previous = x;
  }
  writeFileSync(path, `${rows.join('\n')}\n`);
}

describe('neurostream evaluate / calibrate', () => {
  it('CSP + LDA on EEGMMIDB S001 motor imagery reaches MNE’s accuracy (≥ 0.90 over 10 random splits)', async () => {
    const report = await json(['evaluate', ...RUNS, '--decoder', 'csp-lda', ...MI, '--splits', '10', '--test-size', '0.2', '--seed', '42']);
    expect(report).toMatchObject({ kind: 'discrete', decoder: 'csp-lda', epochs: 45, classes: ['T1', 'T2'], protocol: { splits: 10, testSize: 0.2, seed: 42, shuffled: true } });
    expect(report.accuracy as number).toBeGreaterThanOrEqual(0.9);
    expect(report.chance as number).toBeCloseTo(24 / 45, 6);
    expect(report.kappa as number).toBeGreaterThan(0.7);
    // Wolpaw's ITR for two classes at the reported accuracy p: 1 + p·log2 p + (1 − p)·log2(1 − p).
    const p = report.accuracy as number;
    expect(report.itrBitsPerTrial as number).toBeCloseTo(1 + p * Math.log2(p) + (1 - p) * Math.log2(1 - p), 9);
    expect(report.perSplit as unknown[]).toHaveLength(10);
    // The confusion matrix as rows of counts: truth × predicted, summing to the test epochs of all splits.
    const confusion = report.confusion as { classes: string[]; counts: number[][] };
    expect(confusion.classes).toEqual(['T1', 'T2']);
    expect(confusion.counts.map((row) => row.length)).toEqual([2, 2]);
    expect(confusion.counts.flat().reduce((a, b) => a + b, 0)).toBe(10 * 9);
    // Every split tests 9 epochs, so the diagonal over all splits is the mean accuracy × 90.
    expect(confusion.counts[0]![0]! + confusion.counts[1]![1]!).toBeCloseTo(p * 90, 9);
  }, 120_000);

  it('the Kalman filter on M1 spikes: R² per velocity and the mean, over 5 contiguous folds', async () => {
    const report = await json(['evaluate', M1, '--decoder', 'kalman', '--features', 'unit_*', '--target', 'vel_x,vel_y', '--folds', '5']);
    const r2 = report.r2 as Record<string, number>;
    expect(Object.keys(r2)).toEqual(['vel_x', 'vel_y']);
    expect(report.meanR2 as number).toBeCloseTo((r2.vel_x! + r2.vel_y!) / 2, 12);
    expect(report.meanR2 as number).toBeGreaterThan(0.5);
    expect(report.meanCorrelation as number).toBeGreaterThan(0.7);
    expect(report.perFold as unknown[]).toHaveLength(5);
  }, 120_000);

  it('a target without variance (M1 with vel_y held at 0.3) has R² undefined, and says why', async () => {
    const lines = readFileSync(M1, 'utf8').trimEnd().split('\n');
    const header = lines[0]!.split(',');
    const column = header.indexOf('vel_y');
    expect(column).toBeGreaterThan(0);
    const constant = lines.map((line, i) => (i === 0 ? line : line.split(',').map((v, c) => (c === column ? '0.3' : v)).join(',')));
    const table = join(tempDir(), 'm1-still-y.csv');
    writeFileSync(table, `${constant.join('\n')}\n`);
    const args = ['evaluate', table, '--decoder', 'ridge', '--features', 'unit_*', '--target', 'vel_x,vel_y', '--folds', '5'];
    const report = await json(args);
    expect(report.r2).toMatchObject({ vel_y: null });
    expect((report.r2 as Record<string, number>).vel_x).toBeGreaterThan(0.3);
    expect(report.meanR2).toBe((report.r2 as Record<string, number>).vel_x);
    expect(report.correlation).toMatchObject({ vel_y: null });
    expect(report.notes).toEqual(['R² undefined: target vel_y has no variance in any fold']);
    for (const fold of report.perFold as { r2: (number | null)[] }[]) expect(fold.r2[1]).toBeNull();
    const text = await runCli(args, { timeoutMs: 240_000 });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/R²: +vel_x 0\.\d{3}, vel_y undefined; mean 0\.\d{3} \(of vel_x\)/);
    expect(text.stderr).toBe('neurostream evaluate: note: R² undefined: target vel_y has no variance in any fold\n');
  }, 240_000);

  it('--lags N gives the ridge decoder the current bin and the N − 1 before it', async () => {
    const table = join(tempDir(), 'lagged.csv');
    laggedTable(table);
    const base = ['evaluate', table, '--decoder', 'ridge', '--features', 'unit_*', '--target', 'vel_x', '--folds', '3'];
    const current = await json([...base, '--lags', '1']);
    const withPrevious = await json([...base, '--lags', '2']);
    expect(current.meanR2 as number).toBeLessThan(0.1); // the current bin says nothing about vel
    expect(withPrevious.meanR2 as number).toBeGreaterThan(0.99);
    expect(withPrevious.lags).toBe(2);
  }, 60_000);

  it('calibrates to an ONNX model that evaluate --model and onnxruntime run', async () => {
    const root = tempDir();
    const model = join(root, 'csp.onnx');
    const c = await runCli(['calibrate', ...RUNS, '--decoder', 'csp-lda', ...MI, '--out', model], { timeoutMs: 120_000 });
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/calibrated csp-lda on 45 epochs of 64 ch × 161 samples .* → T1, T2; wrote .*csp\.onnx/);
    const decoder = await OnnxDecoder.load(model, { providers: ['cpu'] });
    expect([decoder.kind, decoder.inputShape, decoder.outputNames]).toEqual(['discrete', [64, 161], ['T1', 'T2']]);
    await decoder.dispose();
    const report = await json(['evaluate', ...RUNS, '--model', model, ...MI]);
    expect(report).toMatchObject({ kind: 'discrete', provider: 'cpu', epochs: 45, protocol: { fitted: false } });
    expect(report.accuracy as number).toBeGreaterThan(0.9); // on its own training epochs

    const kalman = join(root, 'kalman.onnx');
    expect((await runCli(['calibrate', M1, '--decoder', 'kalman', '--features', 'unit_*', '--target', 'vel_x,vel_y', '--out', kalman], { timeoutMs: 120_000 })).code).toBe(0);
    const scored = await json(['evaluate', M1, '--model', kalman, '--features', 'unit_*', '--target', 'vel_x,vel_y']);
    expect(scored).toMatchObject({ kind: 'continuous', targets: ['vel_x', 'vel_y'] });
    expect(scored.meanR2 as number).toBeGreaterThan(0.5);
    // The same units in another order: refused, not scored as garbage.
    const reversed = Array.from({ length: 171 }, (_, i) => `unit_${String(171 - i).padStart(3, '0')}`).join(',');
    const shuffled = await runCli(['evaluate', M1, '--model', kalman, '--features', reversed, '--target', 'vel_x,vel_y']);
    expect(shuffled.code).toBe(1);
    expect(shuffled.stderr).toMatch(/kalman\.onnx metadata neurostream\.input_names\[0\]: expected "unit_171" \(the expected features, in order\), got "unit_001"/);
    const again = await runCli(['calibrate', M1, '--decoder', 'kalman', '--features', 'unit_*', '--target', 'vel_x,vel_y', '--out', kalman]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--out .*kalman\.onnx: expected a new file \(nothing is overwritten\), got "an existing file"/);
  }, 240_000);

  it("the README's example: a model fitted on runs 06 and 10 scores on held-out run 14 of the same task", async () => {
    const model = join(tempDir(), 'mi.onnx');
    const c = await runCli(['calibrate', RUNS[0]!, RUNS[1]!, '--decoder', 'csp-lda', ...MI, '--out', model], { timeoutMs: 120_000 });
    expect(c.code, c.stderr).toBe(0);
    const report = await json(['evaluate', RUNS[2]!, '--model', model, ...MI]);
    expect(report).toMatchObject({ kind: 'discrete', epochs: 15, protocol: { fitted: false } });
    expect(report.accuracy as number).toBeGreaterThanOrEqual(0.85); // the README quotes 0.933 (14 of 15)
    expect(report.chance as number).toBeCloseTo(8 / 15, 6);
  }, 240_000);

  it('says what is missing or contradictory, with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['evaluate', M1, '--features', 'unit_*', '--target', 'vel_x'], /--decoder\/--model: expected exactly one of --decoder NAME or --model FILE\.onnx/],
      [['evaluate', M1, '--decoder', 'ridge'], /--features\/--target: expected the feature columns and the targets of the table/],
      [['evaluate', ...RUNS, '--decoder', 'csp-lda', '--classes', 'T1,T2', '--window', '2,1'], /--window: expected two increasing numbers/],
      [['evaluate', M1, '--decoder', 'ridge', '--features', 'unit_*', '--target', 'vel_x', '--folds', '3', '--splits', '4'], /--folds: expected either --folds or --splits, not both/],
      [['evaluate', M1, '--decoder', 'bayes'], /--decoder/],
      [['calibrate', M1, '--decoder', 'ridge', '--features', 'unit_*', '--target', 'vel_x', '--out', 'model.txt'], /--out: expected a file name ending in \.onnx/],
      [['evaluate', M1, '--decoder', 'kalman', '--features', 'unit_*', '--target', 'vel_x', '--lags', '5'], /--lags: expected a ridge decoder \(the others take no history\), got "--lags 5 with kalman"/],
      [['evaluate', M1, '--decoder', 'ridge', '--features', 'unit_*', '--target', 'vel_x', '--lags', '30'], /--lags: expected at most 4096 lagged columns \(lags × 171 features\), got "30 \(5130 columns\)"/],
      [['run', '--duration', '1', '--providers', 'cpu'], /--providers: expected a --model to run on them/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync('model.txt')).toBe(false);
  }, 60_000);

  it('run --model decodes live with an ONNX model on the first execution provider that works, and says which', async () => {
    const root = tempDir();
    const training = join(root, 'training');
    expect((await runCli(['run', '--channels', '16', '--fast', '--duration', '20', '--decoder', 'none', '--record', training], { timeoutMs: 120_000 })).code).toBe(0);
    const model = join(root, 'kalman.onnx');
    const c = await runCli(['calibrate', training, '--decoder', 'kalman', '--out', model]);
    expect(c.stdout).toMatch(/calibrated kalman on \d+ bins, 32 features → vel_x, vel_y/);
    const live = join(root, 'live');
    const r = await runCli(['run', '--channels', '16', '--duration', '3', '--model', model, '--providers', 'cuda,cpu', '--record', live], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/execution provider cuda unavailable for .*kalman\.onnx: .*; trying the next/);
    expect(r.stdout).toMatch(/decoder onnx:kalman\.onnx \(cpu\): /);
    const manifest = readManifest(live);
    expect(manifest.decoder).toMatchObject({ name: 'onnx:kalman.onnx', provider: 'cpu', features: 32 });
    const intents = openRecording(live).intents();
    // Every bin after the thresholds' first second is decoded, or dropped and said so: a live session
    // never waits for its decoder (on a loaded machine it drops stale bins, and counts them).
    const summary = r.stdout.trim().split('\n').find((line) => line.startsWith('stopped ('))!; // the closing summary: the whole session's figures
    const dropped = Number(/decoder onnx:kalman\.onnx \(cpu\): .*?, (\d+) dropped/.exec(summary)?.[1] ?? 0);
    expect(intents.length + dropped).toBe(100);
    expect(intents.length).toBeGreaterThan(0);
    expect(intents[0]!.values.length).toBe(2);
    // Each intent says where its time went, from the last byte of its bin to its emission.
    for (const { latency } of intents) {
      expect(latency.acquisitionMs).toBeGreaterThanOrEqual(0);
      expect(latency.featuresMs).toBeGreaterThanOrEqual(0);
      expect(latency.decodeMs).toBeGreaterThan(0);
      expect(latency.acquisitionMs + latency.featuresMs + latency.decodeMs).toBeLessThan(1000);
    }
    expect(intents.some((i) => i.latency.acquisitionMs > 0)).toBe(true);

    // A model of another feature count stops the session with one clear error; the recording is kept.
    const wrong = join(root, 'wrong');
    const w = await runCli(['run', '--channels', '8', '--duration', '3', '--model', model, '--providers', 'cpu', '--record', wrong], { timeoutMs: 60_000 });
    expect(w.code).toBe(1);
    expect(w.stderr).toMatch(/processing failed: --model onnx:kalman\.onnx inputs: expected the session's 16 features in order \(tc:ch0001, tc:ch0002, tc:ch0003, …\), got "32 inputs"/);
    expect(readManifest(wrong).status).toBe('complete');
    const missing = await runCli(['run', '--duration', '1', '--model', join(root, 'none.onnx')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--model: expected a readable ONNX file, got ".*none\.onnx \(ENOENT\)"/);
    const epochModel = join(root, 'csp.onnx');
    expect((await runCli(['calibrate', ...RUNS, '--decoder', 'csp-lda', ...MI, '--out', epochModel], { timeoutMs: 120_000 })).code).toBe(0);
    const epoch = join(root, 'epoch');
    const e = await runCli(['run', '--channels', '16', '--duration', '2', '--model', epochModel, '--providers', 'cpu', '--record', epoch], { timeoutMs: 60_000 });
    expect(e.code).toBe(1);
    // A trial decoder (calibrate stores its epoch window) is for EEG streams' cues, not for binned features.
    expect(e.stderr).toMatch(/--model onnx:csp\.onnx: expected a decoder of binned features for an extracellular stream, got "a trial decoder \(epochs around cues: for EEG streams\)"/);
    expect(readManifest(epoch).status).toBe('complete'); // the recording is finalised all the same

    // Replay runs the same model file, on the provider the session used, and refuses a changed one.
    const replayed = join(root, 'replayed');
    const p = await runCli(['replay', live, '--speed', 'max', '--record', replayed], { timeoutMs: 60_000 });
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    const again = openRecording(replayed).intents();
    expect(again.map((i) => i.bin)).toEqual(intents.map((i) => i.bin)); // none dropped, though ONNX answers asynchronously
    again.forEach((intent, i) => expect(Buffer.from(intent.values.buffer).equals(Buffer.from(intents[i]!.values.buffer))).toBe(true));
    writeFileSync(model, Buffer.concat([readFileSync(model), Buffer.from([0])]));
    const changed = await runCli(['replay', live, '--speed', 'max']);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/--model .*kalman\.onnx: expected the model the session ran \(sha256 [0-9a-f]{12}…\), got "a file that changed since/);
  }, 240_000);
});
