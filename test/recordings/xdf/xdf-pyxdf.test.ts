import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readXdfChunks, readXdfFile, type XdfFile, type XdfStream } from '../../../recordings/import/xdf/xdf-file.js';
import { pyxdfLoad, type PyxdfStream } from '../../helpers/pyxdf.js';
import { sharedData } from '../../helpers/shared-data.js';

const FILES = ['xdf/minimal.xdf', 'xdf/empty_streams.xdf'].map((f) => fileURLToPath(sharedData(f)));

function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

/** Our stream's values as pyxdf prints them (per sample, per channel). */
function rows(s: XdfStream): (number | string)[][] {
  const out: (number | string)[][] = [];
  for (let k = 0; k < s.count; k++) {
    const row: (number | string)[] = [];
    for (let c = 0; c < s.channels; c++) {
      const v = (s.values as ArrayLike<number | bigint | string>)[k * s.channels + c]!;
      row.push(typeof v === 'bigint' ? v.toString() : v);
    }
    out.push(row);
  }
  return out;
}

/** Every value equal, counts equal, time stamps within 1e-6 s, segments and rates as pyxdf's. */
export function expectSameAsPyxdf(ours: XdfFile, reference: PyxdfStream[]): void {
  expect(ours.streams.map((s) => s.id)).toEqual(reference.map((s) => s.id));
  ours.streams.forEach((s, i) => {
    const r = reference[i]!;
    expect({ name: s.name, type: s.type, format: s.format, channels: s.channels, rate: s.nominalRateHz }).toEqual({
      name: r.name,
      type: r.type,
      format: r.channel_format,
      channels: r.channel_count,
      rate: r.nominal_srate,
    });
    expect(s.count).toBe(r.time_stamps.length);
    expect(rows(s)).toEqual(r.time_series);
    const worst = r.time_stamps.reduce((m, t, k) => Math.max(m, Math.abs(t - s.timeStamps[k]!)), 0);
    expect(worst).toBeLessThan(1e-6);
    expect(s.segments).toEqual(r.segments);
    expect(s.clockSegments).toEqual(r.clock_segments);
    expect(s.clockTimes).toEqual(r.clock_times);
    expect(s.clockValues).toEqual(r.clock_values);
    expect(Math.abs(s.effectiveRateHz - r.effective_srate)).toBeLessThan(1e-6 * Math.max(1, r.effective_srate));
  });
}

describe('XDF reader against pyxdf load_xdf (the reference reader)', () => {
  for (const path of FILES) {
    it(`${path.split('/').pop()}: values, counts, synchronised and de-jittered time stamps as pyxdf's, whole file and fed 1 and 7 bytes at a time`, () => {
      const reference = pyxdfLoad(path);
      expect(reference.length).toBeGreaterThan(1);
      const whole = readXdfFile(path);
      expectSameAsPyxdf(whole, reference);
      const bytes = new Uint8Array(readFileSync(path));
      for (const size of [1, 7]) expectSameAsPyxdf(readXdfChunks(path, pieces(bytes, size)), reference);
      expect(whole.truncation).toBeUndefined();
    });
    it(`${path.split('/').pop()}: raw time stamps (no sync, no de-jitter) as pyxdf's`, () => {
      const reference = pyxdfLoad(path, { raw: true });
      expectSameAsPyxdf(readXdfFile(path, { synchronizeClocks: false, dejitterTimestamps: false }), reference);
    });
  }
});
