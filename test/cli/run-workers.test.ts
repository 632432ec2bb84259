import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRecording } from '../../recordings/recording-reader.js';
import { runCli } from '../helpers/cli.js';

/** Features and intents of a recording, values as bytes (compared bit for bit). */
function outputsOf(dir: string): { features: string[]; intents: string[] } {
  const r = openRecording(dir);
  return {
    features: r.features().map((f) => `${f.bin} ${f.t0} ${f.names.length} ${Buffer.from(f.values.buffer, f.values.byteOffset, f.values.byteLength).toString('hex')}`),
    intents: r.intents().map((i) => `${i.bin} ${Buffer.from(i.values.buffer, i.values.byteOffset, i.values.byteLength).toString('hex')}`),
  };
}

describe('neurostream run / replay --workers', () => {
  it('runs the intracortical chain on worker threads live, and replays it on 1 and 3 threads (and without a decoder) into the same features and intents bit for bit', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ns-workers-'));
    const live = join(root, 'live');
    // 4 s: thresholds settle (1 s), the Kalman filter calibrates on 2 s, then decodes 1 s.
    const r = await runCli(['run', '--channels', '64', '--workers', '2', '--duration', '4', '--calibrate-s', '2', '--no-dashboard', '--record', live], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-2)).toMatch(/features 200 bins, [\d.]+ crossings\/s\/ch \(spike band 300–3000 Hz, CAR, 20 ms bins, 2 worker threads\) \| decoder kalman/);
    const recorded = outputsOf(live);
    expect(recorded.features.length).toBe(200);
    expect(recorded.intents.length).toBe(50);

    for (const workers of ['1', '3']) {
      const again = join(root, `replay-${workers}`);
      const p = await runCli(['replay', live, '--speed', 'max', '--workers', workers, '--no-dashboard', '--record', again], { timeoutMs: 60_000 });
      expect(p.stderr).toBe('');
      expect(p.code).toBe(0);
      expect(p.stdout).toMatch(workers === '1' ? /\(spike band 300–3000 Hz, CAR, 20 ms bins\)/ : /\(spike band 300–3000 Hz, CAR, 20 ms bins, 3 worker threads\)/);
      const replayed = outputsOf(again);
      expect(replayed.features).toEqual(recorded.features);
      expect(replayed.intents).toEqual(recorded.intents);
    }

    // Without a decoder nothing else waits for the chain: the session still waits for the bins the
    // workers hold when the recording ends (at max speed they hold several batches).
    const bare = join(root, 'replay-no-decoder');
    const q = await runCli(['replay', live, '--speed', 'max', '--workers', '2', '--decoder', 'none', '--no-dashboard', '--record', bare], { timeoutMs: 60_000 });
    expect(q.stderr).toBe('');
    expect(q.code).toBe(0);
    expect(q.stdout).toMatch(/features 200 bins/);
    expect(outputsOf(bare).features).toEqual(recorded.features);
  }, 180_000);

  it.each([
    ['0', /--workers: expected an integer from 1 to 256, got 0/],
    ['-3', /--workers: expected an integer from 1 to 256, got -3/],
    ['1.5', /--workers: expected an integer, got "?1\.5"?/],
    ['many', /--workers: expected an integer, got "?many"?/],
  ])('refuses --workers %s with exit code 2', async (value, message) => {
    const r = await runCli(['run', `--workers=${value}`, '--duration', '1', '--no-dashboard']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('refuses more workers than the stream has channels: the session stops with exit code 1, saying so', async () => {
    const r = await runCli(['run', '--channels', '4', '--workers', '8', '--duration', '2', '--fast', '--decoder', 'none', '--no-dashboard']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--workers: expected at most the stream's 4 channels \(each worker thread takes at least one\), got 8/);
  });
});
