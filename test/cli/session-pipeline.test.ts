/**
 * The manifest's `pipeline` says what ran on the stream, never what was merely asked for: the
 * default `--decoder kalman` runs only on an extracellular stream's binned features.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readManifest } from '../../recordings/session-manifest.js';
import { runCli } from '../helpers/cli.js';
import { type RunningEmulator, startEmulator } from '../helpers/emulator.js';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-pipeline-'));
}

describe('the recorded pipeline', () => {
  it('an EEG session records no decoder, and its replay runs none', async () => {
    const dir = join(tempDir(), 'eeg');
    const r = await runCli(['run', '--device', 'eeg', '--fast', '--duration', '2', '--no-dashboard', '--record', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(readManifest(dir).pipeline).toEqual({ dsp: true, mainsHz: 60, decoder: 'none' });
    expect(readManifest(dir).decoder).toBeUndefined();
    const replayed = join(tempDir(), 'replayed');
    const p = await runCli(['replay', dir, '--speed', 'max', '--no-dashboard', '--record', replayed]);
    expect(p.code, p.stderr).toBe(0);
    expect(readManifest(replayed).pipeline).toEqual({ dsp: true, mainsHz: 60, decoder: 'none' });
  }, 30_000);

  it('a Cyton session (emulated on a pty) records no decoder', async () => {
    emulator = await startEmulator(['--protocol', 'cyton']);
    const dir = join(tempDir(), 'cyton');
    const r = await runCli(['run', '--device', 'cyton', '--port', emulator.link, '--duration', '2', '--no-dashboard', '--record', dir], { timeoutMs: 30_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(readManifest(dir).pipeline).toEqual({ dsp: true, mainsHz: 60, decoder: 'none' });
  }, 30_000);

  it('an intracortical session without DSP records no decoder; with --decoder none neither', async () => {
    const root = tempDir();
    const r = await runCli(['run', '--channels', '8', '--fast', '--duration', '1', '--no-dashboard', '--no-dsp', '--record', join(root, 'raw')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readManifest(join(root, 'raw')).pipeline).toEqual({ dsp: false, mainsHz: 60, decoder: 'none' });
    const n = await runCli(['run', '--channels', '8', '--fast', '--duration', '1', '--no-dashboard', '--decoder', 'none', '--record', join(root, 'none')]);
    expect(n.code, n.stderr).toBe(0);
    expect(readManifest(join(root, 'none')).pipeline).toEqual({ dsp: true, mainsHz: 60, decoder: 'none' });
  }, 30_000);
});
