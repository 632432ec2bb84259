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
