/**
 * IntanBlockSequence — places RHX waveform blocks on the stream's sample clock from their uint32
 * timestamps, unwrapping them, and tells a real discontinuity from a corrupt timestamp.
 *
 * A block whose first timestamp continues the sequence is placed at once. A block that breaks it
 * (forward or back) is held for one block, and the next block decides (the Cyton parser's rule):
 * - it continues the held block: the jump was real. Forward, the held block is placed after a gap
 *   of exactly the missing samples; backward, RHX restarted its run, which is an error (the stream
 *   cannot go back in time).
 * - it continues the sequence from before the held block: the held block's timestamps were
 *   corrupt (a firmware or memory fault; TCP itself does not flip bits). It is counted in
 *   `corruptBlocks`, and kept in the one slot left free between its neighbours when there is
 *   exactly one, or dropped (the next gap covers its slot) when there is none — so no sample is
 *   invented, none is placed twice, and the timeline is never stretched.
 * - neither: the held block is counted corrupt and dropped, and the new block is judged afresh.
 * Only blocks that break the sequence wait; a block in sequence costs no latency.
 *
 * State is per instance (one per connection); `flush()` places a block still held when the stream
 * ends, by its own timestamps.
 */
import { DeviceError } from '../../transport/serial-connection.js';

const TWO_32 = 0x1_0000_0000;

/** Receives each block placed: its first sample index, the samples missing before it, and the caller's payload. */
export type PlaceBlock<T> = (first: number, missing: number, payload: T) => void;

export class IntanBlockSequence<T> {
  /** Blocks whose timestamps were found corrupt (kept in their slot or dropped). */
  corruptBlocks = 0;
  /** Corrupt blocks that had no slot between their neighbours and were dropped. */
  droppedBlocks = 0;
  private next = -1;
  private heldFirst = 0;
  private held: T | undefined;
  private holding = false;

  /**
   * @param framesPerBlock frames in each block (RHX: 128)
   * @param where names the device in errors
   * @param place called for every block placed, in order
   */
  constructor(
    private readonly framesPerBlock: number,
    private readonly where: string,
    private readonly place: PlaceBlock<T>,
  ) {}

  /** One block whose first frame carries the uint32 timestamp `raw`. The payload must stay valid while held (copy reused arrays first). */
  push(raw: number, payload: T): void {
    const N = this.framesPerBlock;
    if (this.next < 0) {
      this.emit(raw, payload);
      return;
    }
    // Unwrap relative to the expected timestamp: a signed 32-bit step handles the uint32 wrap.
    const first = this.next + ((((raw - (this.next % TWO_32)) | 0) as number));
    if (this.holding) {
      const heldFirst = this.heldFirst;
      const held = this.held as T;
      this.holding = false;
      this.held = undefined;
      if (first === heldFirst + N) {
        // The held block's jump was real: this block continues it.
        if (heldFirst < this.next) {
          throw new DeviceError(this.where, `RHX timestamps went from ${this.next - 1} back to ${heldFirst}: the run was restarted`);
        }
        this.emit(heldFirst, held);
        this.emit(first, payload);
        return;
      }
      if (first === this.next + N) {
        // The old sequence goes on one block later: the held block's timestamps were corrupt; its slot is the one between.
        this.corruptBlocks++;
        this.emit(this.next, held);
        this.emit(first, payload);
        return;
      }
      this.corruptBlocks++;
      this.droppedBlocks++;
      if (first === this.next) {
        // The old sequence goes on at once: the held block had no slot.
        this.emit(first, payload);
        return;
      }
      // Neither: judge this block afresh below.
    }
    if (first === this.next) {
      this.emit(first, payload);
      return;
    }
    this.holding = true;
    this.heldFirst = first;
    this.held = payload;
  }

  /** At the end of the stream: places a held block by its own timestamps (a gap before it if it jumped forward). */
  flush(): void {
    if (!this.holding) return;
    const heldFirst = this.heldFirst;
    const held = this.held as T;
    this.holding = false;
    this.held = undefined;
    if (heldFirst < this.next) {
      this.corruptBlocks++;
      this.droppedBlocks++;
      return;
    }
    this.emit(heldFirst, held);
  }

  /** True while a block waits for the next one to decide. */
  get holdingBlock(): boolean {
    return this.holding;
  }

  private emit(first: number, payload: T): void {
    const missing = this.next >= 0 && first > this.next ? first - this.next : 0;
    this.next = first + this.framesPerBlock;
    this.place(first, missing, payload);
  }
}
