import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readXdfFile } from '../../recordings/import/xdf/xdf-file.js';
import { samplesChunk, streamHeaderChunk, xdfBytes } from '../../recordings/import/xdf/xdf-encoder.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { runCli } from '../helpers/cli.js';
import { pyxdfLoad } from '../helpers/pyxdf.js';
import { sharedData } from '../helpers/shared-data.js';

const MINIMAL = fileURLToPath(sharedData('xdf/minimal.xdf'));
const EMPTY_STREAMS = fileURLToPath(sharedData('xdf/empty_streams.xdf'));
const R06 = fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R06.edf'));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-xdf-cli-'));
}

describe('neurostream convert / info with XDF', () => {
  it('info FILE.xdf lists every stream: name, type, channels, format, rate, samples and where it goes', async () => {
    const r = await runCli(['info', EMPTY_STREAMS]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('format: XDF 1.0 (4 streams)');
    expect(r.stdout).toContain('XDF stream 4 "Data stream: test stream 0 counter" (data): 1 ch int32 @ 1 Hz, 10 samples (effective 1.0000 Hz) → signals.arrows');
    expect(r.stdout).toContain('XDF stream 1 "ctrl" (control): 1 ch string @ irregular rate, 1 samples → markers');
    expect(r.stdout).toContain('XDF stream 3 "Empty data stream: test stream 0 counter" (data): 1 ch float32 @ 1 Hz, 0 samples → nothing');
  });

  it('convert FILE.xdf DIR: the signal stream holds pyxdf\'s values, string samples are markers at the signal sample nearest their synchronised time', async () => {
    const dir = join(tempDir(), 'rec');
    const r = await runCli(['convert', MINIMAL, dir, '--stream', 'SendDataC']);
    expect(r.code).toBe(0);
    const [eeg, strings] = pyxdfLoad(MINIMAL);
    const rec = openRecording(dir);
    const blocks = [...rec.blocks({ stream: 0, markers: false })];
    const values: number[][] = [];
    for (const b of blocks) for (let i = 0; i < b.length; i++) values.push([0, 1, 2].map((c) => b.data[c * b.length + i]!));
    expect(values).toEqual(eeg!.time_series);
    const t0 = Math.min(eeg!.time_stamps[0]!, strings!.time_stamps[0]!);
    expect(blocks[0]!.first).toBe(Math.round((eeg!.time_stamps[0]! - t0) * 10));
    const markers = rec.markers();
    expect(markers.map((m) => m.value)).toEqual(strings!.time_series.map((row) => row[0]));
    // marker k at the EEG sample nearest in time (extrapolated at 10 Hz past the EEG's end)
    expect(markers.map((m) => m.sample)).toEqual(strings!.time_stamps.map((t) => Math.round((t - t0) * 10)));
  });

  it('convert refuses, naming stream, channel, sample and value, an int32 a float32 recording cannot hold; --stream must name a stream', async () => {
    const path = join(tempDir(), 'big.xdf');
    const hdr = '<info><name>big</name><type>EEG</type><channel_count>1</channel_count><nominal_srate>100</nominal_srate><channel_format>int32</channel_format></info>';
    writeFileSync(path, xdfBytes([streamHeaderChunk(5, hdr), samplesChunk(5, 'int32', 1, [1, null, null], [1, 16777216, 16777217])]));
    const r = await runCli(['convert', path, join(tempDir(), 'rec')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/stream 5 \(big\) channel ch1 sample 2: expected a value a recording's float32 column holds exactly .*got 16777217/);
    const named = await runCli(['convert', MINIMAL, join(tempDir(), 'rec'), '--stream', 'nope']);
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/--stream: expected the name of one stream of .*"SendDataC" \(int16, 10 Hz\), "SendDataString" \(string, 10 Hz\), got "nope"/);
    const info = await runCli(['info', path]); // info describes it anyway
    expect(info.code).toBe(0);
  });

  it('convert DIR FILE.xdf: pyxdf loads the same signal values, time stamps sample/rate, markers as type/value, labels and units in desc; an existing OUT is refused', async () => {
    const root = tempDir();
    const dir = join(root, 'rec');
    expect((await runCli(['convert', R06, dir])).code).toBe(0);
    const out = join(root, 'r06.xdf');
    const r = await runCli(['convert', dir, out]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const rec = openRecording(dir);
    const reference = pyxdfLoad(out, { raw: true });
    const [signals, markers] = reference;
    expect(signals!.name).toBe('neurostream-signals');
    expect(signals!.nominal_srate).toBe(rec.info.sampleRateHz);
    const C = rec.info.channelNames.length;
    let k = 0;
    let worst = 0;
    for (const b of rec.blocks({ stream: 0, markers: false })) {
      for (let i = 0; i < b.length; i++, k++) {
        const row = signals!.time_series[k]!;
        for (let c = 0; c < C; c++) if (row[c] !== b.data[c * b.length + i]) throw new Error(`sample ${k} channel ${c}: ${row[c]} ≠ ${b.data[c * b.length + i]}`);
        worst = Math.max(worst, Math.abs(signals!.time_stamps[k]! - (b.first + i) / rec.info.sampleRateHz));
      }
    }
    expect(k).toBe(signals!.time_stamps.length);
    expect(worst).toBeLessThan(1e-9);
    const desc = JSON.stringify(signals!.desc);
    expect(desc).toContain(`"label":["${rec.info.channelNames[0]}"]`);
    expect(desc).toContain('"unit":["microvolts"]');
    const recMarkers = rec.markers();
    expect(markers!.name).toBe('neurostream-markers');
    expect(markers!.time_series).toEqual(recMarkers.map((m) => [m.type, String(m.value)]));
    expect(markers!.time_stamps.map((t) => Math.round(t * rec.info.sampleRateHz))).toEqual(recMarkers.map((m) => m.sample));
    // footers and clock offsets as LabRecorder writes them; and the file reads back through our reader too
    const ours = readXdfFile(out, { synchronizeClocks: false, dejitterTimestamps: false });
    expect(ours.streams[0]!.footer?.children.map((c) => c.name)).toEqual(['first_timestamp', 'last_timestamp', 'sample_count', 'clock_offsets']);
    expect(signals!.clock_times.length).toBeGreaterThan(10);
    expect(signals!.clock_values.every((v) => v === 0)).toBe(true);
    const again = await runCli(['convert', dir, out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/OUT .*r06\.xdf: expected a new file \(nothing is overwritten\), got "an existing file"/);
  });

  it('an XDF written by convert comes back through convert with the same values and marker types', async () => {
    const root = tempDir();
    const dir = join(root, 'rec');
    expect((await runCli(['convert', R06, dir])).code).toBe(0);
    expect((await runCli(['convert', dir, join(root, 'x.xdf')])).code).toBe(0);
    expect((await runCli(['convert', join(root, 'x.xdf'), join(root, 'back')])).code).toBe(0);
    const a = openRecording(dir);
    const b = openRecording(join(root, 'back'));
    expect(b.info.channelNames).toEqual(a.info.channelNames);
    expect(b.info.units).toEqual(a.info.units);
    const flat = (r: typeof a): number[] => [...r.blocks({ stream: 0, markers: false })].flatMap((x) => Array.from(x.data));
    expect(flat(b)).toEqual(flat(a));
    expect(b.markers().map((m) => [m.sample, m.type, String(m.value)])).toEqual(a.markers().map((m) => [m.sample, m.type, String(m.value)]));
  });
});
