/**
 * The session's filtered signal of an intracortical stream (`filtered$`, what the dashboard shows
 * by default): the spike band, re-referenced, as the chain's features saw it — written out by the
 * chain itself (on its worker threads, if any) for the blocks that come in while it is subscribed,
 * bit for bit what iirFilter → reReference make of the raw blocks.
 */
import { Subject, from, lastValueFrom, pipe, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { designButterworth } from '../../acquisition/filters/butterworth.js';
import { iirFilter } from '../../acquisition/operators/iir-filter.js';
import { reReference } from '../../acquisition/operators/re-reference.js';
import { SPIKE_BAND_HZ } from '../../acquisition/operators/spike-band-features.js';
import type { SampleBlock } from '../../core/index.js';
import { IntracorticalSimulator } from '../../devices/simulators/intracortical-simulator.js';
import { sessionGraph } from '../../session/index.js';
import { waitFor } from '../helpers/wait-for.js';

/** `count` simulated 1 ms blocks of `channels` channels, and what iirFilter → reReference make of them. */
async function spikeBandCase(channels: number, seed: number, count: number): Promise<{ blocks: SampleBlock[]; expected: SampleBlock[] }> {
  const sim = new IntracorticalSimulator({ channels, seed });
  const blocks = Array.from({ length: count }, (_, k) => {
    const { markers: _markers, ...block } = sim.read(30, k);
    return block as SampleBlock;
  });
  const expected = await lastValueFrom(
    from(blocks).pipe(
      pipe(iirFilter((fs) => designButterworth({ type: 'bandpass', order: 4, cutoffHz: SPIKE_BAND_HZ, sampleRateHz: fs })), reReference({ method: 'average' })),
      toArray(),
    ),
  );
  return { blocks, expected };
}

describe("the session's filtered signal of an intracortical stream", () => {
  it.each([1, 2])('is the chain’s referenced spike band while subscribed, bit for bit (%i thread(s))', async (workers) => {
    const { blocks, expected } = await spikeBandCase(64, 31, 300);
    const source = new Subject<SampleBlock>();
    const graph = sessionGraph(source, { dsp: true, mainsHz: 60, workers, offline: true });
    graph.connect();
    // Blocks 0–99 before anyone watches, 100–199 watched, 200–299 after.
    const seen: SampleBlock[] = [];
    blocks.slice(0, 100).forEach((b) => source.next(b));
    const watching = graph.filtered$.subscribe((b) => seen.push(b));
    blocks.slice(100, 200).forEach((b) => source.next(b));
    await waitFor(() => seen.length === 100, 'the watched blocks');
    watching.unsubscribe();
    blocks.slice(200).forEach((b) => source.next(b));
    source.complete();
    await graph.drained(10_000);
    expect(seen.map((b) => b.first)).toEqual(blocks.slice(100, 200).map((b) => b.first));
    seen.forEach((got, i) => {
      const want = expected[100 + i]!;
      expect(got.info).toEqual(want.info);
      expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(want.data.buffer, want.data.byteOffset, want.data.byteLength)), `block ${100 + i}`).toBe(true);
    });
    graph.stop();
  });

  it.each([1, 2])('has no block for those displayWanted turns down, and the chain’s again when it asks (%i thread(s))', async (workers) => {
    const { blocks, expected } = await spikeBandCase(48, 7, 240);
    const source = new Subject<SampleBlock>();
    let wanted = true;
    let asked = 0;
    const graph = sessionGraph(source, {
      dsp: true,
      mainsHz: 60,
      workers,
      offline: true,
      displayWanted: () => {
        asked++;
        return wanted;
      },
    });
    graph.connect();
    const seen: SampleBlock[] = [];
    const frames: number[] = [];
    graph.filtered$.subscribe((b) => seen.push(b));
    graph.features$.subscribe((f) => frames.push(f.frame.bin));
    // Wanted for blocks 0–59, not for 60–149, wanted again for 150–239: subscribed all along.
    blocks.forEach((b, k) => {
      wanted = k < 60 || k >= 150;
      source.next(b);
    });
    source.complete();
    await graph.drained(10_000);
    const shown = [...blocks.slice(0, 60), ...blocks.slice(150)];
    expect(asked, 'asked once per block').toBe(blocks.length);
    expect(seen.map((b) => b.first)).toEqual(shown.map((b) => b.first));
    seen.forEach((got) => {
      const want = expected[blocks.findIndex((b) => b.first === got.first)]!;
      expect(Buffer.from(got.data.buffer, got.data.byteOffset, got.data.byteLength).equals(Buffer.from(want.data.buffer, want.data.byteOffset, want.data.byteLength)), `block at ${got.first}`).toBe(true);
    });
    // The features never skip: one 20 ms bin per 600 samples of the 240 blocks of 30.
    expect(frames).toEqual(Array.from({ length: (240 * 30) / 600 }, (_, i) => i));
    graph.stop();
  });
});
