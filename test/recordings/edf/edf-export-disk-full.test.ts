/**
 * EDF export onto a disk that fills up (a real small tmpfs, or a file-size limit where mounting is
 * not allowed): `convert` exits 1 with one line saying how many whole records it kept, and the
 * file holds exactly those records, its header says so, and MNE reads them back equal to the
 * source — nothing half-written is counted, nothing counted is missing.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readEdfHeader } from '../../../recordings/edf/edf-header.js';
import { runCli } from '../../helpers/cli.js';
import { sharedData } from '../../helpers/shared-data.js';
import { smallDisk } from '../../helpers/small-disk.js';

const SOURCE = fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf')); // 2.6 MB, 125 records of 1 s
const PYTHON = '/usr/bin/python3';

/** MNE's reading of OUT: its sample count, and the largest |OUT − SOURCE| (µV) over OUT's samples. */
function mneCompare(out: string): { n_times: number; worst_uV: number } {
  const script = [
    'import json, sys, mne, numpy as np',
    "mne.set_log_level('error')",
    'a = mne.io.read_raw_edf(sys.argv[1], preload=True).get_data()',
    'b = mne.io.read_raw_edf(sys.argv[2], preload=True).get_data()[:, :a.shape[1]]',
    'print(json.dumps({"n_times": int(a.shape[1]), "worst_uV": float(np.abs(a - b).max() * 1e6)}))',
  ].join('\n');
  const r = spawnSync(PYTHON, ['-c', script, out, SOURCE], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`MNE could not read ${out}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { n_times: number; worst_uV: number };
}

describe('convert to EDF on a full disk', () => {
  it('exits 1 with one line naming the whole records kept, and the file holds exactly those (MNE reads them)', async () => {
    // 1 MB holds the header and 47 of the 125 records of 20,960 bytes: the 48th is cut short.
    const disk = smallDisk(1_000_000);
    try {
      const out = join(disk.dir, 'r04.edf');
      const r = await runCli(['convert', SOURCE, out], { shellPrefix: disk.shellPrefix, timeoutMs: 60_000 });
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toMatch(/\n\s+at /);
      const m = /recording failed writing record (\d+) of .*r04\.edf: .*; kept (\d+) whole records \(([\d.]+) s, (\d+) samples per channel\) in .*r04\.edf, a valid EDF\+ file \[NS_RECORDING_FAILURE\]$/.exec(lines[0]!);
      expect(m, r.stderr).not.toBeNull();
      const kept = Number(m![2]);
      const samples = Number(m![4]);
      expect(Number(m![1])).toBe(kept); // the record that failed is the first one not kept
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(125);
      expect(samples).toBe(kept * 160);

      const header = readEdfHeader(out);
      expect(header.recordCountField).toBe(kept);
      expect(statSync(out).size).toBe(header.headerBytes + kept * header.recordBytes); // no half record left

      const mne = mneCompare(out);
      expect(mne.n_times).toBe(samples);
      expect(mne.worst_uV).toBeLessThan(1e-6); // the source's own range and resolution: the same values
    } finally {
      disk.release();
    }
  }, 120_000);
});
