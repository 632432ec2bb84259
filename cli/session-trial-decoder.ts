/**
 * The session's trial decoder, for streams whose task gives cues (the EEG simulator's `cue`
 * markers; EDF+ annotations in a replay): a discrete model fitted on cue-locked epochs
 * (`neurostream calibrate --decoder lda|csp-lda --classes … --window … [--band …]`, which stores
 * the window and band in the model) decodes each cue of its classes once the epoch's window has
 * passed, and is scored against that cue — the running accuracy of the last ACCURACY_TRIALS
 * trials, for the status line, the dashboard and the recording (online validation).
 *
 * Live epochs are cut from the stream band-passed causally (Butterworth, order 4, the model's
 * band; `calibrate` filters zero-phase, which a live stream cannot): per-trial features are close
 * to, not equal to, the offline ones. Cues of other values (`rest`) are not decoded. An epoch that
 * spans a gap in the stream, or that the ring no longer holds, is skipped and counted.
 *
 * Inputs by the model's shape: `[C, T]` takes the epoch (csp-lda); `[C]` with inputs named
 * `<channel>:logpower` takes the log band power of each channel over the epoch (lda). Channels are
 * taken from the stream by name, matched after normalisation (core/channel-names.ts: case, trailing
 * dots, 10-20 aliases) or by the session's channel map.
 */
import { designButterworth } from '../acquisition/filters/butterworth.js';
import { createSosState, sosFilter } from '../acquisition/filters/sos-filter.js';
import { createIntent, hostNowMs, InvalidOptionError, matchChannels, type ChannelMap, type Intent, type Marker, type SampleBlock, type StreamInfo } from '../core/index.js';
import type { Decoder } from '../decoding/decoder.js';
import { logPowerFeatures } from '../decoding/evaluation/discrete-evaluation.js';
import type { DecoderValidation } from '../decoding/decoder-validation.js';
import type { DecoderState } from '../dashboard/protocol/dashboard-messages.js';

/** Trials the running accuracy is computed over. */
export const ACCURACY_TRIALS = 20;
/** Seconds of filtered signal the ring holds beyond one epoch (how late a decode may start). */
const RING_SLACK_S = 4;
const LOGPOWER = ':logpower';

export interface SessionTrialDecoderOptions {
  info: StreamInfo;
  decoder: Decoder;
  /** The epoch's window after the cue, s (the model's `neurostream.epoch_window_s`). */
  windowS: readonly [number, number];
  /** Model channel name → stream channel name (`--channel-map`), tried before the normalised match. */
  channelMap?: ChannelMap;
  /** The band-pass before epoching, Hz (the model's `neurostream.epoch_band_hz`); none when absent. */
  bandHz?: readonly [number, number];
  /** Intents go on the session's time line in bins of this many ms (the intent's bin holds the epoch's end). */
  binMs: number;
  onIntent: (intent: Intent) => void;
  onValidation?: (validation: DecoderValidation) => void;
  onError: (error: unknown) => void;
  /** Told once, when decoding is set up (to record which decoder runs). */
  onReady?: (decoder: { name: string; provider: string; calibrationBins: number; features: number }) => void;
}

interface Trial {
  cue: number;
  label: string;
}

export class SessionTrialDecoder {
  private readonly decoder: Decoder;
  private readonly classes: readonly string[];
  /** Stream channel index of each model channel. */
  private readonly channels: Int32Array;
  private readonly mode: 'epoch' | 'logpower';
  private readonly lo: number;
  private readonly hi: number;
  /** T, samples per epoch. */
  private readonly samples: number;
  private readonly sos: Float64Array | undefined;
  private readonly sosState: Float64Array | undefined;
  private readonly ring: Float32Array;
  private readonly ringLength: number;
  private scratch = new Float32Array(0);
  /** One past the newest sample in the ring. */
  private end = -1;
  /** Samples before this one are not contiguous with the ring's newest (a gap). */
  private contiguousFrom = 0;
  private readonly pending: Trial[] = [];
  private chain: Promise<void> = Promise.resolve();
  /** Epochs cut and not yet decoded. */
  private queued = 0;
  /** The last ACCURACY_TRIALS trials: hit or not, and the epoch's last sample. */
  private readonly recent: { hit: boolean; sample: number }[] = [];
  private decoded = 0;
  private correct = 0;
  private skipped = 0;
  private failed = false;
  private stopped = false;
  private validation: DecoderValidation | undefined;
  private lastDecodeMs = 0;

  constructor(private readonly options: SessionTrialDecoderOptions) {
    const { info, decoder, windowS, bandHz } = options;
    this.decoder = decoder;
    const where = `--model ${decoder.name}`;
    if (decoder.kind !== 'discrete') throw new InvalidOptionError(where, 'a discrete (trial) decoder for a stream of cues', `a ${decoder.kind} decoder`);
    this.classes = decoder.outputNames;
    const fs = info.sampleRateHz;
    this.lo = Math.round(windowS[0] * fs);
    this.hi = Math.round(windowS[1] * fs);
    if (!(this.hi > this.lo)) throw new InvalidOptionError(`${where} epoch window`, 'tmin < tmax, seconds after the cue', windowS);
    this.samples = this.hi - this.lo + 1;
    let names: readonly string[];
    if (decoder.inputShape.length === 2) {
      this.mode = 'epoch';
      names = decoder.inputNames;
      if (decoder.inputShape[1] !== this.samples) {
        throw new InvalidOptionError(
          `${where} input`,
          `epochs of ${this.samples} samples (${windowS[0]}–${windowS[1]} s at this stream's ${fs} Hz)`,
          `${decoder.inputShape[1]} samples (a model fitted at another sample rate?)`,
        );
      }
    } else if (decoder.inputShape.length === 1 && decoder.inputNames.every((n) => n.endsWith(LOGPOWER))) {
      this.mode = 'logpower';
      names = decoder.inputNames.map((n) => n.slice(0, -LOGPOWER.length));
    } else {
      throw new InvalidOptionError(`${where} input`, 'an epoch [C, T] (csp-lda) or one <channel>:logpower per channel (lda)', `[${decoder.inputShape.join(', ')}] (${decoder.inputNames.slice(0, 2).join(', ')}, …)`);
    }
    // By name after normalisation (EEGMMIDB's `Fc5.` is the simulator's `FC5`), or by --channel-map.
    this.channels = Int32Array.from(matchChannels(names, info.channelNames, { what: where, stream: 'the stream', ...(options.channelMap ? { map: options.channelMap } : {}) }));
    if (bandHz) {
      this.sos = designButterworth({ type: 'bandpass', order: 4, cutoffHz: [bandHz[0], bandHz[1]], sampleRateHz: fs });
      this.sosState = createSosState(this.sos, this.channels.length);
    }
    this.ringLength = this.samples + Math.ceil(RING_SLACK_S * fs);
    this.ring = new Float32Array(this.channels.length * this.ringLength);
    options.onReady?.({ name: decoder.name, provider: decoder.provider, calibrationBins: 0, features: decoder.inputNames.length });
  }

  /** A raw block of the stream, in order: filtered into the ring; its cues queued; due epochs decoded. */
  push(block: SampleBlock): void {
    if (this.failed || this.stopped) return;
    const K = this.channels.length;
    const n = block.length;
    if (this.end < 0 || block.gap || block.first !== this.end) this.contiguousFrom = block.first;
    if (this.scratch.length < K * n) this.scratch = new Float32Array(K * n);
    const x = this.scratch;
    for (let k = 0; k < K; k++) x.set(block.data.subarray(this.channels[k]! * n, (this.channels[k]! + 1) * n), k * n);
    if (this.sos) sosFilter(this.sos, this.sosState!, x, x, K, n);
    const R = this.ringLength;
    for (let k = 0; k < K; k++) {
      const row = k * R;
      for (let i = 0; i < n; i++) this.ring[row + ((block.first + i) % R)] = x[k * n + i]!;
    }
    this.end = block.first + n;
    if (block.markers) for (const marker of block.markers) this.cue(marker);
    this.decodeDue(block.hostTime);
  }

  private cue(marker: Marker): void {
    const label = typeof marker.value === 'number' ? String(marker.value) : typeof marker.value === 'string' ? marker.value : undefined;
    if (label !== undefined && this.classes.includes(label)) this.pending.push({ cue: marker.sample, label });
  }

  private decodeDue(hostTime: number): void {
    while (this.pending.length > 0 && this.pending[0]!.cue + this.hi < this.end) {
      const trial = this.pending.shift()!;
      const first = trial.cue + this.lo;
      const last = trial.cue + this.hi;
      if (first < this.contiguousFrom || first < this.end - this.ringLength) {
        this.skipped++; // across a gap, or no longer held
        continue;
      }
      const started = hostNowMs();
      const epoch = this.epoch(first);
      const input = this.mode === 'epoch' ? epoch : (logPowerFeatures(epoch, this.channels.length, this.samples) as Float32Array);
      const featuresMs = hostNowMs() - started;
      const acquisitionMs = Math.max(0, started - hostTime);
      const bin = Math.floor((last * 1000) / this.options.info.sampleRateHz / this.options.binMs);
      this.queued++;
      this.chain = this.chain.then(() => this.decodeTrial(trial, input, bin, last, { acquisitionMs, featuresMs })).finally(() => this.queued--);
    }
  }

  private async decodeTrial(trial: Trial, input: Float32Array, bin: number, last: number, timing: { acquisitionMs: number; featuresMs: number }): Promise<void> {
    if (this.failed || this.stopped) return;
    const t = hostNowMs();
    let values: Float32Array;
    try {
      values = await this.decoder.decode(input);
    } catch (error) {
      this.failed = true;
      this.options.onError(error);
      return;
    }
    this.lastDecodeMs = hostNowMs() - t;
    const intent = createIntent({ bin, kind: 'discrete', values: Float32Array.from(values), labels: this.classes, latency: { ...timing, decodeMs: this.lastDecodeMs } });
    this.score(trial, values, bin, last);
    this.options.onIntent(intent);
  }

  /** The epoch [C × T] starting at sample `first`, from the ring. */
  private epoch(first: number): Float32Array {
    const K = this.channels.length;
    const T = this.samples;
    const R = this.ringLength;
    const out = new Float32Array(K * T);
    for (let k = 0; k < K; k++) for (let t = 0; t < T; t++) out[k * T + t] = this.ring[k * R + ((first + t) % R)]!;
    return out;
  }

  private score(trial: Trial, values: Float32Array, bin: number, sample: number): void {
    let best = 0;
    for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
    const hit = this.classes[best] === trial.label;
    this.decoded++;
    if (hit) this.correct++;
    this.recent.push({ hit, sample });
    if (this.recent.length > ACCURACY_TRIALS) this.recent.shift();
    const value = this.hits() / this.recent.length;
    const windowS = (sample - this.recent[0]!.sample) / this.options.info.sampleRateHz;
    this.validation = { bin, sample, metric: 'accuracy', value, perDimension: [], dimensions: [], windowS, trials: this.recent.length, chance: 1 / this.classes.length };
    this.options.onValidation?.(this.validation);
  }

  private hits(): number {
    let n = 0;
    for (const r of this.recent) if (r.hit) n++;
    return n;
  }

  status(): string {
    const name = `decoder ${this.decoder.name} (${this.decoder.provider})`;
    if (this.failed) return `DECODER FAILED (${this.decoder.name})`;
    const skipped = this.skipped > 0 ? `, ${this.skipped} skipped (gap)` : '';
    if (this.decoded === 0) return `${name}: waiting for a cue (${this.classes.join(' | ')})${skipped}`;
    const recent = this.hits();
    return (
      `${name}: accuracy ${(recent / this.recent.length).toFixed(2)} (${recent}/${this.recent.length} of the last trials, chance ${(1 / this.classes.length).toFixed(2)}; ` +
      `${this.correct}/${this.decoded} in all), ${this.lastDecodeMs.toFixed(2)} ms/trial${skipped}`
    );
  }

  /** What the dashboard shows of the decoder. */
  describe(): { name: string; provider: string; state: DecoderState; kind: 'discrete'; outputs: readonly string[]; backlog: number; validation?: DecoderValidation } {
    return {
      name: this.decoder.name,
      provider: this.decoder.provider,
      state: this.failed ? 'failed' : this.decoded === 0 ? 'waiting' : 'decoding',
      kind: 'discrete',
      outputs: this.classes,
      backlog: this.queued,
      ...(this.validation ? { validation: this.validation } : {}),
    };
  }

  /** Epochs cut and not yet decoded (cues still waiting for their epoch's end are not a backlog). */
  backlog(): number {
    return this.queued;
  }

  /** Waits (at most `timeoutMs`) for the trials being decoded. */
  async drain(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.chain, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
  }

  stop(): void {
    this.stopped = true;
  }
}
