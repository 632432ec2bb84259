import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { simulatorSource } from '../../devices/simulator-source.js';
import { EegSimulator } from '../../devices/simulators/eeg-simulator.js';
import { IntracorticalSimulator } from '../../devices/simulators/intracortical-simulator.js';
import { concatBlocks, readAll } from '../helpers/read-all.js';

const START = '2026-01-01T00:00:00.000Z';
const eeg = () => new EegSimulator({ seed: 2, startTime: START });


describe('simulatorSource', () => {
  it('emits exactly durationSamples in consecutive blocks, the last one shorter, then completes', async () => {
    const blocks = await firstValueFrom(
      simulatorSource(eeg, { pacing: 'fast', blockSamples: 32, durationSamples: 1000 }).pipe(toArray()),
    );
    expect(blocks.map((b) => b.length)).toEqual([...new Array<number>(31).fill(32), 8]);
    blocks.forEach((b, k) => expect(b.first).toBe(k * 32));
    const expected = readAll(eeg(), 1000).data;
    expect(Buffer.from(concatBlocks(blocks, 8).buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  });

  it('is cold: each subscription gets its own device from the start', async () => {
    const source = simulatorSource(eeg, { pacing: 'fast', blockSamples: 10, durationSamples: 100 });
    const [a, b] = await Promise.all([firstValueFrom(source.pipe(toArray())), firstValueFrom(source.pipe(toArray()))]);
    expect(a.map((x) => x.first)).toEqual(b.map((x) => x.first));
    expect(Buffer.from(concatBlocks(a, 8).buffer).equals(Buffer.from(concatBlocks(b, 8).buffer))).toBe(true);
  });

  it('paces to the wall clock in realtime mode: samples never arrive before their time', async () => {
    const t0 = performance.now();
    const blocks = await firstValueFrom(
      simulatorSource(eeg, { pacing: 'realtime', blockSamples: 25, durationSamples: 100 }).pipe(toArray()),
    );
    // 100 samples at 250 Hz = 400 ms; each block is stamped no earlier than its last sample is due.
    for (const b of blocks) expect(b.hostTime - t0).toBeGreaterThanOrEqual(((b.first + b.length) * 1000) / 250 - 1);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(399);
  });

  it('stops generating on unsubscribe, even when running as fast as possible', async () => {
    let created = 0;
    let reads = 0;
    const source = simulatorSource(
      () => {
        created++;
        const device = new IntracorticalSimulator({ channels: 4, startTime: START });
        const read = device.read.bind(device);
        device.read = (length, hostTime) => {
          reads++;
          return read(length, hostTime);
        };
        return device;
      },
      { pacing: 'fast', blockSamples: 30 },
    );
    const blocks = await firstValueFrom(source.pipe(take(5), toArray()));
    expect(blocks).toHaveLength(5);
    const after = reads;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reads).toBe(after);
    expect(created).toBe(1);
  });

  it('rejects bad options before subscription', () => {
    expect(() => simulatorSource(eeg, { pacing: 'slow' as 'fast', blockSamples: 1 })).toThrow(
      'pacing: expected one of realtime, fast, got "slow"',
    );
    expect(() => simulatorSource(eeg, { pacing: 'fast', blockSamples: 0 })).toThrow('blockSamples: expected an integer from 1 to 10000000, got 0');
    expect(() => simulatorSource(eeg, { pacing: 'fast', blockSamples: 1, durationSamples: 0.5 })).toThrow('durationSamples');
  });
});
