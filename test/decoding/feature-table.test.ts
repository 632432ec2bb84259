import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidDataError, InvalidOptionError } from '../../core/index.js';
import { globToRegExp, selectColumns } from '../../decoding/datasets/column-selection.js';
import { readFeatureTable } from '../../decoding/datasets/feature-table.js';
import { sharedData } from '../helpers/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-feature-table-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let count = 0;
function csv(text: string): string {
  const path = join(dir, `t${count++}.csv`);
  writeFileSync(path, text);
  return path;
}

const GOOD = 'time_s,unit_001,unit_002,lfp,vel_x,vel_y\r\n0.05,1,0,-2.5,0.1,-0.2\r\n0.10,0,3,1e-3,0.2,-0.1\r\n\r\n0.15,2,1,.5,+0.3,0\r\n';

describe('readFeatureTable', () => {
  it('selects features by glob and targets by name, row-major, with the time column', async () => {
    const t = await readFeatureTable(csv(GOOD), { features: 'unit_*', target: ['vel_x', 'vel_y'] });
    expect(t.n).toBe(3);
    expect(t.featureNames).toEqual(['unit_001', 'unit_002']);
    expect(t.targetNames).toEqual(['vel_x', 'vel_y']);
    expect(Array.from(t.X)).toEqual([1, 0, 0, 3, 2, 1]);
    expect(Array.from(t.Y)).toEqual([0.1, -0.2, 0.2, -0.1, 0.3, 0]);
    expect(Array.from(t.time!)).toEqual([0.05, 0.1, 0.15]);
  });

  it('takes comma lists (list order), never selects targets or time as features', async () => {
    const t = await readFeatureTable(csv(GOOD), { features: 'lfp, unit_00?', target: 'vel_y' });
    expect(t.featureNames).toEqual(['lfp', 'unit_001', 'unit_002']);
    expect(Array.from(t.X.subarray(0, 3))).toEqual([-2.5, 1, 0]);
    const all = await readFeatureTable(csv(GOOD), { features: '*', target: ['vel_x'], time: null });
    expect(all.featureNames).toEqual(['time_s', 'unit_001', 'unit_002', 'lfp', 'vel_y']);
    expect(all.time).toBeUndefined();
  });

  it('names a missing target column and lists the available ones briefly', async () => {
    const file = csv(GOOD);
    const error = await readFeatureTable(file, { features: 'unit_*', target: ['vel_x', 'vel_z'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as Error).message).toContain('--target: expected a column of');
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('time_s, unit_001');
    expect((error as Error).message).toContain('got "vel_z"');
  });

  it('rejects a pattern or a name matching nothing', async () => {
    await expect(readFeatureTable(csv(GOOD), { features: 'chan_*', target: ['vel_x'] })).rejects.toThrow(/--features: expected a pattern matching a column of .*got "chan_\*"/);
    await expect(readFeatureTable(csv(GOOD), { features: 'unit_001,unit_9', target: ['vel_x'] })).rejects.toThrow(/--features: expected the name of a column .*got "unit_9"/);
  });

  it('names the line and column of a non-numeric or empty cell', async () => {
    const bad = 'time_s,unit_001,vel_x\n0,1,2\n0.05,abc,3\n';
    const error = await readFeatureTable(csv(bad), { features: 'unit_*', target: ['vel_x'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDataError);
    expect((error as Error).message).toMatch(/line 3, column "unit_001": expected a finite number, got "abc"/);
    await expect(readFeatureTable(csv('a,b\n1,\n'), { features: 'a', target: ['b'] })).rejects.toThrow(/line 2, column "b": expected a finite number, got ""/);
    await expect(readFeatureTable(csv('a,b\n1,NaN\n'), { features: 'a', target: ['b'] })).rejects.toThrow(/column "b"/);
    // unselected columns are not parsed
    const t = await readFeatureTable(csv('a,junk,b\n1,x,2\n'), { features: 'a', target: ['b'] });
    expect(Array.from(t.X)).toEqual([1]);
  });

  it('rejects ragged rows, an empty file, a header without rows, a missing file', async () => {
    await expect(readFeatureTable(csv('a,b\n1,2,3\n'), { features: 'a', target: ['b'] })).rejects.toThrow(/line 2: expected 2 comma-separated cells/);
    await expect(readFeatureTable(csv(''), { features: 'a', target: ['b'] })).rejects.toThrow(/expected a header line/);
    await expect(readFeatureTable(csv('a,b\n'), { features: 'a', target: ['b'] })).rejects.toThrow(/at least one data row/);
    await expect(readFeatureTable(join(dir, 'none.csv'), { features: 'a', target: ['b'] })).rejects.toThrow(/expected an existing CSV file/);
    await expect(readFeatureTable(csv('a,a\n1,2\n'), { features: 'a', target: ['a'] })).rejects.toThrow(/distinct column names/);
  });

  it('bounds the memory of one line', async () => {
    await expect(readFeatureTable(csv(`a,b\n${'1'.repeat(5000)},2\n`), { features: 'a', target: ['b'], maxLineChars: 1000 })).rejects.toThrow(/line 2: expected a line of at most 1000 characters/);
  });

  it('reads lines split across stream chunks', async () => {
    const rows = Array.from({ length: 20000 }, (_, i) => `${i},${i % 7},${i * 0.5}`);
    const t = await readFeatureTable(csv(`a,b,c\n${rows.join('\n')}`), { features: 'a,b', target: ['c'] });
    expect(t.n).toBe(20000);
    expect(t.X[2 * 12345]).toBe(12345);
    expect(t.X[2 * 12345 + 1]).toBe(12345 % 7);
    expect(t.Y[19999]).toBe(9999.5);
  });

  it('reads the m1 recording: 15,536 bins × 171 units, velocity targets', async () => {
    const t = await readFeatureTable(sharedData('spiking/m1_binned.csv'), { features: 'unit_*', target: ['vel_x', 'vel_y'] });
    expect(t.n).toBe(15536);
    expect(t.featureNames.length).toBe(171);
    expect(t.featureNames[0]).toBe('unit_001');
    expect(t.featureNames[170]).toBe('unit_171');
    expect(t.X.length).toBe(15536 * 171);
    expect(t.time!.length).toBe(15536);
    // first data row: 12.591,1,0,2,… ; vel_x = -0.0112006, vel_y = -0.00623679
    expect(t.time![0]).toBe(12.591);
    expect(Array.from(t.X.subarray(0, 3))).toEqual([1, 0, 2]);
    expect(Array.from(t.Y.subarray(0, 2))).toEqual([-0.0112006, -0.00623679]);
  });
});

describe('column selection', () => {
  it('globs: * any run, ? one character, the rest literal', () => {
    expect(globToRegExp('unit_*').test('unit_001')).toBe(true);
    expect(globToRegExp('unit_?').test('unit_12')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    expect(selectColumns(['x', 'b1', 'b2', 'a1'], 'a*,b*,b1', '--features', 'f')).toEqual(['a1', 'b1', 'b2']);
  });
});
