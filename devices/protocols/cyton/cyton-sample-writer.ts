/**
 * CytonSampleWriter — a decoded Cyton sample in physical units onto a BlockAssembler: each EXG
 * channel's counts × its gain's µV per count, then the accelerometer in g, held between the
 * board's 25 Hz updates (a packet without a new reading repeats the last one). The one
 * count → µV conversion, for the live driver and the capture importer alike.
 *
 * Each EXG value is computed as `(counts × stepGain / gain) × microvoltsPerCount(stepGain)`: an
 * integer number of steps of the stream's declared `adcScale` (the step gain's µV per count),
 * rounded once to float32 — so it is exactly `Math.fround(k × adcScale)` (StreamInfo.exactCounts)
 * whatever gain a channel runs at, as long as the step gain is a multiple of it (24 is of all).
 */
import type { BlockAssembler } from '../../../core/block-assembler.js';
import { InvalidOptionError } from '../../../core/index.js';
import { CYTON_ACCEL_G_PER_COUNT, microvoltsPerCount } from './cyton-constants.js';
import type { CytonSample } from './cyton-parser.js';

export class CytonSampleWriter {
  /** Per EXG channel: steps of `steps[c]` µV per count at its gain, and that step. */
  private readonly multipliers: Float64Array;
  private readonly steps: Float64Array;
  private readonly stepGains: readonly number[];
  private readonly accel = new Float64Array(3);

  /**
   * `gains`: each EXG channel's gain (8 or 16 channels); `stepGains`: the gain whose µV per
   * count is the channel's declared `adcScale` (default: its own gain, which must not change).
   */
  constructor(gains: readonly number[], stepGains: readonly number[] = gains) {
    this.stepGains = [...stepGains];
    this.steps = Float64Array.from(stepGains, (g) => microvoltsPerCount(g));
    this.multipliers = new Float64Array(gains.length);
    gains.forEach((g, c) => this.setGain(c, g));
  }

  /** Channel c now has gain `gain` (a channel-setting command took effect). */
  setGain(c: number, gain: number): void {
    const multiplier = this.stepGains[c]! / gain;
    if (!Number.isInteger(multiplier)) {
      throw new InvalidOptionError(`gain of EXG${c + 1}`, `a divisor of the stream's step gain ${this.stepGains[c]}`, gain);
    }
    this.multipliers[c] = multiplier;
  }

  /** Writes `s` as the next sample of `assembler` (a gap before it is the caller's to report). */
  write(s: CytonSample, assembler: BlockAssembler): void {
    const col = assembler.reserve(1);
    const staging = assembler.staging;
    const stride = assembler.stride;
    const eeg = s.counts.length;
    for (let c = 0; c < eeg; c++) staging[c * stride + col] = s.counts[c]! * this.multipliers[c]! * this.steps[c]!;
    for (let k = 0; k < 3; k++) {
      if (s.accelMask & (1 << k)) this.accel[k] = s.accel[k]! * CYTON_ACCEL_G_PER_COUNT;
      staging[(eeg + k) * stride + col] = this.accel[k]!;
    }
    assembler.commit(1);
  }
}
