/**
 * The FIFO ring allocator of the parallel chain's shared ring: allocations are contiguous, inside
 * the ring, never overlap a live one, are released oldest first; `free` is never more than the
 * slots no live allocation holds, and pieces of at most m slots totalling t all fit whenever
 * `free` ≥ t + m − 1 (what the chain's backlog() relies on to let a whole block in at once).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FifoRing } from '../../../acquisition/parallel/fifo-ring.js';

type Op = { kind: 'block'; pieces: number[] } | { kind: 'release'; count: number };

describe('FifoRing', () => {
  it('allocates without overlap, says how much is free, and fits a block of pieces whenever free says it can', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: 300 }),
        fc.integer({ min: 1, max: 8 }),
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant('block' as const), pieces: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 12 }) }),
            fc.record({ kind: fc.constant('release' as const), count: fc.integer({ min: 1, max: 10 }) }),
          ),
          { maxLength: 80 },
        ),
        (capacity, maxPiece, ops: Op[]) => {
          const ring = new FifoRing(capacity);
          const live: { at: number; n: number }[] = [];
          const held = (): number => live.reduce((sum, a) => sum + a.n, 0);
          expect(ring.free).toBe(capacity);
          for (const op of ops) {
            if (op.kind === 'release') {
              for (let k = 0; k < op.count && live.length > 0; k++) {
                ring.release();
                live.shift();
              }
            } else {
              const pieces = op.pieces.map((n) => Math.min(n, maxPiece));
              const total = pieces.reduce((a, b) => a + b, 0);
              const promised = ring.free >= total + maxPiece - 1;
              for (const n of pieces) {
                const before = ring.free;
                const at = ring.alloc(n);
                if (at < 0) {
                  expect(promised, `free ${before} promised room for ${total} in pieces of ≤ ${maxPiece}`).toBe(false);
                  break;
                }
                expect(at + n).toBeLessThanOrEqual(capacity);
                for (const a of live) expect(at + n <= a.at || a.at + a.n <= at, `[${at}, ${at + n}) overlaps [${a.at}, ${a.at + a.n})`).toBe(true);
                live.push({ at, n });
                expect(ring.free).toBeLessThanOrEqual(before - n);
              }
            }
            expect(ring.live).toBe(live.length);
            expect(ring.free).toBeLessThanOrEqual(capacity - held());
          }
          while (live.length > 0) {
            ring.release();
            live.shift();
          }
          expect(ring.free).toBe(capacity);
        },
      ),
      { numRuns: 500 },
    );
  });
});
