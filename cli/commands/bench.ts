/** `neurostream bench <name> [--json]` — the benchmarks under bench/, one command each; `bench decoders DATA…` the decoder comparison. */
import { Command } from 'commander';
import { InvalidOptionError, checkInteger, checkNumber } from '../../core/index.js';
import { withDecodingInputOptions, type DecodingInputFlags } from '../decoding-inputs.js';
import { choiceFlag, numberFlag } from '../parse-flag.js';

export const BENCHMARKS = ['dsp', 'simulators', 'devices', 'recordings', 'decode', 'dashboard', 'oip', 'pipeline', 'nwb', 'lsl', 'decoders'] as const;

interface BenchFlags extends DecodingInputFlags {
  json: boolean;
  duration?: number;
  out?: string;
  model?: string[];
  lags: number;
  sessions?: string;
}

export function benchCommand(): Command {
  return withDecodingInputOptions(new Command('bench'))
    .description(
      'run a benchmark: dsp (filters and chains vs fili), simulators, devices (parsers, frame protocol over a pty), recordings (record and replay throughput), decode (latency per bin: Kalman, GRU, MLP), dashboard (64 ch × 30 kHz to 1 and 20 clients, one stalled), oip (Open Inference Protocol round trip, JSON vs binary), pipeline (bytes → intent latency at 96/256/1024 ch, and a soak), nwb (256 ch × 30 kHz recording → NWB: MB/s and peak RSS), lsl (LSL inlet and outlet vs liblsl at 256 ch × 30 kHz: throughput and latency), decoders DATA… (every decoder on fixed folds: report.md, report.json, SVG plots)',
    )
    .argument('<name>', BENCHMARKS.join(' | '), choiceFlag('benchmark', BENCHMARKS))
    .argument('[data...]', 'decoders: recordings, EDF/BDF files (with --classes) or a CSV feature table')
    .option('--json', 'print the JSON report instead of progress lines', false)
    .option('--duration <s>', 'pipeline: seconds of the soak (default 600)', numberFlag('--duration'))
    .option('--out <dir>', 'decoders: where the report goes (default bench/results/decoders)')
    .option('--sessions <list>', 'oip: session counts served at once, unbatched and batched (default 1,8,32,128)')
    .option('--model <file...>', 'decoders: ONNX models to compare with the built-in decoders')
    .action(async (name: (typeof BENCHMARKS)[number], data: string[], flags: BenchFlags) => {
      const options = { json: flags.json };
      if (name !== 'decoders') {
        const stray = data[0] ?? flags.out ?? flags.model?.[0];
        if (stray !== undefined) throw new InvalidOptionError(`bench ${name}`, 'no data, --out or --model (only bench decoders takes them)', stray);
      }
      if (flags.sessions !== undefined && name !== 'oip') throw new InvalidOptionError('--sessions', 'the oip benchmark', name);
      const sessions = flags.sessions?.split(',').map((t, i) => checkInteger('option', `--sessions[${i}]`, Number(t.trim()), { min: 1, max: 1024 }));
      if (flags.duration !== undefined && name !== 'pipeline') throw new InvalidOptionError('--duration', 'the pipeline benchmark (the others have fixed sizes; BENCH_SECONDS sets some)', name);
      if (flags.duration !== undefined) checkNumber('option', '--duration', flags.duration, { min: 1, max: 86_400 });
      if (name === 'decoders') {
        const { decoderReport } = await import('../decoder-report.js');
        const { dir, report } = await decoderReport(data, flags, (line) => {
          if (!flags.json) process.stdout.write(line);
        });
        process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : `wrote ${dir}/report.md, report.json, scores.svg, latency.svg\n`);
        return;
      }
      if (name === 'pipeline') {
        await (await import('../../bench/pipeline.js')).runPipelineBench({ ...options, ...(flags.duration !== undefined ? { durationS: flags.duration } : {}) });
        return;
      }
      if (name === 'dsp') await (await import('../../bench/dsp.js')).runDspBench(options);
      else if (name === 'simulators') await (await import('../../bench/simulators.js')).runSimulatorsBench(options);
      else if (name === 'decode') await (await import('../../bench/decode.js')).runDecodeBench(options);
      else if (name === 'oip') await (await import('../../bench/oip.js')).runOipBench({ ...options, ...(sessions ? { sessions } : {}) });
      else if (name === 'dashboard') await (await import('../../bench/dashboard.js')).runDashboardBench(options);
      else if (name === 'nwb') await (await import('../../bench/nwb.js')).runNwbBench(options);
      else if (name === 'lsl') await (await import('../../bench/lsl.js')).runLslBench(options);
      else if (name === 'recordings') await (await import('../../bench/recordings.js')).runRecordingsBench(options);
      else await (await import('../../bench/devices.js')).runDevicesBench(options);
    });
}
