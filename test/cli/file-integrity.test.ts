/**
 * Commands that read and write files, on real files: outputs never overwrite anything (an input
 * least of all), a recording cut short after it was finalised is never taken for whole, an output
 * name that is no format convert writes is refused, and a convert stopped by a signal leaves no
 * partial output.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { InfoReport } from '../../cli/commands/info.js';
import { ArrowStreamFileReader } from '../../recordings/arrow/arrow-stream-file-reader.js';
import { readManifest } from '../../recordings/session-manifest.js';
import { CLI, runCli } from '../helpers/cli.js';
import { sharedData } from '../helpers/shared-data.js';

const LOCUST = fileURLToPath(sharedData('extracellular/locust/locust_trial_01.raw'));
const R04 = fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf'));
const JORDAN = fileURLToPath(sharedData('eeg/openbci/OpenBCI_2016-02-13_Jordan_focus.txt'));
const V6 = fileURLToPath(sharedData('eeg/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt'));

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-files-'));
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  return lines[0]!;
}

describe('filter never overwrites', () => {
  it('refuses an existing OUT — the input itself above all — with exit 2, touching nothing', async () => {
    const root = tempDir();
    const input = join(root, 'locust.raw');
    copyFileSync(LOCUST, input);
    copyFileSync(join(dirname(LOCUST), 'info.json'), join(root, 'info.json'));
    const original = readFileSync(input);

    const self = await runCli(['filter', input, input, '--bandpass', '300', '3000']);
    expect(self.code).toBe(2);
    expect(oneLine(self.stderr)).toBe(`neurostream: OUT ${input}: expected a new file (nothing is overwritten), got "an existing file" [NS_INVALID_OPTION]`);
    expect(readFileSync(input).equals(original)).toBe(true);
    expect(existsSync(`${input}.json`)).toBe(false);

    const other = join(root, 'earlier.f32');
    writeFileSync(other, 'an earlier result');
    const again = await runCli(['filter', input, other, '--car']);
    expect(again.code).toBe(2);
    expect(oneLine(again.stderr)).toContain(`OUT ${other}: expected a new file (nothing is overwritten), got "an existing file"`);
    expect(readFileSync(other, 'utf8')).toBe('an earlier result');

    // OUT.json is an output too: info.json beside the input is never rewritten as one.
    const described = join(root, 'info');
    const json = await runCli(['filter', input, described, '--car']);
    expect(json.code).toBe(2);
    expect(oneLine(json.stderr)).toContain(`OUT.json ${described}.json: expected a new file (nothing is overwritten), got "an existing file"`);
    expect(existsSync(described)).toBe(false);
    expect(JSON.parse(readFileSync(join(root, 'info.json'), 'utf8'))).toMatchObject({ sample_rate: 15000 });
  });

  it('says in one line, exit 2, when OUT is in a missing or unwritable directory, and when IN is a directory', async () => {
    const root = tempDir();
    const missing = await runCli(['filter', LOCUST, join(root, 'no', 'such', 'out.f32'), '--car']);
    expect(missing.code).toBe(2);
    expect(oneLine(missing.stderr)).toContain(`out.f32: expected a path in an existing directory, got "no directory ${join(root, 'no', 'such')}"`);
    // /proc takes no new files, even from root.
    const unwritable = await runCli(['filter', LOCUST, '/proc/neurostream-filter-out.f32', '--car']);
    expect(unwritable.code).toBe(2);
    expect(oneLine(unwritable.stderr)).toMatch(/^neurostream: OUT \/proc\/neurostream-filter-out\.f32: expected a new file \(nothing is overwritten\) in a directory this user can write to, got .* \[NS_INVALID_OPTION\]$/);
    const directory = await runCli(['filter', root, join(root, 'out.f32'), '--car', '--channels', '4', '--rate', '15000', '--format', 'int16']);
    expect(directory.code).toBe(1);
    expect(oneLine(directory.stderr)).toBe(`neurostream: ${root}: expected a file of samples, got a directory [NS_INVALID_DATA]`);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('other writers refuse existing outputs the same way', () => {
  it('emulate --link never replaces a file of the user (socat would, then delete it)', async () => {
    const root = tempDir();
    const file = join(root, 'notes.txt');
    writeFileSync(file, 'keep me');
    const r = await runCli(['emulate', '--link', file, '--duration', '0.5']);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`--link ${file}: expected a path that is free or an earlier emulator's link`);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('calibrate --out: an existing model, or a missing directory, is refused before fitting', async () => {
    const root = tempDir();
    const model = join(root, 'model.onnx');
    writeFileSync(model, 'an earlier model');
    const M1 = fileURLToPath(sharedData('spiking/m1_binned.csv'));
    const args = ['calibrate', M1, '--decoder', 'kalman', '--features', 'unit_*', '--target', 'vel_x,vel_y', '--out'];
    const existing = await runCli([...args, model]);
    expect(existing.code).toBe(2);
    expect(oneLine(existing.stderr)).toContain(`--out ${model}: expected a new file (nothing is overwritten), got "an existing file"`);
    expect(readFileSync(model, 'utf8')).toBe('an earlier model');
    const missing = await runCli([...args, join(root, 'nowhere', 'm.onnx')]);
    expect(missing.code).toBe(2);
    expect(oneLine(missing.stderr)).toContain('expected a path in an existing directory');
  });

  it('bench decoders --out refuses a directory holding other files of its report names', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'report.md'), '# my own report');
    const r = await runCli(['bench', 'decoders', fileURLToPath(sharedData('spiking/m1_binned.csv')), '--features', 'unit_*', '--target', 'vel_x,vel_y', '--out', root]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`--out ${root}: expected a new directory, or one holding an earlier decoders report`);
    expect(readFileSync(join(root, 'report.md'), 'utf8')).toBe('# my own report');
  });
});

describe('convert OUT names a format it writes', () => {
  it.each(['out.csv', 'out.nwb5', 'out.EDF2'])('refuses %s with exit 2, listing the formats, writing nothing', async (name) => {
    const root = tempDir();
    const r = await runCli(['convert', R04, join(root, name)]);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toContain(`OUT ${join(root, name)}: expected a new recording directory (a name without an extension, or ending in /), a .edf file (EDF+), a .bdf file (BDF+), a .xdf file (XDF) or a .nwb file (NWB 2.x), got "a .${name.split('.')[1]!.toLowerCase()} name (not a format convert writes)"`);
    expect(readdirSync(root)).toEqual([]);
  });

  it('takes any name ending in / as a recording directory', async () => {
    const root = tempDir();
    const r = await runCli(['convert', R04, `${join(root, 'run.04')}/`]);
    expect(r.code).toBe(0);
    expect(readManifest(join(root, 'run.04')).status).toBe('complete');
  });
});

describe('a recording cut short after it was finalised', () => {
  /** R04 converted to a recording, then its signals.arrows cut in the middle of a batch. */
  async function truncatedRecording(): Promise<{ dir: string; manifestSamples: number; held: number }> {
    const dir = join(tempDir(), 'r04');
    expect((await runCli(['convert', R04, dir])).code).toBe(0);
    const signals = join(dir, 'signals.arrows');
    const reader = new ArrowStreamFileReader(signals);
    const batches: { start: number; end: number; length: number }[] = [];
    for (let b = reader.nextBatch(); b; b = reader.nextBatch()) batches.push({ start: b.start, end: b.end, length: b.length });
    reader.close();
    expect(batches.length).toBeGreaterThan(4);
    const cutIn = batches[Math.floor(batches.length / 2)]!;
    truncateSync(signals, Math.floor((cutIn.start + cutIn.end) / 2)); // mid-batch
    const held = batches.filter((b) => b.end <= cutIn.start).reduce((n, b) => n + b.length, 0);
    return { dir, manifestSamples: readManifest(dir).streams[0]!.samples, held };
  }

  it('info says TRUNCATED, with what the manifest says and what the file holds', async () => {
    const { dir, manifestSamples, held } = await truncatedRecording();
    expect(manifestSamples).toBe(20000);
    const text = await runCli(['info', dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`TRUNCATED: ${join(dir, 'signals.arrows')}: manifest says 20000 samples, file holds ${held}`);
    expect(text.stdout).toContain(`${held} samples = `); // the stream as it is, not as the manifest says
    const json = JSON.parse((await runCli(['info', dir, '--json'])).stdout) as InfoReport;
    expect(json.truncated).toEqual([expect.objectContaining({ file: join(dir, 'signals.arrows'), manifestSamples: 20000, fileSamples: held })]);
    expect(json.streams[0]!.samples).toBe(held);
    expect(json.notes[0]).toMatch(/^TRUNCATED: .*cut after the session had closed it and written session\.json/);
  }, 60_000);

  it('convert exits 1 writing nothing; with --allow-truncated it warns and the output notes what happened', async () => {
    const { dir, held } = await truncatedRecording();
    const out = join(dirname(dir), 'copy');
    const refused = await runCli(['convert', dir, out]);
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(/^neurostream: TRUNCATED: .*signals\.arrows: session\.json \(complete\) says 20000 samples, the file holds \d+.*--allow-truncated reads what is there \[NS_INVALID_DATA\]$/);
    expect(existsSync(out)).toBe(false);
    const allowed = await runCli(['convert', dir, out, '--allow-truncated']);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/^neurostream convert: WARNING: TRUNCATED: /m);
    expect(allowed.stdout).toContain(`${held} samples`);
    const copy = readManifest(out);
    expect(copy.streams[0]!.samples).toBe(held);
    expect(copy.notes.join('\n')).toMatch(/TRUNCATED: .*says 20000 samples, the file holds \d+.*samples were lost when the file was cut/);
  }, 60_000);

  it('replay exits 1; with --allow-truncated it warns and replays what is there', async () => {
    const { dir } = await truncatedRecording();
    const refused = await runCli(['replay', dir, '--speed', 'max', '--no-dsp']);
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(/TRUNCATED: .*--allow-truncated reads what is there/);
    const allowed = await runCli(['replay', dir, '--speed', 'max', '--no-dsp', '--allow-truncated'], { timeoutMs: 60_000 });
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/^neurostream replay: WARNING: TRUNCATED: /m);
  }, 90_000);

  it('evaluate exits 1; with --allow-truncated it warns (even with --json) and scores what is there', async () => {
    const { dir } = await truncatedRecording();
    const args = ['evaluate', dir, '--decoder', 'lda', '--classes', 'T1,T2', '--window', '0.5,2.5', '--folds', '2'];
    const refused = await runCli(args);
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(/TRUNCATED: .*--allow-truncated/);
    const allowed = await runCli([...args, '--allow-truncated', '--json']);
    expect(allowed.code).toBe(0);
    expect(allowed.stderr).toMatch(/^neurostream evaluate: WARNING: TRUNCATED: /m);
    expect(JSON.parse(allowed.stdout)).toMatchObject({ kind: 'discrete' });
  }, 60_000);

  it('a clean cut between two messages (no bytes of a batch left, no end-of-stream marker) is TRUNCATED too', async () => {
    const dir = join(tempDir(), 'r04');
    expect((await runCli(['convert', R04, dir])).code).toBe(0);
    const markersFile = join(dir, 'markers.arrows');
    const reader = new ArrowStreamFileReader(markersFile);
    const first = reader.nextBatch();
    reader.close();
    expect(first?.length).toBe(30); // R04's 30 annotations
    truncateSync(markersFile, first!.start); // the schema alone is left: a valid stream of no markers
    const text = await runCli(['info', dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`TRUNCATED: ${markersFile}: session.json says the recording is complete, but the file ends without the Arrow end-of-stream marker, after a complete batch: the batches after it were lost`);
    const json = JSON.parse((await runCli(['info', dir, '--json'])).stdout) as InfoReport;
    expect(json.truncated).toEqual([expect.objectContaining({ file: markersFile, cutBytes: 0 })]);
    const out = join(dirname(dir), 'copy');
    const refused = await runCli(['convert', dir, out]);
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(/^neurostream: TRUNCATED: .*markers\.arrows: .*end-of-stream marker.*--allow-truncated reads what is there \[NS_INVALID_DATA\]$/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('a signals.arrows cut just before its end-of-stream marker (every row there) still says it was cut', async () => {
    const dir = join(tempDir(), 'r04');
    expect((await runCli(['convert', R04, dir])).code).toBe(0);
    const signals = join(dir, 'signals.arrows');
    truncateSync(signals, statSync(signals).size - 8); // the 8-byte marker: continuation, length 0
    const refused = await runCli(['convert', dir, join(dirname(dir), 'copy')]);
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(/^neurostream: TRUNCATED: .*signals\.arrows: .*without the Arrow end-of-stream marker/);
  }, 60_000);

  it('a signals.arrows that is a directory is one line naming it', async () => {
    const dir = join(tempDir(), 'r04');
    expect((await runCli(['convert', R04, dir])).code).toBe(0);
    const signals = join(dir, 'signals.arrows');
    rmSync(signals);
    mkdirSync(signals);
    for (const command of [['info', dir], ['replay', dir], ['convert', dir, join(dirname(dir), 'x')]]) {
      const r = await runCli(command);
      expect(r.code).toBe(1);
      expect(oneLine(r.stderr)).toBe(`neurostream: ${signals}: expected a readable Arrow IPC stream file, got "a directory" [NS_INVALID_DATA]`);
    }
  }, 60_000);
});

describe('convert stopped by a signal', () => {
  /** Starts convert, sends `signal` once OUT appears (the conversion under way), and waits for the end. */
  function convertAndSignal(input: string, out: string, signal: NodeJS.Signals): Promise<{ code: number | null; killedBy: NodeJS.Signals | null; stderr: string; sentWhileRunning: boolean }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, 'convert', input, out], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      let sentWhileRunning = false;
      child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
      const poll = setInterval(() => {
        if (existsSync(out) && child.exitCode === null) {
          clearInterval(poll);
          sentWhileRunning = child.kill(signal);
        }
      }, 2);
      child.on('close', (code, killedBy) => {
        clearInterval(poll);
        resolve({ code, killedBy, stderr, sentWhileRunning });
      });
    });
  }

  it.each([
    ['SIGTERM', 'recording', 143],
    ['SIGINT', 'EDF+ file', 130],
  ] as const)('on %s removes its partial output (%s) and exits 128 + the signal', async (signal, kind, status) => {
    const root = tempDir();
    const out = join(root, kind === 'recording' ? 'v6' : 'v6.edf');
    const r = await convertAndSignal(V6, out, signal);
    expect(r.sentWhileRunning).toBe(true);
    expect(r.killedBy).toBeNull(); // it handled the signal itself
    expect(r.code).toBe(status);
    expect(oneLine(r.stderr)).toBe(`neurostream convert: interrupted by ${signal}: removed the partial output ${out}`);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root)).toEqual([]);
  }, 60_000);

  /** True once the process catches SIGHUP (Node does not by default): convert's handlers are in place. */
  function catchesSighup(pid: number): boolean {
    try {
      const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return mask !== undefined && (BigInt(`0x${mask}`) & 1n) === 1n;
    } catch {
      return false; // not started yet, or gone
    }
  }

  it('during its first passes over the input (before writing) stops at once: exit 128 + n, nothing written', async () => {
    // Jordan with a range that clips nearly everything: two passes (ranges, then the clip count),
    // then a refusal — nothing is ever written, so the signal can only land in those passes.
    const out = join(tempDir(), 'jordan.edf');
    const child = spawn(process.execPath, [CLI, 'convert', JORDAN, out, '--physical-range', '-1:1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    let sent = false;
    const poll = setInterval(() => {
      if (child.pid !== undefined && child.exitCode === null && catchesSighup(child.pid)) {
        clearInterval(poll);
        sent = child.kill('SIGINT');
      }
    }, 1);
    const [code, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, k) => resolve([c, k])));
    clearInterval(poll);
    expect(sent).toBe(true);
    expect(killedBy).toBeNull(); // it handled the signal itself …
    expect(code).toBe(130); // … then, not after both passes with the refusal (exit 2) and the signal lost
    expect(oneLine(stderr)).toBe(`neurostream convert: interrupted by SIGINT: nothing was written to ${out}`);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('still converts in full when left alone (the same input)', async () => {
    const out = join(tempDir(), 'v6');
    const r = await runCli(['convert', V6, out]);
    expect(r.code).toBe(0);
    expect(statSync(join(out, 'signals.arrows')).size).toBeGreaterThan(1e6);
  }, 60_000);
});

describe('numeric flags that must be positive', () => {
  it.each([
    [['replay', '.', '--block-ms', '0'], '--block-ms: expected a number greater than 0 and at most 10000, got "0"'],
    [['replay', '.', '--block-ms', '-5'], '--block-ms: expected a number greater than 0 and at most 10000, got "-5"'],
    [['run', '--block-ms', 'NaN'], '--block-ms: expected a number greater than 0 and at most 10000, got "NaN"'],
    [['filter', LOCUST, '/tmp/never-written.f32', '--car', '--scale', '0'], '--scale: expected a number greater than 0, got "0"'],
    [['filter', LOCUST, '/tmp/never-written.f32', '--car', '--rate', '-1'], '--rate: expected a number greater than 0, got "-1"'],
    [['filter', LOCUST, '/tmp/never-written.f32', '--notch', '0'], '--notch: expected a number greater than 0, got "0"'],
    [['filter', LOCUST, '/tmp/never-written.f32', '--notch', '-50'], '--notch: expected a number greater than 0, got "-50"'],
  ])('%j → one line, exit 2', async (args, message) => {
    const r = await runCli(args);
    expect(r.code).toBe(2);
    expect(oneLine(r.stderr)).toBe(`neurostream: ${message} [NS_INVALID_OPTION]`);
  });
});
