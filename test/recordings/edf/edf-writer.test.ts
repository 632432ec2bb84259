import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMarker,
  createSampleBlock,
  createStreamInfo,
  InvalidDataError,
  InvalidOptionError,
  type Marker,
  type SampleBlock,
  type StreamInfo,
} from '../../../core/index.js';
import { chooseRecordDuration, EDF_PADDING_ANNOTATION, EdfWriter, formatEdfNumber } from '../../../recordings/edf/edf-writer.js';
import { readEdf } from '../../../recordings/edf/edf-reader.js';
import type { ImportedRecording } from '../../../recordings/imported-recording.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-edf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CYTON_SCALE = 187500 / 8388607; // µV per count (4.5 V / 24 / (2^23 − 1))

function info(rate: number, startTime = '2026-03-04T05:06:07.250Z'): StreamInfo {
  return createStreamInfo({
    id: 'test',
    device: { name: 'cyton', model: 'OpenBCI Cyton', serial: '' },
    channelNames: ['Fp1', 'Fp2', 'C3', 'Ref-free'],
    channelKinds: 'eeg',
    units: 'uV',
    sampleRateHz: rate,
    adcScale: [CYTON_SCALE, CYTON_SCALE, CYTON_SCALE, 0],
    startTime,
  });
}

/** Deterministic test signal: channels 0–2 whole ADC counts, channel 3 a 10 Hz sine ± 900 µV with noise. */
function signal(c: number, i: number, rate: number): number {
  if (c < 3) return Math.round(Math.sin(i * 0.05 * (c + 1)) * 40000 + ((i * 7919 + c * 104729) % 2001) - 1000) * CYTON_SCALE;
  return 900 * Math.sin((2 * Math.PI * 10 * i) / rate) + ((i * 31) % 17) * 0.37;
}

function block(si: StreamInfo, first: number, length: number, markers?: Marker[], gap?: number): SampleBlock {
  const data = new Float32Array(4 * length);
  for (let c = 0; c < 4; c++) for (let i = 0; i < length; i++) data[c * length + i] = signal(c, first + i, si.sampleRateHz);
  return createSampleBlock({ info: si, first, length, data, hostTime: 0, ...(markers ? { markers } : {}), ...(gap ? { gap: { missing: gap } } : {}) });
}

function readAllSamples(rec: ImportedRecording) {
  const s = rec.streams[0]!;
  const n = s.info.channelNames.length;
  const data = new Float32Array(n * s.totalSamples).fill(Number.NaN);
  const gaps: [number, number][] = [];
  for (const b of s.blocks()) {
    if (b.gap) gaps.push([b.first, b.gap.missing]);
    for (let c = 0; c < n; c++) data.set(b.data.subarray(c * b.length, (c + 1) * b.length), c * s.totalSamples + b.first);
  }
  return { data, total: s.totalSamples, gaps };
}

/** Writes 3.3 s at 250 Hz in uneven blocks with three markers. */
function writeContinuous(path: string, format: 'edf' | 'bdf') {
  const si = info(250);
  const w = new EdfWriter(path, { format, info: si, patient: { code: 'P-1', sex: 'F', name: 'Jane Doe' }, recording: { technician: 'tech' } });
  const sizes = [37, 100, 1, 250, 13, 424];
  let first = 0;
  let k = 0;
  const markers = [createMarker(100, 'annotation', 'left', 250), createMarker(600, 'annotation', 'ünïcode ✓'), createMarker(700, 'cue', 3)];
  while (first < 825) {
    const length = Math.min(sizes[k++ % sizes.length]!, 825 - first);
    w.write(block(si, first, length, markers.filter((m) => m.sample >= first && m.sample < first + length)));
    first += length;
  }
  const stats = w.close();
  return { si, w, stats };
}

describe('EdfWriter → readEdf round trip', () => {
  for (const format of ['bdf', 'edf'] as const) {
    it(`${format.toUpperCase()}+: values within one quantisation step, annotations and padding preserved`, () => {
      const path = join(dir, `round.${format}`);
      const { w, stats } = writeContinuous(path, format);
      expect(w.recordDurationS).toBe(1);
      expect(stats).toMatchObject({ records: 4, samples: 825, paddedSamples: 175, annotations: 4, discontinuous: false, droppedAnnotations: 0 });
      const rec = readEdf(path);
      expect(rec.format).toBe(format === 'bdf' ? 'BDF+C' : 'EDF+C');
      const got = rec.streams[0]!.info;
      expect(got.channelNames).toEqual(['Fp1', 'Fp2', 'C3', 'Ref-free']);
      expect(got.sampleRateHz).toBe(250);
      expect(got.startTime).toBe('2026-03-04T05:06:07.250Z');
      expect(got.device.model).toBe('OpenBCI Cyton');
      const { data, total, gaps } = readAllSamples(rec);
      expect(total).toBe(1000);
      expect(gaps).toEqual([]);
      let worst = 0;
      for (let c = 0; c < 4; c++) {
        const step = w.scaling[c]!;
        const q = (step.physicalMax - step.physicalMin) / (step.digitalMax - step.digitalMin);
        if (format === 'bdf' && c < 3) expect(q).toBe(CYTON_SCALE); // lossless: one ADC count per digital step
        for (let i = 0; i < 825; i++) {
          const want = Math.fround(signal(c, i, 250));
          const clipped = Math.min(step.physicalMax, Math.max(step.physicalMin, want));
          const err = Math.abs(data[c * total + i]! - clipped);
          worst = Math.max(worst, err / q);
          expect(err).toBeLessThanOrEqual(q / 2 + Math.abs(want) * 2 ** -23 + q * 1e-6);
        }
        for (let i = 825; i < 1000; i++) expect(Math.abs(data[c * total + i]!)).toBeLessThanOrEqual(q); // padding ≈ 0
      }
      expect(worst).toBeGreaterThan(0); // the comparison does look at quantised values
      if (format === 'bdf') expect(stats.clippedSamples).toBe(0);
      else expect(stats.clippedSamples).toBeGreaterThan(0); // Cyton counts beyond ±32767 in 16 bits
      expect(rec.markers.map((m) => [m.sample, m.value, m.duration])).toEqual([
        [100, 'left', 250],
        [600, 'ünïcode ✓', undefined],
        [700, 'cue:3', undefined],
        [825, EDF_PADDING_ANNOTATION, 175],
      ]);
    });
  }

  it('gaps: a short gap is padded inside its record; a long one starts a new record (EDF+D) at the right time', () => {
    const si = info(160);
    const path = join(dir, 'gaps.edf');
    const w = new EdfWriter(path, { format: 'edf', info: si });
    w.write(block(si, 0, 100));
    w.write(block(si, 130, 270, undefined, 30)); // 30 missing inside record 0 (0–160)
    w.write(block(si, 1000, 200, [createMarker(1010, 'annotation', 'after gap')], 600)); // record 2 ends padded at 480
    const stats = w.close();
    expect(stats).toMatchObject({ records: 5, samples: 570, paddedSamples: 30 + 80 + 120, discontinuous: true });
    const rec = readEdf(path);
    expect(rec.format).toBe('EDF+D');
    const { data, total, gaps } = readAllSamples(rec);
    expect(gaps).toEqual([[1000, 520]]);
    expect(total).toBe(1320);
    const q = 0.1;
    for (const [from, to] of [[0, 100], [130, 400], [1000, 1200]] as const) {
      for (let i = from; i < to; i++) expect(Math.abs(data[3 * total + i]! - signal(3, i, 160))).toBeLessThanOrEqual(q / 2 + 1e-4);
    }
    expect(rec.markers.map((m) => [m.sample, m.value, m.duration])).toEqual([
      [100, EDF_PADDING_ANNOTATION, 30],
      [400, EDF_PADDING_ANNOTATION, 80],
      [1010, 'after gap', undefined],
      [1200, EDF_PADDING_ANNOTATION, 120],
    ]);
  });

  it('clamps values beyond the physical range and counts them', () => {
    const si = info(100);
    const path = join(dir, 'clip.edf');
    const w = new EdfWriter(path, { format: 'edf', info: si, physicalRange: [-100, 100] });
    const data = new Float32Array(4 * 100);
    for (let i = 0; i < 400; i++) data[i] = i % 5 === 0 ? 1000 : i % 7 === 0 ? Number.NaN : -50;
    w.write(createSampleBlock({ info: si, first: 0, length: 100, data, hostTime: 0 }));
    const clipped = [...data].filter((v) => !(v >= -100 && v <= 100)).length;
    const stats = w.close();
    expect(stats.clippedSamples).toBe(clipped);
    expect(stats.clippedPerChannel).toEqual([0, 1, 2, 3].map((c) => [...data.subarray(c * 100, (c + 1) * 100)].filter((v) => !(v >= -100 && v <= 100)).length));
    expect(w.warnings().join('\n')).toMatch(new RegExp(`CLIPPED ${clipped} samples .*"Fp1" ${stats.clippedPerChannel[0]} \\(range -100…100 uV\\)`));
    const { data: back } = readAllSamples(readEdf(path));
    expect(back[0]).toBeCloseTo(100, 2);
    expect(back[1]).toBeCloseTo(-50, 2);
    expect(back[7]).toBeCloseTo(0, 2); // NaN → 0
  });

  it('defers annotations when a record is full and drops what is left at close (counted)', () => {
    const si = info(10);
    const path = join(dir, 'many.bdf');
    const w = new EdfWriter(path, { format: 'bdf', info: si, annotationsPerRecord: 1, maxAnnotationBytes: 8 });
    // each record holds the time-keeping TAL and five 16-byte TALs (89 usable bytes)
    const markers = Array.from({ length: 12 }, (_, s) => createMarker(s, 'annotation', `event number ${s}`));
    w.write(block(si, 0, 20, markers));
    const stats = w.close();
    expect(stats.truncatedAnnotations).toBe(12);
    expect(stats.annotations).toBe(10); // 5 in record 0, 5 (deferred ones first) in record 1
    expect(stats.droppedAnnotations).toBe(2);
    expect(w.notes().join('\n')).toMatch(/2 annotations found no room/);
    const back = readEdf(path).markers;
    expect(back.map((m) => m.sample)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(new Set(back.map((m) => m.value))).toEqual(new Set(['event nu']));
  });

  it('record duration: 1 s when possible, else a duration with a whole number of samples; numbers fit 8 characters', () => {
    expect(chooseRecordDuration(250, 250 * 8 * 3)).toBe(1);
    expect(chooseRecordDuration(128.5, 1000)).toBe(2);
    expect(chooseRecordDuration(30000, 30000 * 385 * 3)).toBe(0.25);
    expect(formatEdfNumber(187500)).toBe('187500');
    expect(formatEdfNumber(-838860.7)).toBe('-838861');
    expect(formatEdfNumber(0.02235174)).toBe('0.022352');
    expect(formatEdfNumber(1e12)).toBeNull();
    expect(() => new EdfWriter(join(dir, 'x.edf'), { format: 'edf', info: info(250), recordDurationS: 0.003 })).toThrow(InvalidOptionError);
    expect(() => new EdfWriter(join(dir, 'x.edf'), { format: 'edf', info: info(250), physicalRange: [5, 5] })).toThrow(/physicalRange/);
    expect(() => new EdfWriter(join(dir, 'x.edf'), { format: 'gdf' as 'edf', info: info(250) })).toThrow(/format/);
    const w = new EdfWriter(join(dir, 'y.edf'), { format: 'edf', info: info(250) });
    w.write(block(info(250), 0, 10));
    expect(() => w.write(block(info(250), 5, 10))).toThrow(InvalidDataError);
    w.close();
  });
});

// ---------------------------------------------------------------------------------------------
// MNE reads what we write (Debian's python3-mne; CI installs it).

const PYTHON = '/usr/bin/python3';
const MNE_SCRIPT = fileURLToPath(new URL('../../fixtures/mne-read-edf.py', import.meta.url));

interface MneView {
  ch_names: string[];
  sfreq: number;
  n_times: number;
  meas_date: string;
  data: number[][];
  annotations: [number, number, string][];
}

function mneRead(path: string): MneView {
  const probe = spawnSync(PYTHON, ['-c', 'import mne'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`MNE-Python is needed for this test but ${PYTHON} cannot import mne: apt-get install python3-mne (${probe.stderr?.trim() ?? probe.error})`);
  }
  return JSON.parse(execFileSync(PYTHON, [MNE_SCRIPT, path], { encoding: 'utf8', maxBuffer: 64 << 20 })) as MneView;
}

describe('MNE reads EDF+ and BDF+ files written by EdfWriter', () => {
  for (const format of ['edf', 'bdf'] as const) {
    it(`${format.toUpperCase()}+: channels, rate, values within one step, annotations`, () => {
      const path = join(dir, `mne.${format}`);
      const { w } = writeContinuous(path, format);
      const mne = mneRead(path);
      expect(mne.ch_names).toEqual(['Fp1', 'Fp2', 'C3', 'Ref-free']);
      expect(mne.sfreq).toBe(250);
      expect(mne.n_times).toBe(1000);
      expect(mne.meas_date.slice(0, 19)).toBe('2026-03-04T05:06:07');
      for (let c = 0; c < 4; c++) {
        const s = w.scaling[c]!;
        const q = (s.physicalMax - s.physicalMin) / (s.digitalMax - s.digitalMin);
        for (let i = 0; i < 825; i++) {
          const want = Math.min(s.physicalMax, Math.max(s.physicalMin, Math.fround(signal(c, i, 250))));
          expect(Math.abs(mne.data[c]![i]! - want), `ch ${c} sample ${i}`).toBeLessThanOrEqual(q / 2 + Math.abs(want) * 1e-9 + 1e-9);
        }
      }
      // MNE measures onsets from the first record's time-keeping TAL (0.25 s here)
      expect(mne.annotations.map(([o, d, t]) => [Math.round(o * 250), Math.round(d * 250), t])).toEqual([
        [100, 250, 'left'],
        [600, 0, 'ünïcode ✓'],
        [700, 0, 'cue:3'],
        [825, 175, EDF_PADDING_ANNOTATION],
      ]);
    });
  }
});

it('the fixture script exists and is the one the test runs', () => {
  expect(readFileSync(MNE_SCRIPT, 'utf8')).toMatch(/apt-get install python3-mne/);
});
