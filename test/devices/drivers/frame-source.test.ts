import { firstValueFrom, take, timeout, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { frameSource } from '../../../devices/drivers/frame-source.js';
import { IntracorticalSimulator } from '../../../devices/simulators/intracortical-simulator.js';
import { readAll } from '../../helpers/read-all.js';
import { type RunningEmulator, startEmulator } from '../../helpers/emulator.js';

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
});


describe('frameSource over a real pseudo-terminal (emulate → socat → driver)', () => {
  it.each([
    ['int16', 1e-3],
    ['float32', 1e-6],
  ])('receives every %s sample in order with the right µV', async (format, tolerance) => {
    emulator = await startEmulator(['--protocol', 'frame', '--channels', '32', '--rate', '30000', '--format', format, '--seed', '5']);
    const total = 30000; // 1 s
    const blocks = await firstValueFrom(frameSource({ port: emulator.link }).pipe(take(total / 30), toArray(), timeout(30_000)));
    const info = blocks[0]!.info;
    expect(info.channelNames).toHaveLength(32);
    expect(info.sampleRateHz).toBe(30000);
    // The frame's value format is the ADC's depth: int16 → 16 bits; float32 has none (0).
    expect(info.adcBits).toEqual(new Array(32).fill(format === 'int16' ? 16 : 0));
    expect(blocks[0]!.length).toBe(30); // 1 ms frames
    // The device's clock numbers the samples: consecutive from wherever the driver joined.
    let next = blocks[0]!.first;
    for (const b of blocks) {
      expect(b.first).toBe(next);
      expect(b.gap).toBeUndefined();
      next += b.length;
    }
    expect(next - blocks[0]!.first).toBeGreaterThanOrEqual(total);
    const truth = readAll(new IntracorticalSimulator({ channels: 32, sampleRateHz: 30000, seed: 5 }), next);
    for (const c of [0, 13, 31]) {
      const want = truth.channel(c);
      for (const b of blocks) {
        for (let i = 0; i < b.length; i++) {
          const err = Math.abs(b.data[c * b.length + i]! - want[b.first + i]!);
          if (err > tolerance * Math.max(1, Math.abs(want[b.first + i]!))) {
            throw new Error(`channel ${c} sample ${b.first + i}: got ${b.data[c * b.length + i]}, want ${want[b.first + i]}`);
          }
        }
      }
    }
  });

  it('continues after the device is unplugged and comes back restarted, recording the time away as a gap', async () => {
    emulator = await startEmulator(['--protocol', 'frame', '--channels', '4', '--unplug-after', '1', '--replug-after', '1']);
    const blocks = await firstValueFrom(
      frameSource({ port: emulator.link, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } }).pipe(take(3000), toArray(), timeout(30_000)),
    );
    let next = blocks[0]!.first;
    let missing = 0;
    for (const b of blocks) {
      expect(b.first).toBe(next + (b.gap?.missing ?? 0));
      missing += b.gap?.missing ?? 0;
      next = b.first + b.length;
    }
    // About a second away (plus the reconnect), at 30 kHz.
    expect(missing).toBeGreaterThan(25_000);
    expect(missing).toBeLessThan(3 * 30_000);
    expect(emulator.output()).toContain('replugged');
  });

  it('says clearly when no valid frame arrives', async () => {
    emulator = await startEmulator(['--protocol', 'cyton']); // the wrong device: silent until asked
    await expect(firstValueFrom(frameSource({ port: emulator.link, firstFrameTimeoutMs: 400 }))).rejects.toThrow(
      /no valid frame within 400 ms — expected the neurostream frame protocol; received 0 bytes/,
    );
  });

  it('counts frames lost to drops and corruption as gaps, and never delivers a corrupt frame', async () => {
    emulator = await startEmulator(['--protocol', 'frame', '--channels', '8', '--drop-rate', '0.02', '--bit-error-rate', '0.00002', '--seed', '2']);
    const total = 60000; // 2 s of 1 ms frames
    let stats: { crcErrors: number; lostFrames: number; corruptFrames: number } | undefined;
    const blocks = await firstValueFrom(
      frameSource({ port: emulator.link, onParser: (s) => (stats = s) }).pipe(take(total / 30), toArray(), timeout(30_000)),
    );
    const received = blocks.reduce((n, b) => n + b.length, 0);
    const gaps = blocks.reduce((n, b) => n + (b.gap?.missing ?? 0), 0);
    const last = blocks.at(-1)!;
    expect(blocks[0]!.first + received + gaps).toBe(last.first + last.length);
    expect(gaps).toBeGreaterThan(0);
    // Every missing frame is a gap, counted lost (never arrived) or corrupt (arrived damaged).
    expect((stats!.lostFrames + stats!.corruptFrames) * 30).toBe(gaps);
    expect(stats!.crcErrors).toBeGreaterThan(0);
    expect(stats!.corruptFrames).toBeGreaterThan(0);
    const truth = readAll(new IntracorticalSimulator({ channels: 8, sampleRateHz: 30000, seed: 2 }), last.first + last.length);
    for (const b of blocks) {
      for (let i = 0; i < b.length; i += 7) {
        expect(Math.abs(b.data[3 * b.length + i]! - truth.channel(3)[b.first + i]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(truth.channel(3)[b.first + i]!)));
      }
    }
  });
});
