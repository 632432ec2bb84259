/**
 * Channel names across files (issue 17, item 6): a model whose channels carry one spelling runs
 * on data that spells them another way — EEGMMIDB's `Fc5.` and the 64-channel simulator's `FC5`
 * — matched after normalisation, in the model's order; names that do not normalise are given by
 * `--channel-map` (a JSON object or a two-column CSV), and without it the error lists them.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { calibrateCspLda } from '../../decoding/calibration/csp-calibration.js';
import { readEpochs } from '../../decoding/datasets/epochs.js';
import { exportOnnx } from '../../decoding/onnx/onnx-export.js';
import { EEGMMIDB_MONTAGE } from '../../devices/simulators/eeg-montage.js';
import { runCli } from '../helpers/cli.js';
import { sharedData } from '../helpers/shared-data.js';

const RUNS = ['06', '10', '14'].map((r) => fileURLToPath(sharedData(`eeg/eegmmidb/S001/S001R${r}.edf`)));
const MI = ['--classes', 'T1,T2', '--window', '1,2', '--band', '7,30'];

/**
 * A CSP + LDA model fitted on runs 06 and 10, its channels in reverse order and named `names`
 * (given in the file's order), written as ONNX.
 */
function reversedModel(dir: string, file: string, names: readonly string[]): string {
  const set = readEpochs(RUNS.slice(0, 2), { classes: ['T1', 'T2'], windowS: [1, 2], bandHz: [7, 30] });
  expect(set.channelNames.slice(0, 2)).toEqual(['Fc5.', 'Fc3.']); // the file's own labels
  const C = set.channelNames.length;
  const T = set.samples;
  const epochs = set.epochs.map((e) => {
    const out = new Float32Array(C * T);
    for (let c = 0; c < C; c++) out.set(e.subarray((C - 1 - c) * T, (C - c) * T), c * T);
    return out;
  });
  const model = calibrateCspLda(epochs, set.labels, { channelNames: [...names].reverse(), samples: T, classes: set.classes });
  const path = join(dir, file);
  writeFileSync(path, exportOnnx(model, { epoch: { windowS: set.windowS, bandHz: set.bandHz } }));
  return path;
}

async function accuracy(args: string[]): Promise<number> {
  const r = await runCli([...args, '--json'], { timeoutMs: 240_000 });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { accuracy: number }).accuracy;
}

describe('channel names across files', () => {
  it("evaluate --model scores a model named with the simulator's labels (FC5 …, reversed) on EEGMMIDB's Fc5. … as the model named as the file; other names need --channel-map", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-names-'));
    const asFile = await accuracy(['evaluate', RUNS[2]!, '--model', reversedModel(dir, 'file.onnx', readEpochs([RUNS[2]!], { classes: ['T1'], windowS: [1, 2] }).channelNames), ...MI]);
    expect(asFile).toBeGreaterThanOrEqual(0.85);
    const simulatorNamed = reversedModel(dir, 'sim.onnx', EEGMMIDB_MONTAGE);
    expect(await accuracy(['evaluate', RUNS[2]!, '--model', simulatorNamed, ...MI])).toBe(asFile);

    // An amplifier's generic names: refused, listing them and pointing at --channel-map …
    const generic = EEGMMIDB_MONTAGE.map((_, i) => `EEG ${i + 1}`);
    const genericModel = reversedModel(dir, 'generic.onnx', generic);
    const refused = await runCli(['evaluate', RUNS[2]!, '--model', genericModel, ...MI], { timeoutMs: 120_000 });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--model .*generic\.onnx channels: expected channels of .*S001R14\.edf \(Fc5\., Fc3\., .*\); give the pairs with --channel-map FILE .*, got 64 of 64 channels missing after normalising case, trailing dots and 10-20 aliases: EEG 64, EEG 63, .*, EEG 1 \[NS_INVALID_OPTION\]\n$/);
    expect(refused.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    // … and taken through a two-column CSV map (to the simulator's spelling, normalised to the file's).
    const csv = join(dir, 'map.csv');
    writeFileSync(csv, `model,stream\n${generic.map((g, i) => `${g},${EEGMMIDB_MONTAGE[i]}`).join('\n')}\n`);
    expect(await accuracy(['evaluate', RUNS[2]!, '--model', genericModel, '--channel-map', csv, ...MI])).toBe(asFile);
  }, 300_000);

  it('run --model: a trial decoder calibrated on EEGMMIDB runs on the 64-channel simulator, and a --channel-map JSON names what does not match', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-names-'));
    const model = join(dir, 'mi.onnx');
    const c = await runCli(['calibrate', RUNS[0]!, RUNS[1]!, '--decoder', 'csp-lda', ...MI, '--out', model], { timeoutMs: 120_000 });
    expect(c.code, c.stderr).toBe(0);
    const session = ['run', '--device', 'eeg', '--channels', '64', '--duration', '5', '--fast', '--no-dashboard', '--providers', 'cpu', '--model', model];
    const r = await runCli(session, { timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stopped \(duration reached\) .*\| decoder onnx:mi\.onnx \(cpu\): waiting for a cue \(T1 \| T2\)/);

    // A map sends Fc5. elsewhere: to C3 (accepted), or to a channel the stream lacks (refused, named).
    const json = join(dir, 'map.json');
    writeFileSync(json, JSON.stringify({ 'Fc5.': 'C3', 'T9..': 'Nope' }));
    const mapped = await runCli([...session, '--channel-map', json], { timeoutMs: 120_000 });
    expect(mapped.code).toBe(1);
    expect(mapped.stderr).toMatch(/--model onnx:mi\.onnx channels: expected channels of the stream \(FC5, .*--channel-map.*, got 1 of 64 channels missing after normalising case, trailing dots and 10-20 aliases: T9\.\. \(mapped to Nope\)\n$/);
    writeFileSync(json, JSON.stringify({ 'Fc5.': 'C3' }));
    const ok = await runCli([...session, '--channel-map', json], { timeoutMs: 120_000 });
    expect(ok.code, ok.stderr).toBe(0);

    const bad = await runCli(['run', '--device', 'eeg', '--duration', '1', '--fast', '--no-dashboard', '--channel-map', json], { timeoutMs: 60_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--channel-map: expected a --model whose channels it maps/);
    writeFileSync(json, '{"Fc5.": 3}');
    const malformed = await runCli([...session, '--channel-map', json], { timeoutMs: 60_000 });
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/--channel-map .*map\.json "Fc5\.": expected a non-empty stream channel name, got 3/);
  }, 300_000);
});
