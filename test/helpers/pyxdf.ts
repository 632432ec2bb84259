/**
 * The reference XDF reader as a test oracle: runs pyxdf's `load_xdf` (../shared/tools/pyxdf,
 * with /usr/bin/python3 and numpy) on a file through test/helpers/pyxdf-dump.py and returns its
 * streams. Nothing is committed: the reference output is generated at test time.
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
