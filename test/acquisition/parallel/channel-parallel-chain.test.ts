import { spawn } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { Subject, firstValueFrom, from, lastValueFrom, pipe, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { intracorticalChain, type IntracorticalChainOptions } from '../../../acquisition/chains.js';
import { designButterworth } from '../../../acquisition/filters/butterworth.js';
import { iirFilter } from '../../../acquisition/operators/iir-filter.js';
import { reReference } from '../../../acquisition/operators/re-reference.js';
import { SPIKE_BAND_HZ } from '../../../acquisition/operators/spike-band-features.js';
import { ChainWorkerError, ChannelParallelChain } from '../../../acquisition/parallel/channel-parallel-chain.js';
import { type ChainView, defaultChainWorkers, intracorticalChainSteps } from '../../../acquisition/parallel/intracortical-chain-steps.js';
import { type FeatureFrame, type SampleBlock, createSampleBlock, createStreamInfo } from '../../../core/index.js';
import { IntracorticalSimulator } from '../../../devices/simulators/intracortical-simulator.js';
import { waitFor } from '../../helpers/wait-for.js';

interface StreamCase {
  channels: number;
  /** Block lengths, cycled (longer than 512 samples: the parent cuts them into pieces). */
  lengths: readonly number[];
  blocks: number;
  /** Every `gapEvery`-th block follows a gap of `gapSamples` lost samples. */
  gapEvery?: number;
  gapSamples?: number;
  /** These channels are aux (not neural): features of the others only, referenced apart. */
  aux?: readonly number[];
  /**
   * The first channel × 1e12 and the last its exact negative: they cancel in the common average,
   * but only after every other channel has been added to (and rounded into) a sum of 1e12 — so a
   * reference summed in any other order than the single-thread chain's has other bits.
   */
  cancelling?: boolean;
  seed: number;
}

/** Simulated spiking blocks, cut as the case says, with gaps and aux channels where it says. */
function streamOf(s: StreamCase): SampleBlock[] {
  const sim = new IntracorticalSimulator({ channels: s.channels, seed: s.seed });
  const info = s.aux
    ? createStreamInfo({
        id: sim.info.id,
        device: sim.info.device,
        channelNames: sim.info.channelNames,
        channelKinds: sim.info.channelNames.map((_, c) => (s.aux!.includes(c) ? 'aux' : 'extracellular')),
        units: sim.info.units,
        sampleRateHz: sim.info.sampleRateHz,
        startTime: sim.info.startTime,
      })
    : sim.info;
  let skipped = 0;
  return Array.from({ length: s.blocks }, (_, k) => {
    // (The simulator's task markers are left out: the chain does not read them, and shifted blocks would misplace them.)
    const { markers: _markers, ...block } = sim.read(s.lengths[k % s.lengths.length]!, k);
    if (s.cancelling) {
      const L = block.length;
      for (let i = 0; i < L; i++) {
        block.data[i] = block.data[i]! * 1e12;
        block.data[(s.channels - 1) * L + i] = -block.data[i]!;
      }
    }
    const gap = s.gapEvery !== undefined && k > 0 && k % s.gapEvery === 0 ? (s.gapSamples ?? 1) : 0;
    skipped += gap;
    return createSampleBlock({ ...block, info, first: block.first + skipped, ...(gap > 0 ? { gap: { missing: gap } } : {}) });
  });
}

/** Every field of every frame the same, values compared bit for bit. */
function expectSameFrames(actual: readonly FeatureFrame[], expected: readonly FeatureFrame[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((frame, i) => {
    const e = expected[i]!;
    expect({ bin: frame.bin, t0: frame.t0, hostTime: frame.hostTime, names: frame.names }).toEqual({ bin: e.bin, t0: e.t0, hostTime: e.hostTime, names: e.names });
    const bitsEqual = Buffer.from(frame.values.buffer, frame.values.byteOffset, frame.values.byteLength).equals(Buffer.from(e.values.buffer, e.values.byteOffset, e.values.byteLength));
    if (!bitsEqual) expect(Array.from(frame.values), `bin ${frame.bin}`).toEqual(Array.from(e.values));
  });
  expect(actual).toEqual(expected);
}

/** What `promise` rejects with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

async function framesOf(blocks: readonly SampleBlock[], options: IntracorticalChainOptions): Promise<FeatureFrame[]> {
  return await firstValueFrom(from(blocks).pipe(intracorticalChain(options), toArray()));
}

describe('the intracortical chain on worker threads', () => {
  const cases: { name: string; stream: StreamCase; workers: number; options?: IntracorticalChainOptions }[] = [
    { name: '64 ch, 2 workers, 1 ms blocks', stream: { channels: 64, lengths: [30], blocks: 1500, seed: 1 }, workers: 2 },
    { name: '37 ch (not divisible), 3 workers, uneven blocks', stream: { channels: 37, lengths: [17, 43, 1, 300], blocks: 400, seed: 2 }, workers: 3 },
    { name: '130 ch, 4 workers, blocks of 700 samples (cut into pieces), with gaps', stream: { channels: 130, lengths: [700, 90], blocks: 120, gapEvery: 7, gapSamples: 250, seed: 3 }, workers: 4 },
    { name: '9 ch, 9 workers (one channel each), gaps of one sample', stream: { channels: 9, lengths: [25, 31], blocks: 1200, gapEvery: 5, gapSamples: 1, seed: 4 }, workers: 9 },
    { name: '33 ch with 3 aux channels, 2 workers, gaps', stream: { channels: 33, lengths: [60, 7], blocks: 900, gapEvery: 11, gapSamples: 900, aux: [0, 16, 32], seed: 5 }, workers: 2 },
    { name: '48 ch, common-median reference, 3 workers', stream: { channels: 48, lengths: [30, 77], blocks: 700, gapEvery: 50, gapSamples: 30, seed: 6 }, workers: 3, options: { reference: 'median' } },
    { name: '20 ch, no reference, running RMS, 10 ms bins, 2 workers', stream: { channels: 20, lengths: [13, 600], blocks: 200, gapEvery: 9, gapSamples: 5, seed: 7 }, workers: 2, options: { reference: 'none', rms: 'running', binMs: 10 } },
    { name: '70 ch, two cancelling at 1e12 (a sum that rounds), 3 workers', stream: { channels: 70, lengths: [30, 11], blocks: 900, gapEvery: 40, gapSamples: 3, cancelling: true, seed: 14 }, workers: 3 },
    { name: '27 ch with 1 aux channel, median, 5 workers', stream: { channels: 27, lengths: [45], blocks: 900, aux: [13], seed: 8 }, workers: 5, options: { reference: 'median' } },
  ];

  it.each(cases)('gives the single-thread chain\'s FeatureFrames bit for bit: $name', async ({ stream, workers, options }) => {
    const blocks = streamOf(stream);
    const base = { calibrationS: 0.2, ...options };
    const expected = await framesOf(blocks, base);
    expect(expected.length).toBeGreaterThan(20);
    // Crossings were found (the comparison is not of zeros alone).
    const C = expected[0]!.values.length / 2;
    expect(expected.some((f) => f.values.subarray(0, C).some((v) => v > 0))).toBe(true);
    expectSameFrames(await framesOf(blocks, { ...base, workers }), expected);
  });

  const referencedCases: { name: string; stream: StreamCase; workers: number; options?: IntracorticalChainOptions }[] = [
    { name: '64 ch, common average (block sums), 1 ms blocks and blocks long enough for tiles', stream: { channels: 64, lengths: [30, 30, 2500], blocks: 60, seed: 21 }, workers: 2 },
    { name: '130 ch, 3 workers, pieces of 700-sample blocks, gaps', stream: { channels: 130, lengths: [700, 90], blocks: 40, gapEvery: 7, gapSamples: 250, seed: 22 }, workers: 3 },
    { name: '33 ch with 3 aux channels (outside the reference: filtered only), 2 workers', stream: { channels: 33, lengths: [60, 7], blocks: 200, aux: [0, 16, 32], seed: 23 }, workers: 2 },
    { name: '48 ch, common median, 3 workers', stream: { channels: 48, lengths: [30, 77], blocks: 150, seed: 24 }, workers: 3, options: { reference: 'median' } },
    { name: '20 ch with an aux channel, no reference, 2 workers, 600-sample blocks', stream: { channels: 20, lengths: [13, 600], blocks: 60, aux: [3], seed: 25 }, workers: 2, options: { reference: 'none' } },
  ];

  it.each(referencedCases)(
    'steps carry the referenced samples where asked, bit for bit iirFilter → reReference, on 1 thread and on workers: $name',
    async ({ stream, workers, options }) => {
      const blocks = streamOf(stream);
      const reference = options?.reference ?? 'average';
      const filter = iirFilter((fs) => designButterworth({ type: 'bandpass', order: 4, cutoffHz: SPIKE_BAND_HZ, sampleRateHz: fs }));
      const expected = await lastValueFrom(from(blocks).pipe(reference === 'none' ? filter : pipe(filter, reReference({ method: reference })), toArray()));
      // Asked for three blocks of four: the others' steps carry none.
      const asked = (k: number): boolean => k % 4 !== 2;
      for (const n of [1, workers]) {
        let k = 0;
        const steps = await lastValueFrom(from(blocks).pipe(intracorticalChainSteps({ calibrationS: 0.2, ...options, workers: n, referenced: () => asked(k++) }), toArray()));
        expect(steps.length).toBe(blocks.length);
        steps.forEach((step, i) => {
          if (!asked(i)) {
            expect(step.referenced, `block ${i}`).toBeUndefined();
            return;
          }
          const got = step.referenced!;
          const want = expected[i]!;
          expect({ first: got.first, length: got.length, info: got.info }).toEqual({ first: want.first, length: want.length, info: want.info });
          const same = Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(want.data.buffer, want.data.byteOffset, want.data.byteLength));
          if (!same) expect(Array.from(got.data), `block ${i}, ${n} thread(s)`).toEqual(Array.from(want.data));
        });
      }
      // The signal is not the raw one (the comparison is of filtered samples).
      expect(expected[1]!.data.some((v, j) => v !== blocks[1]!.data[j])).toBe(true);
    },
  );

  it('steps each block once, in order, with the bins it completed', async () => {
    const blocks = streamOf({ channels: 40, lengths: [30, 200], blocks: 600, gapEvery: 13, gapSamples: 70, seed: 9 });
    const inThread = await firstValueFrom(from(blocks).pipe(intracorticalChainSteps({ calibrationS: 0.2 }), toArray()));
    const parallel = await firstValueFrom(from(blocks).pipe(intracorticalChainSteps({ calibrationS: 0.2, workers: 3 }), toArray()));
    expect(parallel.map((s) => s.block)).toEqual(blocks);
    expect(parallel.map((s) => s.frames.map((f) => f.bin))).toEqual(inThread.map((s) => s.frames.map((f) => f.bin)));
    expectSameFrames(
      parallel.flatMap((s) => s.frames),
      inThread.flatMap((s) => s.frames),
    );
  });

  it.each([
    { lengths: [300], blocks: 300 },
    { lengths: [4000, 3999, 4000, 1], blocks: 40 },
  ])('an offline feed that waits on the backlog gets the same frames, with no more than the ring waiting (blocks of $lengths samples, their memory reused)', async ({ lengths, blocks: count }) => {
    const blocks = streamOf({ channels: 64, lengths, blocks: count, seed: 10 });
    const expected = await framesOf(blocks, { calibrationS: 0.2 });
    let view: ChainView | undefined;
    const input = new Subject<SampleBlock>();
    const done = lastValueFrom(input.pipe(intracorticalChainSteps({ calibrationS: 0.2, workers: 2, onView: (v) => (view = v) }), toArray()));
    let maxBacklog = 0;
    let heldBack = 0;
    for (const block of streamOf({ channels: 64, lengths, blocks: count, seed: 10 })) {
      // As a replay does: hold back while blocks wait for room (or the ring has none for the next).
      while (view && view.backlog() > 0) {
        heldBack++;
        await new Promise((r) => setTimeout(r, 1));
      }
      input.next(block);
      maxBacklog = Math.max(maxBacklog, view!.backlog());
      block.data.fill(Number.NaN); // what the replay's next read does to the memory
    }
    input.complete();
    const steps = await done;
    expect(maxBacklog).toBeLessThanOrEqual(1);
    expect(heldBack).toBeGreaterThan(0);
    expectSameFrames(
      steps.flatMap((s) => s.frames),
      expected,
    );
  });

  it('reads the samples a block held when it was pushed, even when its memory changes right after (a replay reusing its memory)', async () => {
    const stream = { channels: 64, lengths: [4000], blocks: 20, seed: 12 };
    const expected = await framesOf(streamOf(stream), { calibrationS: 0.2 });
    const input = new Subject<SampleBlock>();
    const done = lastValueFrom(input.pipe(intracorticalChain({ calibrationS: 0.2, workers: 2 }), toArray()));
    for (const block of streamOf(stream)) {
      input.next(block); // 4000 samples: pieces of it wait for room in the ring
      block.data.fill(Number.NaN); // what the replay's next read would do to the memory
    }
    input.complete();
    const frames = await done;
    expect(frames.every((f) => f.values.every((v) => Number.isFinite(v)))).toBe(true);
    expectSameFrames(frames, expected);
  });

  it('reads the waiting tail of a block longer than its ring from its own copy, in memory it uses again for the next such tails', async () => {
    // 64 ch: a ring of 16 384 samples for the batches in flight + 6000 for a block as long as the
    // first. Each longer block (24 000–26 000 samples) cannot all go in: its tail waits in a copy,
    // the next tail reuses that copy's memory (shorter: part of it; longer: fresh memory).
    const lengths = [6000, 25_000, 6000, 24_000, 6000, 26_000, 6000, 25_000];
    const stream = { channels: 64, lengths, blocks: lengths.length, seed: 21 };
    const expected = await framesOf(streamOf(stream), { calibrationS: 0.2 });
    let view: ChainView | undefined;
    const input = new Subject<SampleBlock>();
    const done = lastValueFrom(input.pipe(intracorticalChainSteps({ calibrationS: 0.2, workers: 2, onView: (v) => (view = v) }), toArray()));
    const blocks = streamOf(stream);
    for (let k = 0; k < blocks.length; k += 2) {
      input.next(blocks[k]!);
      input.next(blocks[k + 1]!);
      expect(view!.backlog(), `pieces of block ${k + 1} wait`).toBeGreaterThan(1);
      blocks[k]!.data.fill(Number.NaN);
      blocks[k + 1]!.data.fill(Number.NaN);
      await waitFor(() => view!.backlog() === 0, `the ring taking block ${k + 1}`);
    }
    input.complete();
    const steps = await done;
    expectSameFrames(
      steps.flatMap((s) => s.frames),
      expected,
    );
  });

  it('has no backlog once closed, however full its ring was (a source holding back on it is not kept waiting)', () => {
    const [block] = streamOf({ channels: 16, lengths: [40_000], blocks: 1, seed: 22 });
    const chain = new ChannelParallelChain(block!.info, { workers: 2, blockSamples: 1000 }, { step: () => {}, error: () => {}, complete: () => {} });
    chain.push(block!);
    expect(chain.backlog()).toBeGreaterThan(0);
    chain.close();
    expect(chain.backlog()).toBe(0);
  });

  it('terminates its worker threads when the subscription ends, midway or complete', async () => {
    const blocks = streamOf({ channels: 64, lengths: [30], blocks: 200, seed: 11 });
    let view: ChainView | undefined;
    const input = new Subject<SampleBlock>();
    const frames: FeatureFrame[] = [];
    const sub = input.pipe(intracorticalChainSteps({ workers: 3, onView: (v) => (view = v) })).subscribe((s) => frames.push(...s.frames));
    blocks.slice(0, 100).forEach((b) => input.next(b));
    expect(view!.workers).toBe(3);
    await waitFor(() => frames.length >= 1, 'a first bin from the workers');
    expect(view!.threadsAlive()).toBe(3);
    sub.unsubscribe();
    await waitFor(() => view!.threadsAlive() === 0, 'the worker threads to exit after unsubscribe');

    let completed: ChainView | undefined;
    await firstValueFrom(from(blocks).pipe(intracorticalChainSteps({ workers: 2, onView: (v) => (completed = v) }), toArray()));
    await waitFor(() => completed!.threadsAlive() === 0, 'the worker threads to exit after the stream completed');
  });

  it('leaves nothing running: a process that used it exits by itself, completed or unsubscribed midway', async () => {
    const script = fileURLToPath(new URL('./fixtures/chain-then-exit.ts', import.meta.url));
    const register = fileURLToPath(new URL('../../helpers/ts-worker-register.mjs', import.meta.url));
    for (const mode of ['complete', 'unsubscribe']) {
      const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', register, script, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the process (${mode}) did not exit within 30 s: ${out}`));
        }, 30_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve({ code, out });
        });
      });
      expect(result.out).toContain(`${mode}: `);
      expect(result.code, result.out).toBe(0);
    }
  });

  it('refuses more workers than channels, and a bad count, naming what it expected', async () => {
    const blocks = streamOf({ channels: 4, lengths: [30], blocks: 10, seed: 12 });
    const tooMany = await rejection(framesOf(blocks, { workers: 5 }));
    expect(String(tooMany)).toMatch(/workers: expected an integer from 1 to the stream's 4 channels, got 5/);
    for (const bad of [0, -2, 1.5]) expect(String(await rejection(framesOf(blocks, { workers: bad })))).toMatch(/workers: expected an integer from 1 to the stream's 4 channels/);
    const handlers = { step: () => {}, error: () => {}, complete: () => {} };
    for (const bad of [-1, 2.5, Number.NaN]) expect(() => new ChannelParallelChain(blocks[0]!.info, { workers: 2, blockSamples: bad }, handlers)).toThrow(/blockSamples: expected an integer ≥ 0/);
  });

  it('reports a bad option as the single-thread chain does, before starting any thread', async () => {
    const blocks = streamOf({ channels: 8, lengths: [30], blocks: 10, seed: 13 });
    const single = await rejection(framesOf(blocks, { bandHz: [300, 20_000] }));
    const parallel = await rejection(framesOf(blocks, { bandHz: [300, 20_000], workers: 2 }));
    expect(String(parallel)).toBe(String(single));
    expect(String(single)).toMatch(/cutoff/i);
  });
});

describe('defaultChainWorkers', () => {
  const info = (channels: number, sampleRateHz: number) =>
    createStreamInfo({
      id: 's',
      device: { name: 'd', model: '', serial: '' },
      channelNames: Array.from({ length: channels }, (_, c) => `ch${c}`),
      channelKinds: 'extracellular',
      units: 'uV',
      sampleRateHz,
      startTime: '2026-01-01T00:00:00.000Z',
    });

  it('keeps small streams in one thread and gives large ones cores − 1, at least 32 channels each', () => {
    expect(defaultChainWorkers(info(32, 30_000), 16)).toBe(1);
    expect(defaultChainWorkers(info(256, 1000), 16)).toBe(1);
    expect(defaultChainWorkers(info(1024, 30_000), 2)).toBe(1);
    expect(defaultChainWorkers(info(1024, 30_000), 3)).toBe(2);
    expect(defaultChainWorkers(info(1024, 30_000), 16)).toBe(15);
    expect(defaultChainWorkers(info(4096, 30_000), 16)).toBe(15);
    expect(defaultChainWorkers(info(96, 30_000), 16)).toBe(3);
  });
});

describe('ChannelParallelChain', () => {
  it('ends the stream with NS_PROCESSING_FAILURE when a worker thread stops while it runs, and stops the others', async () => {
    const blocks = streamOf({ channels: 64, lengths: [30], blocks: 100, seed: 15 });
    let failure: unknown;
    const chain = new ChannelParallelChain(blocks[0]!.info, { workers: 3 }, { step: () => {}, error: (error) => (failure = error), complete: () => {} });
    blocks.slice(0, 50).forEach((b) => chain.push(b));
    // (A thread killed from outside: what a crash of the worker's isolate looks like to the stream.)
    await (chain as unknown as { threads: Worker[] }).threads[1]!.terminate();
    await waitFor(() => failure !== undefined, 'the stream to fail');
    expect(failure).toBeInstanceOf(ChainWorkerError);
    expect((failure as ChainWorkerError).code).toBe('NS_PROCESSING_FAILURE');
    expect(String(failure)).toMatch(/chain worker 1 of 3 exited \(code \d+\) while the stream was running/);
    await waitFor(() => chain.threadsAlive() === 0, 'the other worker threads to exit');
  });
});
