/**
 * EDF/BDF export of every real file in ../shared/data/eeg loses no sample: each file goes
 * file → recording → EDF+ (and BDF+) through `neurostream convert`, and MNE reads back what the
 * recording holds, within one quantisation step per channel, with nothing clipped. A range the
 * user fixes that would clip is refused unless `--allow-clipping` is given.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { edfUnit } from '../../../recordings/edf/edf-channels.js';
import { readEdfHeader, type EdfHeader } from '../../../recordings/edf/edf-header.js';
import { readEdf } from '../../../recordings/edf/edf-reader.js';
import { openInput } from '../../../recordings/open-input.js';
import { runCli } from '../../helpers/cli.js';
import { sharedData } from '../../helpers/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-edf-real-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EEG = fileURLToPath(sharedData('eeg/'));
const list = (sub: string, pattern: RegExp) =>
  readdirSync(join(EEG, sub))
    .filter((f) => pattern.test(f))
    .sort()
    .map((f) => join(EEG, sub, f));
// Every EDF/BDF file with signals (the hypnogram holds only annotations: nothing to export).
const EDF_FILES = [...list('eegmmidb/S001', /\.edf$/i), ...list('edge-cases', /\.(edf|bdf)$/i)].filter((f) => !/Hypnogram/.test(f));
const OPENBCI_FILES = list('openbci', /\.txt$/);
const GUI_V6 = join(EEG, 'openbci', 'OpenBCI_GUI-v6-blinks-jawClench-alpha.txt');

const PYTHON = '/usr/bin/python3';
const MNE_COMPARE = fileURLToPath(new URL('../../fixtures/mne-compare-edf.py', import.meta.url));

interface MneComparison {
  ch_names: string[];
  sfreq: number;
  n_times: number;
  units: string[];
  worst: number[];
  compared: number[];
}

/** Each written signal's step (physical per digital unit) in the channel's unit. */
function steps(header: EdfHeader): number[] {
  return header.signals
    .filter((s) => !s.isAnnotation)
    .map((s) => (Math.abs(s.physicalMax - s.physicalMin) / (s.digitalMax - s.digitalMin)) * edfUnit(s.dimension).factor);
}

/**
 * The recording's values at the positions MNE reads them: MNE concatenates the data records,
 * so the exported file's own record layout (read by readEdf) maps positions to sample indices;
 * padding (no recorded sample there) is NaN.
 */
function expectedAtMnePositions(recordingDir: string, exported: string): { values: Float32Array; channels: number; length: number } {
  const rec = openInput(recordingDir).streams[0]!;
  const channels = rec.info.channelNames.length;
  const total = rec.totalSamples;
  const byIndex = new Float32Array(channels * total).fill(Number.NaN);
  for (const b of rec.blocks()) for (let c = 0; c < channels; c++) byIndex.set(b.data.subarray(c * b.length, (c + 1) * b.length), c * total + b.first);
  const layout: [number, number][] = [];
  let length = 0;
  for (const b of readEdf(exported).streams[0]!.blocks()) {
    layout.push([b.first, b.length]);
    length += b.length;
  }
  const values = new Float32Array(channels * length).fill(Number.NaN);
  let at = 0;
  for (const [first, n] of layout) {
    for (let c = 0; c < channels; c++) {
      for (let i = 0; i < n; i++) if (first + i < total) values[c * length + at + i] = byIndex[c * total + first + i]!;
    }
    at += n;
  }
  return { values, channels, length };
}

function mneCompare(exported: string, expected: { values: Float32Array; channels: number }): MneComparison {
  const probe = spawnSync(PYTHON, ['-c', 'import mne'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`MNE-Python is needed for this test but ${PYTHON} cannot import mne: apt-get install python3-mne (${probe.stderr?.trim() ?? probe.error})`);
  }
  const file = `${exported}.expected.f32`;
  writeFileSync(file, new Uint8Array(expected.values.buffer, expected.values.byteOffset, expected.values.byteLength));
  return JSON.parse(execFileSync(PYTHON, [MNE_COMPARE, exported, file, String(expected.channels)], { encoding: 'utf8', maxBuffer: 16 << 20 })) as MneComparison;
}

/** IN → recording → OUT (.edf/.bdf) with the CLI; MNE's values against the recording's. */
async function roundTrip(input: string, format: 'edf' | 'bdf', tag = '') {
  const name = basename(input).replace(/\W+/g, '_');
  const recording = join(dir, `${name}-rec`);
  if (!existsSync(recording)) {
    const r = await runCli(['convert', input, recording], { timeoutMs: 120_000 });
    expect(r.stderr.split('\n').filter((l) => !/: note: /.test(l) && l !== '')).toEqual([]);
    expect(r.code).toBe(0);
  }
  const out = join(dir, `${name}${tag}.${format}`);
  const e = await runCli(['convert', recording, out], { timeoutMs: 120_000 });
  expect(e.code, e.stderr).toBe(0);
  expect(e.stderr).not.toMatch(/CLIPPED|clamp/);
  const expected = expectedAtMnePositions(recording, out);
  const mne = mneCompare(out, expected);
  const header = readEdfHeader(out);
  const q = steps(header);
  expect(mne.n_times).toBe(expected.length);
  expect(mne.ch_names.length).toBe(expected.channels);
  mne.worst.forEach((worst, c) => {
    expect(mne.compared[c], `${name} channel ${mne.ch_names[c]}`).toBeGreaterThan(0);
    // within one quantisation step (MNE computes in float64; the recording holds float32)
    expect(worst, `${name} channel ${mne.ch_names[c]} (step ${q[c]})`).toBeLessThanOrEqual(q[c]! + 1e-6 * Math.max(1, Math.abs(header.signals[c]!.physicalMax)));
  });
  return { out, stderr: e.stderr, header };
}

describe('EDF/BDF export of the real recordings: MNE reads back the recording within one step, nothing clipped', () => {
  for (const file of EDF_FILES) {
    const bdf = /\.bdf$/i.test(file);
    it(`${basename(file)} → recording → EDF+`, async () => {
      const { header } = await roundTrip(file, 'edf');
      if (!bdf) {
        // An EDF source keeps its own scaling: same physical and digital range, signal by signal
        // (in µV, or in the source's larger unit where µV numbers do not fit 8 characters).
        const source = readEdfHeader(file).signals.filter((s) => !s.isAnnotation && s.samplesPerRecord > 0);
        const written = header.signals.filter((s) => !s.isAnnotation);
        expect(written.map((s) => s.label)).toEqual(source.map((s) => s.label));
        written.forEach((w, c) => {
          const s = source[c]!;
          const wf = edfUnit(w.dimension).factor;
          const sf = edfUnit(s.dimension).factor;
          expect([w.physicalMin * wf, w.physicalMax * wf, w.digitalMin, w.digitalMax], `${basename(file)} ${s.label}`).toEqual([
            s.physicalMin * sf,
            s.physicalMax * sf,
            s.digitalMin,
            s.digitalMax,
          ]);
        });
      }
    }, 180_000);
    if (bdf) it(`${basename(file)} → recording → BDF+`, async () => void (await roundTrip(file, 'bdf')), 180_000);
  }

  for (const file of OPENBCI_FILES) {
    it(`${basename(file)} → recording → EDF+ (fitted, says BDF keeps every value) and BDF+ (lossless)`, async () => {
      const edf = await roundTrip(file, 'edf');
      expect(edf.stderr).toMatch(/warning: .*EDF's 16 bits cannot hold \d+ of 11 channels at their source's resolution .*write \.bdf \(24-bit\)/);
      const bdf = await roundTrip(file, 'bdf');
      expect(bdf.stderr).not.toMatch(/warning/);
    }, 180_000);
  }

  it('an asymmetric physical range (test_edf_stim_channel.edf, 175921…175946 µV) comes back unclipped', async () => {
    const file = join(EEG, 'edge-cases', 'test_edf_stim_channel.edf');
    const source = readEdfHeader(file).signals[0]!;
    expect([source.physicalMin, source.physicalMax]).toEqual([175921, 175946]);
    const { header } = await roundTrip(file, 'edf', '-asymmetric');
    expect([header.signals[0]!.physicalMin, header.signals[0]!.physicalMax]).toEqual([175921, 175946]);
  }, 180_000);
});

describe('convert to EDF with a fixed range refuses to clip unless --allow-clipping', () => {
  it('--physical-range -500:500 on the OpenBCI GUI v6 file: one line naming file, channel, range and count; no file', async () => {
    const rec = openInput(GUI_V6).streams[0]!;
    const outside = new Array<number>(8).fill(0);
    for (const b of rec.blocks()) {
      for (let c = 0; c < 8; c++) for (let i = 0; i < b.length; i++) if (Math.abs(b.data[c * b.length + i]!) > 500) outside[c]!++;
    }
    const total = outside.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);
    const out = join(dir, 'fixed.edf');
    const r = await runCli(['convert', GUI_V6, out, '--physical-range', '-500:500'], { timeoutMs: 120_000 });
    expect(r.code).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l !== '' && !/: note: /.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${out}: channel "EXG1": ${outside[0]} of ${rec.totalSamples} samples would be clipped to -500…500 uV`);
    expect(lines[0]).toContain(`${total} samples on 8 channels in all`);
    expect(lines[0]).toMatch(/--allow-clipping/);
    expect(existsSync(out)).toBe(false);

    const allowed = await runCli(['convert', GUI_V6, out, '--physical-range=-500:500', '--allow-clipping'], { timeoutMs: 120_000 });
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toContain(`warning: ${out}: CLIPPED ${total} samples`);
    expect(allowed.stderr).toContain(`"EXG8" ${outside[7]} (range -500…500 uV)`);
    const back = readEdfHeader(out).signals;
    expect([back[0]!.physicalMin, back[0]!.physicalMax]).toEqual([-500, 500]);
    expect([back[8]!.dimension, back[8]!.physicalMax]).not.toEqual(['uV', 500]); // accelerometer (g) keeps its own range
  }, 180_000);
});
