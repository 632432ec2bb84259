import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, InvalidDataError } from '../../../core/index.js';
import { encodeTal, parseTals } from '../../../recordings/edf/edf-annotations.js';
import { readEdf } from '../../../recordings/edf/edf-reader.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-edf-in-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Sig {
  label: string;
  spr: number;
  dim?: string;
  pmin?: string;
  pmax?: string;
  dmin?: string;
  dmax?: string;
}

/** A hand-built EDF/BDF file: header fields as text, records of digital values (or TAL bytes). */
function build(opts: {
  bdf?: boolean;
  version?: string;
  reserved?: string;
  records?: string;
  duration?: string;
  signals: Sig[];
  /** record r, signal s → digital values (or bytes for annotation signals) */
  fill?: (r: number, s: number) => number[] | Uint8Array;
  recordCount: number;
  ns?: string;
  headerBytes?: string;
}): Uint8Array {
  const bps = opts.bdf ? 3 : 2;
  const ns = opts.signals.length;
  const header = new Uint8Array(256 * (ns + 1)).fill(0x20);
  let p = 0;
  const put = (t: string, w: number) => {
    for (let i = 0; i < Math.min(w, t.length); i++) header[p + i] = t.charCodeAt(i);
    p += w;
  };
  if (opts.bdf) {
    header[0] = 0xff;
    p = 1;
    put(opts.version ?? 'BIOSEMI', 7);
  } else put(opts.version ?? '0', 8);
  put('X X X X', 80);
  put('Startdate 02-JAN-2024 X X synth', 80);
  put('02.01.24', 8);
  put('10.20.30', 8);
  put(opts.headerBytes ?? String(256 * (ns + 1)), 8);
  put(opts.reserved ?? 'EDF+C', 44);
  put(opts.records ?? String(opts.recordCount), 8);
  put(opts.duration ?? '1', 8);
  put(opts.ns ?? String(ns), 4);
  const col = (w: number, f: (s: Sig) => string) => opts.signals.forEach((s) => put(f(s), w));
  col(16, (s) => s.label);
  col(80, () => '');
  col(8, (s) => s.dim ?? 'uV');
  col(8, (s) => s.pmin ?? '-3276.8');
  col(8, (s) => s.pmax ?? '3276.7');
  col(8, (s) => s.dmin ?? (opts.bdf ? '-8388608' : '-32768'));
  col(8, (s) => s.dmax ?? (opts.bdf ? '8388607' : '32767'));
  col(80, () => '');
  col(8, (s) => String(s.spr));
  col(32, () => '');
  const recordBytes = opts.signals.reduce((n, s) => n + s.spr * bps, 0);
  const out = new Uint8Array(header.length + opts.recordCount * recordBytes);
  out.set(header);
  let o = header.length;
  for (let r = 0; r < opts.recordCount; r++) {
    opts.signals.forEach((s, k) => {
      const v = opts.fill?.(r, k) ?? [];
      if (v instanceof Uint8Array) out.set(v.subarray(0, s.spr * bps), o);
      else for (let i = 0; i < s.spr; i++) {
        const d = v[i] ?? 0;
        out[o + i * bps] = d & 0xff;
        out[o + i * bps + 1] = (d >> 8) & 0xff;
        if (bps === 3) out[o + i * bps + 2] = (d >> 16) & 0xff;
      }
      o += s.spr * bps;
    });
  }
  return out;
}

let n = 0;
function file(bytes: Uint8Array, ext = '.edf'): string {
  const path = join(dir, `f${++n}${ext}`);
  writeFileSync(path, bytes);
  return path;
}

function tals(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((k, x) => k + x.length, 0) + 64);
  let o = 0;
  for (const x of parts) {
    out.set(x, o);
    o += x.length;
  }
  return out;
}

const good: Sig[] = [{ label: 'Fp1', spr: 4 }, { label: 'Fp2', spr: 4 }];

function errorOf(path: string): InvalidDataError {
  try {
    readEdf(path);
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidDataError);
    expect((e as InvalidDataError).code).toBe(ErrorCode.InvalidData);
    return e as InvalidDataError;
  }
  throw new Error(`${path} was read without an error`);
}

describe('readEdf: bad input gives one clear error naming the file and the field', () => {
  it('truncated header', () => {
    const path = file(build({ signals: good, recordCount: 1 }).subarray(0, 200));
    expect(errorOf(path).message).toBe(`${path} header: expected at least 256 bytes, got "200 bytes"`);
    const cut = file(build({ signals: good, recordCount: 1 }).subarray(0, 600));
    expect(errorOf(cut).message).toBe(`${cut} header: expected 768 bytes (2 signals), got "600 bytes"`);
  });

  it('non-numeric and out-of-range fields', () => {
    const records = file(build({ signals: good, recordCount: 1, records: '12a' }));
    expect(errorOf(records).message).toBe(`${records} header field "number of data records": expected an integer ≥ -1, got "12a"`);
    const duration = file(build({ signals: good, recordCount: 1, duration: 'one' }));
    expect(errorOf(duration).message).toMatch(/header field "duration of a data record": expected a decimal number, got "one"/);
    const ns = file(build({ signals: good, recordCount: 1, ns: '0' }));
    expect(errorOf(ns).message).toMatch(/header field "number of signals": expected an integer ≥ 1, got "0"/);
    const hb = file(build({ signals: good, recordCount: 1, headerBytes: '1024' }));
    expect(errorOf(hb).message).toMatch(/header field "number of bytes in header": expected 768/);
    const pmin = file(build({ signals: [good[0]!, { label: 'Fp2', spr: 4, pmin: '1,5' }], recordCount: 1 }));
    expect(errorOf(pmin).message).toBe(`${pmin} signal 1 "Fp2" physical minimum: expected a decimal number, got "1,5"`);
  });

  it('bad version / BDF id', () => {
    const edf = file(build({ signals: good, recordCount: 1, version: '1' }));
    expect(errorOf(edf).message).toMatch(/header field "version": expected "0       " \(EDF\) or 0xFF"BIOSEMI" \(BDF\), got "1       "/);
    const bdf = file(build({ bdf: true, version: 'BIOSEMX', signals: good, recordCount: 1 }), '.bdf');
    expect(errorOf(bdf).message).toMatch(/header field "version".*got "0xFF\\"BIOSEMX\\""/);
  });

  it('digital min ≥ max, physical min = max, digital range of the format', () => {
    const d = file(build({ signals: [good[0]!, { label: 'C3', spr: 4, dmin: '100', dmax: '100' }], recordCount: 1 }));
    expect(errorOf(d).message).toBe(`${d} signal 1 "C3" digital minimum: expected less than the digital maximum (100), got "100"`);
    const ph = file(build({ signals: [{ label: 'Fp1', spr: 4, pmin: '5', pmax: '5' }], recordCount: 1 }));
    expect(errorOf(ph).message).toBe(`${ph} signal 0 "Fp1" physical minimum: expected different from the physical maximum (5), got "5"`);
    const r = file(build({ signals: [{ label: 'Fp1', spr: 4, dmax: '40000' }], recordCount: 1 }));
    expect(errorOf(r).message).toMatch(/signal 0 "Fp1" digital maximum: expected an integer from -32768 to 32767, got "40000"/);
  });

  it('record count -1 or disagreeing with the file size: reads what the file holds and notes it', () => {
    const open = readEdf(file(build({ signals: good, recordCount: 3, records: '-1' })));
    expect(open.streams[0]!.totalSamples).toBe(12);
    expect(open.notes.join('\n')).toMatch(/"number of data records" is -1/);
    const bytes = build({ signals: good, recordCount: 3, records: '5' });
    const cut = readEdf(file(bytes.subarray(0, bytes.length - 3)));
    expect(cut.streams[0]!.totalSamples).toBe(8);
    expect(cut.notes.join('\n')).toMatch(/says 5 but the file holds 2 complete records/);
    expect(cut.notes.join('\n')).toMatch(/ignored 13 bytes after the last complete data record/);
  });
});

describe('readEdf: synthetic files', () => {
  it('signals with different rates → one stream per rate, most neural channels first; EDF+D gaps; sign of TAL onsets', () => {
    const signals: Sig[] = [
      { label: 'Resp', spr: 2, dim: '' },
      { label: 'EEG Fp1', spr: 8 },
      { label: 'ECG', spr: 4, dim: 'mV', pmin: '-3.2768', pmax: '3.2767' },
      { label: 'EEG Fp2', spr: 8 },
      { label: 'EDF Annotations', spr: 30 },
    ];
    const starts = [0.5, 1.5, 4.5]; // second gap: 2 s
    const path = file(
      build({
        reserved: 'EDF+D',
        signals,
        recordCount: 3,
        fill: (r, s) => {
          if (s === 4) {
            const extra = r === 1 ? [encodeTal(1.75, 0.5, ['spike', 'ünï']), encodeTal(-0.25, undefined, ['early'])] : [];
            return tals(encodeTal(starts[r]!, undefined, []), ...extra);
          }
          return Array.from({ length: signals[s]!.spr }, (_, i) => (r * 100 + i) * (s + 1));
        },
      }),
    );
    const rec = readEdf(path);
    expect(rec.format).toBe('EDF+D');
    expect(rec.streams.map((s) => [s.info.id, s.info.sampleRateHz, s.info.channelNames])).toEqual([
      [expect.stringMatching(/^f\d+$/), 8, ['EEG Fp1', 'EEG Fp2']],
      [expect.stringMatching(/-4hz$/), 4, ['ECG']],
      [expect.stringMatching(/-2hz$/), 2, ['Resp']],
    ]);
    expect(rec.streams[0]!.info.startTime).toBe('2024-01-02T10:20:30.500Z');
    expect(rec.streams[1]!.info.units).toEqual(['uV']);
    expect(rec.streams[1]!.info.channelKinds).toEqual(['aux']);
    expect(rec.streams[2]!.info.units).toEqual(['count']);
    expect(rec.notes.join('\n')).toMatch(/"Resp" has physical dimension ""/);
    const blocks = [...rec.streams[0]!.blocks()];
    expect(blocks.map((b) => [b.first, b.length, b.gap?.missing])).toEqual([
      [0, 8, undefined],
      [8, 8, undefined],
      [32, 8, 16],
    ]);
    expect(rec.streams[0]!.totalSamples).toBe(40);
    // ECG: mV → µV; digital d → d·0.1 mV·… exact scaling check on one value
    const ecg = [...rec.streams[1]!.blocks()];
    expect(ecg[0]!.data[1]).toBeCloseTo(((1 * 3 + 32768) * 6.5535) / 65535 * 1000 - 3276.8, 3);
    expect(rec.markers.map((m) => [m.sample, m.value, m.duration])).toEqual([
      [0, 'early', undefined],
      [10, 'spike', 4],
      [10, 'ünï', 4],
    ]);
    expect(rec.notes.join('\n')).toMatch(/1 annotations start before the first sample/);
  });
});

describe('parseTals', () => {
  const bytes = (s: string) => new TextEncoder().encode(s);
  it('onset with sign, optional duration, several texts, UTF-8, padding zeros', () => {
    const r = parseTals(bytes('+0.5\x14\x14\x00-1.25\x152.5\x14A\x14B é\x14\x00+3\x14C\x14\x00\x00\x00'));
    expect(r.tals).toEqual([
      { onsetS: 0.5, onsetText: '+0.5', texts: [], emptyFirst: true },
      { onsetS: -1.25, onsetText: '-1.25', durationS: 2.5, durationText: '2.5', texts: ['A', 'B é'], emptyFirst: false },
      { onsetS: 3, onsetText: '+3', texts: ['C'], emptyFirst: false },
    ]);
    expect(r.malformed).toBe(0);
  });
  it('TALs missing their 0x00 terminator (Nihon Kohden) and malformed runs', () => {
    const r = parseTals(bytes('+1.000000\x14\x14+1.140000\x14A1+A2 OFF\x14\x00garbage\x00+2\x14ok\x14\x00'));
    expect(r.tals.map((t) => [t.onsetS, t.texts])).toEqual([
      [1, []],
      [1.14, ['A1+A2 OFF']],
      [2, ['ok']],
    ]);
    expect(r.unterminated).toBe(1);
    expect(r.malformed).toBe(1);
  });
  it('encodeTal writes what parseTals reads', () => {
    const r = parseTals(tals(encodeTal(12.000625, 0.1, ['x', 'y']), encodeTal(0, undefined, [])));
    expect(r.tals.map((t) => [t.onsetText, t.durationText, t.texts])).toEqual([
      ['+12.000625', '0.1', ['x', 'y']],
      ['+0', undefined, []],
    ]);
  });
});
