import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Marker, SampleBlock } from '../../../core/index.js';
import type { ImportedRecording } from '../../../recordings/imported-recording.js';
import { readEdf } from '../../../recordings/edf/edf-reader.js';
import { sharedData } from '../../helpers/shared-data.js';

interface MneFile {
  channels: string[];
  types: string[];
  units: string[];
  sfreq: number;
  nTimes: number;
  measDate: string;
  sum: number[];
  min: number[];
  max: number[];
  first: number[][];
  annotations: [number, number, string][];
}
interface Vectors {
  files: Record<string, MneFile>;
  events: Record<string, [number, string][]>;
  eeglab: { shape: [number, number]; first: number[][]; sum: number[]; min: number[]; max: number[] };
  stimTxt: { rows: number; first: number[][]; sum: number[]; triggers: [number, number][] };
}

const vectors = JSON.parse(readFileSync(new URL('../../fixtures/edf-vectors.json', import.meta.url), 'utf8')) as Vectors;
const path = (name: string) => fileURLToPath(sharedData(`eeg/${name}`));

/** Every block of stream `s`, checked for order and gaps, concatenated channel-major over the stream's clock. */
/** Bit-for-bit equality of two Float32Arrays (NaN gaps included), fast for whole recordings. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function readStream(rec: ImportedRecording, s = 0): { data: Float32Array; total: number; blocks: SampleBlock[]; gaps: [number, number][] } {
  const stream = rec.streams[s]!;
  const channels = stream.info.channelNames.length;
  const total = stream.totalSamples;
  const data = new Float32Array(channels * total).fill(Number.NaN);
  const blocks: SampleBlock[] = [];
  const gaps: [number, number][] = [];
  let end = 0;
  for (const b of stream.blocks()) {
    expect(b.first).toBe(end + (b.gap?.missing ?? 0));
    if (b.gap) gaps.push([b.first, b.gap.missing]);
    for (let c = 0; c < channels; c++) data.set(b.data.subarray(c * b.length, (c + 1) * b.length), c * total + b.first);
    end = b.first + b.length;
    blocks.push(b);
  }
  expect(end).toBe(total);
  return { data, total, blocks, gaps };
}

const volts = (unit: string) => ['uV', 'µV', 'mV'].includes(unit);
const annotations = (markers: readonly Marker[]) => markers.filter((m) => m.type === 'annotation');

describe('readEdf: every shared EDF/BDF file against MNE', () => {
  for (const [name, ref] of Object.entries(vectors.files)) {
    if (!ref.channels) continue; // the annotation-only hypnogram: tested below
    it(`${name}: channels, rate, duration, start, values, annotations`, () => {
      const rec = readEdf(path(name));
      expect(rec.streams).toHaveLength(1);
      const info = rec.streams[0]!.info;
      expect(info.channelNames).toEqual(ref.channels);
      expect(info.sampleRateHz).toBe(ref.sfreq);
      expect(rec.streams[0]!.totalSamples).toBe(ref.nTimes);
      expect(info.startTime.slice(0, 19)).toBe(ref.measDate.slice(0, 19));
      expect(rec.markerClockHz).toBe(ref.sfreq);
      const { data, total, blocks } = readStream(rec);
      // one data record per block (records here are ≤ 1 s except the 9.6 s trigger file)
      expect(blocks.length).toBeGreaterThan(0);
      expect(Math.max(...blocks.map((b) => b.length))).toBeLessThanOrEqual(Math.max(ref.sfreq, 1228));
      ref.channels.forEach((ch, c) => {
        // MNE gives volts for uV/mV signals and raw physical values otherwise; the BDF Status
        // channel as a digital code (we keep the lower 16 bits; MNE 17 — equal on these files).
        if (ref.types[c] === 'stim' && info.units[c] !== 'count') return; // OpenBCI analog "Trigger": MNE reads it raw
        const k = ref.types[c] !== 'stim' && volts(ref.units[c]!) ? 1e6 : 1;
        const x = data.subarray(c * total, (c + 1) * total);
        let sum = 0;
        let min = Infinity;
        let max = -Infinity;
        for (const v of x) {
          sum += v;
          if (v < min) min = v;
          if (v > max) max = v;
        }
        const scale = Math.max(Math.abs(ref.min[c]! * k), Math.abs(ref.max[c]! * k), 1e-3);
        expect(Math.abs(min - ref.min[c]! * k), `${ch} min`).toBeLessThanOrEqual(scale * 1e-6);
        expect(Math.abs(max - ref.max[c]! * k), `${ch} max`).toBeLessThanOrEqual(scale * 1e-6);
        expect(Math.abs(sum - ref.sum[c]! * k), `${ch} sum`).toBeLessThanOrEqual(scale * 1e-6 * total);
        ref.first[c]!.forEach((v, i) => expect(Math.abs(x[i]! - v * k), `${ch}[${i}]`).toBeLessThanOrEqual(scale * 1e-6));
      });
      if (name !== 'edge-cases/MB0400FU.EDF') {
        // MNE crops annotation durations at the end of the data (the truncated baselines say 60.2 s)
        const got = annotations(rec.markers).map((m) => [m.sample, Math.min(m.duration ?? 0, total - m.sample), String(m.value)]);
        const want = ref.annotations.map(([o, d, t]) => [Math.round(o * ref.sfreq), Math.round(d * ref.sfreq), t]);
        const order = (a: unknown[], b: unknown[]) => (a[0] as number) - (b[0] as number) || String(a[2]).localeCompare(String(b[2]));
        expect(got.sort(order)).toEqual(want.sort(order));
      }
    });
  }

  it('EEGMMIDB runs: T0/T1/T2 onsets and durations equal the WFDB .edf.event files', () => {
    let compared = 0;
    for (const [event, list] of Object.entries(vectors.events)) {
      const edf = event.replace('.edf.event', '.edf');
      const file = vectors.files[edf] ? edf : edf.replace('.edf', '_trunc60s.edf');
      const rec = readEdf(path(file));
      const got = annotations(rec.markers);
      if (list.length === 0) {
        // baseline runs: one T0 over the whole (truncated) run, no WFDB events
        expect(got.map((m) => [m.sample, m.value])).toEqual([[0, 'T0']]);
        continue;
      }
      expect(got).toHaveLength(list.length);
      list.forEach(([sample, aux], i) => {
        const [label, , seconds] = aux.split(' ');
        expect(got[i]!.sample).toBe(sample);
        expect(got[i]!.value).toBe(label);
        expect(got[i]!.duration).toBe(Math.round(Number(seconds) * 160));
        compared++;
      });
      expect(new Set(got.map((m) => m.value))).toEqual(new Set(['T0', 'T1', 'T2']));
    }
    expect(compared).toBe(180);
  });

  it('test.bdf: 24-bit samples equal the EEGLAB decoding (test_bdf_eeglab.mat) within float32 rounding', () => {
    const rec = readEdf(path('edge-cases/test.bdf'));
    expect(rec.format).toBe('BDF');
    const info = rec.streams[0]!.info;
    expect(info.channelNames).toHaveLength(73);
    expect(info.channelNames[72]).toBe('Status');
    expect(info.units[72]).toBe('count');
    expect(info.channelKinds[72]).toBe('aux');
    expect(info.adcScale[0]).toBeCloseTo(524287 / 16777215, 12);
    const { data, total } = readStream(rec);
    expect(total).toBe(vectors.eeglab.shape[1]);
    for (let c = 0; c < 72; c++) {
      const x = data.subarray(c * total, (c + 1) * total);
      const tol = (v: number) => Math.abs(v) * 2 ** -22 + 1e-3;
      vectors.eeglab.first[c]!.forEach((v, i) => expect(Math.abs(x[i]! - v), `ch ${c}[${i}]`).toBeLessThanOrEqual(tol(v)));
      let sum = 0;
      for (const v of x) sum += v;
      expect(Math.abs(sum - vectors.eeglab.sum[c]!)).toBeLessThanOrEqual(total * tol(vectors.eeglab.max[c]!));
      expect(Math.min(...x)).toBeCloseTo(vectors.eeglab.min[c]!, 1);
      expect(Math.max(...x)).toBeCloseTo(vectors.eeglab.max[c]!, 1);
    }
    // Status: trigger 128 from sample 589 to 609 → one trigger marker
    expect(rec.markers.filter((m) => m.type === 'trigger').map((m) => [m.sample, m.value])).toEqual([[589, 128]]);
  });

  it('test_bdf_stim_channel.bdf: Status lower 16 bits as trigger markers at every change to non-zero', () => {
    const rec = readEdf(path('edge-cases/test_bdf_stim_channel.bdf'));
    const triggers = rec.markers.filter((m) => m.type === 'trigger');
    const { data, total } = readStream(rec);
    const status = data.subarray(3 * total, 4 * total);
    const expected: [number, number][] = [];
    for (let i = 0; i < total; i++) if (status[i] !== 0 && status[i] !== (i > 0 ? status[i - 1] : 0)) expected.push([i, status[i]!]);
    expect(expected.length).toBeGreaterThan(5);
    expect(triggers.map((m) => [m.sample, m.value])).toEqual(expected);
    expect(triggers.slice(0, 3).map((m) => [m.sample, m.value])).toEqual([[242, 4], [310, 2], [952, 1]]);
    expect(new Set(triggers.map((m) => m.value))).toEqual(new Set([1, 2, 4]));
  });

  it('test_edf_stim_channel.edf: values and trigger pulses equal test_edf_stim_channel.txt', () => {
    const rec = readEdf(path('edge-cases/test_edf_stim_channel.edf'));
    expect(rec.format).toBe('EDF');
    const info = rec.streams[0]!.info;
    expect(info.sampleRateHz).toBe(128);
    expect(info.channelNames[24]).toBe('DIG DTRIG');
    expect(info.channelKinds[24]).toBe('aux');
    expect(info.channelKinds[22]).toBe('aux'); // ECG ECG1
    expect(info.channelKinds[0]).toBe('eeg');
    const { data, total } = readStream(rec);
    const { rows, first, sum, triggers } = vectors.stimTxt;
    for (let c = 0; c < 25; c++) {
      const x = data.subarray(c * total, c * total + rows);
      first.forEach((row, i) => expect(Math.abs(x[i]! - row[c]!)).toBeLessThanOrEqual(1.5)); // MNE's own test: decimal=6 in volts
      let s = 0;
      for (const v of x) s += v;
      expect(Math.abs(s - sum[c]!) / rows).toBeLessThanOrEqual(0.5);
    }
    const got = rec.markers.filter((m) => m.type === 'trigger').map((m) => [m.sample, m.value]);
    expect(got.slice(0, triggers.length)).toEqual(triggers);
    expect(got.length).toBeGreaterThanOrEqual(triggers.length);
  });

  it('MB0400FU.EDF: EDF+D read from its time-keeping TALs (29 contiguous records, no gaps); unterminated TALs tolerated', () => {
    const rec = readEdf(path('edge-cases/MB0400FU.EDF'));
    expect(rec.format).toBe('EDF+D');
    const info = rec.streams[0]!.info;
    expect(info.channelNames).toHaveLength(25);
    expect(info.device.model).toBe('NKC-EEG-1100C');
    // POL $A1/$A2 are in mV: converted to µV
    expect(info.units[23]).toBe('uV');
    expect(info.adcScale[23]).toBeCloseTo((500 / 1365) * 1000, 6);
    const { gaps, total } = readStream(rec);
    expect(total).toBe(29 * 200);
    expect(gaps).toEqual([]);
    expect(annotations(rec.markers).map((m) => [m.sample, m.value, m.duration])).toEqual([
      [0, 'Segment: REC START ALLE EEG', undefined],
      [228, 'A1+A2 OFF', undefined],
    ]);
    expect(rec.notes.join('\n')).toMatch(/TALs lack their 0x00 terminator/);
  });

  it('subsecond_starttime.edf: the first record’s time-keeping TAL gives the sub-second start', () => {
    const rec = readEdf(path('edge-cases/subsecond_starttime.edf'));
    expect(rec.streams[0]!.info.startTime).toBe('2020-01-24T04:05:56.3945312Z');
    // onsets relative to the first sample: 2.3457031 − 0.3945312 s at 512 Hz
    expect(annotations(rec.markers).map((m) => [m.sample, m.value])).toEqual([
      [Math.round((2.3457031 - 0.3945312) * 512), 'XLSpike'],
      [Math.round((3.8867187 - 0.3945312) * 512), 'Clip Note'],
    ]);
  });

  it('multiple_annotation_chans.bdf: all 15 annotation signals are read; accel channels; analog "Trigger" gives no markers', () => {
    const rec = readEdf(path('edge-cases/multiple_annotation_chans.bdf'));
    expect(rec.format).toBe('BDF+C');
    const info = rec.streams[0]!.info;
    expect(info.channelNames).toHaveLength(19);
    expect(info.channelKinds.slice(16)).toEqual(['accel', 'accel', 'accel']);
    expect(info.units.slice(16)).toEqual(['g', 'g', 'g']);
    expect(info.channelKinds[7]).toBe('aux'); // ECG
    expect(info.adcScale[0]).toBeCloseTo(187500 / 8388607, 12);
    expect(info.device.model).toBe('OpenBCI'); // recording field: Startdate … X X OpenBCI COsleep (5th subfield)
    const ann = annotations(rec.markers);
    expect(ann).toHaveLength(10);
    expect(ann[1]).toEqual({ sample: Math.round(22.488 * 125), type: 'annotation', value: 'EEG-check#1', duration: undefined });
    expect(rec.markers.some((m) => m.type === 'trigger')).toBe(false);
    expect(rec.notes.join('\n')).toMatch(/"Trigger" changes value on more than 1 in 8 samples/);
  });

  it('chtypes_edf.edf: channel kinds from labels and dimensions', () => {
    const rec = readEdf(path('edge-cases/chtypes_edf.edf'));
    const info = rec.streams[0]!.info;
    const kind = (name: string) => info.channelKinds[info.channelNames.indexOf(name)];
    expect(kind('EEG Fp1-Ref')).toBe('eeg');
    expect(kind('ECG ECG1')).toBe('aux');
    expect(kind('SaO2 X9')).toBe('aux');
    expect(kind('POL DC01')).toBe('aux');
    expect(info.channelKinds.filter((k) => k === 'eeg')).toHaveLength(42 - 8); // 2 ECG, 2 SaO2, 4 DC
  });

  it('test_edf_overlapping_annotations.edf: overlapping annotations are all kept', () => {
    const rec = readEdf(path('edge-cases/test_edf_overlapping_annotations.edf'));
    const ann = annotations(rec.markers);
    expect(ann).toHaveLength(38);
    let overlaps = 0;
    for (let i = 1; i < ann.length; i++) if (ann[i]!.sample < ann[i - 1]!.sample + (ann[i - 1]!.duration ?? 0)) overlaps++;
    expect(overlaps).toBeGreaterThan(0);
  });

  it('SC4001EC-Hypnogram.edf: annotation-only file → no streams, markers on a 1 Hz clock with exact onsets', () => {
    const rec = readEdf(path('edge-cases/SC4001EC-Hypnogram.edf'));
    expect(rec.streams).toEqual([]);
    expect(rec.format).toBe('EDF+C');
    expect(rec.markerClockHz).toBe(1);
    const want = vectors.files['edge-cases/SC4001EC-Hypnogram.edf']!.annotations;
    expect(want).toHaveLength(154);
    expect(rec.markers.map((m) => [m.sample, m.duration, m.value])).toEqual(want);
  });

  it('blocks() is re-readable and gives identical data; maxBlockS groups consecutive records', () => {
    const name = 'eegmmidb/S001/S001R04.edf';
    const a = readStream(readEdf(path(name)));
    const again = readEdf(path(name), { maxBlockS: 0.5 }); // still one record (1 s) per block
    const b = readStream(again);
    expect(sameBits(b.data, a.data)).toBe(true);
    expect(a.blocks).toHaveLength(125);
    expect(a.blocks.every((x) => x.length === 160)).toBe(true);
    const c = readStream(readEdf(path(name), { maxBlockS: 4 }));
    expect(c.blocks).toHaveLength(32);
    expect(sameBits(c.data, a.data)).toBe(true);
    const d = readStream(readEdf(path(name)));
    expect(sameBits(d.data, a.data)).toBe(true);
  });
});
