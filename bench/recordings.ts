/**
 * Recording and replay throughput at 256 channels × 30 kHz (the reference size; 30.7 MB/s
 * of float32 samples):
 *   - record: RecordingWriter (what the recorder's worker runs) fed 1 ms blocks, 500 ms batches,
 *     to a temporary directory on the working disk; and the live Recorder end to end (staging
 *     copy, post to the worker, batch, write, close; the source yields to the event loop every
 *     100 blocks as a live one does) — both as multiples of the data rate;
 *   - replay: `replay --speed max` of that recording without processing and through the
 *     intracortical chain (band-pass 300–3000 Hz, CAR, crossings + spike-band power), as
 *     multiples of real time;
 *   - the ceiling: reading the same file sequentially into one reused buffer (what the disk
 *     cache and memory give at all), so the replay figures can be judged against the machine;
 *   - the chain's own throughput on the same data held in memory (1 ms blocks, as `bench dsp`),
 *     measured in the same run: `replay.withChain.ratioToChain` is replay-with-chain ÷ that;
 *   - the whole session as a user runs it: `neurostream replay DIR --speed max --no-dashboard
 *     --decoder none` in its own process (the session graph, health, status line; Node's start-up
 *     and the CLI's loading included), without processing and with the chain on 1 thread
 *     (`replay.session`, its `ratioToChain` against the chain alone above);
 *   - format version 2: the same signal as a 16-bit device's counts (0.195 µV steps, int16
 *     columns): its file size against float32, bytes per hour at 96 and 256 channels, and its
 *     replay speed without processing (the counts decoded to float32 on reading).
 * Every replay and chain figure is the second of two runs: the first also pays for V8 compiling.
 * Run: `neurostream bench recordings [--json]` (writes bench/results/recordings.json).
 * `BENCH_SECONDS` (default 20) sets the recorded duration.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Subject, lastValueFrom, tap } from 'rxjs';
import { intracorticalChain } from '../acquisition/chains.js';
import { createSampleBlock, createStreamInfo, type SampleBlock } from '../core/index.js';
import { Random } from '../devices/simulators/random.js';
import { Recorder } from '../recordings/recorder.js';
import { openRecording } from '../recordings/recording-reader.js';
import { RecordingWriter } from '../recordings/recording-writer.js';
import { replaySource } from '../recordings/replay-source.js';
import { type BenchOptions, benchEnvironment, benchStreamInfo, finish, isMain, progress, resultPath } from './report.js';

const CHANNELS = 256;
const RATE = 30_000;
const BLOCK = 30; // 1 ms

export async function runRecordingsBench(options: BenchOptions): Promise<object> {
  const log = progress(options);
  const seconds = Number(process.env.BENCH_SECONDS ?? 20);
  const root = mkdtempSync(join(resolve(process.cwd()), '.bench-recordings-'));
  const info = benchStreamInfo(CHANNELS, RATE);
  // 1 s of noise with spikes of realistic size, reused block by block (the data's values do not
  // change the cost of writing them).
  const random = new Random(7);
  const second = new Float32Array(CHANNELS * RATE);
  // Whole 0.195 µV steps (an Intan amplifier's), so the same values can also be recorded as counts.
  for (let i = 0; i < second.length; i++) second[i] = Math.round((random.normal() * 8 + (i % 997 === 0 ? -120 : 0)) / 0.195) * 0.195;
  const blocksPerSecond = RATE / BLOCK;
  const blockData = Array.from({ length: blocksPerSecond }, (_, k) => {
    const data = new Float32Array(CHANNELS * BLOCK);
    for (let c = 0; c < CHANNELS; c++) data.set(second.subarray(c * RATE + k * BLOCK, c * RATE + (k + 1) * BLOCK), c * BLOCK);
    return data;
  });
  // Blocks as a device driver makes them (one per millisecond); their data prepared beforehand.
  const blockAt = (k: number): SampleBlock =>
    createSampleBlock({ info, first: k * BLOCK, length: BLOCK, data: blockData[k % blocksPerSecond]!, hostTime: 0 });
  const totalBlocks = seconds * blocksPerSecond;
  const dataBytes = seconds * CHANNELS * RATE * 4;
  const dataRateMBs = (CHANNELS * RATE * 4) / 1e6;

  try {
    log(`recording ${seconds} s of ${CHANNELS} ch × ${RATE / 1000} kHz (${(dataBytes / 1e6).toFixed(0)} MB) with RecordingWriter…\n`);
    const dir = join(root, 'written');
    let t = performance.now();
    const writer = new RecordingWriter(dir, { info });
    for (let k = 0; k < totalBlocks; k++) writer.writeBlock(blockAt(k));
    writer.close();
    const writerS = (performance.now() - t) / 1000;
    const fileBytes = statSync(join(dir, 'signals.arrows')).size;
    const writerMBs = dataBytes / 1e6 / writerS;
    log(`  ${writerMBs.toFixed(0)} MB/s = ${(writerMBs / dataRateMBs).toFixed(1)}× the data rate\n`);

    log('recording the same through the live Recorder (worker thread)…\n');
    const live = join(root, 'recorder');
    t = performance.now();
    const recorder = new Recorder(live, info, { maxQueueBytes: 2 * dataBytes });
    for (let k = 0; k < totalBlocks; k++) {
      recorder.writeBlock(blockAt(k));
      // As a live source does, give the event loop a turn now and then (here every 100 blocks)
      // so the worker's recycled buffers come back.
      if (k % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
    const status = await recorder.close();
    const recorderS = (performance.now() - t) / 1000;
    if (status.samplesWritten !== seconds * RATE) throw new Error(`the recorder wrote ${status.samplesWritten} samples, expected ${seconds * RATE}`);
    const recorderMBs = dataBytes / 1e6 / recorderS;
    log(`  ${recorderMBs.toFixed(0)} MB/s = ${(recorderMBs / dataRateMBs).toFixed(1)}× the data rate\n`);

    log('reading the signals file sequentially into one reused 4 MB buffer (the ceiling)…\n');
    const fd = openSync(join(dir, 'signals.arrows'), 'r');
    const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
    t = performance.now();
    for (let position = 0; position < fileBytes; ) position += readSync(fd, buffer, 0, buffer.length, position) || fileBytes;
    const ceilingS = (performance.now() - t) / 1000;
    closeSync(fd);
    const ceilingX = seconds / ceilingS;
    log(`  ${(fileBytes / 1e9 / ceilingS).toFixed(2)} GB/s = ${ceilingX.toFixed(0)}× real time\n`);

    const replay = async (chain: boolean, from = dir): Promise<{ seconds: number; realTimeX: number; samplesPerS: number; bins: number }> => {
      const recording = openRecording(from);
      let samples = 0;
      let bins = 0;
      const started = performance.now();
      // As `neurostream replay --speed max` does: the batches' memory reused (every consumer copies what it keeps).
      const source = replaySource(recording, { speed: 'max', reuseMemory: true }).pipe(tap((b) => (samples += b.length)));
      if (chain) await lastValueFrom(source.pipe(intracorticalChain(), tap(() => bins++)), { defaultValue: undefined });
      else await lastValueFrom(source, { defaultValue: undefined });
      const s = (performance.now() - started) / 1000;
      if (samples !== seconds * RATE) throw new Error(`replay delivered ${samples} samples, expected ${seconds * RATE}`);
      return { seconds: s, realTimeX: seconds / s, samplesPerS: (samples * CHANNELS) / s, bins };
    };
    // Each replay timed below, and the chain alone, runs twice and the second is kept: the first also pays
    // for V8 compiling its kernels (≈ 10 % of a 20 s replay through the chain), which would fall on
    // whichever ran first.
    log('replay --speed max, no processing…\n');
    await replay(false);
    const plain = await replay(false);
    log(`  ${plain.realTimeX.toFixed(1)}× real time (${(plain.samplesPerS / 1e6).toFixed(0)} M samples/s)\n`);
    log('replay --speed max through the intracortical chain…\n');
    await replay(true);
    const chained = await replay(true);
    log(`  ${chained.realTimeX.toFixed(1)}× real time (${(chained.samplesPerS / 1e6).toFixed(0)} M samples/s, ${chained.bins} bins)\n`);

    log('the chain alone on the same data in memory (1 ms blocks)…\n');
    const runChainAlone = async (): Promise<{ seconds: number; realTimeX: number; samplesPerS: number; bins: number }> => {
      const input = new Subject<SampleBlock>();
      let bins = 0;
      const done = lastValueFrom(input.pipe(intracorticalChain(), tap(() => bins++)), { defaultValue: undefined });
      const started = performance.now();
      for (let k = 0; k < totalBlocks; k++) input.next(blockAt(k));
      input.complete();
      await done;
      const s = (performance.now() - started) / 1000;
      return { seconds: s, realTimeX: seconds / s, samplesPerS: (seconds * RATE * CHANNELS) / s, bins };
    };
    await runChainAlone();
    const chainAlone = await runChainAlone();
    const ratioToChain = chained.realTimeX / chainAlone.realTimeX;
    log(`  ${chainAlone.realTimeX.toFixed(1)}× real time: replay with the chain runs at ${ratioToChain.toFixed(2)}× the chain's own speed\n`);

    // The session as `neurostream replay` runs it, in its own process, timed from spawn to exit.
    const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
    const sessionReplay = (dsp: boolean): { seconds: number; realTimeX: number } => {
      const args = [cli, 'replay', dir, '--speed', 'max', '--no-dashboard', '--decoder', 'none', '--status-interval', '60', ...(dsp ? ['--dsp', '--workers', '1'] : ['--no-dsp'])];
      const started = performance.now();
      const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
      const s = (performance.now() - started) / 1000;
      if (run.status !== 0) throw new Error(`neurostream replay exited with ${run.status}: ${run.stderr}`);
      if (!run.stdout.includes(`${seconds * RATE} samples/ch`)) throw new Error(`neurostream replay did not replay every sample: ${run.stdout.trim().split('\n').at(-1)}`);
      return { seconds: s, realTimeX: seconds / s };
    };
    log('neurostream replay --speed max --no-dashboard, in its own process, no processing…\n');
    sessionReplay(false);
    const sessionPlain = sessionReplay(false);
    log(`  ${sessionPlain.realTimeX.toFixed(1)}× real time (${sessionPlain.seconds.toFixed(2)} s, start-up included)\n`);
    log('… and with the chain on 1 thread…\n');
    sessionReplay(true);
    const sessionChained = sessionReplay(true);
    const sessionRatio = sessionChained.realTimeX / chainAlone.realTimeX;
    log(`  ${sessionChained.realTimeX.toFixed(1)}× real time (${sessionChained.seconds.toFixed(2)} s): ${sessionRatio.toFixed(2)}× the chain's own speed\n`);

    log('format version 2: the same signal recorded as int16 counts…\n');
    const countsInfo = createStreamInfo({ ...info, id: 'bench-counts', adcScale: 0.195, adcBits: 16, exactCounts: true });
    const countsDir = join(root, 'counts');
    const countsWriter = new RecordingWriter(countsDir, { info: countsInfo });
    for (let k = 0; k < totalBlocks; k++) countsWriter.writeBlock(createSampleBlock({ info: countsInfo, first: k * BLOCK, length: BLOCK, data: blockData[k % blocksPerSecond]!, hostTime: 0 }));
    const countsFailure = countsWriter.close();
    if (countsFailure) throw countsFailure;
    const countsBytes = statSync(join(countsDir, 'signals.arrows')).size;
    await replay(false, countsDir);
    const plainCounts = await replay(false, countsDir);
    // Bytes per row from the files (sample column, channel columns, batch overhead), scaled to an hour.
    const perHour = (bytes: number, channels: number): number => ((bytes / (seconds * RATE) - 8) / CHANNELS * channels + 8) * RATE * 3600;
    const format = {
      float32: { fileMB: fileBytes / 1e6, GBPerHour96ch: perHour(fileBytes, 96) / 1e9, GBPerHour256ch: perHour(fileBytes, 256) / 1e9 },
      int16: { fileMB: countsBytes / 1e6, GBPerHour96ch: perHour(countsBytes, 96) / 1e9, GBPerHour256ch: perHour(countsBytes, 256) / 1e9, replayWithoutChain: plainCounts },
      sizeRatio: countsBytes / fileBytes,
    };
    log(`  ${(countsBytes / 1e6).toFixed(0)} MB instead of ${(fileBytes / 1e6).toFixed(0)} MB (${format.sizeRatio.toFixed(3)}): ${format.int16.GBPerHour96ch.toFixed(1)} GB/h at 96 ch instead of ${format.float32.GBPerHour96ch.toFixed(1)}; replay ${plainCounts.realTimeX.toFixed(1)}× real time\n`);

    const report = {
      benchmark: 'recordings',
      environment: benchEnvironment(),
      stream: { channels: CHANNELS, sampleRateHz: RATE, blockSamples: BLOCK, seconds, dataMB: dataBytes / 1e6, dataRateMBs, fileMB: fileBytes / 1e6 },
      record: {
        writer: { seconds: writerS, MBs: writerMBs, dataRateX: writerMBs / dataRateMBs, target: '≥ 10× the data rate' },
        recorder: { seconds: recorderS, MBs: recorderMBs, dataRateX: recorderMBs / dataRateMBs },
      },
      replay: {
        withoutChain: { ...plain, target: '≥ 100× real time' },
        withChain: { ...chained, ratioToChain, target: 'ratioToChain ≥ 0.9' },
        chainAlone,
        session: { withoutChain: sessionPlain, withChain: { ...sessionChained, ratioToChain: sessionRatio } },
        sequentialReadCeiling: { seconds: ceilingS, GBs: fileBytes / 1e9 / ceilingS, realTimeX: ceilingX },
      },
      format,
    };
    return finish(resultPath('recordings'), report, options);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runRecordingsBench({ json: process.argv.includes('--json') });
