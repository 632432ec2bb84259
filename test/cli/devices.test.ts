import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { type RunningEmulator, startEmulator } from '../helpers/emulator.js';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

describe('neurostream run with real serial devices', () => {
  it.each([
    ['cyton', ['--protocol', 'cyton'], /cyton 11 ch @ 250 Hz/, 250],
    ['frame', ['--protocol', 'frame', '--channels', '64'], /frame 64 ch @ 30 kHz/, 30000],
  ] as const)('acquires from an emulated %s device on a pty', async (device, args, pattern, rate) => {
    emulator = await startEmulator(args);
    const r = await runCli(['run', '--device', device, '--port', emulator.link, '--duration', '2', '--status-interval', '0.5']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(pattern);
    const summary = r.stdout.trim().split('\n').at(-1)!;
    expect(summary).toMatch(/^stopped \(duration reached\) after [\d.]+ s: \d+ samples\/ch .* 0 dropped/);
    const samples = Number(/: (\d+) samples\/ch/.exec(summary)![1]);
    expect(samples).toBeGreaterThan(rate * 1.5);
  });

  it('says in the status line that a serial device is away and which reconnection attempt is under way; records under a clean session id', async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    emulator = await startEmulator(['--protocol', 'cyton', '--unplug-after', '4', '--replug-after', '2.5']);
    const dir = mkdtempSync(join(tmpdir(), 'ns-away-'));
    try {
      const r = await runCli(['run', '--device', 'cyton', '--port', emulator.link, '--duration', '10', '--status-interval', '0.25', '--no-dashboard', '--record', join(dir, 'rec')], { timeoutMs: 30_000 });
      expect(r.code).toBe(0);
      const lines = r.stdout.split('\n');
      const away = lines.filter((l) => /cyton 11 ch @ 250 Hz \| device lost, reconnecting \(attempt \d+\) \|/.test(l));
      expect(away.length).toBeGreaterThanOrEqual(3);
      // Attempts count up while it is away (the port is gone: each reopen fails)…
      const attempts = away.map((l) => Number(/attempt (\d+)/.exec(l)![1]));
      expect(Math.max(...attempts)).toBeGreaterThan(1);
      // (the line is sampled every 0.25 s, so it may miss an attempt; it never goes back — every
      // attempt is reported, consecutively, at the driver: test/devices/drivers/cyton-source.test.ts)
      expect(attempts).toEqual([...attempts].sort((a, b) => a - b));
      // …and once it streams again the line no longer says so.
      const lastAway = lines.lastIndexOf(away.at(-1)!);
      expect(lines.slice(lastAway + 1).some((l) => /cyton 11 ch/.test(l) && !/device lost/.test(l))).toBe(true);
      const manifest = JSON.parse(readFileSync(join(dir, 'rec', 'session.json'), 'utf8')) as { sessionId: string };
      expect(manifest.sessionId).toMatch(new RegExp(`^cyton-${emulator.link.split('/').at(-1)}-\\d`));
      expect(manifest.sessionId).not.toContain('/');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('acquires from the Intan RHX emulator over loopback TCP', async () => {
    const { spawn } = await import('node:child_process');
    const { CLI } = await import('../helpers/cli.js');
    const rhx = spawn(process.execPath, [CLI, 'emulate', '--protocol', 'intan', '--command-port', '0', '--waveform-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const banner = await new Promise<string>((resolve) => {
        let out = '';
        rhx.stdout!.setEncoding('utf8').on('data', (t: string) => {
          out += t;
          if (out.includes('\n')) resolve(out);
        });
      });
      const [, commandPort, waveformPort] = /commands (\d+), waveforms (\d+)/.exec(banner)!;
      const r = await runCli(['run', '--device', 'intan', '--command-port', commandPort!, '--waveform-port', waveformPort!, '--channels', '8', '--duration', '1.5']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/stopped \(duration reached\) after [\d.]+ s: \d+ samples\/ch .* 0 dropped/);
    } finally {
      rhx.kill('SIGINT');
    }
  });

  it('reports a missing or unusable port in one line', async () => {
    const missing = await runCli(['run', '--device', 'cyton']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('neurostream: --port: expected the serial port of the cyton device, e.g. /dev/ttyUSB0, got nothing [NS_INVALID_OPTION]\n');
    const absent = await runCli(['run', '--device', 'frame', '--port', '/dev/nope-nope']);
    expect(absent.code).toBe(1);
    expect(absent.stderr.trim().split('\n')).toHaveLength(1);
    expect(absent.stderr).toMatch(/^neurostream run: \/dev\/nope-nope: cannot open serial port: .* \[NS_DEVICE_FAILURE\]\n$/);
    const badSetting = await runCli(['run', '--device', 'cyton', '--port', '/dev/x', '--settings', 'x1060110X,x2']);
    expect(badSetting.code).toBe(2);
    expect(badSetting.stderr).toBe('neurostream: --settings item 2: expected a channel setting like x1060110X or a lead-off setting like z110Z, got "x2" [NS_INVALID_OPTION]\n');
    const extra = await runCli(['run', '--device', 'cyton', '--port', '/dev/x', '--channels', '8']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('--channels: expected no value for --device cyton (the device reports it), got 8');
  });
});

describe('neurostream emulate', () => {
  it('creates the device, reports what it sent, and removes the device on Ctrl-C', async () => {
    emulator = await startEmulator(['--protocol', 'frame', '--channels', '4', '--drop-rate', '0.5']);
    const { existsSync } = await import('node:fs');
    expect(existsSync(emulator.link)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    const out = await emulator.stop();
    expect(out).toMatch(/emulator stopped \(SIGINT\): \d+ frames counted, \d+ dropped on purpose/);
    expect(existsSync(emulator.link)).toBe(false);
    emulator = undefined;
  });

  it.each([
    [['--protocol', 'frame', '--channels', '0'], '--channels: expected an integer from 1 to 1024, got 0'],
    [['--protocol', 'cyton', '--channels', '16'], '--channels: expected no value for --protocol cyton'],
    [['--protocol', 'usb'], '--protocol: expected one of cyton, frame, intan, got "usb"'],
    [['--drop-rate', '2'], '--drop-rate: expected a finite number from 0 to 1, got 2'],
    [['--protocol', 'cyton', '--loop-s', '2'], '--loop-s: expected no value for --protocol cyton (frame and intan play a loop), got 2'],
  ])('rejects %j with one line and exit 2', async (args, message) => {
    const r = await runCli(['emulate', ...args, '--link', '/tmp/ns-never-created']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
  });
});

describe('neurostream ports', () => {
  it('lists ports, or says why it scanned /dev instead', async () => {
    const r = await runCli(['ports', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as { source: string; ports: unknown[]; note?: string };
    expect(['udev', 'dev']).toContain(result.source);
    if (result.source === 'dev') expect(result.note).toBeTruthy();
  });
});
