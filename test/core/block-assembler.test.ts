import { describe, expect, it } from 'vitest';
import { BlockAssembler, type StagedChunk } from '../../core/block-assembler.js';
import { createMarker, createSampleBlock, type SampleBlock } from '../../core/index.js';
import { testStreamInfo } from '../helpers/stream-info.js';

const info = testStreamInfo({ channelNames: ['a', 'b', 'c'] });

function block(first: number, length: number, extra: Partial<SampleBlock> = {}): SampleBlock {
  const data = new Float32Array(3 * length);
  for (let c = 0; c < 3; c++) for (let i = 0; i < length; i++) data[c * length + i] = 1000 * c + first + i;
  return createSampleBlock({ info, first, length, data, hostTime: first, ...extra });
}

/** A posted chunk's samples as [channel][i] (copied: the buffer is reused). */
function samples(chunk: StagedChunk): number[][] {
  return [0, 1, 2].map((c) => Array.from(chunk.data.subarray(c * chunk.capacity, c * chunk.capacity + chunk.length)));
}

/** Writes sample `index` (value 1000·c + index on channel c) through reserve/commit. */
function writeSample(a: BlockAssembler, index: number): void {
  const col = a.reserve(1);
  for (let c = 0; c < 3; c++) a.staging[c * a.stride + col] = 1000 * c + index;
  a.commit(1);
}

describe('BlockAssembler, samples in', () => {
  it('emits blocks of the target length, every value in place, hostTime on the stream clock; a gap ends a block and travels with the next, markers with their sample', () => {
    const out: SampleBlock[] = [];
    const a = new BlockAssembler(info, 4, (b) => out.push(b));
    for (let i = 0; i < 6; i++) writeSample(a, i);
    a.gap(3);
    a.mark(createMarker(9, 'cue', 'left'));
    for (let i = 9; i < 11; i++) writeSample(a, i);
    a.flush();
    expect(out.map((b) => [b.first, b.length, b.gap?.missing, b.markers?.map((m) => m.sample), b.hostTime])).toEqual([
      [0, 4, undefined, undefined, 4],
      [4, 2, undefined, undefined, 6],
      [9, 2, 3, [9], 11],
    ]);
    for (const b of out) {
      for (let c = 0; c < 3; c++) expect(Array.from(b.data.subarray(c * b.length, (c + 1) * b.length))).toEqual(Array.from({ length: b.length }, (_, i) => 1000 * c + b.first + i));
    }
    expect(a.next).toBe(11);
  });

  it('with grow, one block per flush however long, stamped with the arrival time set for it', () => {
    const out: SampleBlock[] = [];
    const a = new BlockAssembler(info, 2, (b) => out.push(b), { hostTime: 'arrival', grow: true });
    a.arrivalMs = 123;
    for (let i = 0; i < 7; i++) writeSample(a, i);
    a.flush();
    a.arrivalMs = 456;
    writeSample(a, 7);
    a.gap(2);
    writeSample(a, 10);
    a.flush();
    expect(out.map((b) => [b.first, b.length, b.gap?.missing, b.hostTime])).toEqual([
      [0, 7, undefined, 123],
      [7, 1, undefined, 456],
      [10, 1, 2, 456],
    ]);
    expect(Array.from(out[0]!.data.subarray(14, 21))).toEqual([2000, 2001, 2002, 2003, 2004, 2005, 2006]);
  });

  it('without a sink only counts: nothing is emitted, the sample clock still advances', () => {
    const a = new BlockAssembler(info, 4, null);
    for (let i = 0; i < 10; i++) writeSample(a, i);
    a.gap(5);
    a.flush();
    expect(a.next).toBe(15);
  });
});

describe('BlockAssembler, blocks in, chunks out', () => {
  it('packs blocks of any size into full chunks, split where they overflow, every value in place', () => {
    const posted: { first: number; length: number; values: number[][] }[] = [];
    const stager = new BlockAssembler(info, 8, { chunks: (chunk) => posted.push({ first: chunk.first, length: chunk.length, values: samples(chunk) }) });
    let first = 0;
    for (const n of [1, 3, 100, 2, 7, 1]) {
      stager.push(block(first, n));
      first += n;
    }
    stager.flush();
    expect(posted.map((p) => p.length)).toEqual([...Array(14).fill(8), 2]);
    let expected = 0;
    for (const p of posted) {
      expect(p.first).toBe(expected);
      for (let c = 0; c < 3; c++) expect(p.values[c]).toEqual(Array.from({ length: p.length }, (_, i) => 1000 * c + expected + i));
      expected += p.length;
    }
  });

  it('never lets a chunk span a discontinuity, and keeps the device gap, the markers and the last block\'s hostTime', () => {
    const posted: StagedChunk[] = [];
    const stager = new BlockAssembler(info, 10, { chunks: (chunk) => posted.push({ ...chunk, data: chunk.data.slice() }) }, { hostTime: 'arrival' });
    stager.push(block(0, 4));
    stager.push(block(9, 3, { gap: { missing: 5 }, markers: [createMarker(10, 'cue', 'left')] }));
    stager.push(block(20, 2)); // blocks 12–19 dropped by the caller: a new chunk, no device gap
    stager.flush();
    expect(posted.map((c) => [c.first, c.length, c.missing, c.markers?.map((m) => m.sample), c.hostTime])).toEqual([
      [0, 4, undefined, undefined, 0],
      [9, 3, 5, [10], 9],
      [20, 2, undefined, undefined, 20],
    ]);
  });

  it('reuses the buffers it is given back instead of allocating', () => {
    const buffers = new Set<ArrayBuffer>();
    const stager: BlockAssembler = new BlockAssembler(info, 4, {
      chunks: (chunk) => {
        buffers.add(chunk.data.buffer);
        stager.recycle(chunk.data);
      },
    });
    for (let k = 0; k < 100; k++) stager.push(block(4 * k, 4));
    expect(buffers.size).toBe(1);
    expect(() => new BlockAssembler(info, 0, null)).toThrow(/BlockAssembler blockLength: expected a positive integer, got 0/);
  });
});
