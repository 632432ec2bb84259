/**
 * The reference NWB reader and validator as a test oracle: pynwb 2.3.1 (../shared/tools/pynwb, on
 * Debian's python3-hdmf, -h5py, -pandas) through test/helpers/pynwb-check.py, which validates the
 * file, reads it back and writes each series' values for the test to compare. Nothing committed:
 * the reference answers are generated at test time.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sharedData } from './shared-data.js';

export interface PynwbTable {
  description: string;
  colnames: string[];
  rows: number;
  columns: Record<string, (string | number)[]>;
}

export interface PynwbSeries {
  type: string;
  shape: number[];
  dtype: string;
  unit: string;
  conversion: number;
  rate: number | null;
  starting_time: number | null;
  timestamps: number | null;
  description: string;
  comments: string;
  electrodes?: number[];
  channel_conversion?: number[] | null;
  volts_row0?: number[];
  /** The values pynwb read, and its timestamps (read from the files the script wrote). */
  values: Float32Array | Float64Array;
  times?: Float64Array;
}

export interface PynwbFile {
  errors: string[];
  /** The namespaces cached in the file (name → version), as NWBHDF5IO.get_namespaces reads them. */
  cached_namespaces: Record<string, string>;
  /** pynwb.validate(paths=[file], use_cached_namespaces=True): errors and status (0: valid). */
  cached_validation: { errors: string[]; status: number };
  /** What NWBHDF5IO(file, load_namespaces=True).read() returned (its type name), null without a cache. */
  cached_read: string | null;
  nwb_version: string;
  identifier: string;
  session_description: string;
  session_start_time: string;
  notes: string | null;
  data_collection: string | null;
  source_script: string | null;
  source_script_file_name: string | null;
  devices: Record<string, string>;
  electrode_groups: Record<string, { location: string; device: string }>;
  electrodes: PynwbTable | null;
  acquisition: Record<string, PynwbSeries>;
  intervals: Record<string, PynwbTable>;
  processing: Record<string, Record<string, PynwbSeries>>;
}

const here = dirname(fileURLToPath(import.meta.url));

/** PYTHONPATH for pynwb. */
export function pynwbPath(): string {
  return fileURLToPath(sharedData('../tools/pynwb/'));
}

function withValues(s: Omit<PynwbSeries, 'values' | 'times'>, dir: string, key: string): PynwbSeries {
  const bytes = readFileSync(join(dir, `${key}.data`));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (s.dtype !== '<f4' && s.dtype !== '<f8') throw new Error(`pynwb-check: unexpected dtype ${s.dtype} for ${key}`);
  const values = s.dtype === '<f4' ? new Float32Array(buffer) : new Float64Array(buffer);
  if (s.timestamps === null) return { ...s, values };
  const t = readFileSync(join(dir, `${key}.timestamps`));
  return { ...s, values, times: new Float64Array(t.buffer.slice(t.byteOffset, t.byteOffset + t.byteLength)) };
}

/** Validates `path` with pynwb and reads it back (values included). */
export function pynwbCheck(path: string): PynwbFile {
  const dir = mkdtempSync(join(tmpdir(), 'pynwb-'));
  const out = execFileSync('/usr/bin/python3', [join(here, 'pynwb-check.py'), path, dir], {
    env: { ...process.env, PYTHONPATH: pynwbPath() },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const raw = JSON.parse(out) as PynwbFile;
  const acquisition = Object.fromEntries(Object.entries(raw.acquisition).map(([k, s]) => [k, withValues(s, dir, `acquisition.${k}`)]));
  const processing = Object.fromEntries(Object.entries(raw.processing).map(([m, mod]) => [m, Object.fromEntries(Object.entries(mod).map(([k, s]) => [k, withValues(s, dir, `processing.${m}.${k}`)]))]));
  return { ...raw, acquisition, processing };
}
