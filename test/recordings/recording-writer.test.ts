import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFeatureFrame, createIntent, createMarker, createSampleBlock, type SampleBlock } from '../../core/index.js';
import { TruncatedRecordingError, openRecording } from '../../recordings/recording-reader.js';
import { RecordingWriter } from '../../recordings/recording-writer.js';
import { readManifest } from '../../recordings/session-manifest.js';
import { testStreamInfo } from '../helpers/stream-info.js';

const info = testStreamInfo({ channelNames: ['Fp1', 'Fp2', 'C3'], sampleRateHz: 1000 });
const C = 3;

function tempDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'ns-rec-')), 'session');
}

/** Blocks of varied sizes with a known value per (channel, sample) and a device gap. */
function makeBlocks(): SampleBlock[] {
  const blocks: SampleBlock[] = [];
  let first = 0;
  const sizes = [1, 7, 250, 333, 1, 999, 64, 17];
  sizes.forEach((length, k) => {
    if (k === 5) first += 41; // a device gap of 41 samples before the 6th block
    const data = new Float32Array(C * length);
    for (let c = 0; c < C; c++) for (let i = 0; i < length; i++) data[c * length + i] = (first + i) * 0.5 + c * 1e5 + 0.125;
    const markers = k === 3 ? [createMarker(first + 2, 'cue', 'left'), createMarker(first + 10, 'kinematics', [1, 2.5, -3, 4], 5)] : undefined;
    blocks.push(createSampleBlock({ info, first, length, data, hostTime: k, ...(k === 5 ? { gap: { missing: 41 } } : {}), ...(markers ? { markers } : {}) }));
    first += length;
  });
  return blocks;
}

function valueAt(c: number, sample: number): number {
  return Math.fround(sample * 0.5 + c * 1e5 + 0.125);
}

describe('RecordingWriter → openRecording', () => {
  it('writes every sample, gap, marker, feature and intent and reads them back exactly', () => {
    const dir = tempDir();
    const writer = new RecordingWriter(dir, { info, batchMs: 100, pipeline: { chain: 'test' } });
    const blocks = makeBlocks();
    for (const block of blocks) writer.writeBlock(block);
    writer.writeMarkers([createMarker(1700, 'note', 42)]);
    for (let bin = 0; bin < 5; bin++) {
      writer.writeFeatures(createFeatureFrame({ bin, t0: bin * 20, hostTime: bin + 0.5, values: new Float32Array([bin, bin * 2.5]), names: ['a_count', 'a_power'] }));
      writer.writeIntent(createIntent({ bin, kind: 'continuous', values: new Float32Array([bin / 3, -bin]), latency: { acquisitionMs: 0.1, featuresMs: 0.2, decodeMs: 0.3 * bin } }));
    }
    expect(writer.close()).toBeUndefined();

    const manifest = readManifest(dir);
    expect(manifest.status).toBe('complete');
    expect(manifest.pipeline).toEqual({ chain: 'test' });
    const total = blocks.reduce((n, b) => n + b.length, 0);
    expect(manifest.streams[0]!.samples).toBe(total);
    expect(manifest.streams[0]!.gaps).toEqual([{ sample: blocks[5]!.first, missing: 41, cause: 'device' }]);

    const recording = openRecording(dir);
    const read = [...recording.blocks()];
    expect(read.reduce((n, b) => n + b.length, 0)).toBe(total);
    // Every sample value, channel and index survives; the gap is on the block after it.
    for (const block of read) {
      for (let c = 0; c < C; c++) for (let i = 0; i < block.length; i += 37) expect(block.data[c * block.length + i]).toBe(valueAt(c, block.first + i));
    }
    const gapBlocks = read.filter((b) => b.gap);
    expect(gapBlocks.map((b) => [b.first, b.gap!.missing])).toEqual([[blocks[5]!.first, 41]]);
    expect(read.flatMap((b) => b.markers ?? []).map((m) => [m.sample, m.type, m.value, m.duration])).toEqual([
      [blocks[3]!.first + 2, 'cue', 'left', undefined],
      [blocks[3]!.first + 10, 'kinematics', [1, 2.5, -3, 4], 5],
      [1700, 'note', 42, undefined],
    ]);
    expect(recording.features().map((f) => [f.bin, f.t0, f.hostTime, [...f.values]])).toEqual(
      [0, 1, 2, 3, 4].map((bin) => [bin, bin * 20, bin + 0.5, [bin, bin * 2.5]]),
    );
    const intents = recording.intents();
    expect(intents.map((i) => [i.bin, [...i.values], i.latency.decodeMs])).toEqual(
      [0, 1, 2, 3, 4].map((bin) => [bin, [Math.fround(bin / 3), -bin], 0.3 * bin]),
    );
    expect(recording.notes).toEqual([]);
  });

  it('splits batches into blocks of a chosen size without changing any value', () => {
    const dir = tempDir();
    const writer = new RecordingWriter(dir, { info, batchMs: 100 });
    for (const block of makeBlocks()) writer.writeBlock(block);
    writer.close();
    const read = [...openRecording(dir).blocks({ maxBlockSamples: 10 })];
    expect(Math.max(...read.map((b) => b.length))).toBe(10);
    let expected = 0;
    for (const block of read) {
      if (block.gap) expected += block.gap.missing;
      expect(block.first).toBe(expected);
      for (let c = 0; c < C; c++) for (let i = 0; i < block.length; i++) expect(block.data[c * block.length + i]).toBe(valueAt(c, block.first + i));
      expected += block.length;
    }
  });

  it('refuses a finalised file cut short, unless allowed: then reads it up to its last complete batch and says so', () => {
    const dir = tempDir();
    const writer = new RecordingWriter(dir, { info, batchMs: 100 });
    for (const block of makeBlocks()) writer.writeBlock(block);
    writer.close();
    const total = makeBlocks().reduce((n, b) => n + b.length, 0);
    const signals = join(dir, 'signals.arrows');
    const size = statSync(signals).size;
    truncateSync(signals, size - 8 - 1000); // drop the end-of-stream marker and part of the last batch
    expect(() => openRecording(dir)).toThrow(new RegExp(`^TRUNCATED: .*signals\\.arrows: session\\.json \\(complete\\) says ${total} samples, the file holds \\d+, ending in \\d+ bytes of a batch cut short`));
    expect(() => openRecording(dir)).toThrow(TruncatedRecordingError);
    const recording = openRecording(dir, { allowTruncated: true });
    const read = [...recording.blocks()];
    const samples = read.reduce((n, b) => n + b.length, 0);
    expect(samples).toBeGreaterThan(1000);
    expect(samples).toBeLessThan(total);
    expect(samples % 100).toBe(0); // whole 100-sample batches
    expect(recording.truncation).toMatchObject([{ path: signals, manifestSamples: total, fileSamples: samples }]);
    expect(recording.notes[0]).toMatch(/^TRUNCATED: /);
    expect(recording.notes.join('\n')).toMatch(/signals\.arrows: the last \d+ bytes are a batch cut short \(after the session had closed it/);
  });

  it('refuses a finalised markers file cut short (its last rows are lost), unless allowed', () => {
    const dir = tempDir();
    const writer = new RecordingWriter(dir, { info, batchMs: 100 });
    for (const block of makeBlocks()) writer.writeBlock(block);
    writer.writeMarkers([createMarker(5, 'cue', 'go'), createMarker(50, 'cue', 'stop')]);
    writer.close();
    const markers = join(dir, 'markers.arrows');
    truncateSync(markers, statSync(markers).size - 8 - 16);
    expect(() => openRecording(dir)).toThrow(/^TRUNCATED: .*markers\.arrows: session\.json says the recording is complete, but the file ends in \d+ bytes of a batch cut short/);
    expect(openRecording(dir, { allowTruncated: true }).truncation).toHaveLength(1);
  });

  it('names a signals file that is a directory in one error', () => {
    const dir = tempDir();
    new RecordingWriter(dir, { info }).close();
    const signals = join(dir, 'signals.arrows');
    rmSync(signals);
    mkdirSync(signals);
    expect(() => openRecording(dir)).toThrow(`${signals}: expected a readable Arrow IPC stream file, got "a directory"`);
  });

  it('never overwrites a recording', () => {
    const dir = tempDir();
    new RecordingWriter(dir, { info }).close();
    expect(() => new RecordingWriter(dir, { info })).toThrow(/recording directory .*session: expected a new or empty directory/);
  });

  it('rejects a damaged manifest naming the file and the field', () => {
    const dir = tempDir();
    new RecordingWriter(dir, { info }).close();
    const path = join(dir, 'session.json');
    const manifest = JSON.parse(readFileSync(path, 'utf8'));
    manifest.streams[0].samples = -3;
    writeFileSync(path, JSON.stringify(manifest));
    expect(() => openRecording(dir)).toThrow(/session\.json at streams\.0\.samples/);
    writeFileSync(path, '{ not json');
    expect(() => openRecording(dir)).toThrow(/session\.json: expected a neurostream recording manifest/);
  });

  it('rejects a signals file that is not Arrow', () => {
    const dir = tempDir();
    new RecordingWriter(dir, { info }).close();
    writeFileSync(join(dir, 'signals.arrows'), 'hello, this is not arrow at all');
    expect(() => openRecording(dir)).toThrow(/signals\.arrows at byte 0: expected an Arrow message length/);
  });

  it('sorts markers written late and notes the ones no block can carry', () => {
    const dir = tempDir();
    const writer = new RecordingWriter(dir, { info, batchMs: 100 });
    const blocks = makeBlocks();
    for (const block of blocks) writer.writeBlock(block);
    writer.writeMarkers([createMarker(120, 'operator', 'late note'), createMarker(blocks[5]!.first - 10, 'in-gap', 1)]);
    writer.close();
    const recording = openRecording(dir);
    const markers = recording.markers();
    expect(markers.map((m) => m.sample)).toEqual([...markers.map((m) => m.sample)].sort((a, b) => a - b));
    const carried = [...recording.blocks()].flatMap((b) => b.markers ?? []);
    expect(carried.map((m) => m.type)).toEqual(['operator', 'cue', 'kinematics']);
    expect(recording.notes).toContain('1 markers fall in gaps or outside the recorded samples: markers() has them, the blocks do not');
  });

  it('writes further streams at other rates to their own files and reads them back by index', () => {
    const dir = tempDir();
    const slow = testStreamInfo({ id: 'slow', channelNames: ['temp'], sampleRateHz: 10 });
    const writer = new RecordingWriter(dir, { info, batchMs: 100 });
    writer.addStream(slow);
    for (const block of makeBlocks()) writer.writeBlock(block);
    for (let k = 0; k < 5; k++) writer.writeBlock(createSampleBlock({ info: slow, first: 3 * k, length: 3, data: Float32Array.from([k, k + 0.5, k + 0.25]), hostTime: 0 }), 1);
    expect(writer.close()).toBeUndefined();
    const recording = openRecording(dir);
    expect(recording.streams.map((s) => s.file)).toEqual(['signals.arrows', 'signals-10hz.arrows']);
    const slowBlocks = [...recording.blocks({ stream: 1 })];
    expect(slowBlocks.every((b) => b.info === recording.streamInfos[1])).toBe(true);
    expect(slowBlocks.flatMap((b) => [...b.data])).toEqual([0, 0.5, 0.25, 1, 1.5, 1.25, 2, 2.5, 2.25, 3, 3.5, 3.25, 4, 4.5, 4.25]);
  });

  it('stops as failed, keeping every sample written, when a file cannot be created mid-session', () => {
    const dir = tempDir();
    const writer = new RecordingWriter(dir, { info, batchMs: 100 });
    const blocks = makeBlocks();
    for (const block of blocks.slice(0, 4)) writer.writeBlock(block);
    mkdirSync(join(dir, 'features.arrows')); // something in the way of the features file
    writer.writeFeatures(createFeatureFrame({ bin: 0, t0: 0, hostTime: 0, values: new Float32Array([1]), names: ['x'] }));
    expect(writer.failed?.message).toMatch(/recording failed creating .*features\.arrows: EEXIST/);
    writer.writeBlock(blocks[4]!); // ignored after the failure
    writer.close();
    const manifest = readManifest(dir);
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatch(/features\.arrows/);
    const kept = [...openRecording(dir).blocks()].reduce((n, b) => n + b.length, 0);
    expect(kept).toBe(blocks.slice(0, 4).reduce((n, b) => n + b.length, 0)); // the partial batch was flushed too
  });

  it('aborts as failed with the reason, ending the files properly', () => {
    const dir = tempDir();
    const writer = new RecordingWriter(dir, { info, batchMs: 100 });
    for (const block of makeBlocks().slice(0, 3)) writer.writeBlock(block);
    writer.abort('the input file ended in a corrupt record');
    expect(writer.close()?.message).toMatch(/recording stopped: the input file ended in a corrupt record/);
    expect(readManifest(dir)).toMatchObject({ status: 'failed', error: 'recording stopped: the input file ended in a corrupt record' });
    const signals = readFileSync(join(dir, 'signals.arrows'));
    expect([...signals.subarray(signals.length - 8)]).toEqual([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    expect([...openRecording(dir).blocks()].reduce((n, b) => n + b.length, 0)).toBe(258);
  });
});
