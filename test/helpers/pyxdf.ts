/**
 * The reference XDF reader as a test oracle: runs pyxdf's `load_xdf` (../shared/tools/pyxdf,
 * with /usr/bin/python3 and numpy) on a file through test/helpers/pyxdf-dump.py and returns its
 * streams. Nothing is committed: the reference output is generated at test time.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { XdfFile, XdfStream } from '../../recordings/import/xdf/xdf-file.js';
import { sharedData } from './shared-data.js';

export interface PyxdfStream {
  id: number;
  name: string;
  type: string;
  channel_format: string;
  channel_count: number;
  nominal_srate: number;
  effective_srate: number;
  segments: [number, number][];
  clock_segments: [number, number][];
  time_stamps: number[];
  /** Per sample, per channel: numbers, int64 as decimal strings, or strings. */
  time_series: (number | string)[][];
  clock_times: number[];
  clock_values: number[];
  desc: unknown;
}

const here = dirname(fileURLToPath(import.meta.url));

export function pyxdfLoad(path: string, options: { raw?: boolean } = {}): PyxdfStream[] {
  const pyxdf = fileURLToPath(sharedData('../tools/pyxdf/'));
  const out = execFileSync('/usr/bin/python3', [join(here, 'pyxdf-dump.py'), path, ...(options.raw ? ['--raw'] : [])], {
    env: { ...process.env, PYTHONPATH: pyxdf },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return (JSON.parse(out) as { streams: PyxdfStream[] }).streams;
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

