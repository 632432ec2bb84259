/**
 * A live EEG session decoding motor imagery, from the command line: a recording of the EEG
 * simulator's task, `calibrate --decoder lda` on its cues (the model keeps its epoch window and
 * band), then `run --model` decodes each left/right cue of another session live with onnxruntime;
 * the status line and the recording carry the running accuracy (online validation); a replay
 * decodes the same trials to the same values. A model of the wrong kind for the stream is refused.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrateCspLda } from '../../decoding/calibration/csp-calibration.js';
import { OnnxDecoder } from '../../decoding/onnx/onnx-decoder.js';
import { exportOnnx } from '../../decoding/onnx/onnx-export.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { runCli } from '../helpers/cli.js';
import { randomKalman, TestRandom } from '../decoding/onnx/helpers.js';

const EEG = ['--device', 'eeg', '--fast', '--no-dashboard', '--providers', 'cpu'];

describe('live trial decoding (run --model on an EEG stream)', () => {
  it('calibrates on one session’s cues, decodes another’s live with its running accuracy, and a replay decodes the same', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ns-trials-'));
    const training = join(root, 'training');
    const t = await runCli(['run', '--device', 'eeg', '--fast', '--no-dashboard', '--seed', '1', '--duration', '320', '--record', training], { timeoutMs: 120_000 });
    expect(t.code, t.stderr).toBe(0);
    const model = join(root, 'lda.onnx');
    const c = await runCli(['calibrate', training, '--decoder', 'lda', '--classes', 'left,right', '--window', '0.5,2.5', '--band', '8,30', '--out', model], { timeoutMs: 120_000 });
    expect(c.code, c.stderr).toBe(0);
    const loaded = await OnnxDecoder.load(model, { providers: ['cpu'] });
    expect(loaded.metadata.get('neurostream.epoch_window_s')).toBe('[0.5,2.5]');
    expect(loaded.metadata.get('neurostream.epoch_band_hz')).toBe('[8,30]');
    await loaded.dispose();

    const live = join(root, 'live');
    const r = await runCli(['run', ...EEG, '--seed', '2', '--duration', '200', '--model', model, '--record', live, '--status-interval', '0.05'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/decoder onnx:.*lda\.onnx \(cpu\): waiting for a cue \(left \| right\)/);
    const last = [...r.stdout.matchAll(/accuracy (\d\.\d\d) \((\d+)\/(\d+) of the last trials, chance 0\.50; (\d+)\/(\d+) in all\)/g)].at(-1);
    expect(last).toBeDefined();
    const [, , , , correct, all] = last!.map(Number) as number[];
    const recording = openRecording(live);
    const intents = recording.intents();
    const cues = recording.markers().filter((m) => m.type === 'cue' && (m.value === 'left' || m.value === 'right') && (m.sample + 625) / 250 < 200);
    expect(intents.length).toBe(cues.length);
    expect(all).toBe(intents.length);
    expect(intents.every((i) => i.kind === 'discrete' && i.labels?.join() === 'left,right')).toBe(true);
    // Scored against the cues: the simulator's imagery is far above chance.
    const hit = intents.map((intent, k) => (intent.values[0]! > intent.values[1]! ? 'left' : 'right') === cues[k]!.value);
    const hits = hit.filter(Boolean).length;
    expect(correct).toBe(hits);
    expect(hits / intents.length).toBeGreaterThan(0.75);
    const accuracy = recording.markers().filter((m) => m.type === 'decoder-accuracy');
    expect(accuracy.length).toBe(intents.length);
    // Each marker is the running accuracy over the last 20 trials (fewer at the start), scored here from the intents and cues.
    accuracy.forEach((m, k) => {
      const recent = hit.slice(Math.max(0, k - 19), k + 1);
      expect(m.value as number, `accuracy marker ${k}`).toBeCloseTo(recent.filter(Boolean).length / recent.length, 12);
    });

    // The replay cuts the same epochs from the recorded signals and decodes them to the same values.
    const again = join(root, 'replayed');
    const p = await runCli(['replay', live, '--speed', 'max', '--record', again], { timeoutMs: 120_000 });
    expect(p.code, p.stderr).toBe(0);
    const replayed = openRecording(again).intents();
    expect(replayed.map((i) => i.bin)).toEqual(intents.map((i) => i.bin));
    replayed.forEach((intent, k) => expect(Array.from(intent.values)).toEqual(Array.from(intents[k]!.values)));
  }, 300_000);

  it('refuses a trial decoder on an extracellular stream, and a model of binned features on an EEG stream', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ns-trials-'));
    const training = join(root, 'training');
    expect((await runCli(['run', '--device', 'eeg', '--fast', '--no-dashboard', '--duration', '120', '--record', training], { timeoutMs: 120_000 })).code).toBe(0);
    const lda = join(root, 'lda.onnx');
    expect((await runCli(['calibrate', training, '--decoder', 'lda', '--classes', 'left,right', '--window', '0.5,2.5', '--out', lda])).code).toBe(0);
    const wrong = await runCli(['run', '--channels', '16', '--fast', '--no-dashboard', '--duration', '3', '--providers', 'cpu', '--model', lda]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/--model onnx:.*lda\.onnx: expected a decoder of binned features for an extracellular stream, got "a trial decoder \(epochs around cues: for EEG streams\)"/);
    // An epoch model without its epoch window (made elsewhere) is not a trial decoder, nor a decoder of binned features.
    const r = new TestRandom(9);
    const epochs = Array.from({ length: 20 }, () => Float32Array.from({ length: 4 * 50 }, () => r.normal()));
    const csp = calibrateCspLda(epochs, epochs.map((_, i) => (i % 2 ? 'a' : 'b')), { channelNames: ['ch0001', 'ch0002', 'ch0003', 'ch0004'], samples: 50, classes: ['a', 'b'], components: 2 });
    const foreign = join(root, 'foreign.onnx');
    writeFileSync(foreign, exportOnnx(csp));
    const epochWithout = await runCli(['run', '--channels', '16', '--fast', '--no-dashboard', '--duration', '3', '--providers', 'cpu', '--model', foreign]);
    expect(epochWithout.code).toBe(1);
    expect(epochWithout.stderr).toMatch(/--model onnx:.*foreign\.onnx: expected a model of feature vectors \(input shape \[1, F\]\), got "input shape \[1, 4, 50\]/);
    const kalman = join(root, 'kalman.onnx');
    writeFileSync(kalman, exportOnnx(randomKalman(new TestRandom(3), 8, 4, 4)));
    const continuous = await runCli(['run', ...EEG, '--duration', '5', '--model', kalman]);
    expect(continuous.code).toBe(1);
    expect(continuous.stderr).toMatch(/--model onnx:.*kalman\.onnx: expected a trial decoder for an EEG stream \(from `neurostream calibrate --decoder lda\|csp-lda`, which stores its epoch window\), got "a model without neurostream\.epoch_window_s"/);
  }, 240_000);
});
