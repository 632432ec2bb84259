import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createWelchPlan, welchFrequencies, welchPsd } from '../../../acquisition/spectra/welch.js';
import { type SampleBlock, InvalidDataError, channelCount } from '../../../core/index.js';
import { OpenBciTextParser, type RowLayout } from '../../../recordings/import/openbci-text-parser.js';
import { CYTON_ACCEL_G_PER_COUNT, CYTON_GAIN24_UV_PER_COUNT, readOpenBciText } from '../../../recordings/import/openbci-text.js';
import { sharedData } from '../../helpers/shared-data.js';

const file = (name: string): string => fileURLToPath(sharedData(`eeg/openbci/${name}`));
const V6 = file('OpenBCI_GUI-v6-blinks-jawClench-alpha.txt');
const OLD = file('OpenBCI-sampleData-1-blinks-jawClench-alpha.txt');
const JORDAN = file('OpenBCI_2016-02-13_Jordan_focus.txt');

/** The data rows of a text file, read independently of the importer (split, Number). */
function textRows(path: string): string[][] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, '').trim())
    .filter((l) => l.length > 0 && !l.startsWith('%') && !/^[A-Za-z]/.test(l))
    .map((l) => l.split(',').map((f) => f.trim()));
}

/** Index of the first difference between two arrays, −1 if equal (faster than deep equality). */
function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

function allBlocks(blocks: Iterable<SampleBlock>): SampleBlock[] {
  return [...blocks];
}

/** Channel c of all blocks, concatenated (gaps skipped). */
function channel(blocks: readonly SampleBlock[], c: number): Float32Array {
  const n = blocks.reduce((s, b) => s + b.length, 0);
  const out = new Float32Array(n);
  let at = 0;
  for (const b of blocks) {
    out.set(b.data.subarray(c * b.length, (c + 1) * b.length), at);
    at += b.length;
  }
  return out;
}

const tmp = mkdtempSync(join(tmpdir(), 'openbci-text-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let tmpCount = 0;
function tmpFile(text: string): string {
  const path = join(tmp, `case-${++tmpCount}.txt`);
  writeFileSync(path, text);
  return path;
}

const V6_HEADER = [
  '%OpenBCI Raw EXG Data',
  '%Number of channels = 8',
  '%Sample Rate = 250 Hz',
  '%Board = OpenBCI_GUI$BoardCytonSerial',
  'Sample Index, EXG Channel 0, EXG Channel 1, EXG Channel 2, EXG Channel 3, EXG Channel 4, EXG Channel 5, EXG Channel 6, EXG Channel 7, Accel Channel 0, Accel Channel 1, Accel Channel 2, Not Used, Digital Channel 0 (D11), Digital Channel 1 (D12), Digital Channel 2 (D13), Digital Channel 3 (D17), Not Used, Digital Channel 4 (D18), Analog Channel 0, Analog Channel 1, Analog Channel 2, Timestamp, Marker Channel, Timestamp (Formatted)',
];

/** A v6 row: index, 8 EXG (= index + channel/10), accel, 10 zeros, Unix ms, marker, formatted time. */
function v6Row(index: number, ms: number, marker = 0): string {
  const exg = Array.from({ length: 8 }, (_, c) => (index + c / 10).toFixed(2)).join(', ');
  return `${index}, ${exg}, 0.010, 0.020, 1.000,0,0,0,0,0,0,0,0,0,0, ${ms},${marker}, 12:00:00.000`;
}

describe('readOpenBciText: the real files', () => {
  it('GUI v6: 8 EXG + 3 accel at 250 Hz, 22490 samples, start from the first Unix ms, no gaps', () => {
    const rec = readOpenBciText(V6);
    expect(rec.format).toBe('OpenBCI GUI v6 text');
    expect(rec.streams).toHaveLength(1);
    const s = rec.streams[0]!;
    const rows = textRows(V6);
    expect(rows).toHaveLength(22490);
    expect(s.totalSamples).toBe(22490);
    expect(s.info.sampleRateHz).toBe(250);
    expect(s.info.channelNames).toEqual(['EXG1', 'EXG2', 'EXG3', 'EXG4', 'EXG5', 'EXG6', 'EXG7', 'EXG8', 'AccelX', 'AccelY', 'AccelZ']);
    expect(s.info.channelKinds).toEqual([...new Array(8).fill('eeg'), 'accel', 'accel', 'accel']);
    expect(s.info.units).toEqual([...new Array(8).fill('uV'), 'g', 'g', 'g']);
    expect(s.info.adcScale[0]).toBeCloseTo(0.02235174, 7);
    expect(s.info.adcScale[0]).toBe(CYTON_GAIN24_UV_PER_COUNT);
    expect(s.info.adcScale[8]).toBe(CYTON_ACCEL_G_PER_COUNT);
    expect(s.info.startTime).toBe(new Date(1557936053329).toISOString());
    expect(s.info.startTime).toBe('2019-05-15T16:00:53.329Z');
    expect(s.info.device).toEqual({ name: 'openbci-gui', model: 'OpenBCI Cyton', serial: '' });
    expect(rec.markers).toEqual([]);
    expect(rec.markerClockHz).toBe(250);
    expect(rec.notes.join('\n')).toMatch(/columns left out: Not Used, Digital Channel, Analog Channel, Timestamp \(Formatted\)/);

    const blocks = allBlocks(s.blocks());
    expect(blocks).toHaveLength(90); // 22490 = 89 × 250 + 240
    expect(blocks.every((b, k) => b.first === 250 * k && b.gap === undefined)).toBe(true);
    expect(blocks.slice(0, -1).every((b) => b.length === 250)).toBe(true);
    expect(blocks.at(-1)!.length).toBe(240);
    // Every value equals its text as Float32 (EXG µV and accelerometer g, held by the GUI).
    for (let c = 0; c < 11; c++) {
      const got = channel(blocks, c);
      const want = Float32Array.from(rows, (r) => Number(r[1 + c]));
      expect(firstMismatch(got, want)).toBe(-1);
    }
  });

  it('the older format: same samples, accelerometer zeros between updates held', () => {
    const rec = readOpenBciText(OLD);
    expect(rec.format).toBe('OpenBCI GUI legacy text');
    const s = rec.streams[0]!;
    expect(s.totalSamples).toBe(22490);
    expect(s.info.sampleRateHz).toBe(250);
    expect(s.info.channelNames).toHaveLength(11);
    expect(s.info.startTime).toBe('2019-05-15T16:00:53.329Z');
    const rows = textRows(OLD);
    const blocks = allBlocks(s.blocks());
    expect(channel(blocks, 0).subarray(0, 3)).toEqual(Float32Array.of(61379.36, 60973.46, 61433.45));
    for (let c = 0; c < 8; c++) expect(firstMismatch(channel(blocks, c), Float32Array.from(rows, (r) => Number(r[1 + c])))).toBe(-1);
    // Accelerometer: 2241 rows carry a reading; the others (0, 0, 0) hold the last one.
    const fresh = rows.filter((r) => r.slice(9, 12).some((v) => Number(v) !== 0)).length;
    expect(fresh).toBe(2241);
    const ax = channel(blocks, 9);
    expect([ax[0], ax[1], ax[6], ax[7], ax[8]]).toEqual([0.42, 0.42, 0.42, 0.626, 0.626].map(Math.fround));
  });

  it('v6 and the older file are the same recording: identical EXG values, indices and timestamps', () => {
    // Checked on the text first: all 22490 rows have the same index, EXG text and Unix ms.
    const a = textRows(V6);
    const b = textRows(OLD);
    expect(a.length).toBe(b.length);
    expect(a.every((r, i) => r[0] === b[i]![0] && r.slice(1, 9).join() === b[i]!.slice(1, 9).join() && r[22] === b[i]![13])).toBe(true);
    const va = allBlocks(readOpenBciText(V6).streams[0]!.blocks());
    const vb = allBlocks(readOpenBciText(OLD).streams[0]!.blocks());
    for (let c = 0; c < 8; c++) expect(firstMismatch(channel(va, c), channel(vb, c))).toBe(-1);
    // The accelerometer differs in 10 rows, 388–397: there the v6 export holds another reading
    // (−0.002, 0.792, 0.600) than the older file's last one (0, 0.774, 0.594).
    const differ: number[] = [];
    const ax = [8, 9, 10].map((c) => [channel(va, c), channel(vb, c)] as const);
    for (let i = 0; i < 22490; i++) if (ax.some(([x, y]) => x[i] !== y[i])) differ.push(i);
    expect(differ).toEqual(Array.from({ length: 10 }, (_, k) => 388 + k));
  });

  it('Jordan: six Sample Index jumps → six gaps at the right samples, truncated last line dropped', () => {
    const rec = readOpenBciText(JORDAN);
    const s = rec.streams[0]!;
    expect(s.info.channelNames).toHaveLength(11);
    expect(s.info.sampleRateHz).toBe(250);
    // Rows counted independently: 30647 data lines, the last one cut off (10 of 12 fields).
    const rows = textRows(JORDAN);
    expect(rows).toHaveLength(30647);
    expect(rows.at(-1)).toHaveLength(10);
    const complete = rows.slice(0, -1);
    // The jumps, from the text: row → (previous index, index, missing mod 256).
    const jumps: [number, number, number, number][] = [];
    for (let i = 1; i < complete.length; i++) {
      const prev = Number(complete[i - 1]![0]);
      const idx = Number(complete[i]![0]);
      if (idx !== ((prev + 1) & 0xff)) jumps.push([i, prev, idx, (idx - prev - 1) & 0xff]);
    }
    expect(jumps).toEqual([
      [2047, 254, 0, 1],
      [3055, 239, 0, 16],
      [3229, 173, 0, 82],
      [3434, 204, 0, 51],
      [3584, 149, 0, 106],
      [3731, 146, 0, 109],
    ]);
    const missing = 1 + 16 + 82 + 51 + 106 + 109;
    expect(s.totalSamples).toBe(30646 + missing);
    expect(s.totalSamples).toBe(31011);

    const blocks = allBlocks(s.blocks());
    const gaps = blocks.filter((b) => b.gap).map((b) => [b.first, b.gap!.missing]);
    // Gap k lands at stream sample (row + missing so far): row 2047 + 1 = 2048, 3055 + 17 = 3072, …
    let lost = 0;
    const want = jumps.map(([row, , , m]) => [row + (lost += m), m]);
    expect(gaps).toEqual(want);
    expect(gaps).toEqual([
      [2048, 1],
      [3072, 16],
      [3328, 82],
      [3584, 51],
      [3840, 106],
      [4096, 109],
    ]);
    // Blocks end before each gap; consecutive without one; values are the row's.
    for (let k = 1; k < blocks.length; k++) {
      const prev = blocks[k - 1]!;
      expect(blocks[k]!.first).toBe(prev.first + prev.length + (blocks[k]!.gap?.missing ?? 0));
    }
    expect(blocks.reduce((n, b) => n + b.length, 0)).toBe(30646);
    for (let c = 0; c < 8; c++) expect(firstMismatch(channel(blocks, c), Float32Array.from(complete, (r) => Number(r[1 + c])))).toBe(-1);
    const gapBlock = blocks.find((b) => b.first === 2048)!;
    expect(gapBlock.data[0]).toBe(Math.fround(4149.49)); // row 2047: "0, 4149.49, …"

    const notes = rec.notes.join('\n');
    expect(notes).toMatch(/line 30652 dropped: the last line is incomplete/);
    expect(notes).toMatch(/6 Sample Index jumps \(dropped packets\), 365 samples missing/);
    expect(notes).toMatch(/no timestamps: gaps are counted modulo 256/);
    expect(notes).toMatch(/every jump lands on Sample Index 0/);
    expect(notes).toMatch(/8 EXG \+ 3 accelerometer channels inferred/);
    expect(s.info.startTime).toBe('2016-02-13T00:00:00.000Z');
  });

  it('blocks() is lazy and re-readable: two passes give identical blocks', () => {
    const s = readOpenBciText(JORDAN).streams[0]!;
    const it1 = s.blocks()[Symbol.iterator]();
    const first = it1.next().value as SampleBlock;
    expect(first.first).toBe(0);
    expect(first.length).toBe(250);
    const again = allBlocks(s.blocks());
    expect(again[0]!.data).toEqual(first.data);
    const third = allBlocks(s.blocks());
    expect(third.length).toBe(again.length);
    expect(third.at(-1)!.data).toEqual(again.at(-1)!.data);
    it1.return?.();
  });

  it('alpha (~11.5 Hz) dominates EXG7/EXG8 in the eyes-closed part (40–72 s) of the blinks/alpha recording', () => {
    const blocks = allBlocks(readOpenBciText(V6).streams[0]!.blocks());
    const plan = createWelchPlan(512);
    const freqs = welchFrequencies(plan, 250);
    const psd = new Float64Array(257);
    for (const c of [6, 7]) {
      const x = channel(blocks, c);
      welchPsd(plan, x, 40 * 250, 32 * 250, 250, psd);
      let peak = 0;
      for (let k = 0; k < freqs.length; k++) if (freqs[k]! >= 6 && freqs[k]! <= 30 && psd[k]! > psd[peak]!) peak = k;
      expect(freqs[peak]!).toBeGreaterThanOrEqual(10.5);
      expect(freqs[peak]!).toBeLessThanOrEqual(12.5);
      const band = (lo: number, hi: number): number => {
        let s = 0;
        let n = 0;
        for (let k = 0; k < freqs.length; k++) if (freqs[k]! >= lo && freqs[k]! <= hi) (s += psd[k]!), n++;
        return s / n;
      };
      expect(band(10, 13)).toBeGreaterThan(3 * band(16, 25));
    }
  });
});

describe('readOpenBciText: small files', () => {
  it('markers from the v6 Marker Channel, in the recording and in their blocks', () => {
    const rows = Array.from({ length: 600 }, (_, i) => v6Row(i & 0xff, 1_700_000_000_000 + i * 4, i === 10 ? 3 : i === 300 ? 7.5 : 0));
    const path = tmpFile([...V6_HEADER, ...rows].join('\r\n') + '\r\n');
    const rec = readOpenBciText(path);
    expect(rec.markers).toEqual([
      { sample: 10, type: 'marker', value: 3 },
      { sample: 300, type: 'marker', value: 7.5 },
    ]);
    const blocks = allBlocks(rec.streams[0]!.blocks());
    expect(blocks.map((b) => b.length)).toEqual([250, 250, 100]);
    expect(blocks[0]!.markers).toEqual([rec.markers[0]]);
    expect(blocks[1]!.markers).toEqual([rec.markers[1]]);
    expect(blocks[2]!.markers).toBeUndefined();
    expect(rec.streams[0]!.info.startTime).toBe(new Date(1_700_000_000_000).toISOString());
  });

  it('a loss of whole counter periods is estimated from the Unix timestamps', () => {
    // 100 rows, then 256 + 5 samples lost (the counter shows 5), 100 rows; then exactly 512 lost
    // (the counter shows none), 100 rows. Timestamps every 4 ms on the true clock.
    const rows: string[] = [];
    let n = 0;
    const add = (count: number): void => {
      for (let k = 0; k < count; k++, n++) rows.push(v6Row(n & 0xff, 1_600_000_000_000 + 4 * n));
    };
    add(100);
    n += 261;
    add(100);
    n += 512;
    add(100);
    const rec = readOpenBciText(tmpFile([...V6_HEADER, ...rows].join('\n')));
    const gaps = allBlocks(rec.streams[0]!.blocks())
      .filter((b) => b.gap)
      .map((b) => [b.first, b.gap!.missing]);
    expect(gaps).toEqual([
      [361, 261],
      [973, 512],
    ]);
    expect(rec.streams[0]!.totalSamples).toBe(1073);
    expect(rec.notes.join('\n')).toMatch(/2 gaps longer than the counter can tell/);
    expect(rec.notes.join('\n')).toMatch(/the last line \(\d+\) has no line end; it parsed completely and is kept/);
  });

  it('empty lines and % comments are skipped; a truncated last line is dropped with a note', () => {
    const rows = Array.from({ length: 5 }, (_, i) => v6Row(i, 1_600_000_000_000 + 4 * i));
    const text = [...V6_HEADER, rows[0], '', rows[1], '%a comment', rows[2], '   ', rows[3], rows[4], '5, 1.00, 2.0'].join('\n');
    const rec = readOpenBciText(tmpFile(text));
    expect(rec.streams[0]!.totalSamples).toBe(5);
    expect(rec.notes.join('\n')).toMatch(/line 14 dropped: the last line is incomplete/);
  });

  it('a malformed line in the middle is an error naming the file, line, column, field and text', () => {
    const rows = Array.from({ length: 5 }, (_, i) => v6Row(i, 1_600_000_000_000 + 4 * i));
    rows[2] = rows[2]!.replace('2.20', '2.2x');
    const path = tmpFile([...V6_HEADER, ...rows].join('\n') + '\n');
    expect(() => readOpenBciText(path)).toThrow(InvalidDataError);
    expect(() => readOpenBciText(path)).toThrow(
      `${path}: line 8, column 16 (field 4, EXG Channel 2): expected a number, got "2.2x"`,
    );
    const short = Array.from({ length: 5 }, (_, i) => v6Row(i, 1_600_000_000_000 + 4 * i));
    short[1] = '1, 2.00, 3.00';
    const path2 = tmpFile([...V6_HEADER, ...short].join('\n') + '\n');
    expect(() => readOpenBciText(path2)).toThrow(/line 7, column 14: expected 25 comma-separated fields, as in the first data row, got "3 fields: 1, 2.00, 3.00"/);
    const badIndex = Array.from({ length: 5 }, (_, i) => v6Row(i, 1_600_000_000_000 + 4 * i));
    badIndex[3] = badIndex[3]!.replace(/^3,/, '300,');
    const path3 = tmpFile([...V6_HEADER, ...badIndex].join('\n') + '\n');
    expect(() => readOpenBciText(path3)).toThrow(/line 9, column 1 \(field 1, Sample Index\): expected a sample index, an integer from 0 to 255, got "300"/);
  });

  it('the rate: from "%Sample Rate", else from a %Board that fixes it, else an error', () => {
    const rows = Array.from({ length: 3 }, (_, i) => v6Row(i, 1_600_000_000_000 + 4 * i));
    const noRate = V6_HEADER.filter((l) => !l.startsWith('%Sample Rate'));
    const rec = readOpenBciText(tmpFile([...noRate, ...rows].join('\n')));
    expect(rec.streams[0]!.info.sampleRateHz).toBe(250);
    expect(rec.notes.join('\n')).toMatch(/no "%Sample Rate" line: 250 Hz, the fixed rate of the OpenBCI Cyton/);
    const none = noRate.filter((l) => !l.startsWith('%Board'));
    const path = tmpFile([...none, ...rows].join('\n'));
    expect(() => readOpenBciText(path)).toThrow(`${path}: header: expected a "%Sample Rate = <rate> Hz" line`);
    const bad = tmpFile(['%OpenBCI Raw EEG Data', '%Sample Rate = fast', '0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0'].join('\n'));
    expect(() => readOpenBciText(bad)).toThrow(/line 2 \(Sample Rate\): expected a rate like "250 Hz" or "250.0 Hz", got "fast"/);
  });

  it('header and channel-count mismatches, and files that are not OpenBCI text, are errors', () => {
    const wrongCount = V6_HEADER.map((l) => l.replace('= 8', '= 16'));
    const p1 = tmpFile([...wrongCount, v6Row(0, 1e12)].join('\n'));
    expect(() => readOpenBciText(p1)).toThrow(/line 5: expected 16 "EXG Channel" columns \(line 2: Number of channels = 16\), got "8"/);
    const p2 = tmpFile('time,a,b\n1,2,3\n');
    expect(() => readOpenBciText(p2)).toThrow(/expected an OpenBCI GUI text header/);
    const p3 = tmpFile('%OpenBCI Raw EEG Data\n%Sample Rate = 250 Hz\n');
    expect(() => readOpenBciText(p3)).toThrow(/expected an OpenBCI GUI text file: % header lines, then data rows, got "2 lines and no data row"/);
  });

  it('the parser gives the same rows however the bytes are split', () => {
    const rows = Array.from({ length: 40 }, (_, i) => v6Row(i, 1_600_000_000_000 + 4 * i, i % 7 === 0 ? i : 0));
    const bytes = new TextEncoder().encode([...V6_HEADER, ...rows].join('\r\n') + '\r\n');
    const run = (sizes: number[]): string[] => {
      const got: string[] = [];
      let layout: RowLayout | undefined;
      const parser = new OpenBciTextParser({
        source: 'mem',
        onLayout: (req) => {
          const roles = req.titles!.map((t) =>
            t === 'Sample Index' ? 'index' : /^EXG/.test(t) ? 'value' : t === 'Timestamp' ? 'timestamp' : t === 'Marker Channel' ? 'marker' : 'skip',
          );
          let c = 0;
          layout = { fields: roles.length, roles, channel: roles.map((r) => (r === 'value' ? c++ : -1)), names: req.titles!, channels: 8 };
          return layout;
        },
        onRow: (r) => void got.push(`${r.line}:${r.index}:${r.timestamp}:${r.marker}:${[...r.values].join('|')}`),
      });
      let at = 0;
      let k = 0;
      while (at < bytes.length) {
        const n = sizes[k++ % sizes.length]!;
        parser.push(bytes.subarray(at, at + n));
        at += n;
      }
      parser.end();
      return got;
    };
    const whole = run([bytes.length]);
    expect(whole).toHaveLength(40);
    expect(whole[0]).toBe('6:0:1600000000000:0:0|0.1|0.2|0.3|0.4|0.5|0.6|0.7');
    for (const sizes of [[1], [2, 3], [7], [64, 1, 13], [333]]) expect(run(sizes)).toEqual(whole);
  });

  it('channelCount matches the EXG + accel columns', () => {
    const s = readOpenBciText(JORDAN).streams[0]!;
    expect(channelCount(s.info)).toBe(11);
  });
});
