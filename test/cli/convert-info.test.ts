import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createSampleBlock, type SampleBlock } from '../../core/index.js';
import { writeCytonPacket } from '../../devices/protocols/cyton/cyton-encoder.js';
import { readEdf } from '../../recordings/edf/edf-reader.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { RecordingWriter } from '../../recordings/recording-writer.js';
import { testStreamInfo } from '../helpers/stream-info.js';
import type { InfoReport } from '../../cli/commands/info.js';
import { runCli } from '../helpers/cli.js';
import { sharedData } from '../helpers/shared-data.js';

const R06 = fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R06.edf'));
const JORDAN = fileURLToPath(sharedData('eeg/openbci/OpenBCI_2016-02-13_Jordan_focus.txt'));
const HYPNOGRAM = fileURLToPath(sharedData('eeg/edge-cases/SC4001EC-Hypnogram.edf'));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-convert-'));
}

/** Every sample of a stream, channel by channel, indexed by sample (NaN in gaps). */
function samplesOf(blocks: Iterable<SampleBlock>, channels: number, total: number): Float32Array[] {
  const out = Array.from({ length: channels }, () => new Float32Array(total).fill(Number.NaN));
  for (const b of blocks) for (let c = 0; c < channels; c++) out[c]!.set(b.data.subarray(c * b.length, (c + 1) * b.length), b.first);
  return out;
}

async function info(path: string, extra: string[] = []): Promise<InfoReport> {
  const r = await runCli(['info', path, '--json', ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as InfoReport;
}

describe('neurostream convert / info', () => {
  it('info says how a recording stores its channels: int16 counts from a 16-bit device (format 2), float32 in a version 1 file', async () => {
    const dir = join(tempDir(), 'counts');
    const run = await runCli(['run', '--channels', '4', '--duration', '0.5', '--no-dashboard', '--record', dir]);
    expect(run.code).toBe(0);
    expect((await info(dir)).streams[0]!.storage).toEqual(['int16', 'int16', 'int16', 'int16']);
    const text = await runCli(['info', dir]);
    expect(text.stdout).toContain('stored as int16 counts ×4 (format version 2: value = count × scale)');
    const v1 = fileURLToPath(new URL('../fixtures/recording-v1', import.meta.url));
    expect((await info(v1)).streams[0]!.storage).toEqual(['float32', 'float32', 'float32', 'float32']);
    const converted = join(tempDir(), 'from-edf');
    expect((await runCli(['convert', R06, converted])).code).toBe(0);
    expect(new Set((await info(converted)).streams[0]!.storage)).toEqual(new Set(['float32']));
  });

  it('converts an EDF+ run into a recording holding exactly its samples and annotations, and back to EDF+', async () => {
    const root = tempDir();
    const out = join(root, 'r06');
    const r = await runCli(['convert', R06, out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/converted .*S001R06\.edf \(EDF\+C\) → .*r06: 64 ch @ 160 Hz, 20000 samples, 30 markers/);

    const edf = readEdf(R06);
    const expected = samplesOf(edf.streams[0]!.blocks(), 64, 20_000);
    const recording = openRecording(out);
    const got = samplesOf(recording.blocks(), 64, 20_000);
    for (let c = 0; c < 64; c++) expect(Buffer.from(got[c]!.buffer).equals(Buffer.from(expected[c]!.buffer))).toBe(true);
    expect(recording.markers()).toEqual(edf.markers);
    expect(recording.manifest.source).toEqual({ path: R06, format: 'EDF+C' });

    const report = await info(out);
    expect(report.streams[0]).toMatchObject({ channels: 64, sampleRateHz: 160, samples: 20_000, durationS: 125, gaps: [] });
    expect(report.markers.byText).toEqual({ T0: 15, T1: 7, T2: 8 });

    // Back to EDF+: every value within one quantisation step of the recording, annotations kept.
    const back = join(root, 'r06.edf');
    const e = await runCli(['convert', out, back]);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/exported .* \(EDF\+C\): 64 ch @ 160 Hz, 125 records, 30 annotations/);
    const reread = readEdf(back);
    const step = reread.streams[0]!.info.adcScale;
    const again = samplesOf(reread.streams[0]!.blocks(), 64, 20_000);
    let worst = 0;
    for (let c = 0; c < 64; c++) for (let i = 0; i < 20_000; i++) worst = Math.max(worst, Math.abs(again[c]![i]! - got[c]![i]!) / step[c]!);
    expect(worst).toBeLessThanOrEqual(1);
    expect(reread.markers.map((m) => [m.sample, m.value, m.duration])).toEqual(edf.markers.map((m) => [m.sample, m.value, m.duration]));
  }, 60_000);

  it('reports the dropped packets of an OpenBCI text recording as gaps, converted and not', async () => {
    const direct = await info(JORDAN);
    expect(direct.format).toMatch(/OpenBCI GUI/);
    expect(direct.streams[0]!.gaps).toEqual([
      { sample: 2048, missing: 1 },
      { sample: 3072, missing: 16 },
      { sample: 3328, missing: 82 },
      { sample: 3584, missing: 51 },
      { sample: 3840, missing: 106 },
      { sample: 4096, missing: 109 },
    ]);
    expect(direct.notes.join('\n')).toMatch(/last line is incomplete/);
    const out = join(tempDir(), 'jordan');
    expect((await runCli(['convert', JORDAN, out])).code).toBe(0);
    const converted = await info(out);
    expect(converted.streams[0]!.gaps.map((g) => [g.sample, g.missing, g.cause])).toEqual(direct.streams[0]!.gaps.map((g) => [g.sample, g.missing, 'device']));
    expect(converted.streams[0]!.samples).toBe(direct.streams[0]!.samples);
  }, 60_000);

  it('converts a raw Cyton byte capture, with its lost packets as gaps', async () => {
    const root = tempDir();
    const capture = join(root, 'cyton.bin');
    const packets = 600;
    const bytes = new Uint8Array(33 * packets);
    let written = 0;
    for (let k = 0; k < packets; k++) {
      if (k >= 200 && k < 210) continue; // 10 packets lost
      writeCytonPacket(bytes, 33 * written++, { counter: k & 0xff, counts: [k, -k, 2 * k, 0, 1, 2, 3, 4] });
    }
    writeFileSync(capture, bytes.subarray(0, 33 * written));
    const report = await info(capture, ['--protocol', 'cyton']);
    expect(report.streams[0]).toMatchObject({ sampleRateHz: 250, samples: 590, gaps: [{ sample: 210, missing: 10 }] });
    const out = join(root, 'rec');
    expect((await runCli(['convert', capture, out, '--protocol', 'cyton'])).code).toBe(0);
    const blocks = [...openRecording(out).blocks()];
    const after = blocks.find((b) => b.gap)!;
    expect([after.first, after.gap!.missing]).toEqual([210, 10]);
    const uvPerCount = 4.5e6 / 24 / (2 ** 23 - 1);
    expect(after.data[0]).toBeCloseTo(210 * uvPerCount, 4); // channel 1 of packet 210
  });

  it('takes --daisy / --no-daisy for a Cyton capture without a banner, as its note says, and refuses them for other inputs', async () => {
    const root = tempDir();
    const capture = join(root, 'cyton.bin');
    const bytes = new Uint8Array(33 * 400);
    for (let k = 0; k < 400; k++) writeCytonPacket(bytes, 33 * k, { counter: k & 0xff, counts: [k, 0, 0, 0, 0, 0, 0, 0] });
    writeFileSync(capture, bytes);
    const plain = await runCli(['info', capture, '--protocol', 'cyton']);
    expect(plain.stdout + plain.stderr).toMatch(/no board banner in the capture: a Cyton without Daisy assumed \(pass --daisy for 16 channels\)/);
    const out = join(root, 'daisy');
    const converted = await runCli(['convert', capture, out, '--protocol', 'cyton', '--daisy']);
    expect(converted.code, converted.stderr).toBe(0);
    expect(openRecording(out).info).toMatchObject({ sampleRateHz: 125 });
    expect(openRecording(out).info.channelNames.filter((n) => !/^accel/i.test(n))).toHaveLength(16);
    const noDaisy = await info(capture, ['--protocol', 'cyton', '--no-daisy']);
    expect(noDaisy.streams[0]).toMatchObject({ sampleRateHz: 250 });
    const refused = await runCli(['convert', R06, join(root, 'x'), '--daisy']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--daisy: expected a raw Cyton capture \(with --protocol cyton\)/);
  });

  it('describes an annotation-only file, and refuses to make an empty recording of it', async () => {
    const report = await info(HYPNOGRAM);
    expect(report.streams).toEqual([]);
    expect(report.markers.count).toBe(154);
    const out = join(tempDir(), 'h');
    const r = await runCli(['convert', HYPNOGRAM, out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/IN .*Hypnogram\.edf: expected signals to record \(it holds only 154 annotations/);
  });

  it('fails clearly on inputs it cannot read and never overwrites', async () => {
    const root = tempDir();
    const unknown = join(root, 'notes.doc');
    writeFileSync(unknown, 'hello');
    const r = await runCli(['convert', unknown, join(root, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/input: expected a recording directory, an EDF\/BDF file .* got ".*notes\.doc"/);
    const existing = join(root, 'existing');
    expect((await runCli(['convert', R06, existing])).code).toBe(0);
    const before = readdirSync(existing);
    const again = await runCli(['convert', R06, existing]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/OUT .*existing: expected a path that does not exist yet/);
    expect(readdirSync(existing)).toEqual(before);
    const broken = join(root, 'broken.edf');
    writeFileSync(broken, 'not an edf file at all');
    const b = await runCli(['info', broken]);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/broken\.edf/);
  });

  it('writes each marker once, to a recording and to EDF+', async () => {
    const root = tempDir();
    const v6 = fileURLToPath(sharedData('eeg/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt'));
    // The first 300 rows of the real file, with the Marker Channel set on two of them.
    const lines = readFileSync(v6, 'utf8').split('\n').slice(0, 305);
    const marked = lines.map((line, i) => (i === 105 || i === 205 ? line.replace(/, (\d+),0, (\d\d:)/, ', $1,7, $2') : line));
    expect(marked.filter((line, i) => line !== lines[i])).toHaveLength(2);
    const file = join(root, 'marked.txt');
    writeFileSync(file, `${marked.join('\n')}\n`);
    const out = join(root, 'rec');
    const r = await runCli(['convert', file, out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/, 2 markers,/);
    expect(openRecording(out).markers().map((m) => [m.sample, m.type, m.value])).toEqual([
      [100, 'marker', 7],
      [200, 'marker', 7],
    ]);
    const edf = join(root, 'rec.edf');
    const e = await runCli(['convert', file, edf]);
    expect(e.code).toBe(0);
    expect(readEdf(edf).markers.filter((m) => m.value === 'marker:7').map((m) => m.sample)).toEqual([100, 200]);
  });

  it('converts a recording with streams at two rates into another, stream by stream', async () => {
    const root = tempDir();
    const first = join(root, 'two');
    const main = testStreamInfo({ id: 'main', channelNames: ['a', 'b'], sampleRateHz: 100 });
    const slow = testStreamInfo({ id: 'slow', channelNames: ['t'], sampleRateHz: 10 });
    const writer = new RecordingWriter(first, { info: main, batchMs: 100 });
    writer.addStream(slow);
    for (let k = 0; k < 10; k++) writer.writeBlock(createSampleBlock({ info: main, first: 50 * k, length: 50, data: new Float32Array(100).fill(k), hostTime: 0 }));
    for (let k = 0; k < 10; k++) writer.writeBlock(createSampleBlock({ info: slow, first: 5 * k, length: 5, data: new Float32Array(5).fill(-k), hostTime: 0 }), 1);
    writer.close();
    const second = join(root, 'copy');
    const r = await runCli(['convert', first, second]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = await info(second);
    expect(report.streams.map((s) => [s.file, s.sampleRateHz, s.samples])).toEqual([
      ['signals.arrows', 100, 500],
      ['signals-10hz.arrows', 10, 50],
    ]);
    expect(report.status).toBe('complete');
  });
});
