/**
 * Real EDF/BDF files with one header field made impossible (copies patched in a temp dir): the
 * reader throws one InvalidDataError naming the file and the field, and `info`/`convert` print one
 * line and exit 1 — no stack trace, no silently dropped signal, no empty read.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, InvalidDataError } from '../../../core/index.js';
import { readEdf } from '../../../recordings/edf/edf-reader.js';
import { runCli } from '../../helpers/cli.js';
import { sharedData } from '../../helpers/shared-data.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-edf-corrupt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const R04 = fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf')); // 64 EEG + annotations, 1 s records, 160 Hz
const BDF = fileURLToPath(sharedData('eeg/edge-cases/test_bdf_stim_channel.bdf'));

/** Offsets of per-signal fields (256-byte fixed header, then each field for all `ns` signals). */
function signalField(ns: number, name: 'pmin' | 'pmax' | 'dmin' | 'dmax' | 'spr', signal: number): [number, number] {
  const before = { pmin: 104, pmax: 112, dmin: 120, dmax: 128, spr: 216 }[name];
  return [256 + ns * before + signal * 8, 8];
}

/** A copy of `source` with header bytes [at, at + width) set to `text` (space-padded). */
function patched(source: string, name: string, edits: [[number, number], string][]): string {
  const bytes = Buffer.from(readFileSync(source));
  for (const [[at, width], text] of edits) for (let i = 0; i < width; i++) bytes[at + i] = i < text.length ? text.charCodeAt(i) : 0x20;
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

const NS = 65; // S001R04: 64 EEG + EDF Annotations
const DURATION: [number, number] = [244, 8];

const CASES: { name: string; source?: string; edits: [[number, number], string][]; message: RegExp }[] = [
  { name: 'spr-zero.edf', edits: [[signalField(NS, 'spr', 3), '0']], message: /signal 3 "Fcz\." number of samples in each data record: expected an integer ≥ 1, got "0"/ },
  { name: 'spr-negative.edf', edits: [[signalField(NS, 'spr', 0), '-160']], message: /signal 0 "Fc5\." number of samples in each data record: expected an integer ≥ 1, got "-160"/ },
  {
    name: 'spr-huge.edf',
    edits: [[signalField(NS, 'spr', 64), '99999999']],
    message: /signal 64 "EDF Annotations" number of samples in each data record: expected at most 1000000 .*got "99999999"/,
  },
  { name: 'rate-huge.edf', edits: [[signalField(NS, 'spr', 0), '99999999']], message: /signal 0 "Fc5\." number of samples in each data record: expected at most 1000000/ },
  { name: 'duration-zero.edf', edits: [[DURATION, '0']], message: /header field "duration of a data record": expected seconds > 0 .*got "0"/ },
  { name: 'duration-negative.edf', edits: [[DURATION, '-1']], message: /header field "duration of a data record": expected seconds ≥ 0, got "-1"/ },
  { name: 'duration-nan.edf', edits: [[DURATION, 'NaN']], message: /header field "duration of a data record": expected a decimal number, got "NaN"/ },
  { name: 'duration-infinite.edf', edits: [[DURATION, '1e999']], message: /header field "duration of a data record": expected a finite decimal number, got "1e999"/ },
  { name: 'duration-tiny.edf', edits: [[DURATION, '1e-300']], message: /header field "duration of a data record": expected seconds ≥ 0\.000001 .*got "1e-300"/ },
  {
    name: 'physical-equal.edf',
    edits: [[signalField(NS, 'pmin', 5), '100'], [signalField(NS, 'pmax', 5), '100']],
    message: /signal 5 "Fc4\." physical minimum: expected different from the physical maximum \(100\), got "100"/,
  },
  { name: 'physical-infinite.edf', edits: [[signalField(NS, 'pmax', 0), '1e999']], message: /signal 0 "Fc5\." physical maximum: expected a finite decimal number, got "1e999"/ },
  { name: 'digital-inverted.edf', edits: [[signalField(NS, 'dmin', 0), '8092']], message: /signal 0 "Fc5\." digital minimum: expected less than the digital maximum \(8092\), got "8092"/ },
  { name: 'digital-beyond-16-bit.edf', edits: [[signalField(NS, 'dmax', 0), '40000']], message: /signal 0 "Fc5\." digital maximum: expected an integer from -32768 to 32767, got "40000"/ },
  {
    name: 'digital-beyond-24-bit.bdf',
    source: BDF,
    edits: [[signalField(4, 'dmin', 0), '-9000000']],
    message: /signal 0 "C3" digital minimum: expected an integer from -8388608 to 8388607, got "-9000000"/,
  },
];

describe('EDF/BDF headers with impossible rates or ranges: one error naming the file and the field', () => {
  for (const c of CASES) {
    it(`${c.name}: readEdf throws InvalidDataError; info and convert print one line and exit 1`, async () => {
      const path = patched(c.source ?? R04, c.name, c.edits);
      let thrown: unknown;
      try {
        readEdf(path);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(InvalidDataError);
      expect((thrown as InvalidDataError).code).toBe(ErrorCode.InvalidData);
      expect((thrown as Error).message.startsWith(path)).toBe(true);
      expect((thrown as Error).message).toMatch(c.message);
      for (const args of [['info', path], ['convert', path, join(dir, `${c.name}-out/`)]]) {
        const r = await runCli(args, { timeoutMs: 60_000 });
        expect(r.code, r.stderr).toBe(1);
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(c.message);
        expect(lines[0]).toContain(path);
        expect(lines[0]).toMatch(/\[NS_INVALID_DATA\]$/);
      }
    }, 120_000);
  }

  it('the unpatched files read (the patches, not the files, are at fault)', () => {
    expect(readEdf(R04).streams[0]!.info.channelNames).toHaveLength(64);
    expect(readEdf(BDF).streams[0]!.info.channelNames.length).toBeGreaterThan(0);
  });
});
