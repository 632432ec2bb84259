/**
 * NWB import: files pynwb wrote (generated at test time by test/helpers/pynwb-write.py) and files
 * we wrote, read as recordings — the ElectricalSeries with its electrodes, values and rate — and
 * round trips recording → NWB → recording that keep every sample, gap and marker.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SampleBlock } from '../../../core/index.js';
import { loadH5, readNwb } from '../../../recordings/index.js';
import { openInput } from '../../../recordings/open-input.js';
import { CLI, runCli } from '../../helpers/cli.js';
import { pynwbPath } from '../../helpers/pynwb.js';
import { sharedData } from '../../helpers/shared-data.js';

const here = dirname(fileURLToPath(import.meta.url));
const EDF = fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf'));
const OPENBCI = fileURLToPath(sharedData('eeg/openbci/OpenBCI_2016-02-13_Jordan_focus.txt'));

let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nwb-import-'));
  await loadH5();
});

function collect(blocks: Iterable<SampleBlock>): { first: number[]; gaps: number[]; values: number[][] } {
  const first: number[] = [];
  const gaps: number[] = [];
  const values: number[][] = [];
  for (const b of blocks) {
    first.push(b.first);
    if (b.gap) gaps.push(b.gap.missing);
    const C = b.data.length / b.length;
    for (let c = 0; c < C; c++) (values[c] ??= []).push(...b.data.subarray(c * b.length, (c + 1) * b.length));
  }
  return { first, gaps, values };
}

describe('NWB import', () => {
  it('a file pynwb wrote (int16 counts × conversion, 3 electrodes, 2 kHz from 0.5 s, trials): channels from the electrodes, µV values, rate, start sample and trials as markers', () => {
    const path = join(dir, 'pynwb.nwb');
    const out = execFileSync('/usr/bin/python3', [join(here, '..', '..', 'helpers', 'pynwb-write.py'), path], { env: { ...process.env, PYTHONPATH: pynwbPath() }, encoding: 'utf8' });
    const counts = (JSON.parse(out) as { data: number[][] }).data;
    const nwb = readNwb(path);
    expect(nwb.unkept).toEqual([]);
    expect(nwb.format).toBe('NWB 2.6.0');
    const [stream] = nwb.streams;
    expect(stream!.info.channelNames).toEqual(['CA1', 'CA3', 'DG']);
    expect(stream!.info.units).toEqual(['uV', 'uV', 'uV']);
    expect(stream!.info.sampleRateHz).toBe(2000);
    expect(stream!.info.startTime).toBe('2024-03-01T12:00:00.000Z');
    expect(stream!.info.device).toMatchObject({ name: 'probe', model: 'a reference probe' });
    const got = collect(stream!.blocks());
    expect(got.first[0]).toBe(1000); // starting_time 0.5 s at 2 kHz
    expect(got.gaps).toEqual([]);
    for (let c = 0; c < 3; c++) {
      expect(got.values[c]!.length).toBe(1000);
      // counts × 0.195 µV, as float32
      got.values[c]!.forEach((v, i) => expect(v).toBe(Math.fround(counts[i]![c]! * 1.95e-7 / 1e-6)));
    }
    expect(nwb.notes.join('\n')).toMatch(/values scaled to µV \(stored × 1\.95e-7\)/);
    expect(nwb.markers.map((m) => [m.sample, m.type, m.value, m.duration])).toEqual([
      [1200, 'trials', '{"condition":"left"}', 200],
      [1600, 'trials', '{"condition":"right"}', 300],
    ]);
  }, 60_000);

  for (const [name, source, extra] of [['EEGMMIDB S001R04 (EDF+, 30 annotations)', EDF, []], ['OpenBCI with 6 dropped-packet gaps (gzip)', OPENBCI, ['--compress']]] as const) {
    it(`${name} → NWB → recording keeps every sample, gap, channel and marker`, async () => {
      const nwb = join(dir, `${source.split('/').pop()}.nwb`);
      const rec = join(dir, `${source.split('/').pop()!.replace(/\./g, '_')}-back`);
      expect((await runCli(['convert', source, nwb, ...extra], { timeoutMs: 120_000 })).code).toBe(0);
      const back = await runCli(['convert', nwb, rec], { timeoutMs: 120_000 });
      expect(back.stderr).not.toMatch(/NS_/);
      expect(back.code).toBe(0);
      const original = openInput(source);
      const restored = openInput(rec);
      expect(restored.streams[0]!.info).toEqual(original.streams[0]!.info);
      const a = collect(original.streams[0]!.blocks());
      const b = collect(restored.streams[0]!.blocks());
      expect(b.gaps).toEqual(a.gaps);
      expect(b.values.length).toBe(a.values.length);
      b.values.forEach((column, c) => expect(column).toEqual(a.values[c]));
      expect(restored.markers).toEqual(original.markers);
    }, 180_000);
  }

  it('a file from elsewhere with a processing module (a TimeSeries named threshold_crossings, not ours): convert refuses it, naming it, and writes nothing', async () => {
    const path = join(dir, 'pynwb-processing.nwb');
    execFileSync('/usr/bin/python3', [join(here, '..', '..', 'helpers', 'pynwb-write.py'), path, '--processing'], { env: { ...process.env, PYTHONPATH: pynwbPath() }, encoding: 'utf8' });
    const nwb = readNwb(path);
    expect(nwb.unkept).toEqual([expect.stringMatching(/^\/processing\/ecephys\/threshold_crossings \(TimeSeries: only the features, decoder outputs and kinematics neurostream writes/)]);
    expect(nwb.features).toBeUndefined();
    const out = join(dir, 'pynwb-processing-back');
    const r = await runCli(['convert', path, out], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a recording cannot hold 1 of its objects.*\/processing\/ecephys\/threshold_crossings/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('on a terminal, convert draws a progress bar for NWB export and import (samples done of the total), and none when stderr is not one', async () => {
    const nwb = join(dir, 'progress.nwb');
    const back = join(dir, 'progress-back');
    // `script` runs the CLI on a pseudo-terminal, as a user's shell does.
    const onTerminal = (args: string[]): string => execFileSync('script', ['-qec', [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], { encoding: 'utf8', timeout: 120_000 });
    const exported = onTerminal(['convert', EDF, nwb]);
    expect(exported).toMatch(/exporting \[[█░]+\] 100% \| 20000\/20000 samples/);
    expect(exported).toMatch(/exported .* \(NWB 2\.6\.0\)/);
    const imported = onTerminal(['convert', nwb, back]);
    expect(imported).toMatch(/converting \[[█░]+\] 100% \| 20000\/20000 samples/);
    const plain = await runCli(['convert', nwb, `${back}-2`], { timeoutMs: 60_000 });
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toMatch(/converting|\u001b\[/);
  }, 120_000);

  it('a .nwb file that is not HDF5 is one clear error line (no stack trace), an input that is no known format exit 2', async () => {
    const r = await runCli(['info', EDF.replace(/\.edf$/, '.edf.event')], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    const notNwb = join(dir, 'fake.nwb');
    execFileSync('cp', [EDF, notNwb]);
    const fake = await runCli(['info', notNwb], { timeoutMs: 30_000 });
    expect(fake.code).not.toBe(0);
    expect(fake.stderr).toMatch(/fake\.nwb: expected an NWB file \(HDF5\)/);
    expect(fake.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
