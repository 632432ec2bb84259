import { describe, expect, it } from 'vitest';
import { createMarker, createSampleBlock, type SampleBlock } from '../../core/index.js';
import { BlockStager, type StagedChunk } from '../../recordings/block-stager.js';
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

describe('BlockStager', () => {
  it('packs blocks of any size into full chunks, split where they overflow, every value in place', () => {
    const posted: { first: number; length: number; values: number[][] }[] = [];
    const stager = new BlockStager(3, 8, (chunk) => posted.push({ first: chunk.first, length: chunk.length, values: samples(chunk) }));
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

  it('never lets a chunk span a discontinuity, and keeps the device gap and the markers', () => {
    const posted: StagedChunk[] = [];
    const stager = new BlockStager(3, 10, (chunk) => posted.push({ ...chunk, data: chunk.data.slice() }));
    stager.push(block(0, 4));
    stager.push(block(9, 3, { gap: { missing: 5 }, markers: [createMarker(10, 'cue', 'left')] }));
    stager.push(block(20, 2)); // blocks 12–19 dropped by the caller: a new chunk, no device gap
    stager.flush();
    expect(posted.map((c) => [c.first, c.length, c.missing, c.markers?.map((m) => m.sample)])).toEqual([
      [0, 4, undefined, undefined],
      [9, 3, 5, [10]],
      [20, 2, undefined, undefined],
    ]);
  });

  it('reuses the buffers it is given back instead of allocating', () => {
    const buffers = new Set<ArrayBuffer>();
    const stager: BlockStager = new BlockStager(3, 4, (chunk) => {
      buffers.add(chunk.data.buffer);
      stager.recycle(chunk.data);
    });
    for (let k = 0; k < 100; k++) stager.push(block(4 * k, 4));
    expect(buffers.size).toBe(1);
    expect(() => new BlockStager(3, 0, () => {})).toThrow(/BlockStager capacity: expected a positive integer, got 0/);
  });
});
