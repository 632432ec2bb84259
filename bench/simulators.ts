/**
 * Simulator throughput: how many samples per second each simulator generates on one core, as a
 * multiple of real time. Run: `npm run bench:simulators` (writes bench/results/simulators.json).
 */
import { EegSimulator } from '../devices/simulators/eeg-simulator.js';
import { IntracorticalSimulator } from '../devices/simulators/intracortical-simulator.js';
import type { SimulatedDevice } from '../devices/simulators/simulated-device.js';
import { type BenchOptions, benchEnvironment, finish, isMain, progress, resultPath } from './report.js';

export async function runSimulatorsBench(options: BenchOptions): Promise<object> {
  const log = progress(options);

  interface Case {
    name: string;
    create: () => SimulatedDevice;
    blockSamples: number;
  }

  const cases: Case[] = [
    ...[96, 256, 1024].map((channels) => ({
      name: `intracortical ${channels} ch × 30 kHz, 1 ms blocks`,
      create: () => new IntracorticalSimulator({ channels }),
      blockSamples: 30,
    })),
    { name: 'eeg 8 ch × 250 Hz, 1-sample blocks', create: () => new EegSimulator({ channels: 8 }), blockSamples: 1 },
    { name: 'eeg 64 ch × 160 Hz, 1-sample blocks', create: () => new EegSimulator({ channels: 64 }), blockSamples: 1 },
  ];

  const seconds = Number(process.env.BENCH_SECONDS ?? 3);
  const results = cases.map(({ name, create, blockSamples }) => {
    const device = create();
    const fs = device.info.sampleRateHz;
    const channels = device.info.channelNames.length;
    // Warm up the JIT for a second of generation, then measure.
    const warm = performance.now();
    while (performance.now() - warm < 1000) device.read(blockSamples, 0);
    const start = performance.now();
    const from = device.position;
    while (performance.now() - start < seconds * 1000) device.read(blockSamples, 0);
    const elapsedS = (performance.now() - start) / 1000;
    const samplesPerChannel = device.position - from;
    const result = {
      name,
      channels,
      sampleRateHz: fs,
      blockSamples,
      samplesPerSecond: Math.round((samplesPerChannel * channels) / elapsedS),
      realTimeFactor: Number((samplesPerChannel / fs / elapsedS).toFixed(2)),
    };
    log(
      `${name.padEnd(44)} ${(result.samplesPerSecond / 1e6).toFixed(1).padStart(6)} M samples/s  ${result.realTimeFactor.toFixed(2).padStart(8)}× real time\n`,
    );
    return result;
  });

  const path = resultPath('simulators');
  return finish(path, { benchmark: 'simulators', environment: benchEnvironment(), results }, options);

}

if (isMain(import.meta.url)) await runSimulatorsBench({ json: process.argv.includes('--json') });
