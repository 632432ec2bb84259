import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { InvalidDataError, InvalidOptionError, createMarker, createSampleBlock } from '../../core/index.js';
import { readEpochs, type EpochSet } from '../../decoding/datasets/epochs.js';
import { designMneBandpass } from '../../decoding/datasets/fir-bandpass.js';
import { EdfWriter } from '../../recordings/edf/edf-writer.js';
import { readEdf } from '../../recordings/edf/edf-reader.js';
import { RecordingWriter } from '../../recordings/recording-writer.js';
import { sharedData } from '../helpers/shared-data.js';
import { testStreamInfo } from '../helpers/stream-info.js';

/** MNE's example on the same files (test/fixtures/generate-csp-reference.py). */
const ref = JSON.parse(readFileSync(new URL('../fixtures/csp-reference.json', import.meta.url), 'utf8')) as {
  fir: number[];
  events: { run: number; sample: number }[];
  labels: string[];
  samples: number;
  channels: number;
  logPower: number[][];
  epochHead: number[][][];
};
const runs = ['06', '10', '14'].map((r) => sharedData(`eeg/eegmmidb/S001/S001R${r}.edf`));
const options = { classes: ['T1', 'T2'], windowS: [1, 2] as [number, number], bandHz: [7, 30] as [number, number] };

describe('readEpochs on EEGMMIDB S001 runs 06/10/14 (as MNE epochs them)', () => {
  let set: EpochSet;
  beforeAll(() => {
    set = readEpochs(runs, options);
  });

  test('45 epochs of 64 channels × 161 samples (1–2 s at 160 Hz, tmax included)', () => {
    expect(set.epochs).toHaveLength(45);
    expect(set.samples).toBe(161);
    expect(ref.samples).toBe(161);
    expect(set.channelNames).toHaveLength(64);
    expect(set.sampleRateHz).toBe(160);
    for (const e of set.epochs) expect(e).toHaveLength(64 * 161);
    expect(set.labels).toEqual(ref.labels);
    expect(set.labels.filter((l) => l === 'T2')).toHaveLength(24);
    expect(set.notes).toEqual([]);
    expect(set.sources.map((s) => s.cue)).toEqual(ref.events.map((e) => e.sample));
    expect(set.sources.map((s) => s.input)).toEqual(ref.events.map((e) => fileURLToPath(runs[e.run]!)));
  });

  test("the FIR is MNE's firwin band-pass (265 taps, −6 dB at 6 and 33.75 Hz)", () => {
    const design = designMneBandpass(7, 30, 160);
    expect(design.taps).toHaveLength(ref.fir.length);
    design.taps.forEach((v, i) => expect(Math.abs(v - ref.fir[i]!)).toBeLessThan(1e-9));
    expect(design.cornersHz).toEqual([6, 33.75]);
    expect(set.filter).toMatch(/265 taps/);
  });

  test("band-passed epochs equal MNE's (log power of every epoch and channel; samples of the first three)", () => {
    let worst = 0;
    set.epochs.forEach((epoch, e) => {
      for (let c = 0; c < 64; c++) {
        let p = 0;
        for (let t = 0; t < 161; t++) p += epoch[c * 161 + t]! ** 2;
        worst = Math.max(worst, Math.abs(Math.log(p / 161) - ref.logPower[e]![c]!));
      }
    });
    expect(worst).toBeLessThan(1e-6);
    for (let e = 0; e < 3; e++) {
      for (let c = 0; c < 4; c++) {
        for (let t = 0; t < 161; t++) expect(Math.abs(set.epochs[e]![c * 161 + t]! - ref.epochHead[e]![c]![t]!)).toBeLessThan(1e-4);
      }
    }
  });

  test('zero-phase Butterworth as the alternative: same epochs, close log power', () => {
    const bw = readEpochs(runs.slice(0, 1), { ...options, filter: 'butterworth', order: 4 });
    expect(bw.epochs).toHaveLength(15);
    expect(bw.filter).toBe('butterworth order 4, zero-phase (forward-backward)');
    let worst = 0;
    bw.epochs.forEach((epoch, e) => {
      for (let c = 0; c < 64; c++) {
        let p = 0;
        for (let t = 0; t < 161; t++) p += epoch[c * 161 + t]! ** 2;
        worst = Math.max(worst, Math.abs(Math.log(p / 161) - ref.logPower[e]![c]!));
      }
    });
    expect(worst).toBeLessThan(1); // a different response (−6 dB at 7 and 30 Hz), the same signal
    expect(worst).toBeGreaterThan(1e-3);
  });

  test('channel selection by name, in the order given', () => {
    const picked = readEpochs(runs.slice(0, 1), { ...options, channels: ['Cz..', 'C3..'] });
    expect(picked.channelNames).toEqual(['Cz..', 'C3..']);
    expect(picked.epochs[0]).toHaveLength(2 * 161);
    const all = readEpochs(runs.slice(0, 1), options);
    const cz = all.channelNames.indexOf('Cz..');
    expect(Array.from(picked.epochs[0]!.subarray(0, 161))).toEqual(Array.from(all.epochs[0]!.subarray(cz * 161, (cz + 1) * 161)));
  });

  test('epochs before the start of the data are dropped and counted', () => {
    // The first cue of each run is at 4.2 s: a window from −4.5 s starts before the data.
    const early = readEpochs(runs, { ...options, windowS: [-4.5, 0] });
    expect(early.epochs).toHaveLength(42);
    expect(early.samples).toBe(721);
    expect(early.notes.filter((n) => /dropped 1 epochs that extend past the data/.test(n))).toHaveLength(3);
  });
});

describe('readEpochs errors', () => {
  const run = runs.slice(0, 1);
  test('a class no marker has: names the option, the class and the texts found', () => {
    expect(() => readEpochs(run, { ...options, classes: ['T1', 'T9'] })).toThrow(InvalidOptionError);
    expect(() => readEpochs(run, { ...options, classes: ['T1', 'T9'] })).toThrow(/classes: expected marker texts found in the inputs \(T0, T1, T2\), got "T9"/);
  });
  test('a window outside the data around every cue', () => {
    expect(() => readEpochs(run, { ...options, windowS: [200, 201] })).toThrow(/windowS: expected a window that fits inside the data/);
    expect(() => readEpochs(run, { ...options, windowS: [2, 1] })).toThrow(InvalidOptionError);
  });
  test('bad band, filter, channel', () => {
    expect(() => readEpochs(run, { ...options, bandHz: [7, 90] })).toThrow(/bandHz\[1\]: expected a frequency below the Nyquist frequency \(80 Hz\)/);
    expect(() => readEpochs(run, { ...options, filter: 'iir' as never })).toThrow(/filter: expected one of fir, butterworth/);
    expect(() => readEpochs(run, { ...options, channels: ['Nope'] })).toThrow(/channels: expected channels of .*S001R06\.edf/);
    expect(() => readEpochs([], options)).toThrow(InvalidOptionError);
    expect(() => readEpochs(['/nonexistent/file.edf'], options)).toThrow(/inputs: expected an EDF\/BDF file or a recording directory that exists, got "\/nonexistent\/file.edf"/);
  });
  test('inputs with another sample rate: the error names the file', () => {
    const other = sharedData('eeg/edge-cases/test_edf_overlapping_annotations.edf');
    expect(() => readEpochs([...run, other], options)).toThrow(InvalidDataError);
    expect(() => readEpochs([...run, other], options)).toThrow(/test_edf_overlapping_annotations\.edf sample rate: expected 160 Hz/);
  });
});

describe('readEpochs across a gap (EDF+D written by EdfWriter)', () => {
  let dir: string;
  let path: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ns-epochs-'));
    path = join(dir, 'gap.edf');
    const info = testStreamInfo({ channelNames: ['a', 'b'], sampleRateHz: 100 });
    const writer = new EdfWriter(path, { format: 'edf', info });
    // 0–20 s, a gap of 150 samples, then 21.5–39.5 s (whole 1 s records: no padding at the end);
    // cues every 2 s from 1 s, and one more at 19.5 s.
    const block = (first: number, length: number, gap?: number) => {
      const data = new Float32Array(2 * length);
      for (let i = 0; i < length; i++) {
        data[i] = 10 * Math.sin((2 * Math.PI * 10 * (first + i)) / 100);
        data[length + i] = (first + i) % 100;
      }
      return createSampleBlock({ info, first, length, data, hostTime: 0, ...(gap ? { gap: { missing: gap } } : {}) });
    };
    for (let s = 100; s < 4000; s += 200) writer.mark(createMarker(s, 'annotation', (s / 200) % 2 < 1 ? 'L' : 'R'));
    writer.mark(createMarker(1950, 'annotation', 'L')); // its window crosses the gap
    writer.write(block(0, 2000));
    writer.write(block(2150, 1800, 150));
    writer.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('epochs across the gap or past the end are dropped and counted; the rest keep their samples', () => {
    const set = readEpochs([path], { classes: ['L', 'R'], windowS: [0, 1] });
    // Windows of samples cue … cue + 100: 1900 and 1950 run into the gap, 2100 starts inside it,
    // 3900 runs past the last sample (3949).
    expect(set.samples).toBe(101);
    const kept = set.sources.map((s) => s.cue);
    expect(kept).not.toContain(1950);
    expect(kept).not.toContain(1900);
    expect(kept).not.toContain(2100);
    expect(kept).not.toContain(3900);
    expect(kept).toContain(2300);
    expect(kept).toContain(3700);
    expect(set.epochs).toHaveLength(17);
    expect(set.notes.join('\n')).toMatch(/dropped 3 epochs that cross a gap/);
    expect(set.notes.join('\n')).toMatch(/dropped 1 epochs that extend past the data/);
    // Unfiltered: the second channel is the sample index mod 100, exactly.
    const i = kept.indexOf(2300);
    for (let t = 0; t < 101; t++) expect(set.epochs[i]![101 + t]).toBeCloseTo((2300 + t) % 100, 1);
    expect(set.bandHz).toBeNull();
    expect(set.filter).toBe('none');
  });
});

describe('readEpochs from a recording directory', () => {
  let dir: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  test('a recording converted from S001R06.edf gives the same epochs as the file', () => {
    dir = mkdtempSync(join(tmpdir(), 'ns-epochs-rec-'));
    const rec = join(dir, 'rec');
    const edf = readEdf(fileURLToPath(runs[0]!));
    const writer = new RecordingWriter(rec, { info: edf.streams[0]!.info, batchMs: 1000 });
    for (const block of edf.streams[0]!.blocks()) writer.writeBlock(block);
    writer.writeMarkers(edf.markers);
    writer.close();
    const fromDir = readEpochs([rec], options);
    const fromFile = readEpochs(runs.slice(0, 1), options);
    expect(fromDir.epochs).toHaveLength(15);
    expect(fromDir.labels).toEqual(fromFile.labels);
    expect(fromDir.sources.map((s) => s.cue)).toEqual(fromFile.sources.map((s) => s.cue));
    expect(fromDir.sources[0]!.input).toBe(rec);
    fromDir.epochs.forEach((e, i) => expect(Array.from(e)).toEqual(Array.from(fromFile.epochs[i]!)));
  });
});
