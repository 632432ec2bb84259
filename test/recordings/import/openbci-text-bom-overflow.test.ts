/**
 * Real OpenBCI GUI text files, changed as files in the wild are (copies in a temp dir): a UTF-8
 * byte-order mark before the first line is accepted and changes nothing; a value written `1e999`
 * (Infinity as a double) is refused as `NaN` is, naming the file, line and field.
 */
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidDataError } from '../../../core/index.js';
import { parseDecimal } from '../../../recordings/import/decimal-field.js';
import { readOpenBciText } from '../../../recordings/import/openbci-text.js';
import type { ImportedRecording } from '../../../recordings/imported-recording.js';
import { runCli } from '../../helpers/cli.js';
import { sharedData } from '../../helpers/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-openbci-bom-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string): string => fileURLToPath(sharedData(`eeg/openbci/${name}`));
const FILES = ['OpenBCI_GUI-v6-blinks-jawClench-alpha.txt', 'OpenBCI-sampleData-1-blinks-jawClench-alpha.txt', 'OpenBCI_2016-02-13_Jordan_focus.txt'];
const GUI_V6 = file(FILES[0]!);

/** A copy of `source` under `sub/` with the same name (ids and start times come from the name). */
function copy(source: string, sub: string, bytes: Uint8Array): string {
  mkdirSync(join(dir, sub), { recursive: true });
  const path = join(dir, sub, basename(source));
  writeFileSync(path, bytes);
  return path;
}

function everything(rec: ImportedRecording, path: string) {
  const s = rec.streams[0]!;
  const blocks = [...s.blocks()].map((b) => ({ first: b.first, length: b.length, gap: b.gap, data: [...b.data], markers: b.markers }));
  return { format: rec.format, info: s.info, totalSamples: s.totalSamples, markers: rec.markers, notes: rec.notes.map((n) => n.replaceAll(path, 'FILE')), blocks };
}

describe('OpenBCI text with a UTF-8 byte-order mark imports the same as without', () => {
  for (const name of FILES) {
    it(name, () => {
      const source = file(name);
      const original = readFileSync(source);
      const withBom = copy(source, 'bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), original]));
      const plain = copy(source, 'plain', original);
      const a = everything(readOpenBciText(plain), plain);
      const b = everything(readOpenBciText(withBom), withBom);
      expect(a.totalSamples).toBeGreaterThan(20_000);
      expect(b).toEqual(a);
    });
  }

  it('the CLI reads it too (info, exit 0)', async () => {
    const withBom = copy(GUI_V6, 'bom-cli', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(GUI_V6)]));
    const r = await runCli(['info', withBom], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/OpenBCI GUI v6 text/);
  });
});

describe('a value that overflows a double (1e999) is refused as NaN is', () => {
  const text = readFileSync(GUI_V6, 'latin1');
  const line = text.split('\n').findIndex((l) => l.startsWith('6, 61315.06,')) + 1; // a row near the start
  const replaced = (value: string) => copy(GUI_V6, `value-${value.replace(/\W/g, '_')}`, Buffer.from(text.replace('\n6, 61315.06,', `\n6, ${value},`), 'latin1'));

  it('parseDecimal gives NaN for 1e999 and -1e400, as for NaN; finite numbers unchanged', () => {
    const parse = (t: string) => parseDecimal(new TextEncoder().encode(t), 0, t.length);
    for (const t of ['1e999', '-1e400', '1' + '0'.repeat(400), 'NaN', 'Infinity']) expect(parse(t)).toBeNaN();
    for (const t of ['1e308', '-1.5e3', '187500.02']) expect(parse(t)).toBe(Number(t));
  });

  for (const value of ['1e999', '-1e400', 'NaN']) {
    it(`${value} in EXG Channel 0 of a real file: one error naming the file, line and field`, async () => {
      expect(line).toBeGreaterThan(0);
      const path = replaced(value);
      let thrown: unknown;
      try {
        readOpenBciText(path);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidDataError);
      const expected = value === 'NaN' ? 'a number' : 'a finite number (this one overflows a double)';
      expect((thrown as Error).message).toBe(`${path}: line ${line}, column 4 (field 2, EXG Channel 0): expected ${expected}, got "${value}"`);
      const r = await runCli(['convert', path, join(dir, `out-${value}`)], { timeoutMs: 60_000 });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`neurostream: ${(thrown as Error).message} [NS_INVALID_DATA]\n`);
    }, 60_000);
  }
});
