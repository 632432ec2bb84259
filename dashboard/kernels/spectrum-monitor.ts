/**
 * Live power spectra for the dashboard: the last `1.5 · nperseg` samples of each monitored
 * channel in a ring, and a Welch PSD (Hann, 50 % overlap, two segments — scipy's
 * `welch(x, fs, nperseg=N)` over that span) refreshed a few channels at a time, so the acquisition
 * thread never computes all of them at once.
 *
 * Layout contract
 * ---------------
 * - `nperseg` is the power of two ≥ sampleRateHz / 2 (≈ 2 Hz resolution; 128 at 250 Hz, 16384 at
 *   30 kHz). Bins up to `maxHz` (default min(Nyquist, 7500 Hz)) are kept and averaged in groups of
 *   `pool` so that at most `maxBins` remain: output bin `i` covers
 *   `[i · pool · Δf, (i + 1) · pool · Δf)`, Δf = sampleRateHz / nperseg, and its value is the mean
 *   density (µV²/Hz) of the PSD bins in it.
 * - `copySpectra(out)` writes `[channels × bins]` channel-major; a channel not computed yet
 *   (not enough samples) is NaN.
 * - Channels monitored: the first `maxChannels` of the stream (64 by default).
 */
import { createWelchPlan, welchPsd, type WelchPlan } from '../../acquisition/spectra/welch.js';
import { InvalidDataError } from '../../core/errors.js';
import { checkInteger, checkNumber } from '../../core/validate.js';

export interface SpectrumMonitorOptions {
  /** Channels in the blocks pushed. */
  channels: number;
  sampleRateHz: number;
  /** Channels monitored (the first ones); default 64. */
  maxChannels?: number;
  /** Highest frequency kept; default min(Nyquist, 7500 Hz). */
  maxHz?: number;
  /** Most output bins; default 512. */
  maxBins?: number;
}

export class SpectrumMonitor {
  readonly channels: number;
  readonly sampleRateHz: number;
  readonly nperseg: number;
  /** PSD bins averaged into one output bin. */
  readonly pool: number;
  /** Output bins per channel. */
  readonly bins: number;
  /** Width of an output bin, Hz. */
  readonly binHz: number;
  private readonly inputChannels: number;
  private readonly span: number;
  private readonly ring: Float32Array;
  private readonly linear: Float64Array;
  private readonly psd: Float64Array;
  private readonly spectra: Float32Array;
  private readonly plan: WelchPlan;
  private written = 0;
  private nextChannel = 0;
  private version = 0;

  constructor(options: SpectrumMonitorOptions) {
    this.inputChannels = checkInteger('option', 'SpectrumMonitor.channels', options.channels, { min: 1, max: 65535 });
    this.sampleRateHz = checkNumber('option', 'SpectrumMonitor.sampleRateHz', options.sampleRateHz, { min: 8, max: 1e6 });
    const maxChannels = checkInteger('option', 'SpectrumMonitor.maxChannels', options.maxChannels ?? 64, { min: 1, max: 1024 });
    this.channels = Math.min(this.inputChannels, maxChannels);
    let n = 4;
    while (n < this.sampleRateHz / 2) n *= 2;
    this.nperseg = n;
    const df = this.sampleRateHz / n;
    const maxHz = checkNumber('option', 'SpectrumMonitor.maxHz', options.maxHz ?? Math.min(this.sampleRateHz / 2, 7500), { min: df, exclusiveMin: false });
    const maxBins = checkInteger('option', 'SpectrumMonitor.maxBins', options.maxBins ?? 512, { min: 8, max: 65535 });
    const kept = Math.min(n / 2 + 1, Math.floor(maxHz / df) + 1);
    this.pool = Math.max(1, Math.ceil(kept / maxBins));
    this.bins = Math.floor(kept / this.pool);
    this.binHz = df * this.pool;
    this.span = n + (n >> 1);
    this.ring = new Float32Array(this.channels * this.span);
    this.linear = new Float64Array(this.span);
    this.psd = new Float64Array(n / 2 + 1);
    this.spectra = new Float32Array(this.channels * this.bins).fill(NaN);
    this.plan = createWelchPlan(n);
  }

  /** Increases each time a spectrum is recomputed. */
  get updates(): number {
    return this.version;
  }

  /** Channel-major `[inputChannels × length]` samples, in stream order (gaps simply join). */
  push(data: Float32Array, length: number): void {
    if (data.length < this.inputChannels * length) {
      throw new InvalidDataError('SampleBlock.data', `at least ${this.inputChannels * length} values`, data.length);
    }
    const S = this.span;
    const take = Math.min(length, S);
    const skip = length - take;
    for (let c = 0; c < this.channels; c++) {
      const src = c * length + skip;
      let pos = (this.written + skip) % S;
      let done = 0;
      while (done < take) {
        const run = Math.min(take - done, S - pos);
        this.ring.set(data.subarray(src + done, src + done + run), c * S + pos);
        done += run;
        pos = (pos + run) % S;
      }
    }
    this.written += length;
  }

  /** Recomputes the spectra of up to `count` channels (round-robin); returns how many. */
  compute(count: number): number {
    if (this.written < this.span) return 0;
    const S = this.span;
    const start = this.written % S;
    const n = Math.min(count, this.channels);
    for (let k = 0; k < n; k++) {
      const c = this.nextChannel;
      this.nextChannel = (c + 1) % this.channels;
      const base = c * S;
      for (let i = 0; i < S; i++) this.linear[i] = this.ring[base + ((start + i) % S)]!;
      welchPsd(this.plan, this.linear, 0, S, this.sampleRateHz, this.psd);
      const out = c * this.bins;
      for (let b = 0; b < this.bins; b++) {
        let sum = 0;
        for (let j = b * this.pool, e = j + this.pool; j < e; j++) sum += this.psd[j]!;
        this.spectra[out + b] = sum / this.pool;
      }
    }
    if (n > 0) this.version += 1;
    return n;
  }

  /** Writes `[channels × bins]`. */
  copySpectra(out: Float32Array): void {
    out.set(this.spectra);
  }
}
