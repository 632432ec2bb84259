/**
 * `neurostream impedance` over a real pty (socat) against `neurostream emulate --protocol cyton
 * --impedance-kohm …`: each channel's lead-off current is driven in turn, the 31.25 Hz amplitude
 * measured, and the OpenBCI GUI's formula gives back the configured impedance within 10 %.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CytonBoard } from '../../devices/emulators/cyton-board.js';
import { cytonLeadOffCommand, parseCytonLeadOffCommand } from '../../devices/index.js';
import { runCli } from '../helpers/cli.js';
import { type RunningEmulator, startEmulator } from '../helpers/emulator.js';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

const CONFIGURED = [5, 10, 20, 50, 100, 200, 500, 1000];

describe('neurostream impedance', () => {
  it('measures the emulator’s configured impedances within 10 % (JSON), one channel at a time', async () => {
    emulator = await startEmulator(['--protocol', 'cyton', '--impedance-kohm', CONFIGURED.join(',')]);
    const r = await runCli(['impedance', '--port', emulator.link, '--channels', '1-8', '--seconds', '2', '--json'], { timeoutMs: 90_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { channels: { channel: number; name: string; impedanceKohm: number }[] };
    expect(out.channels.map((c) => c.channel)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(out.channels.map((c) => c.name)).toEqual(['EXG1', 'EXG2', 'EXG3', 'EXG4', 'EXG5', 'EXG6', 'EXG7', 'EXG8']);
    out.channels.forEach((c, k) => {
      expect(c.impedanceKohm).toBeGreaterThan(CONFIGURED[k]! * 0.9);
      expect(c.impedanceKohm).toBeLessThan(CONFIGURED[k]! * 1.1);
    });
  }, 120_000);

  it('prints a table for a channel subset', async () => {
    emulator = await startEmulator(['--protocol', 'cyton', '--impedance-kohm', '15']);
    const r = await runCli(['impedance', '--port', emulator.link, '--channels', '2,4', '--seconds', '1'], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /kΩ$/.test(l));
    expect(rows.map((l) => l.trim().split(/\s+/)[1])).toEqual(['EXG2', 'EXG4']);
    for (const l of rows) {
      const kohm = Number(/([\d.]+) kΩ$/.exec(l)![1]);
      expect(Math.abs(kohm - 15) / 15).toBeLessThan(0.1);
    }
    expect(r.stdout).toContain('lead-off turned off on every measured channel');
  }, 90_000);

  it('refuses a bad channel list and a channel the board does not have, in one line, exit 2', async () => {
    const bad = await runCli(['impedance', '--port', '/dev/null', '--channels', '0-9']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--channels.*1–16.*0-9/);
    emulator = await startEmulator(['--protocol', 'cyton']);
    const r = await runCli(['impedance', '--port', emulator.link, '--channels', '9']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--channels.*channels 1–8.*has 8/);
  }, 60_000);

  it('a port that is not a Cyton: one line naming the port, exit 1', async () => {
    emulator = await startEmulator(['--protocol', 'frame', '--channels', '4', '--rate', '1000']);
    const r = await runCli(['impedance', '--port', emulator.link], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(emulator.link);
    expect(r.stderr).toMatch(/expected an OpenBCI Cyton/);
  }, 90_000);
});

describe('the Cyton lead-off command', () => {
  it('encodes z C P N Z and the emulated board answers it, v turns it off', () => {
    expect(cytonLeadOffCommand(3, { positive: true, negative: false })).toBe('z310Z');
    expect(cytonLeadOffCommand(9, { positive: false, negative: true })).toBe('zQ01Z');
    expect(parseCytonLeadOffCommand('zQ01Z')).toEqual({ channel: 9, setting: { positive: false, negative: true } });
    expect(() => cytonLeadOffCommand(17, { positive: true, negative: false })).toThrow(/channel.*1–16/);
    let text = '';
    const board = new CytonBoard({ send: (b) => (text += new TextDecoder().decode(b)) });
    board.receive(new TextEncoder().encode('z310Z'), 0);
    expect(text).toBe('Success: Lead off set for 3$$$');
    expect(board.leadOffOn(2)).toBe(true);
    text = '';
    board.receive(new TextEncoder().encode('z3107'), 0);
    expect(text).toBe('Failure: 5th char not Z$$$');
    board.receive(new TextEncoder().encode('v'), 0);
    expect(board.leadOffOn(2)).toBe(false);
  });
});
