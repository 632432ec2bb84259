import { firstValueFrom, takeWhile, timeout, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SampleBlock } from '../../../core/index.js';
import { cytonSource } from '../../../devices/drivers/cyton-source.js';
import { CytonBoard } from '../../../devices/emulators/cyton-board.js';
import { startPtyPair } from '../../../devices/emulators/pty-pair.js';
import { readAll } from '../../helpers/read-all.js';
import { type RunningEmulator, startEmulator } from '../../helpers/emulator.js';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});

/** Blocks until the stream has covered `samples` sample indices. */
const covering = (samples: number) => takeWhile((b: SampleBlock) => b.first + b.length < samples, true);

/** Collects blocks until `samples` samples (by sample index) have been covered. */
function collect(port: string, samples: number): Promise<SampleBlock[]> {
  return firstValueFrom(cytonSource({ port }).pipe(covering(samples), toArray(), timeout(30_000)));
}

/** Channel c of all blocks, placed at their sample indices (NaN where a gap is). */
function channelAt(blocks: readonly SampleBlock[], c: number, total: number): Float64Array {
  const out = new Float64Array(total).fill(NaN);
  for (const b of blocks) for (let i = 0; i < b.length && b.first + i < total; i++) out[b.first + i] = b.data[c * b.length + i]!;
  return out;
}

describe('cytonSource over a real pseudo-terminal (emulate → socat → driver)', () => {
  it('receives every sample the emulator sent, in order, with the right µV', async () => {
    emulator = await startEmulator(['--protocol', 'cyton', '--seed', '7']);
    const total = 500; // 2 s
    const blocks = await collect(emulator.link, total);
    const info = blocks[0]!.info;
    expect(info.channelNames).toEqual(['EXG1', 'EXG2', 'EXG3', 'EXG4', 'EXG5', 'EXG6', 'EXG7', 'EXG8', 'AccelX', 'AccelY', 'AccelZ']);
    expect(info.units.slice(-3)).toEqual(['g', 'g', 'g']);
    expect(info.sampleRateHz).toBe(250);
    // Consecutive, no gaps.
    let next = 0;
    for (const b of blocks) {
      expect(b.first).toBe(next);
      expect(b.gap).toBeUndefined();
      next += b.length;
    }
    const truth = readAll(CytonBoard.simulatorFor({ seed: 7 }), total);
    for (let c = 0; c < 8; c++) {
      const got = channelAt(blocks, c, total);
      const want = truth.channel(c);
      for (let i = 0; i < total; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-3);
    }
    // The accelerometer holds ~1 g on Z between its updates.
    const z = channelAt(blocks, 10, total);
    expect(z[total - 1]).toBeCloseTo(1, 1);
  });

  it('sets channel gains on the board and scales each channel by its own gain', async () => {
    emulator = await startEmulator(['--protocol', 'cyton', '--seed', '11']);
    const total = 250;
    // Channel 1 at gain 1 and channel 2 at gain 6: the board sends counts at those gains.
    const blocks = await firstValueFrom(
      cytonSource({ port: emulator.link, commands: ['x1000110X', 'x2030110X'] }).pipe(covering(total), toArray(), timeout(30_000)),
    );
    const truth = readAll(CytonBoard.simulatorFor({ seed: 11 }), total);
    for (const [c, step] of [[0, 4.5e6 / 1 / 8388607], [1, 4.5e6 / 6 / 8388607], [2, 4.5e6 / 24 / 8388607]] as const) {
      const got = channelAt(blocks, c, total);
      // Quantised to the ADC step at that gain: within half a step of the simulated µV.
      for (let i = 0; i < total; i++) expect(Math.abs(got[i]! - truth.channel(c)[i]!)).toBeLessThanOrEqual(step / 2 + 1e-3);
    }
    // Channel 1 really was coarser: gain 1 steps are 24× those at gain 24.
    const ch1 = channelAt(blocks, 0, total);
    for (let i = 0; i < total; i++) {
      const steps = ch1[i]! / (4.5e6 / 8388607);
      expect(Math.abs(steps - Math.round(steps))).toBeLessThan(1e-3);
    }
  });

  it('fails with the board\'s words when it refuses a setting', async () => {
    emulator = await startEmulator(['--protocol', 'cyton']);
    await expect(firstValueFrom(cytonSource({ port: emulator.link, commands: ['xQ060110X'] }))).rejects.toThrow(
      /the board refused xQ060110X: Failure: Err: invalid channel settings/,
    );
  });

  it('pairs Daisy packets into 16 channels at 125 Hz', async () => {
    emulator = await startEmulator(['--protocol', 'cyton', '--daisy', '--seed', '3']);
    const total = 250;
    const blocks = await collect(emulator.link, total);
    expect(blocks[0]!.info.channelNames).toHaveLength(19);
    expect(blocks[0]!.info.sampleRateHz).toBe(125);
    const truth = readAll(CytonBoard.simulatorFor({ daisy: true, seed: 3 }), total);
    for (const c of [0, 7, 8, 15]) {
      const got = channelAt(blocks, c, total);
      for (let i = 0; i < total; i++) expect(Math.abs(got[i]! - truth.channel(c)[i]!)).toBeLessThan(1e-3);
    }
  });

  it('places lost packets as gaps at exactly the right sample indices', async () => {
    emulator = await startEmulator(['--protocol', 'cyton', '--seed', '9', '--drop-rate', '0.05']);
    const total = 750;
    const blocks = await collect(emulator.link, total);
    const gaps = blocks.reduce((n, b) => n + (b.gap?.missing ?? 0), 0);
    expect(gaps).toBeGreaterThan(10);
    const received = blocks.reduce((n, b) => n + b.length, 0);
    const last = blocks.at(-1)!;
    expect(received + gaps).toBe(last.first + last.length);
    const truth = readAll(CytonBoard.simulatorFor({ seed: 9 }), last.first + last.length);
    const got = channelAt(blocks, 2, last.first + last.length);
    let compared = 0;
    for (let i = 0; i < got.length; i++) {
      if (Number.isNaN(got[i]!)) continue;
      expect(Math.abs(got[i]! - truth.channel(2)[i]!)).toBeLessThan(1e-3);
      compared++;
    }
    expect(compared).toBe(received);
  });

  it('counts a radio dropout longer than the 8-bit counter’s period from the time that passed', async () => {
    emulator = await startEmulator(['--protocol', 'cyton', '--seed', '6', '--radio-dropout', '1,1.5']);
    const total = 250 * 4;
    const blocks = await collect(emulator.link, total);
    const missing = blocks.reduce((n, b) => n + (b.gap?.missing ?? 0), 0);
    // 1.5 s at 250 Hz: 375 packets, which the counter alone would read as 375 − 256 = 119.
    expect(missing).toBe(375);
    const truth = readAll(CytonBoard.simulatorFor({ seed: 6 }), total);
    const got = channelAt(blocks, 4, total);
    for (let i = 0; i < total; i++) if (!Number.isNaN(got[i]!)) expect(Math.abs(got[i]! - truth.channel(4)[i]!)).toBeLessThan(1e-3);
  });

  it('reconnects after the device is unplugged and replugged, reporting the gap', async () => {
    emulator = await startEmulator(['--protocol', 'cyton', '--unplug-after', '1', '--replug-after', '1']);
    const blocks = await firstValueFrom(
      cytonSource({ port: emulator.link, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } }).pipe(
        covering(250 * 4),
        toArray(),
        timeout(30_000),
      ),
    );
    const gapBlocks = blocks.filter((b) => b.gap);
    expect(gapBlocks.length).toBeGreaterThanOrEqual(1);
    const missing = gapBlocks.reduce((n, b) => n + b.gap!.missing, 0);
    // About one second unplugged (plus the reconnect): 250 samples or more lost.
    expect(missing).toBeGreaterThan(200);
    expect(missing).toBeLessThan(250 * 3);
    expect(emulator.output()).toContain('replugged');
  });

  it('says clearly when the port does not exist or the device does not answer like a Cyton', async () => {
    await expect(firstValueFrom(cytonSource({ port: '/dev/does-not-exist' }))).rejects.toThrow(
      /^\/dev\/does-not-exist: cannot open serial port: .*No such file or directory/,
    );
    const pair = await startPtyPair(`/tmp/ns-silent-${process.pid}`);
    try {
      await expect(firstValueFrom(cytonSource({ port: pair.link, bannerTimeoutMs: 300 }))).rejects.toMatchObject({
        code: 'NS_DEVICE_FAILURE',
        message: expect.stringMatching(/no reply to 'v' \(soft reset\) within 300 ms — expected an OpenBCI Cyton; received 0 bytes/),
      });
    } finally {
      await pair.stop();
    }
  });

  it('rejects malformed channel-setting commands before opening anything', () => {
    expect(() => cytonSource({ port: '/dev/null', commands: ['x1060110'] })).toThrow('commands[0]: expected a channel setting like x1060110X, got "x1060110"');
  });
});
