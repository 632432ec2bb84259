/**
 * DSP throughput: samples per second (channels × samples)
 *   - through the band-pass kernel (Butterworth 300–3000 Hz, order 4, 4 sections) at 96, 256 and
 *     1024 channels × 30 kHz in 1 ms blocks, with fili's IirFilter on the same data in the same
 *     run as the baseline (a 4th-order high-pass and a 4th-order low-pass cascade, 4 biquads, one
 *     filter pair per channel);
 *   - through the whole intracortical chain as a session runs it (RxJS operators: band-pass, CAR,
 *     threshold crossings and spike-band power in 20 ms bins) at the same sizes, and the EEG chain
 *     (1–40 Hz + 60 Hz notch) at 8 ch × 250 Hz and 64 ch × 160 Hz;
 *   - through the intracortical chain on 1 thread (the single-thread chain: the baseline) and on
 *     2, 4, 8, 16 worker threads (those under the machine's core count) and as many as its cores,
 *     at 256 and 1024 ch, fed as a replay feeds it (`workers` in the JSON: samples/s and the
 *     speed-up over the baseline of the same run);
 *   - the same at 1024 ch with the chain also writing out each block's referenced samples (the
 *     session's filtered signal, as a dashboard shows it: `withDisplay`, against the chain alone on
 *     as many threads in the same run);
 *   - the signal-quality monitor a live session runs on its raw blocks (railed, flat, line noise:
 *     two order-2 band-passes per channel) at 256 and 1024 ch × 30 kHz in 1 ms blocks
 *     (`signalQuality`: samples/s, ns per sample and the share of one core it takes in real time),
 *     and the dashboard's min/max ring of the raw signal (`displayDecimator`: 10 s in 10 000
 *     columns, as the publisher keeps it for 30 kHz), both in the session's own thread.
 * Run: `neurostream bench dsp [--json]` or `npm run bench:dsp` (writes bench/results/dsp.json).
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { designButterworth } from '../acquisition/filters/butterworth.js';
import { createSosState, sosFilter } from '../acquisition/filters/sos-filter.js';
import { Subject, type OperatorFunction } from 'rxjs';
import { eegChain, intracorticalChain } from '../acquisition/chains.js';
import { createSignalQualityState, pushSignalQuality } from '../acquisition/kernels/signal-quality.js';
import { MinMaxDecimator } from '../dashboard/kernels/min-max-decimator.js';
import { type ChainView, intracorticalChainSteps } from '../acquisition/parallel/intracortical-chain-steps.js';
import { type SampleBlock, createSampleBlock, createStreamInfo } from '../core/index.js';
import { Random } from '../devices/simulators/random.js';
import { type BenchOptions, benchEnvironment, benchStreamInfo, finish, isMain, progress, resultPath } from './report.js';

export async function runDspBench(options: BenchOptions): Promise<object> {
  const log = progress(options);

  interface FiliFilter {
    multiStep(input: number[] | Float64Array, overwrite?: boolean): number[];
  }
  interface FiliModule {
    CalcCascades: new () => {
      highpass(o: object): unknown;
      lowpass(o: object): unknown;
    };
    IirFilter: new (coeffs: unknown) => FiliFilter;
  }
  const Fili = createRequire(import.meta.url)('fili') as FiliModule;

  const FS = 30000;
  const BLOCK = 30;
  const seconds = Number(process.env.BENCH_SECONDS ?? 2);

  function time(run: () => void, samplesPerRun: number): number {
    const warm = performance.now();
    while (performance.now() - warm < 300) run();
    const start = performance.now();
    let samples = 0;
    while (performance.now() - start < seconds * 1000) {
      run();
      samples += samplesPerRun;
    }
    return samples / ((performance.now() - start) / 1000);
  }

  const results = [96, 256, 1024].map((channels) => {
    const input = Float32Array.from({ length: channels * BLOCK }, (_, i) => Math.sin(i * 0.1) * 50 + ((i * 7919) % 17));
    const output = new Float32Array(channels * BLOCK);
    const sos = designButterworth({ type: 'bandpass', order: 4, cutoffHz: [300, 3000], sampleRateHz: FS });
    const state = createSosState(sos, channels);
    const ours = time(() => sosFilter(sos, state, input, output, channels, BLOCK), channels * BLOCK);

    const calc = new Fili.CalcCascades();
    const hp = Array.from({ length: channels }, () => new Fili.IirFilter(calc.highpass({ order: 2, characteristic: 'butterworth', Fs: FS, Fc: 300 })));
    const lp = Array.from({ length: channels }, () => new Fili.IirFilter(calc.lowpass({ order: 2, characteristic: 'butterworth', Fs: FS, Fc: 3000 })));
    const scratch = new Float64Array(BLOCK);
    const fili = time(() => {
      for (let c = 0; c < channels; c++) {
        for (let i = 0; i < BLOCK; i++) scratch[i] = input[c * BLOCK + i]!;
        const y = lp[c]!.multiStep(hp[c]!.multiStep(scratch));
        for (let i = 0; i < BLOCK; i++) output[c * BLOCK + i] = y[i]!;
      }
    }, channels * BLOCK);
    const result = {
      name: `band-pass 300–3000 Hz order 4, ${channels} ch × 30 kHz, 1 ms blocks`,
      channels,
      samplesPerSecond: Math.round(ours),
      realTimeFactor: Number((ours / (channels * FS)).toFixed(2)),
      filiSamplesPerSecond: Math.round(fili),
      ratioToFili: Number((ours / fili).toFixed(2)),
    };
    log(
      `${result.name.padEnd(58)} ${(ours / 1e6).toFixed(0).padStart(5)} M samples/s (${result.realTimeFactor}× real time); fili ${(fili / 1e6).toFixed(0)} M; ${result.ratioToFili}× fili\n`,
    );
    return result;
  });

  /** Pushes pre-made blocks through an operator chain for ~`seconds`; samples/s. */
  function chainThroughput(channels: number, fs: number, blockSamples: number, chain: OperatorFunction<SampleBlock, unknown>): number {
    const info = createStreamInfo({
      id: 'bench',
      device: { name: 'bench', model: '', serial: '' },
      channelNames: Array.from({ length: channels }, (_, c) => `ch${c}`),
      channelKinds: fs >= 1000 ? 'extracellular' : 'eeg',
      units: 'uV',
      sampleRateHz: fs,
      startTime: '2026-01-01T00:00:00.000Z',
    });
    const random = new Random(1);
    const count = Math.max(1, Math.round(fs / blockSamples)); // one second of blocks
    const template = Array.from({ length: Math.min(count, 50) }, () => {
      const data = new Float32Array(channels * blockSamples);
      random.addNormal(data, 0, data.length, 10);
      return data;
    });
    let first = 0;
    const input = new Subject<SampleBlock>();
    const sub = input.pipe(chain).subscribe();
    const push = () => {
      for (let k = 0; k < count; k++) {
        input.next(createSampleBlock({ info, first, length: blockSamples, data: template[k % template.length]!, hostTime: 0 }));
        first += blockSamples;
      }
    };
    const rate = time(push, channels * blockSamples * count);
    sub.unsubscribe();
    return rate;
  }

  /**
   * The intracortical chain on `workers` threads (1: the single-thread chain, in this thread), fed
   * 1 ms blocks as an offline source feeds it (replay: as fast as it takes them, holding back while
   * blocks wait for room in the workers' ring); samples/s of the blocks it finished stepping.
   */
  async function stepsThroughput(channels: number, workers: number, referenced = false): Promise<number> {
    const info = benchStreamInfo(channels, FS);
    const random = new Random(1);
    const template = Array.from({ length: 50 }, () => {
      const data = new Float32Array(channels * BLOCK);
      random.addNormal(data, 0, data.length, 10);
      return data;
    });
    const input = new Subject<SampleBlock>();
    let view: ChainView | undefined;
    let stepped = 0;
    let wake: (() => void) | undefined;
    const sub = input.pipe(intracorticalChainSteps({ workers, onView: (v) => (view = v), referenced: () => referenced })).subscribe(() => {
      stepped++;
      const w = wake;
      wake = undefined;
      w?.();
    });
    let first = 0;
    let k = 0;
    const waiting = (): boolean => view !== undefined && view.backlog() > 0;
    /** Feeds blocks for `ms`; the blocks stepped meanwhile. */
    const feed = async (ms: number): Promise<number> => {
      const end = performance.now() + ms;
      const before = stepped;
      while (performance.now() < end) {
        for (let j = 0; j < 64 && !waiting(); j++) {
          input.next(createSampleBlock({ info, first, length: BLOCK, data: template[k++ % template.length]!, hostTime: 0 }));
          first += BLOCK;
        }
        if (waiting()) await new Promise<void>((resolve) => (wake = resolve));
      }
      return stepped - before;
    };
    await feed(300);
    const start = performance.now();
    const blocks = await feed(seconds * 1000);
    const rate = (blocks * BLOCK * channels) / ((performance.now() - start) / 1000);
    sub.unsubscribe();
    return rate;
  }

  const chains = [
    ...[96, 256, 1024].map((channels) => ({ name: `intracortical chain, ${channels} ch × 30 kHz, 1 ms blocks`, channels, fs: FS, block: BLOCK, chain: intracorticalChain() })),
    { name: 'EEG chain (1–40 Hz + 60 Hz notch), 8 ch × 250 Hz, 1-sample blocks', channels: 8, fs: 250, block: 1, chain: eegChain({ notchHz: 60 }) },
    { name: 'EEG chain (1–40 Hz + 60 Hz notch), 64 ch × 160 Hz, 16-sample blocks', channels: 64, fs: 160, block: 16, chain: eegChain({ notchHz: 60 }) },
  ].map(({ name, channels, fs, block, chain }) => {
    const rate = chainThroughput(channels, fs, block, chain as OperatorFunction<SampleBlock, unknown>);
    const result = { name, channels, sampleRateHz: fs, samplesPerSecond: Math.round(rate), realTimeFactor: Number((rate / (channels * fs)).toFixed(2)) };
    log(`${name.padEnd(70)} ${(rate / 1e6).toFixed(1).padStart(6)} M samples/s (${result.realTimeFactor}× real time)\n`);
    return result;
  });

  // The chain over worker threads (channel-parallel), each count against the single-thread chain measured here.
  const cores = availableParallelism();
  const workerCounts = [...new Set([1, 2, ...[4, 8, 16].filter((n) => n < cores), ...(cores > 2 ? [cores] : [])])];
  const workers: { channels: number; workers: number; samplesPerSecond: number; realTimeFactor: number; speedup: number }[] = [];
  for (const channels of [256, 1024]) {
    let baseline = 0;
    for (const n of workerCounts) {
      const rate = await stepsThroughput(channels, n);
      if (n === 1) baseline = rate;
      const result = { channels, workers: n, samplesPerSecond: Math.round(rate), realTimeFactor: Number((rate / (channels * FS)).toFixed(2)), speedup: Number((rate / baseline).toFixed(2)) };
      workers.push(result);
      log(
        `intracortical chain, ${channels} ch × 30 kHz, ${n === 1 ? '1 thread (the single-thread chain)' : `${n} worker threads`}`.padEnd(70) +
          ` ${(rate / 1e6).toFixed(1).padStart(6)} M samples/s (${result.realTimeFactor}× real time, ${result.speedup}×)\n`,
      );
    }
  }

  // The chain writing out each block's referenced samples too (the session's filtered signal, as a
  // dashboard shows it), against the chain alone on as many threads, measured here.
  const withDisplay: { channels: number; workers: number; samplesPerSecond: number; ratioToChain: number }[] = [];
  for (const n of workerCounts.filter((n) => n <= 2 || n === cores)) {
    const channels = 1024;
    const alone = await stepsThroughput(channels, n);
    const rate = await stepsThroughput(channels, n, true);
    const result = { channels, workers: n, samplesPerSecond: Math.round(rate), ratioToChain: Number((rate / alone).toFixed(2)) };
    withDisplay.push(result);
    log(`intracortical chain + its referenced samples (display), ${channels} ch, ${n === 1 ? '1 thread' : `${n} worker threads`}`.padEnd(70) + ` ${(rate / 1e6).toFixed(1).padStart(6)} M samples/s (${result.ratioToChain}× the chain alone)\n`);
  }

  /** A kernel the session runs in its own thread on every raw 1 ms block, beside the chain: its cost per sample. */
  const sessionThreadCost = (name: string, channels: number, make: () => (input: Float32Array, first: number) => void) => {
    const input = Float32Array.from({ length: channels * BLOCK }, (_, i) => Math.sin(i * 0.1) * 50 + ((i * 7919) % 17));
    const push = make();
    let first = 0;
    const rate = time(() => {
      push(input, first);
      first += BLOCK;
    }, channels * BLOCK);
    const result = { channels, samplesPerSecond: Math.round(rate), nsPerSample: Number((1e9 / rate).toFixed(2)), coreAtRealTime: Number(((channels * FS) / rate).toFixed(3)) };
    log(`${name}, ${channels} ch × 30 kHz, 1 ms blocks`.padEnd(70) + ` ${(rate / 1e6).toFixed(1).padStart(6)} M samples/s (${result.nsPerSample} ns/sample, ${result.coreAtRealTime} of a core in real time)\n`);
    return result;
  };
  // The signal-quality monitor (live sessions, and replays with a dashboard or LSL outlets).
  const signalQuality = [256, 1024].map((channels) =>
    sessionThreadCost('signal-quality monitor', channels, () => {
      const state = createSignalQualityState({ sampleRateHz: FS, mainsHz: 60, fullScale: new Array<number>(channels).fill(6390) });
      return (input, first) => pushSignalQuality(state, input, BLOCK, first, false, () => {});
    }),
  );
  // The dashboard's min/max ring of the raw signal (the publisher's: 1000 columns per second, 10 s).
  const displayDecimator = [256, 1024].map((channels) =>
    sessionThreadCost('dashboard min/max ring (raw)', channels, () => {
      const ring = new MinMaxDecimator({ channels, sampleRateHz: FS, windowSeconds: 10, columns: 10_000 });
      return (input, first) => ring.push(input, BLOCK, first);
    }),
  );

  const path = resultPath('dsp');
  return finish(path, { benchmark: 'dsp', environment: benchEnvironment(), bandpass: results, chains, workers, withDisplay, signalQuality, displayDecimator }, options);

}

if (isMain(import.meta.url)) await runDspBench({ json: process.argv.includes('--json') });
