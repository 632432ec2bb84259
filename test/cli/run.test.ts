import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const STATUS = /^\[\s*\d+\.\d s\] (\S+) (\d+) ch @ (\S+ k?Hz) \| ([\d.]+) k?S\/s\/ch \(([\d.]+)%\) \| blocks (\d+) \| dropped (\d+) \| lag ([\d.]+) ms \(max ([\d.]+) ms\)( \| .*)?$/;

describe('neurostream run', () => {
  it('runs a 2 s intracortical session, printing status lines, and exits 0', async () => {
    const r = await runCli(['run', '--duration', '2', '--status-interval', '0.5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const status = lines.filter((l) => STATUS.test(l));
    expect(status.length).toBeGreaterThanOrEqual(2);
    const m = STATUS.exec(status.at(-1)!)!;
    expect(m[1]).toBe('intracortical-simulator');
    expect(m[2]).toBe('96');
    expect(m[7]).toBe('0');
    expect(lines.at(-1)).toMatch(
      /^stopped \(duration reached\) after [\d.]+ s: 60000 samples\/ch in 2000 blocks .* 0 dropped, max lag [\d.]+ ms; features 100 bins, [\d.]+ crossings\/s\/ch \(spike band 300–3000 Hz, CAR, 20 ms bins(, \d+ worker threads)?\) \| decoder kalman: calibrating on 50 bins \(20 s\)$/,
    );
    // The simulated units fire at 5–25 Hz: the chain finds crossings.
    const rate = Number(/features 100 bins, ([\d.]+) crossings/.exec(lines.at(-1)!)![1]);
    expect(rate).toBeGreaterThan(3);
    expect(rate).toBeLessThan(60);
  });

  it('reports event rates per second of signal: a --fast run gives the rate of the same session in real time', async () => {
    const args = ['run', '--channels', '8', '--seed', '5', '--duration', '3', '--decoder', 'none', '--no-dashboard'];
    const rateOf = (stdout: string): number => Number(/features 150 bins, ([\d.]+) crossings\/s\/ch/.exec(stdout.trim().split('\n').at(-1)!)![1]);
    const fast = await runCli([...args, '--fast']);
    expect(fast.code, fast.stderr).toBe(0);
    const live = await runCli(args);
    expect(live.code, live.stderr).toBe(0);
    // The same seed gives the same signal: per second of signal, the rates agree (to the printed
    // 0.1) however fast each run went — no wall-clock figure is asserted.
    expect(Math.abs(rateOf(fast.stdout) - rateOf(live.stdout))).toBeLessThanOrEqual(0.1 + 1e-9);
    expect(rateOf(fast.stdout)).toBeGreaterThan(3);
    expect(rateOf(fast.stdout)).toBeLessThan(60);
  }, 30_000);

  it('runs the EEG simulator with the flags given', async () => {
    const r = await runCli(['run', '--device', 'eeg', '--channels', '16', '--duration', '1', '--fast', '--seed', '3']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stopped \(duration reached\) after [\d.]+ s: 250 samples\/ch in 250 blocks .*; filtered 250 blocks \(1–40 Hz, 60 Hz notch\)$/m);
  });

  it('stops cleanly on SIGINT with a summary', async () => {
    let sent = false;
    const r = await runCli(['run', '--status-interval', '0.2'], {
      onStdout: (text, child) => {
        // Any status line with figures (a loaded machine may first print `waiting for data…`).
        if (!sent && text.split('\n').some((line) => STATUS.test(line))) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^stopped \(SIGINT\) after [\d.]+ s: \d+ samples\/ch/);
  });

  it.each([
    [['--channels', '0'], '--channels: expected an integer from 1 to 1024, got 0'],
    [['--channels', '1025'], '--channels: expected an integer from 1 to 1024, got 1025'],
    [['--channels', 'many'], '--channels: expected an integer, got "many"'],
    [['--device', 'nope'], '--device: expected one of intracortical, eeg, cyton, frame, intan, lsl, got "nope"'],
    [['--device', 'eeg', '--channels', '32'], '--channels: expected one of 8, 16, 64, got 32'],
    [['--duration', '-1'], '--duration: expected a finite number > 0, got -1'],
    [['--rate', '10'], '--rate: expected a finite number from 1000 to 100000, got 10'],
    [['--mains', '55'], '--mains: expected one of 50, 60, got "55"'],
    [['--block-ms', '0'], '--block-ms: expected a number greater than 0 and at most 10000, got "0"'],
    [['--frobnicate'], "unknown option '--frobnicate'"],
  ])('rejects %j with one line and exit 2', async (args, message) => {
    const r = await runCli(['run', ...args]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
    expect(lines[0]).toMatch(/^neurostream: .* \[NS_(INVALID_OPTION|USAGE)\]$/);
  });

  it('stops a stream too slow for the spike band with one line saying what to do (exit 1); --no-dsp runs it', async () => {
    const r = await runCli(['run', '--rate', '2500', '--duration', '1', '--no-dashboard']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/processing failed: stream [^:]+: expected a sample rate above 6000 Hz for the intracortical chain's spike band \(300–3000 Hz\) — a field-potential stream \(a Neuropixels LF file\) runs or replays without processing: --no-dsp, got "2500 Hz"/);
    const plain = await runCli(['run', '--rate', '2500', '--duration', '1', '--no-dashboard', '--no-dsp']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/2500 samples\/ch/);
  });

  it('rejects an unknown command', async () => {
    const r = await runCli(['fly']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^neurostream: unknown command 'fly' \[NS_USAGE\]\n$/);
  });

  it('prints help and version with exit 0', async () => {
    const help = await runCli(['run', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--channels <n>');
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
