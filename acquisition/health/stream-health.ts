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
  /** Samples per channel per second since the previous snapshot. */
  readonly achievedRateHz: number;
  /** Lag behind real time now, ms (≥ 0). */
  readonly lagMs: number;
  /** Largest lag seen at any block arrival or snapshot, ms. */
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
  private lastSnapshotMs = NaN;
  private lastSnapshotSamples = 0;

  constructor(sampleRateHz: number) {
    this.sampleRateHz = checkNumber('option', 'sampleRateHz', sampleRateHz, { min: 0, exclusiveMin: true });
  }

  /** Counts a block that arrived at host time `nowMs`. */
  observe(block: SampleBlock, nowMs: number): void {
    if (Number.isNaN(this.startMs)) {
      this.startMs = nowMs - (block.length * 1000) / this.sampleRateHz;
      this.lastSnapshotMs = this.startMs;
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

  /** Current figures; the achieved rate covers the time since the previous snapshot. */
  snapshot(nowMs: number): HealthSnapshot {
    const started = !Number.isNaN(this.startMs);
    const span = started ? nowMs - this.lastSnapshotMs : 0;
    const achieved = span > 0 ? ((this.samples - this.lastSnapshotSamples) * 1000) / span : 0;
    if (started) {
      this.lastSnapshotMs = nowMs;
      this.lastSnapshotSamples = this.samples;
    }
    const lag = started ? this.lagAt(nowMs) : 0;
    if (lag > this.maxLag) this.maxLag = lag;
    return {
      samples: this.samples,
      blocks: this.blocks,
      droppedSamples: this.dropped,
      achievedRateHz: achieved,
      lagMs: lag,
      maxLagMs: this.maxLag,
      elapsedMs: started ? nowMs - this.startMs : 0,
    };
  }
}
