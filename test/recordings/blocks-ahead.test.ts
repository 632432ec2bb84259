import { mkdtempSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createMarker, createSampleBlock, type SampleBlock } from '../../core/index.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { RecordingWriter } from '../../recordings/recording-writer.js';
import { replaySource } from '../../recordings/replay-source.js';
import { testStreamInfo } from '../helpers/stream-info.js';

const info = testStreamInfo({ channelNames: ['a', 'b', 'c'], sampleRateHz: 1000, adcScale: 0.5, adcBits: 16, exactCounts: true });
/** The same stream recorded as float32 values (format version 1's columns). */
const floatInfo = testStreamInfo({ channelNames: ['a', 'b', 'c'], sampleRateHz: 1000 });

/** 3.2 s in blocks of 40, a device gap of 25 samples, markers inside and in the gap. */
function makeRecording(streamInfo = info): string {
  const info = streamInfo;
  const dir = join(mkdtempSync(join(tmpdir(), 'ns-ahead-')), 'rec');
  const writer = new RecordingWriter(dir, { info, batchMs: 100 });
  let first = 0;
  for (let k = 0; k < 80; k++) {
    if (k === 30) first += 25;
    const data = new Float32Array(3 * 40);
    for (let i = 0; i < data.length; i++) data[i] = (((first * 3 + i) % 401) - 200) * 0.5;
    writer.writeBlock(createSampleBlock({ info, first, length: 40, data, hostTime: 0, ...(k === 30 ? { gap: { missing: 25 } } : {}) }));
    first += 40;
  }
  writer.writeMarkers([createMarker(10, 'cue', 'left'), createMarker(1210, 'cue', 'in the gap'), createMarker(3000, 'cue', 'right')]);
  const failure = writer.close();
  if (failure) throw failure;
  return dir;
}

function summary(blocks: readonly SampleBlock[]): unknown[] {
  return blocks.map((b) => [b.first, b.length, b.gap?.missing, b.markers?.map((m) => m.value), [...b.data]]);
}

async function collect(iterable: AsyncIterable<SampleBlock>): Promise<SampleBlock[]> {
  const out: SampleBlock[] = [];
  for await (const b of iterable) out.push(b);
  return out;
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe('Recording.blocksAhead (read-ahead)', () => {
  it('gives the very blocks, gaps, markers and notes of blocks(), also cut to a block size', async () => {
    const dir = makeRecording();
    const sync = openRecording(dir);
    const ahead = openRecording(dir);
    expect(summary(await collect(ahead.blocksAhead()))).toEqual(summary([...sync.blocks()]));
    expect(summary(await collect(ahead.blocksAhead({ maxBlockSamples: 7 })))).toEqual(summary([...sync.blocks({ maxBlockSamples: 7 })]));
    expect(ahead.notes).toEqual(sync.notes);
    expect(ahead.notes.join('\n')).toMatch(/1 markers fall in gaps/);
  });

  it('reads a file cut short up to its last whole batch and says so, as blocks() does', async () => {
    const dir = makeRecording();
    const path = join(dir, 'signals.arrows');
    truncateSync(path, statSync(path).size - 100);
    const sync = openRecording(dir, { allowTruncated: true });
    const ahead = openRecording(dir, { allowTruncated: true });
    const blocks = await collect(ahead.blocksAhead());
    expect(summary(blocks)).toEqual(summary([...sync.blocks()]));
    expect(blocks.reduce((n, b) => n + b.length, 0)).toBeLessThan(3200);
    expect(ahead.notes.some((n) => /bytes are a batch cut short/.test(n))).toBe(true);
  });

  it('closes the file when the consumer stops early, with a read in flight', async () => {
    const dir = makeRecording();
    const before = openFds();
    const firstTwo = await lastValueFrom(replaySource(openRecording(dir), { speed: 'max' }).pipe(take(2), toArray()));
    expect(firstTwo).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the read in flight ends, then the file closes
    expect(openFds()).toBe(before);
  });

  it.each([
    ['int16 counts', info],
    ['float32 values', floatInfo],
  ])('reuseMemory (%s): each block holds its samples while it is delivered, in memory reused batch after batch', async (_, streamInfo) => {
    const dir = makeRecording(streamInfo);
    const expected = summary([...openRecording(dir).blocks()]);
    const seen: unknown[] = [];
    const buffers = new Set<ArrayBufferLike>();
    const blocks = await lastValueFrom(
      replaySource(openRecording(dir), { speed: 'max', reuseMemory: true }).pipe(
        // What a consumer that copies on delivery keeps (the recorder, the chains, the dashboard).
        tap((b) => {
          seen.push(summary([b])[0]);
          buffers.add(b.data.buffer);
        }),
        toArray(),
      ),
    );
    expect(blocks.length).toBeGreaterThan(20); // 100 ms batches, one block each (two around the gap)
    expect(seen).toEqual(expected);
    // Two buffers in turn (the batch delivered, the one being read), or one for decoded counts —
    // against one per batch without reuse.
    expect(buffers.size).toBeLessThanOrEqual(2);
    const fresh = await lastValueFrom(replaySource(openRecording(dir), { speed: 'max' }).pipe(toArray()));
    expect(new Set(fresh.map((b) => b.data.buffer)).size).toBe(fresh.length);
    // A consumer that kept the blocks themselves would see later samples in them: hence the contract.
    expect(summary(blocks)).not.toEqual(expected);
  });

  it('replay --speed max delivers every sample of the recording in order', async () => {
    const dir = makeRecording();
    const blocks = await lastValueFrom(replaySource(openRecording(dir), { speed: 'max' }).pipe(toArray()));
    expect(summary(blocks)).toEqual(summary([...openRecording(dir).blocks()]));
  });
});
