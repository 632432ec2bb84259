import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SampleBlock } from '../../core/index.js';
import type { InfoReport } from '../../cli/commands/info.js';
import { readSpikeGlx } from '../../recordings/import/spikeglx/spikeglx-import.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { runCli } from '../helpers/cli.js';
import { sharedData } from '../helpers/shared-data.js';

const BIN = fileURLToPath(sharedData('extracellular/spikeglx/p5_g0_t0.imec0.ap.bin'));
const META = BIN.replace(/\.bin$/, '.meta');

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-spikeglx-cli-'));
}

/** Every value, channel-major over the whole stream. */
function valuesOf(blocks: Iterable<SampleBlock>, channels: number, total: number): Float32Array {
  const out = new Float32Array(channels * total).fill(NaN);
  for (const b of blocks) for (let c = 0; c < channels; c++) out.set(b.data.subarray(c * b.length, (c + 1) * b.length), c * total + b.first);
  return out;
}

const bitsOf = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('neurostream convert / info with SpikeGLX', () => {
  it('converts the real Neuropixels file into a recording of int16 counts holding exactly the imported values; info describes both', async () => {
    const out = join(tempDir(), 'np');
    const r = await runCli(['convert', BIN, out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/converted .*p5_g0_t0\.imec0\.ap\.bin \(SpikeGLX imec ap\) → .*np: 385 ch @ 30000 Hz, 5000 samples, 0 markers/);
    expect(r.stderr).toMatch(/note: start time: fileCreateTime 2020-11-09T18:12:06 is the recording machine's local time/);

    const imported = readSpikeGlx(BIN).streams[0]!;
    const recording = openRecording(out);
    expect(recording.storage[0]!.map((s) => s.type)).toEqual(new Array<string>(385).fill('int16'));
    expect(recording.storage[0]!.map((s) => s.scale)).toEqual(imported.info.adcScale);
    expect(recording.info).toMatchObject({ channelNames: imported.info.channelNames, sampleRateHz: 30000, startTime: '2020-11-09T18:12:06.000Z', exactCounts: true });
    expect(recording.manifest.source).toEqual({ path: BIN, format: 'SpikeGLX imec ap' });
    const expected = valuesOf(imported.blocks(), 385, 5000);
    const got = valuesOf(recording.blocks(), 385, 5000);
    expect(bitsOf(got).equals(bitsOf(expected))).toBe(true);

    const onRecording = await runCli(['info', out, '--json']);
    expect(onRecording.code).toBe(0);
    const report = JSON.parse(onRecording.stdout) as InfoReport;
    expect(report.streams[0]).toMatchObject({ channels: 385, sampleRateHz: 30000, samples: 5000, gaps: [] });
    expect(report.streams[0]!.storage).toEqual(new Array<string>(385).fill('int16'));

    const text = await runCli(['info', BIN]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain('format: SpikeGLX imec ap');
    expect(text.stdout).toMatch(/385 channels at 30000 Hz from spikeglx \(Neuropixels NP1100 \(probe type 0\)\)/);
    expect(text.stdout).toMatch(/channels: AP0, AP1, .* — extracellular ×384, aux ×1; units uV ×384, count ×1/);
    expect(text.stdout).toMatch(/5000 samples = 0\.167 s/);
    expect(text.stdout).toMatch(/note: firstSample 6390240/);
    const viaMeta = JSON.parse((await runCli(['info', META, '--json'])).stdout) as InfoReport;
    expect(viaMeta.streams[0]).toMatchObject({ channels: 385, samples: 5000, channelNames: imported.info.channelNames });
  });

  it('refuses bad pairs with one clear line and a non-zero exit, writing nothing', async () => {
    const root = tempDir();
    // A .bin without its .meta: exit 2 (what IN may be), naming the .meta and --protocol.
    const lone = join(root, 'lone.imec0.ap.bin');
    writeFileSync(lone, new Uint8Array(770));
    const a = await runCli(['convert', lone, join(root, 'a')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/input: expected a SpikeGLX \.bin with its \.meta beside it \(no lone\.imec0\.ap\.meta there\), or a raw device capture with --protocol cyton\|frame/);
    expect(existsSync(join(root, 'a'))).toBe(false);
    expect((await runCli(['info', lone])).code).toBe(2);

    // A .meta without imSampRate: exit 1, naming the file and the key.
    const noRate = join(root, 'norate.imec0.ap');
    writeFileSync(`${noRate}.meta`, readFileSync(META, 'utf8').replace(/^imSampRate=[^\r\n]*\r?\n/m, ''));
    symlinkSync(BIN, `${noRate}.bin`);
    const b = await runCli(['convert', `${noRate}.bin`, join(root, 'b')]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/norate\.imec0\.ap\.meta: imSampRate: expected the sample rate in Hz \(a positive number\), got "no imSampRate line" \[NS_INVALID_DATA\]/);
    expect(b.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(root, 'b'))).toBe(false);
    expect((await runCli(['info', `${noRate}.meta`])).code).toBe(1);

    // A copy cut short: convert refuses it (exit 1, both sizes); --allow-truncated reads the whole
    // samples it holds; info describes it and says TRUNCATED.
    const cut = join(root, 'cut.imec0.ap');
    writeFileSync(`${cut}.meta`, readFileSync(META));
    writeFileSync(`${cut}.bin`, readFileSync(BIN).subarray(0, 770 * 4000 + 100));
    const c = await runCli(['convert', `${cut}.bin`, join(root, 'c')]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/cut\.imec0\.ap\.bin: expected 3850000 bytes, as fileSizeBytes in cut\.imec0\.ap\.meta says \(5000 samples × 385 channels × 2 bytes\); a file cut short is read only with allowTruncated \(convert --allow-truncated\), got "3080100 bytes \(4000 whole samples \+ 100 bytes\)"/);
    expect(existsSync(join(root, 'c'))).toBe(false);
    const described = await runCli(['info', `${cut}.bin`]);
    expect(described.code).toBe(0);
    expect(described.stdout).toMatch(/format: SpikeGLX imec ap — TRUNCATED/);
    expect(described.stdout).toMatch(/note: TRUNCATED: cut\.imec0\.ap\.bin holds 3080100 of the 3850000 bytes its \.meta says: 4000 of 5000 samples are read \(1000 missing at the end, and 100 bytes of a cut sample dropped\)/);
    const kept = await runCli(['convert', `${cut}.bin`, join(root, 'kept'), '--allow-truncated']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toMatch(/385 ch @ 30000 Hz, 4000 samples/);
    // Loudly, as a recording cut short is: a WARNING, not a note.
    expect(kept.stderr).toMatch(/neurostream convert: WARNING: TRUNCATED: cut\.imec0\.ap\.bin holds 3080100 of the 3850000 bytes/);
    expect(kept.stderr).toMatch(/WARNING: .*kept holds what was left of a TRUNCATED recording/);
    expect(kept.stderr).not.toMatch(/note: TRUNCATED/);
    const keptRecording = openRecording(join(root, 'kept'));
    expect(keptRecording.manifest.notes.some((n) => n.startsWith('TRUNCATED:'))).toBe(true);
    const whole = valuesOf(readSpikeGlx(BIN).streams[0]!.blocks(), 385, 5000);
    const part = valuesOf(keptRecording.blocks(), 385, 4000);
    let differ = 0;
    for (let ch = 0; ch < 385; ch++) if (!bitsOf(part.subarray(ch * 4000, (ch + 1) * 4000)).equals(bitsOf(whole.subarray(ch * 5000, ch * 5000 + 4000)))) differ++;
    expect(differ).toBe(0);
  });
});
