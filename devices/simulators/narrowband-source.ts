/**
 * A narrow-band random oscillation (LFP rhythms, EEG alpha/mu/beta): white noise through a
 * two-pole resonator, y[n] = 2r·cos(ω)·y[n−1] − r²·y[n−2] + g·e[n], with r set by the bandwidth
 * and g chosen so that the output has unit variance in steady state. Its amplitude waxes and
 * wanes like a real rhythm; its spectrum peaks at `frequencyHz`.
 */
import { checkNumber } from '../../core/index.js';
import { Random } from './random.js';

export class NarrowbandSource {
  private readonly a1: number;
  private readonly a2: number;
  private readonly gain: number;
  private y1 = 0;
  private y2 = 0;
  private readonly random: Random;

  constructor(name: string, frequencyHz: number, bandwidthHz: number, sampleRateHz: number, random: Random) {
    checkNumber('option', `${name}.frequencyHz`, frequencyHz, { min: 0, exclusiveMin: true, max: sampleRateHz / 2 });
    checkNumber('option', `${name}.bandwidthHz`, bandwidthHz, { min: 0, exclusiveMin: true, max: sampleRateHz / 4 });
    const r = Math.exp((-Math.PI * bandwidthHz) / sampleRateHz);
    this.a1 = 2 * r * Math.cos((2 * Math.PI * frequencyHz) / sampleRateHz);
    this.a2 = -r * r;
    // Stationary variance of an AR(2) process driven by unit-variance noise.
    const variance = (1 - this.a2) / ((1 + this.a2) * ((1 - this.a2) ** 2 - this.a1 ** 2));
    this.gain = 1 / Math.sqrt(variance);
    this.random = random;
    // Start in steady state rather than from rest: draw the two past values from the stationary
    // distribution (approximately: independent draws, then let it settle for a few cycles).
    this.y1 = random.normal();
    this.y2 = random.normal();
    const settle = Math.ceil((4 * sampleRateHz) / bandwidthHz);
    for (let i = 0; i < Math.min(settle, 200_000); i++) this.next();
  }

  /** The next output sample (unit variance). */
  next(): number {
    const y = this.a1 * this.y1 + this.a2 * this.y2 + this.gain * this.random.normal();
    this.y2 = this.y1;
    this.y1 = y;
    return y;
  }

  /** Writes the next `count` samples to `out[0 .. count)`. */
  fill(out: Float64Array, count: number): void {
    for (let i = 0; i < count; i++) out[i] = this.next();
  }
}

/**
 * Mains interference at absolute sample indices `[first, first + count)`: the fundamental plus a
 * third harmonic at `thirdHarmonic` of its amplitude, unit amplitude at the fundamental. Computed
 * from the sample index, so it is the same however the stream is cut into blocks.
 */
export function fillMainsHum(
  out: Float64Array,
  first: number,
  count: number,
  mainsHz: number,
  sampleRateHz: number,
  thirdHarmonic: number,
): void {
  const w = (2 * Math.PI * mainsHz) / sampleRateHz;
  // Reduce the index modulo the hum's period where the period is a whole number of samples,
  // keeping the phase exact over days of samples.
  const period = sampleRateHz / mainsHz;
  const wrap = Number.isInteger(period) ? period : 0;
  for (let i = 0; i < count; i++) {
    const n = wrap ? (first + i) % wrap : first + i;
    out[i] = Math.sin(w * n) + thirdHarmonic * Math.sin(3 * w * n);
  }
}
