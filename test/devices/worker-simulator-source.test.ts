import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { SimulatorSpec } from '../../devices/simulators/simulator-spec.js';
import { createSimulator } from '../../devices/simulators/simulator-spec.js';
import { concatBlocks, readAll } from '../helpers/read-all.js';

import { workerSimulatorSource } from '../../devices/worker-simulator-source.js';

const START = '2026-01-01T00:00:00.000Z';
const spec: SimulatorSpec = { kind: 'intracortical', options: { channels: 8, seed: 4, startTime: START } };


const workers = () => process.getActiveResourcesInfo().filter((r) => r === 'Worker' || r === 'MessagePort').length;

describe('workerSimulatorSource', () => {
  it('delivers, from a worker thread, exactly the samples and markers the simulator makes in this thread', async () => {
    let infoSeen = 0;
    const blocks = await firstValueFrom(
      workerSimulatorSource(spec, { pacing: 'fast', blockSamples: 300, durationSamples: 30000, onInfo: () => infoSeen++ }).pipe(toArray()),
    );
    expect(infoSeen).toBe(1);
    expect(blocks).toHaveLength(100);
    expect(blocks[0]!.info.channelNames).toHaveLength(8);
    expect(Object.isFrozen(blocks[0]!.info)).toBe(true);
    const local = readAll(createSimulator(spec), 30000, [300]);
    expect(Buffer.from(concatBlocks(blocks, 8).buffer).equals(Buffer.from(local.data.buffer))).toBe(true);
    expect(blocks.flatMap((b) => b.markers ?? [])).toEqual(local.markers);
  });

  it('paces to the wall clock in realtime mode', async () => {
    const t0 = performance.now();
    const blocks = await firstValueFrom(
      workerSimulatorSource({ kind: 'eeg', options: { startTime: START } }, { pacing: 'realtime', blockSamples: 25, durationSamples: 100 }).pipe(toArray()),
    );
    expect(blocks.map((b) => b.first)).toEqual([0, 25, 50, 75]);
    // 100 samples at 250 Hz take 400 ms of wall time.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(399);
  });

  it('stops its worker when unsubscribed', async () => {
    const before = workers();
    const blocks = await firstValueFrom(workerSimulatorSource(spec, { pacing: 'fast', blockSamples: 30 }).pipe(take(3), toArray()));
    expect(blocks).toHaveLength(3);
    // Well inside the 1 s after which the source would terminate a worker that ignored the stop word.
    for (let i = 0; i < 20 && workers() > before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(workers()).toBe(before);
  });

  it('reports a bad simulator spec as the stream error, with its code', async () => {
    const bad: SimulatorSpec = { kind: 'intracortical', options: { channels: 5000 } };
    await expect(firstValueFrom(workerSimulatorSource(bad, { pacing: 'fast', blockSamples: 30 }))).rejects.toMatchObject({
      code: 'NS_INVALID_OPTION',
      message: 'channels: expected an integer from 1 to 1024, got 5000',
    });
  });
});
