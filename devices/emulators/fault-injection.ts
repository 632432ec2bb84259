/** Faults an emulator injects into what it sends, for testing receivers. */
import type { Random } from '../simulators/random.js';

/**
 * A copy of `bytes` with every bit flipped independently with probability `rate` (the input is
 * returned as is when rate is 0). Flips are drawn by geometric skipping: cost ∝ flips, not bits.
 */
export function flipBits(bytes: Uint8Array, rate: number, random: Random): Uint8Array {
  if (rate <= 0 || bytes.length === 0) return bytes;
  const out = bytes.slice();
  const bits = out.length * 8;
  const logKeep = Math.log(1 - rate);
  for (let at = Math.floor(Math.log(1 - random.uniform()) / logKeep); at < bits; at += 1 + Math.floor(Math.log(1 - random.uniform()) / logKeep)) {
    out[at >> 3]! ^= 1 << (at & 7);
  }
  return out;
}

/**
 * A noisy link: every bit that passes is flipped independently with probability `rate`. Unlike
 * `flipBits`, it keeps its place in the bit stream between calls, so with its own `Random` the
 * bits it flips depend only on the seed and the position in everything sent — not on how the
 * sender happened to chunk its writes. `onFlip` is told the index (in `bytes`) of each byte flipped,
 * so an emulator can keep its own account of what it corrupted.
 */
export class BitErrorChannel {
  /** Bits still to pass unchanged before the next flip. */
  private untilFlip: number;
  private readonly logKeep: number;

  constructor(
    readonly rate: number,
    private readonly random: Random,
  ) {
    this.logKeep = rate > 0 ? Math.log(1 - rate) : 0;
    this.untilFlip = this.draw();
  }

  /** `bytes` as received at the other end (a copy when any bit flipped; `bytes` itself otherwise). */
  apply(bytes: Uint8Array, onFlip?: (byteIndex: number) => void): Uint8Array {
    if (this.rate <= 0 || bytes.length === 0) return bytes;
    const bits = bytes.length * 8;
    if (this.untilFlip >= bits) {
      this.untilFlip -= bits;
      return bytes;
    }
    const out = bytes.slice();
    let at = this.untilFlip;
    while (at < bits) {
      out[at >> 3]! ^= 1 << (at & 7);
      onFlip?.(at >> 3);
      at += 1 + this.draw();
    }
    this.untilFlip = at - bits;
    return out;
  }

  private draw(): number {
    return this.rate > 0 ? Math.floor(Math.log(1 - this.random.uniform()) / this.logKeep) : Infinity;
  }
}
