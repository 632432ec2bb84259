import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Field, RecordBatchStreamWriter, Schema, tableFromIPC } from 'apache-arrow';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createSampleBlock, type SampleBlock, type StreamInfo } from '../../core/index.js';
import { iirFilter, reReference, designButterworth } from '../../acquisition/index.js';
import { IntracorticalSimulator } from '../../devices/simulators/intracortical-simulator.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { RecordingWriter } from '../../recordings/recording-writer.js';
import { readManifest } from '../../recordings/session-manifest.js';
import { testStreamInfo } from '../helpers/stream-info.js';

function tempDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'ns-v2-')), 'session');
}

/** Blocks of whole counts × scale per channel (count pattern k(c, i)), with a gap. */
function countBlocks(info: StreamInfo, total: number, blockLength: number, count: (c: number, i: number) => number): SampleBlock[] {
  const C = info.channelNames.length;
  const blocks: SampleBlock[] = [];
  for (let first = 0; first < total; first += blockLength) {
    const data = new Float32Array(C * blockLength);
    for (let c = 0; c < C; c++) for (let i = 0; i < blockLength; i++) data[c * blockLength + i] = count(c, first + i) * info.adcScale[c]!;
    blocks.push(createSampleBlock({ info, first, length: blockLength, data, hostTime: 0 }));
  }
  return blocks;
}

function record(dir: string, info: StreamInfo, blocks: readonly SampleBlock[]): void {
  const writer = new RecordingWriter(dir, { info, batchMs: 100 });
  for (const b of blocks) writer.writeBlock(b);
  const failure = writer.close();
  if (failure) throw failure;
}

function readAll(dir: string): { first: number; data: Float32Array }[] {
  return [...openRecording(dir).blocks()].map((b) => ({ first: b.first, data: b.data }));
}

function concat(blocks: readonly { data: Float32Array }[], C: number): Float32Array[] {
  // per channel, every sample in order
  return Array.from({ length: C }, (_, c) => Float32Array.from(blocks.flatMap((b) => [...b.data.subarray((c * b.data.length) / C, ((c + 1) * b.data.length) / C)])));
}

const mixed = testStreamInfo({
  channelNames: ['EXG1', 'AccelX', 'Temp'],
  channelKinds: ['eeg', 'accel', 'aux'],
  units: ['uV', 'g', 'uV'],
  sampleRateHz: 250,
  adcScale: [4.5e6 / 24 / (2 ** 23 - 1), 0.002 / 16, 0],
  adcBits: [24, 16, 0],
  exactCounts: true,
});
const mixedCount = (c: number, i: number): number => (c === 0 ? Math.round(8e6 * Math.sin(i / 7)) : c === 1 ? (i % 4096) - 2048 : i * 0.37);

describe('recording format version 2: integer counts', () => {
  it('stores a stream of exact counts as int32/int16 columns with their scale, and reads back the same float32 values', () => {
    const dir = tempDir();
    const blocks = countBlocks(mixed, 1000, 50, mixedCount);
    record(dir, mixed, blocks);
    const table = tableFromIPC(readFileSync(join(dir, 'signals.arrows')));
    expect(table.schema.metadata.get('neurostream.format_version')).toBe('2');
    expect(table.schema.fields.map((f) => String(f.type))).toEqual(['Int64', 'Int32', 'Int16', 'Float32']);
    expect(table.schema.fields[1]!.metadata.get('scale')).toBe(String(mixed.adcScale[0]));
    expect(table.schema.fields[2]!.metadata.get('scale')).toBe('0.000125');
    expect(table.schema.fields[3]!.metadata.has('scale')).toBe(false);
    // Outside neurostream: count × scale is the value, to float32.
    const counts = table.getChild('EXG1')!.toArray() as Int32Array;
    expect(counts[123]).toBe(mixedCount(0, 123));
    expect(Math.fround(counts[123]! * Number(table.schema.fields[1]!.metadata.get('scale')))).toBe(blocks[2]!.data[23]);
    expect(readManifest(dir).formatVersion).toBe(2);
    expect(openRecording(dir).storage[0]!.map((c) => [c.type, c.scale])).toEqual([
      ['int32', mixed.adcScale[0]],
      ['int16', 0.000125],
      ['float32', 1],
    ]);
    const back = readAll(dir);
    expect(concat(back, 3)).toEqual(concat(blocks, 3));
  });

  it('halves the signals file of a 96-channel 16-bit device against float32', () => {
    const names = Array.from({ length: 96 }, (_, c) => `ch${c}`);
    const counts = testStreamInfo({ channelNames: names, channelKinds: 'extracellular', sampleRateHz: 30000, adcScale: 0.195, adcBits: 16, exactCounts: true });
    const floats = testStreamInfo({ channelNames: names, channelKinds: 'extracellular', sampleRateHz: 30000, adcScale: 0.195, adcBits: 16 });
    const pattern = (c: number, i: number): number => ((i * 31 + c * 17) % 2000) - 1000;
    const a = tempDir();
    const b = tempDir();
    record(a, counts, countBlocks(counts, 6000, 300, pattern));
    record(b, floats, countBlocks(floats, 6000, 300, pattern));
    const ratio = statSync(join(a, 'signals.arrows')).size / statSync(join(b, 'signals.arrows')).size;
    expect(ratio).toBeGreaterThan(0.5);
    expect(ratio).toBeLessThan(0.52); // (8 + 2·96) / (8 + 4·96) bytes per row
    expect(concat(readAll(a), 96)).toEqual(concat(readAll(b), 96));
  });

  it('a value that is not a whole count stops the recording loudly and keeps what was written', () => {
    const dir = tempDir();
    const blocks = countBlocks(mixed, 100, 25, mixedCount); // 100 ms batches: 25 samples each
    const broken = blocks[2]!.data.slice();
    broken[7] = 0.3; // EXG1, sample 57: 13.4 counts (a filtered value, say)
    const writer = new RecordingWriter(dir, { info: mixed, batchMs: 100 });
    writer.writeBlock(blocks[0]!);
    writer.writeBlock(blocks[1]!);
    writer.writeBlock(createSampleBlock({ ...blocks[2]!, data: broken }));
    writer.writeBlock(blocks[3]!);
    const failure = writer.close();
    expect(failure?.reason).toBe('EXACT_COUNTS');
    expect(failure?.message).toMatch(/channel EXG1 at sample 57: expected a whole number of .* uV counts fitting int32 \(the stream declares exact ADC counts\), got /);
    const manifest = readManifest(dir);
    expect(manifest.status).toBe('failed');
    expect(manifest.streams[0]!.samples).toBe(52); // two whole batches of 26 rows (100 ms, made even)
    expect(concat(readAll(dir), 3)).toEqual(concat(blocks, 3).map((channel) => channel.subarray(0, 52)));
  });

  it('filters and re-references drop the promise: their output records as float32', async () => {
    const info = testStreamInfo({ channelNames: ['a', 'b'], channelKinds: 'extracellular', sampleRateHz: 1000, adcScale: 0.195, adcBits: 16, exactCounts: true });
    const blocks = countBlocks(info, 400, 100, (c, i) => ((i * 13 + c) % 200) - 100);
    const design = (sampleRateHz: number) => designButterworth({ type: 'highpass', order: 2, cutoffHz: 10, sampleRateHz });
    const filtered = await lastValueFrom(from(blocks).pipe(iirFilter(design), reReference({ method: 'average' }), toArray()));
    expect(filtered[0]!.info.exactCounts).toBeUndefined();
    expect(filtered[1]!.info).toBe(filtered[0]!.info); // one StreamInfo for the derived stream
    const dir = tempDir();
    record(dir, filtered[0]!.info, filtered);
    const table = tableFromIPC(readFileSync(join(dir, 'signals.arrows')));
    expect(table.schema.fields.slice(1).map((f) => String(f.type))).toEqual(['Float32', 'Float32']);
    expect(concat(readAll(dir), 2)).toEqual(concat(filtered, 2));
  });

  it('the intracortical simulator records its 16-bit counts as int16', () => {
    const sim = new IntracorticalSimulator({ channels: 8, sampleRateHz: 30000, seed: 3 });
    expect(sim.info.exactCounts).toBe(true);
    const blocks = Array.from({ length: 20 }, () => sim.read(600, 0));
    const dir = tempDir();
    record(dir, sim.info, blocks);
    const table = tableFromIPC(readFileSync(join(dir, 'signals.arrows')));
    expect(new Set(table.schema.fields.slice(1).map((f) => String(f.type)))).toEqual(new Set(['Int16']));
    expect(concat(readAll(dir), 8)).toEqual(concat(blocks, 8));
  });

  it('an integer column without a positive scale is refused, naming the file, the column and what was seen', () => {
    const dir = tempDir();
    record(dir, mixed, countBlocks(mixed, 100, 25, mixedCount));
    const path = join(dir, 'signals.arrows');
    const table = tableFromIPC(readFileSync(path));
    const fields = table.schema.fields.map((f, i) => (i === 2 ? new Field(f.name, f.type, false, new Map([['unit', 'g'], ['scale', '-1']])) : f));
    const schema = new Schema(fields, table.schema.metadata);
    const writer = new RecordBatchStreamWriter();
    writer.reset(undefined, schema);
    for (const batch of table.batches) writer.write(batch);
    writer.finish();
    writeFileSync(path, writer.toUint8Array(true));
    expect(() => openRecording(dir)).toThrow(/signals\.arrows column 2 \(AccelX\) field metadata scale: expected the Int16 counts' unit per count, a positive number.*-1/);
  });
});

describe('recording format version 1 still reads', () => {
  it('reads test/fixtures/recording-v1 (written by 77a6064) value for value, with its gap and markers', () => {
    const dir = join(import.meta.dirname, '../fixtures/recording-v1');
    const rec = openRecording(dir);
    expect(rec.manifest.formatVersion).toBe(1);
    const blocks = [...rec.blocks()];
    expect(blocks.reduce((n, b) => n + b.length, 0)).toBe(490);
    expect(blocks.filter((b) => b.gap).map((b) => [b.first, b.gap!.missing])).toEqual([[210, 10]]);
    for (const b of blocks) {
      for (let c = 0; c < 4; c++) {
        for (let i = 0; i < b.length; i++) {
          const k = Math.round(3000 * Math.sin((2 * Math.PI * (c + 1) * (b.first + i)) / 250) + 7 * c);
          if (b.data[c * b.length + i] !== Math.fround(k * 0.195)) throw new Error(`channel ${c} sample ${b.first + i}: ${b.data[c * b.length + i]} ≠ ${k} × 0.195`);
        }
      }
    }
    expect([...rec.markers()].map((m) => [m.sample, m.type, m.value])).toEqual([
      [5, 'cue', 'left'],
      [300, 'trigger', 3],
    ]);
  });
});
