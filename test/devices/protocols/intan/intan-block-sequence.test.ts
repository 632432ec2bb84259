import { describe, expect, it } from 'vitest';
import { IntanBlockSequence } from '../../../../devices/protocols/intan/intan-block-sequence.js';
import { DeviceError } from '../../../../devices/transport/serial-connection.js';

const N = 128;

/** Feeds blocks with these raw first timestamps; returns what was placed (first, missing, payload id). */
function run(raws: readonly number[], flush = false): { placed: [number, number, number][]; seq: IntanBlockSequence<number> } {
  const placed: [number, number, number][] = [];
  const seq = new IntanBlockSequence<number>(N, 'rhx', (first, missing, id) => placed.push([first, missing, id]));
  raws.forEach((raw, id) => seq.push(raw >>> 0, id));
  if (flush) seq.flush();
  return { placed, seq };
}

const inSequence = (from: number, count: number): number[] => Array.from({ length: count }, (_, k) => from + k * N);

describe('IntanBlockSequence: blocks on the sample clock from their timestamps', () => {
  it('places blocks in sequence at once, holding none', () => {
    const { placed, seq } = run(inSequence(1000, 5));
    expect(placed).toEqual(inSequence(1000, 5).map((first, id) => [first, 0, id]));
    expect(seq.holdingBlock).toBe(false);
    expect(seq.corruptBlocks).toBe(0);
  });

  it.each([
    ['forward (bit 20)', 1 << 20],
    ['backward (bit 12 of a timestamp that has it)', 1 << 12],
    ['the top bit', 0x80000000],
  ])('reads one block whose timestamps were flipped %s as corrupt, kept in its slot: no gap, no stretch', (_name, xor) => {
    const raws = inSequence(40 * N, 6);
    raws[2] = (raws[2]! ^ xor) >>> 0;
    const { placed, seq } = run(raws);
    expect(placed).toEqual(inSequence(40 * N, 6).map((first, id) => [first, 0, id]));
    expect(seq.corruptBlocks).toBe(1);
    expect(seq.droppedBlocks).toBe(0);
  });

  it('places a real forward jump after a gap of exactly the missing samples, one block later', () => {
    const raws = [...inSequence(0, 3), ...inSequence(10 * N + 7, 3)];
    const placed: number[] = [];
    const seq = new IntanBlockSequence<number>(N, 'rhx', (first, missing) => placed.push(first, missing));
    raws.slice(0, 4).forEach((raw, id) => seq.push(raw, id));
    expect(seq.holdingBlock).toBe(true); // the jump waits for the next block
    expect(placed.length / 2).toBe(3);
    raws.slice(4).forEach((raw, id) => seq.push(raw, id + 4));
    expect(placed).toEqual([0, 0, N, 0, 2 * N, 0, 10 * N + 7, 10 * N + 7 - 3 * N, 11 * N + 7, 0, 12 * N + 7, 0]);
    expect(seq.corruptBlocks).toBe(0);
  });

  it('unwraps the uint32 clock across 2^32', () => {
    const start = 0x1_0000_0000 - 2 * N;
    const { placed } = run(inSequence(start, 4).map((t) => t % 0x1_0000_0000));
    expect(placed.map((p) => p[0])).toEqual(inSequence(start, 4));
  });

  it('stops with an error when the run really went back in time (two blocks agree)', () => {
    expect(() => run([...inSequence(50 * N, 3), ...inSequence(0, 2)])).toThrow(DeviceError);
    expect(() => run([...inSequence(50 * N, 3), ...inSequence(0, 2)])).toThrow(/RHX timestamps went from 6783 back to 0: the run was restarted/);
  });

  it('drops a corrupt block that has no slot (the sequence goes on at once), counted', () => {
    const raws = [...inSequence(0, 3), 99 * N, ...inSequence(3 * N, 2)];
    const { placed, seq } = run(raws);
    expect(placed).toEqual([[0, 0, 0], [N, 0, 1], [2 * N, 0, 2], [3 * N, 0, 4], [4 * N, 0, 5]]);
    expect(seq.corruptBlocks).toBe(1);
    expect(seq.droppedBlocks).toBe(1);
  });

  it('flush() places a block still held at the end by its own timestamps', () => {
    const { placed, seq } = run([...inSequence(0, 2), 5 * N], true);
    expect(placed).toEqual([[0, 0, 0], [N, 0, 1], [5 * N, 3 * N, 2]]);
    expect(seq.holdingBlock).toBe(false);
  });
});
