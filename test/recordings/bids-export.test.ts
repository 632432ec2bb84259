/**
 * writeBids (the library form of `convert --bids`): adds to an existing dataset without losing
 * what its shared tables hold, and a refusal leaves nothing behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openInput, writeBids } from '../../recordings/index.js';
import { sharedData } from '../helpers/shared-data.js';

const R04 = fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf'));

describe('writeBids', () => {
  it('adds a participant to an existing participants.tsv, keeping its columns and rows (n/a for the new row)', () => {
    const ds = mkdtempSync(join(tmpdir(), 'ns-bids-lib-'));
    writeFileSync(join(ds, 'dataset_description.json'), JSON.stringify({ Name: 'lab', BIDSVersion: '1.9.0' }));
    writeFileSync(join(ds, 'participants.tsv'), 'participant_id\tage\tsex\nsub-01\t34\tF\n');
    const result = writeBids(ds, openInput(R04), { subject: '02', task: 'mi', run: 4 });
    expect(result.datatype).toBe('eeg');
    expect(result.events).toBe(30);
    expect(readFileSync(join(ds, 'participants.tsv'), 'utf8')).toBe('participant_id\tage\tsex\nsub-01\t34\tF\nsub-02\tn/a\tn/a\n');
    expect(JSON.parse(readFileSync(join(ds, 'dataset_description.json'), 'utf8'))).toEqual({ Name: 'lab', BIDSVersion: '1.9.0' }); // not rewritten
    expect(existsSync(join(ds, 'README'))).toBe(false);
    expect(result.files[0]).toBe('sub-02/eeg/sub-02_task-mi_run-4_eeg.bdf');
  });

  it('refuses data a fixed physical range would clip before writing anything, and a non-BIDS folder', () => {
    const ds = mkdtempSync(join(tmpdir(), 'ns-bids-lib-'));
    expect(() => writeBids(ds, openInput(R04), { subject: '01', task: 'mi', physicalRange: [-1, 1] })).toThrow(/would be clipped/);
    expect(readdirSync(ds)).toEqual([]);
    const other = mkdtempSync(join(tmpdir(), 'ns-bids-lib-'));
    mkdirSync(join(other, 'stuff'));
    expect(() => writeBids(other, openInput(R04), { subject: '01', task: 'mi' })).toThrow(/expected a BIDS dataset folder \(new, empty, or holding dataset_description.json\)/);
    expect(readdirSync(other)).toEqual(['stuff']);
  });
});
