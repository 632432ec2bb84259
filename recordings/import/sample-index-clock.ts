/**
 * SampleIndexClock — places rows numbered by an OpenBCI 8-bit packet counter (0–255, wrapping)
 * on the stream's sample clock, the way the live Cyton driver counts: a jump of the counter is
 * that many samples lost, exactly, modulo the counter's period (256 samples; 128 when the index
 * advances by 2 per sample, as with a Daisy's paired packets).
 *
 * A loss of a whole number of periods leaves the counter looking continuous. When rows carry a
 * host timestamp, the time between two rows tells how many samples should lie between them; if it
 * exceeds what the counter says by more than half a period, the nearest whole number of periods
 * is added (and recorded in `periods`). Host timestamps jitter by tens of ms, far below half a
 * period (0.5 s at 250 Hz); a host that stalled over half a second and then delivered the backlog
 * would be read as lost periods — the estimate is reported in the notes for that reason.
 */

export interface IndexJump {
  /** Stream index of the first sample after the gap. */
  readonly sample: number;
  /** Line (or row) where it was seen. */
  readonly line: number;
  readonly fromIndex: number;
  readonly toIndex: number;
  readonly missing: number;
  /** Whole counter periods added from the timestamps. */
  readonly periods: number;
}

export class SampleIndexClock {
  readonly step: number;
  readonly period: number;
  readonly rateHz: number;
  /** Stream index of the next row. */
  next = 0;
  private previousIndex = -1;
  private previousTimeMs = NaN;

  constructor(rateHz: number, step = 1) {
    this.rateHz = rateHz;
    this.step = step;
    this.period = 256 / step;
  }

  /**
   * The row with counter `index` (and host time `timeMs`, NaN if none) arrived: returns the
   * samples missing before it and advances the clock past it; `onJump` hears about each jump.
   */
  advance(index: number, timeMs: number, line: number, onJump?: (jump: IndexJump) => void): number {
    let missing = 0;
    let periods = 0;
    if (this.previousIndex >= 0) {
      missing = Math.floor(((index - this.previousIndex - this.step) & 0xff) / this.step);
      if (Number.isFinite(timeMs) && Number.isFinite(this.previousTimeMs)) {
        const elapsed = Math.round(((timeMs - this.previousTimeMs) * this.rateHz) / 1000) - 1;
        if (elapsed - missing > this.period / 2) {
          periods = Math.round((elapsed - missing) / this.period);
          missing += periods * this.period;
        }
      }
    }
    if (missing > 0) {
      onJump?.({ sample: this.next + missing, line, fromIndex: this.previousIndex, toIndex: index, missing, periods });
    }
    this.previousIndex = index;
    this.previousTimeMs = timeMs;
    this.next += missing + 1;
    return missing;
  }
}
