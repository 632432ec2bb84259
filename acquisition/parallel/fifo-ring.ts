/**
 * A first-in-first-out allocator over a ring of `capacity` slots: each allocation is contiguous
 * (one that would run past the end starts again at 0), and allocations are released in the order
 * they were made. The channel-parallel chain places its units' samples and bins with it.
 */
export class FifoRing {
  private readonly starts: number[] = [];
  private oldest = 0;
  private head = 0;
  private previousHead = 0;

  constructor(readonly capacity: number) {}

  /** Allocations live. */
  get live(): number {
    return this.starts.length - this.oldest;
  }

  /**
   * Free slots: after the newest allocation to the end and from the start to the oldest (wrapped:
   * between them). Allocations that must be contiguous may fit fewer (one that would run past the end
   * starts again at 0).
   */
  get free(): number {
    if (this.live === 0) return this.capacity;
    const tail = this.starts[this.oldest]!;
    return this.head > tail ? this.capacity - this.head + tail : tail - this.head;
  }

  /** The start of `n` (≥ 1) free contiguous slots, now taken; −1 when there is no room. */
  alloc(n: number): number {
    if (n < 1 || n > this.capacity) return -1;
    let at: number;
    if (this.live === 0) {
      at = 0;
    } else {
      const tail = this.starts[this.oldest]!;
      if (this.head > tail) {
        // Live slots are [tail, head): room at the end, else at the start.
        if (this.head + n <= this.capacity) at = this.head;
        else if (n <= tail) at = 0;
        else return -1;
      } else {
        // Wrapped (or full, head === tail): room between head and tail only.
        if (this.head + n <= tail) at = this.head;
        else return -1;
      }
    }
    this.starts.push(at);
    this.previousHead = this.head;
    this.head = at + n;
    return at;
  }

  /** Gives back the allocation just made (before any other alloc or release). */
  undoAlloc(): void {
    this.starts.pop();
    this.head = this.previousHead;
  }

  /** Releases the oldest allocation. */
  release(): void {
    if (this.live === 0) return;
    this.oldest++;
    if (this.oldest > 1024 && this.oldest * 2 > this.starts.length) {
      this.starts.splice(0, this.oldest);
      this.oldest = 0;
    }
  }
}
