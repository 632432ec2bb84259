import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createFeatureFrame, createSampleBlock, type SampleBlock } from '../../core/index.js';
import { openRecording } from '../../recordings/recording-reader.js';
import type { RecorderEvent } from '../../recordings/recorder.js';
import { testStreamInfo } from '../helpers/stream-info.js';

import { Recorder } from '../../recordings/recorder.js';

const C = 16;
const info = testStreamInfo({ channelNames: Array.from({ length: C }, (_, c) => `ch${c}`), sampleRateHz: 10_000 });

function block(first: number, length: number): SampleBlock {
  const data = new Float32Array(C * length);
  for (let c = 0; c < C; c++) for (let i = 0; i < length; i++) data[c * length + i] = first + i + c / 100;
  return createSampleBlock({ info, first, length, data, hostTime: 0 });
}

describe('Recorder', () => {
  it('records blocks and features from another thread without touching the originals', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ns-recorder-')), 'r');
    const recorder = new Recorder(dir, info, { batchMs: 100 });
    const blocks: SampleBlock[] = [];
    for (let k = 0; k < 50; k++) {
      const b = block(k * 100, 100);
      blocks.push(b);
      recorder.writeBlock(b);
      if (k % 2 === 0) recorder.writeFeatures(createFeatureFrame({ bin: k / 2, t0: k * 100, hostTime: k, values: new Float32Array([k, -k]), names: ['x', 'y'] }));
    }
    expect(blocks[10]!.data[5]).toBe(1005); // the posted copies leave the blocks intact
    const status = await recorder.close();
    expect(status.state).toBe('closed');
    expect(status.samplesWritten).toBe(5000);
    const recording = openRecording(dir);
    const read = [...recording.blocks()];
    expect(read.reduce((n, b) => n + b.length, 0)).toBe(5000);
    for (const b of read) expect(b.data[3 * b.length + 7]).toBe(Math.fround(b.first + 7 + 3 / 100));
    expect(recording.features().map((f) => [...f.values])).toEqual(Array.from({ length: 25 }, (_, i) => [2 * i, -2 * i]));
    expect(recording.features()[0]!.names).toEqual(['x', 'y']);
  });

  it('drops (and says so) rather than queue without bound when the writer cannot keep up, then resumes with a gap', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ns-recorder-')), 'r');
    const events: RecorderEvent[] = [];
    const recorder = new Recorder(dir, info, { batchMs: 100, maxQueueBytes: 1_000_000, onEvent: (e) => events.push(e) });
    // 200 blocks of 64 kB posted without yielding: the worker's progress cannot reach us, so the
    // queue passes 1 MB and the rest is dropped.
    let first = 0;
    for (let k = 0; k < 200; k++, first += 1000) recorder.writeBlock(block(first, 1000));
    expect(recorder.status().state).toBe('overflow');
    expect(events.map((e) => e.type)).toEqual(['overflow']);
    const dropped = recorder.status().droppedSamples;
    expect(dropped).toBeGreaterThan(100_000);
    // The worker drains and reports (within a few hundred ms; allow a loaded machine 10 s).
    for (let waited = 0; recorder.status().queuedBytes >= 500_000 && waited < 10_000; waited += 50) await sleep(50);
    expect(recorder.status().queuedBytes).toBeLessThan(500_000);
    recorder.writeBlock(block(first, 1000));
    expect(events.map((e) => e.type)).toEqual(['overflow', 'resumed']);
    const status = await recorder.close();
    expect(status.droppedSamples).toBe(dropped);
    const recording = openRecording(dir);
    const gaps = recording.manifest.streams[0]!.gaps;
    expect(gaps).toEqual([{ sample: expect.any(Number), missing: dropped, cause: 'recorder' }]);
    expect(recording.manifest.notes.join('\n')).toMatch(new RegExp(`dropped ${dropped} samples because the disk could not keep up`));
    expect([...recording.blocks()].reduce((n, b) => n + b.length, 0)).toBe(200_000 + 1000 - dropped);
  });

  it('never drops when lossless (offline): it says it is busy while the queue is over half its bound, and records every sample', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ns-recorder-')), 'r');
    const events: RecorderEvent[] = [];
    const recorder = new Recorder(dir, info, { batchMs: 100, maxQueueBytes: 1_000_000, lossless: true, onEvent: (e) => events.push(e) });
    expect(recorder.busy()).toBe(false);
    // The same 200 blocks of 64 kB that overflow a live recorder: all queued, none dropped.
    for (let k = 0; k < 200; k++) recorder.writeBlock(block(k * 1000, 1000));
    expect(recorder.status()).toMatchObject({ state: expect.stringMatching(/starting|recording/), droppedSamples: 0 });
    expect(recorder.busy()).toBe(true);
    // The worker drains: a source waiting on busy() may go on (allow a loaded machine 20 s).
    for (let waited = 0; recorder.busy() && waited < 20_000; waited += 20) await sleep(20);
    expect(recorder.busy()).toBe(false);
    expect(recorder.status().queuedBytes).toBeLessThanOrEqual(500_000);
    const status = await recorder.close();
    expect([status.state, status.droppedSamples, status.samplesWritten]).toEqual(['closed', 0, 200_000]);
    expect(events).toEqual([]);
    const recording = openRecording(dir);
    expect(recording.manifest.streams[0]!.gaps).toEqual([]);
    const read = [...recording.blocks()];
    expect(read.reduce((n, b) => n + b.length, 0)).toBe(200_000);
    for (const b of read) expect(b.data[5 * b.length + 3]).toBe(Math.fround(b.first + 3 + 5 / 100));
  });

  it('refuses a destination that is a file, or a directory with something in it, before starting', () => {
    const root = mkdtempSync(join(tmpdir(), 'ns-recorder-'));
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a directory');
    expect(() => new Recorder(file, info)).toThrow(/recording directory .*a-file: expected a new or empty directory \(recordings are never overwritten\), got "an existing file"/);
    expect(() => new Recorder(root, info)).toThrow(/recording directory .*: expected a new or empty directory .*, got "a directory with files in it"/);
  });

  it('reports a directory it cannot create as a failure, once', async () => {
    const events: RecorderEvent[] = [];
    // sysfs refuses new directories even to root (EPERM): the worker's mkdir fails.
    const recorder = new Recorder('/sys/neurostream-test/r', info, { onEvent: (e) => events.push(e) });
    const status = await recorder.close();
    expect(status.state).toBe('failed');
    expect(status.error).toMatch(/recording failed creating \/sys\/neurostream-test\/r: EPERM/);
    expect(events.map((e) => e.type)).toEqual(['failed']);
  });

  it('fails at once, not in an endless retry, where a parent exists but refuses the directory (/proc)', async () => {
    // procfs answers ENOENT to a new directory: a recursive mkdir retries that forever at 100 % CPU.
    const events: RecorderEvent[] = [];
    const recorder = new Recorder('/proc/neurostream-test/r', info, { onEvent: (e) => events.push(e) });
    const status = await recorder.close();
    expect(status.state).toBe('failed');
    expect(status.error).toMatch(/recording failed creating \/proc\/neurostream-test\/r: ENOENT/);
    expect(events.map((e) => e.type)).toEqual(['failed']);
  }, 20_000);
});
