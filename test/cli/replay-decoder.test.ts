/**
 * `replay DIR --decoder kalman|none` and `replay DIR --model FILE`: a real recording decoded by
 * another decoder than the one its session ran, exactly as `run` would decode it live; and the
 * combinations that name two decoders refused in one line (exit 2).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Intent } from '../../core/index.js';
import { openRecording } from '../../recordings/index.js';
import { runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'ns-replay-decoder-'));
/** A session recorded without a decoder: 8 s of the simulated centre-out task. */
const recorded = join(root, 'recorded');
/** A Kalman model fitted by `neurostream calibrate` on that recording. */
const model = join(root, 'kalman.onnx');
const SOURCE = ['--channels', '16', '--fast', '--duration', '8', '--seed', '3', '--no-dashboard'];

/** Every intent of a recording, as its bin and its values' bytes. */
function intentsOf(dir: string): { bin: number; bytes: string }[] {
  return openRecording(dir)
    .intents()
    .map((i: Intent) => ({ bin: i.bin, bytes: Buffer.from(i.values.buffer, i.values.byteOffset, i.values.byteLength).toString('hex') }));
}

beforeAll(async () => {
  const r = await runCli(['run', ...SOURCE, '--decoder', 'none', '--record', recorded], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  expect(openRecording(recorded).intents()).toEqual([]);
  const c = await runCli(['calibrate', recorded, '--decoder', 'kalman', '--out', model], { timeoutMs: 120_000 });
  expect(c.code, c.stderr).toBe(0);
}, 300_000);

describe('neurostream replay with another decoder', () => {
  it('--decoder kalman --calibrate-s 2: calibrates live on the replayed task and records its intents', async () => {
    const out = join(root, 'kalman');
    const r = await runCli(['replay', recorded, '--speed', 'max', '--decoder', 'kalman', '--calibrate-s', '2', '--record', out, '--no-dashboard'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/decoder kalman \(js\): R² /);
    const replayed = openRecording(out);
    expect(replayed.manifest.pipeline).toMatchObject({ decoder: 'kalman', calibrateS: 2 });
    // Every bin after the 1 s of threshold settling and the 2 s of calibration: 5 s of 20 ms bins.
    const intents = replayed.intents();
    expect(intents.length).toBe(250);
    expect(intents[0]!.bin).toBe(150);
    expect(intents[0]!.values.length).toBe(4);
    // And `--decoder none` on that replay: no intents at all.
    const none = join(root, 'none');
    const n = await runCli(['replay', out, '--speed', 'max', '--decoder', 'none', '--record', none, '--no-dashboard'], { timeoutMs: 120_000 });
    expect(n.code, n.stderr).toBe(0);
    expect(openRecording(none).manifest.pipeline).toMatchObject({ decoder: 'none' });
    expect(openRecording(none).intents()).toEqual([]);
  }, 300_000);

  it('--model FILE decodes the recording as `run --model FILE` decodes the same source live, bit for bit, every time', async () => {
    const replays = [join(root, 'model-a'), join(root, 'model-b')];
    for (const out of replays) {
      const r = await runCli(['replay', recorded, '--speed', 'max', '--model', model, '--providers', 'cpu', '--record', out, '--no-dashboard'], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(openRecording(out).manifest.pipeline).toMatchObject({ model });
    }
    // Live in real time (a --fast source outruns the model and drops bins: live sources never wait).
    const live = join(root, 'model-live');
    const l = await runCli(['run', ...SOURCE.filter((f) => f !== '--fast'), '--model', model, '--providers', 'cpu', '--record', live], { timeoutMs: 120_000 });
    expect(l.code, l.stderr).toBe(0);
    const [a, b] = replays.map(intentsOf) as [ReturnType<typeof intentsOf>, ReturnType<typeof intentsOf>];
    expect(a.length).toBe(350); // every bin after the 1 s of threshold settling
    expect(b).toEqual(a);
    expect(intentsOf(live)).toEqual(a);
  }, 300_000);

  it('refuses two decoders at once, and a calibration without a live Kalman filter, in one line (exit 2)', async () => {
    const cases: [string[], string][] = [
      [['--model', model, '--decoder', 'kalman'], '--decoder: expected no value with --model (the model is the decoder), got "kalman"'],
      [['--model', model, '--calibrate-s', '2'], '--calibrate-s: expected no value with --model (a model is not calibrated live), got 2'],
      [['--decoder', 'none', '--calibrate-s', '2'], '--calibrate-s: expected no value with --decoder none (only --decoder kalman is calibrated live), got 2'],
      [['--decoder', 'lda'], '--decoder: expected one of kalman, none, got "lda"'],
    ];
    for (const [flags, message] of cases) {
      const r = await runCli(['replay', recorded, '--speed', 'max', ...flags, '--no-dashboard'], { timeoutMs: 60_000 });
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`neurostream: ${message} [NS_INVALID_OPTION]\n`);
    }
  }, 300_000);
});
