/**
 * CytonSampleWriter — a decoded Cyton sample in physical units onto a BlockAssembler: each EXG
 * channel's counts × its gain's µV per count, then the accelerometer in g, held between the
 * board's 25 Hz updates (a packet without a new reading repeats the last one). The one
 * count → µV conversion, for the live driver and the capture importer alike.
 */
import type { BlockAssembler } from '../../../core/block-assembler.js';
import { CYTON_ACCEL_G_PER_COUNT, microvoltsPerCount } from './cyton-constants.js';
import type { CytonSample } from './cyton-parser.js';

export class CytonSampleWriter {
  private readonly scales: Float64Array;
  private readonly accel = new Float64Array(3);

  /** `gains`: each EXG channel's gain (8 or 16). */
  constructor(gains: readonly number[]) {
    this.scales = Float64Array.from(gains, (g) => microvoltsPerCount(g));
  }

  /** Channel c now has gain `gain` (a channel-setting command took effect). */
  setGain(c: number, gain: number): void {
    this.scales[c] = microvoltsPerCount(gain);
  }

  /** Writes `s` as the next sample of `assembler` (a gap before it is the caller's to report). */
  write(s: CytonSample, assembler: BlockAssembler): void {
    const col = assembler.reserve(1);
    const staging = assembler.staging;
    const stride = assembler.stride;
    const eeg = s.counts.length;
    for (let c = 0; c < eeg; c++) staging[c * stride + col] = s.counts[c]! * this.scales[c]!;
    for (let k = 0; k < 3; k++) {
      if (s.accelMask & (1 << k)) this.accel[k] = s.accel[k]! * CYTON_ACCEL_G_PER_COUNT;
      staging[(eeg + k) * stride + col] = this.accel[k]!;
    }
    assembler.commit(1);
  }
}
