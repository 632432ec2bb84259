/**
 * StreamHealth — honest live figures for one SampleBlock stream: samples and blocks received,
 * samples lost in gaps, the sample rate actually achieved, and the lag behind real time.
 *
 * Lag: a stream that started at host time T0 should, at time `now`, have delivered
 * (now − T0) × rate samples; the lag is how far the samples received trail that, in ms. T0 is
 * inferred from the first block (its arrival time minus its duration). Lost samples count as
 * delivered, since the device did produce them.
 */
import { type SampleBlock, checkNumber } from '../../core/index.js';

export interface HealthSnapshot {
  /** Samples per channel received. */
  readonly samples: number;
  readonly blocks: number;
  /** Samples per channel lost in reported gaps. */
  readonly droppedSamples: number;
  /** Samples per channel per second over the current window (since the last `roll`). */
  readonly achievedRateHz: number;
  /** Lag behind real time now, ms (≥ 0). */
  readonly lagMs: number;
  /** Largest lag seen at any block arrival, roll or now, ms. */
  readonly maxLagMs: number;
  /** Time since the stream's first sample, ms. */
  readonly elapsedMs: number;
}

export class StreamHealth {
  readonly sampleRateHz: number;
  private samples = 0;
  private blocks = 0;
  private dropped = 0;
  private startMs = NaN;
  private maxLag = 0;
  /** Where the current achieved-rate window started (host ms, samples received then). */
  private windowStartMs = NaN;
  private windowStartSamples = 0;

  constructor(sampleRateHz: number) {
    this.sampleRateHz = checkNumber('option', 'sampleRateHz', sampleRateHz, { min: 0, exclusiveMin: true });
  }

  /** Counts a block that arrived at host time `nowMs`. */
  observe(block: SampleBlock, nowMs: number): void {
    if (Number.isNaN(this.startMs)) {
      this.startMs = nowMs - (block.length * 1000) / this.sampleRateHz;
      this.windowStartMs = this.startMs;
    }
    this.samples += block.length;
    this.blocks += 1;
    if (block.gap) this.dropped += block.gap.missing;
    const lag = this.lagAt(nowMs);
    if (lag > this.maxLag) this.maxLag = lag;
  }

  private lagAt(nowMs: number): number {
    const expected = ((nowMs - this.startMs) * this.sampleRateHz) / 1000;
    const behind = expected - (this.samples + this.dropped);
    return behind > 0 ? (behind * 1000) / this.sampleRateHz : 0;
  }

  /**
   * The figures at host time `nowMs`, read without changing anything (call it as often as you
   * like): the achieved rate covers the window since the last {@link roll} (or the first sample),
   * and the maximum lag includes the lag now.
   */
  snapshot(nowMs: number): HealthSnapshot {
    const started = !Number.isNaN(this.startMs);
    const span = started ? nowMs - this.windowStartMs : 0;
    const achieved = span > 0 ? ((this.samples - this.windowStartSamples) * 1000) / span : 0;
    const lag = started ? this.lagAt(nowMs) : 0;
    return {
      samples: this.samples,
      blocks: this.blocks,
      droppedSamples: this.dropped,
      achievedRateHz: achieved,
      lagMs: lag,
      maxLagMs: Math.max(this.maxLag, lag),
      elapsedMs: started ? nowMs - this.startMs : 0,
    };
  }

  /**
   * Ends the achieved-rate window at `nowMs` and starts the next one (a status line rolls once
   * per report), keeping the lag at `nowMs` in the maximum. Nothing before the first block.
   */
  roll(nowMs: number): void {
    if (Number.isNaN(this.startMs)) return;
    this.windowStartMs = nowMs;
    this.windowStartSamples = this.samples;
    const lag = this.lagAt(nowMs);
    if (lag > this.maxLag) this.maxLag = lag;
  }
}
