/** `neurostream bench <name> [--json]` — the benchmarks under bench/, one command each. */
import { Command } from 'commander';
import { choiceFlag } from '../parse-flag.js';

export const BENCHMARKS = ['dsp', 'simulators', 'devices', 'recordings', 'decode', 'dashboard', 'oip'] as const;

export function benchCommand(): Command {
  return new Command('bench')
    .description('run a benchmark: dsp (filters and chains vs fili), simulators, devices (parsers, frame protocol over a pty), recordings (record and replay throughput), decode (latency per bin: Kalman, GRU, MLP), dashboard (64 ch × 30 kHz to 1 and 20 clients, one stalled), oip (Open Inference Protocol round trip, JSON vs binary)')
    .argument('<name>', BENCHMARKS.join(' | '), choiceFlag('benchmark', BENCHMARKS))
    .option('--json', 'print the JSON report instead of progress lines', false)
    .action(async (name: (typeof BENCHMARKS)[number], flags: { json: boolean }) => {
      const options = { json: flags.json };
      if (name === 'dsp') await (await import('../../bench/dsp.js')).runDspBench(options);
      else if (name === 'simulators') await (await import('../../bench/simulators.js')).runSimulatorsBench(options);
      else if (name === 'decode') await (await import('../../bench/decode.js')).runDecodeBench(options);
      else if (name === 'oip') await (await import('../../bench/oip.js')).runOipBench(options);
      else if (name === 'dashboard') await (await import('../../bench/dashboard.js')).runDashboardBench(options);
      else if (name === 'recordings') await (await import('../../bench/recordings.js')).runRecordingsBench(options);
      else await (await import('../../bench/devices.js')).runDevicesBench(options);
    });
}
