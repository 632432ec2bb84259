/**
 * Scalp EEG simulator for motor-imagery work: an OpenBCI Cyton-like 8- or 16-channel headset at
 * 250 Hz, or the 64-channel EEGMMIDB montage at 160 Hz.
 *
 * The signal on each electrode is the sum of
 *   - background activity with a 1/f-like spectrum (white noise through three one-pole filters),
 *     `backgroundUvRms` per channel;
 *   - posterior alpha (`alphaHz`, strongest at O1/Oz/O2);
 *   - sensorimotor mu (`muHz`) and beta (`betaHz`) rhythms over the left (C3) and right (C4) hand
 *     areas. During a `left` cue both desynchronise over the right hemisphere (contralateral
 *     amplitude × `erdAmplitude`, ipsilateral × 0.9); a `right` cue does the same over the left;
 *   - eye blinks: 100–200 µV monophasic deflections of ~0.3 s, largest at Fp1/Fp2;
 *   - mains hum at 50 or 60 Hz.
 * Samples are quantised to the Cyton's ADC step at gain 24 (0.0224 µV).
 *
 * The cue sequence follows EEGMMIDB: `rest` for 3.5–4.5 s, then `left` or `right` imagery for
 * `cueS` seconds (balanced, shuffled in pairs), repeated. Markers (in the block holding their
 * sample): `cue` with value `rest` | `left` | `right` at each cue onset; `blink` with the blink's
 * peak amplitude (µV at Fp1/Fp2) at each blink onset.
 *
 * Deterministic: the same options and seed give the same samples, whatever the block sizes.
 */
import {
  type Marker,
  type SampleBlock,
  type StreamInfo,
  InvalidOptionError,
  checkInteger,
  checkInterval,
  checkNumber,
  checkOneOf,
  createMarker,
  createSampleBlock,
  createStreamInfo,
  utcNowIso,
} from '../../core/index.js';
import {
  CYTON_DAISY_MONTAGE,
  CYTON_MONTAGE,
  EEGMMIDB_MONTAGE,
  type ScalpPosition,
  distance2,
  electrodePosition,
} from './eeg-montage.js';
import { CYTON_DEFAULT_GAIN, microvoltsPerCount } from '../protocols/cyton/cyton-constants.js';
import { NarrowbandSource, fillMainsHum } from './narrowband-source.js';
import { Random } from './random.js';
import type { SimulatedDevice } from './simulated-device.js';

export const EEG_CHANNEL_COUNTS = [8, 16, 64] as const;
export type EegChannelCount = (typeof EEG_CHANNEL_COUNTS)[number];

export type EegCue = 'rest' | 'left' | 'right';

export interface EegSimulatorOptions {
  /** 8 or 16 (Cyton, Cyton+Daisy) or 64 (EEGMMIDB montage). Default 8. */
  channels?: number;
  /** Default 250 Hz for 8/16 channels, 160 Hz for 64. At least 100 Hz. */
  sampleRateHz?: number;
  seed?: number;
  mainsHz?: 50 | 60;
  alphaHz?: number;
  muHz?: number;
  betaHz?: number;
  /** RMS of the 1/f background per channel, µV. Default 8. */
  backgroundUvRms?: number;
  /** Duration of each imagery cue, s. Default 4. */
  cueS?: number;
  /** Duration of each rest period, drawn uniformly in this range, s. Default [3.5, 4.5]. */
  restS?: readonly [number, number];
  /** Amplitude of contralateral mu/beta during imagery, relative to rest (0–1). Default 0.5. */
  erdAmplitude?: number;
  /** Interval between blinks, drawn uniformly in this range, s. Default [2, 8]. */
  blinkIntervalS?: readonly [number, number];
  id?: string;
  startTime?: string;
}

const ADC_STEP_UV = microvoltsPerCount(CYTON_DEFAULT_GAIN);
const ADC_RANGE_UV = 187500;
const ERD_TIME_CONSTANT_S = 0.25;
const ERD_ONSET_DELAY_S = 0.3;
const IPSILATERAL_AMPLITUDE = 0.9;

/** The spatial sources, in the order of `sourceWeights` rows. */
const enum Src {
  Alpha,
  MuLeft,
  MuRight,
  BetaLeft,
  BetaRight,
  Blink,
  Hum,
  Count,
}

/** Pink-ish background: three one-pole low-passes plus a white term (P. Kellet's economy filter). */
const PINK_POLES = [0.99765, 0.963, 0.57] as const;
const PINK_GAINS = [0.099046, 0.2965164, 1.0526913] as const;
const PINK_WHITE = 0.1848;

function pinkUnitGain(): number {
  let variance = PINK_WHITE * PINK_WHITE;
  for (let i = 0; i < 3; i++) {
    variance += 2 * PINK_WHITE * PINK_GAINS[i]!;
    for (let j = 0; j < 3; j++) variance += (PINK_GAINS[i]! * PINK_GAINS[j]!) / (1 - PINK_POLES[i]! * PINK_POLES[j]!);
  }
  return 1 / Math.sqrt(variance);
}

export class EegSimulator implements SimulatedDevice {
  readonly info: StreamInfo;
  private pos = 0;

  private readonly channels: number;
  private readonly fs: number;
  private readonly mainsHz: number;
  /** sourceWeights[s * channels + c]: µV of source s on channel c at unit source amplitude. */
  private readonly sourceWeights: Float64Array;
  private readonly rhythms: NarrowbandSource[];
  private readonly backgroundScale: number;
  private readonly pinkState: Float64Array;
  private readonly channelRandom: Random[];

  // Cues.
  private readonly taskRandom: Random;
  private readonly cueSamples: number;
  private readonly restS: readonly [number, number];
  private readonly erdAmplitude: number;
  private readonly erdOnsetSamples: number;
  private readonly erdAlpha: number;
  private cue: EegCue = 'rest';
  private cueStart = 0;
  private nextCueSample: number;
  private pendingImagery: EegCue[] = [];
  private gainLeft = 1;
  private gainRight = 1;

  // Blinks.
  private readonly blinkRandom: Random;
  private readonly blinkIntervalS: readonly [number, number];
  private nextBlinkSample: number;
  private blinks: { start: number; length: number; amplitudeUv: number }[] = [];

  private scratch = new Float64Array(0);

  constructor(options: EegSimulatorOptions = {}) {
    const channels = checkOneOf('option', 'channels', options.channels ?? 8, EEG_CHANNEL_COUNTS);
    const fs = checkNumber('option', 'sampleRateHz', options.sampleRateHz ?? (channels === 64 ? 160 : 250), {
      min: 100,
      max: 20000,
    });
    const seed = checkInteger('option', 'seed', options.seed ?? 1, { min: 0 });
    this.mainsHz = checkOneOf('option', 'mainsHz', options.mainsHz ?? 60, [50, 60] as const);
    if (this.mainsHz >= fs / 2) {
      throw new InvalidOptionError('sampleRateHz', `more than twice the mains frequency (${this.mainsHz} Hz)`, fs);
    }
    const alphaHz = options.alphaHz ?? 10;
    const muHz = options.muHz ?? 11;
    const betaHz = options.betaHz ?? 22;
    const background = checkNumber('option', 'backgroundUvRms', options.backgroundUvRms ?? 8, { min: 0 });
    this.cueSamples = Math.round(checkNumber('option', 'cueS', options.cueS ?? 4, { min: 0.5 }) * fs);
    this.restS = checkInterval('option', 'restS', options.restS ?? [3.5, 4.5], 0.5);
    this.erdAmplitude = checkNumber('option', 'erdAmplitude', options.erdAmplitude ?? 0.5, { min: 0, max: 1 });
    this.blinkIntervalS = checkInterval('option', 'blinkIntervalS', options.blinkIntervalS ?? [2, 8], 0.5);
    this.channels = channels;
    this.fs = fs;

    const names: readonly string[] =
      channels === 8 ? CYTON_MONTAGE : channels === 16 ? CYTON_DAISY_MONTAGE : EEGMMIDB_MONTAGE;
    const model = channels === 8 ? 'OpenBCI Cyton (simulated)' : channels === 16 ? 'OpenBCI Cyton+Daisy (simulated)' : 'BCI2000 64-channel (simulated)';
    this.info = createStreamInfo({
      id: options.id ?? `eeg-${seed}`,
      device: { name: 'eeg-simulator', model, serial: `seed-${seed}` },
      channelNames: names,
      channelKinds: 'eeg',
      units: 'uV',
      sampleRateHz: fs,
      adcScale: ADC_STEP_UV,
      adcBits: 24, // a Cyton's ADS1299 at gain 24
      startTime: options.startTime ?? utcNowIso(),
    });

    // Independent generators: 0 layout, 1 cues, 2 blinks, 3..7 rhythms, 8.. channels.
    const layout = new Random(seed, 0);
    this.taskRandom = new Random(seed, 1);
    this.blinkRandom = new Random(seed, 2);
    this.rhythms = [
      new NarrowbandSource('alpha', alphaHz, 1.5, fs, new Random(seed, 3)),
      new NarrowbandSource('mu', muHz, 1.5, fs, new Random(seed, 4)),
      new NarrowbandSource('mu', muHz, 1.5, fs, new Random(seed, 5)),
      new NarrowbandSource('beta', betaHz, 3, fs, new Random(seed, 6)),
      new NarrowbandSource('beta', betaHz, 3, fs, new Random(seed, 7)),
    ];
    this.channelRandom = names.map((_, c) => new Random(seed, 8 + c));
    this.backgroundScale = background * pinkUnitGain();
    this.pinkState = new Float64Array(channels * 3);

    const positions = names.map(electrodePosition);
    const field = (centre: ScalpPosition, spread: number, amplitudeUv: number) =>
      positions.map((p) => amplitudeUv * Math.exp(-distance2(p, centre) / (2 * spread * spread)));
    const c3 = electrodePosition('C3');
    const c4 = electrodePosition('C4');
    const rows: number[][] = [];
    rows[Src.Alpha] = field({ x: 0, y: -4 }, 1.8, 14);
    rows[Src.MuLeft] = field(c3, 1.1, 9);
    rows[Src.MuRight] = field(c4, 1.1, 9);
    rows[Src.BetaLeft] = field(c3, 1.1, 4);
    rows[Src.BetaRight] = field(c4, 1.1, 4);
    // Normalised so that Fp1 and Fp2 see the blink's full amplitude.
    const blinkCentre = { x: 0, y: 4.6 };
    rows[Src.Blink] = field(blinkCentre, 1.6, 1 / Math.exp(-distance2(electrodePosition('Fp1'), blinkCentre) / (2 * 1.6 * 1.6)));
    rows[Src.Hum] = positions.map(() => layout.between(2, 8));
    this.sourceWeights = new Float64Array(Src.Count * channels);
    rows.forEach((row, s) => row.forEach((w, c) => (this.sourceWeights[s * channels + c] = w)));

    this.erdOnsetSamples = Math.round(ERD_ONSET_DELAY_S * fs);
    this.erdAlpha = 1 - Math.exp(-1 / (ERD_TIME_CONSTANT_S * fs));
    this.nextCueSample = Math.round(this.taskRandom.between(this.restS[0], this.restS[1]) * fs);
    this.nextBlinkSample = Math.round(this.blinkRandom.between(this.blinkIntervalS[0], this.blinkIntervalS[1]) * fs);
  }

  get position(): number {
    return this.pos;
  }

  read(length: number, hostTime: number): SampleBlock {
    checkInteger('option', 'read length', length, { min: 1, max: 10_000_000 });
    const C = this.channels;
    const L = length;
    const first = this.pos;
    const markers: Marker[] = first === 0 ? [createMarker(0, 'cue', 'rest')] : [];
    const K = Src.Count;
    if (this.scratch.length < K * L) this.scratch = new Float64Array(K * L);
    const src = this.scratch;

    // Shared sources, sample by sample (cue state and blinks change on sample boundaries).
    for (let i = 0; i < L; i++) {
      const n = first + i;
      if (n === this.nextCueSample) this.advanceCue(n, markers);
      if (n === this.nextBlinkSample) this.startBlink(n, markers);
      this.updateErd(n);
      src[Src.Alpha * L + i] = this.rhythms[0]!.next();
      src[Src.MuLeft * L + i] = this.gainLeft * this.rhythms[1]!.next();
      src[Src.MuRight * L + i] = this.gainRight * this.rhythms[2]!.next();
      src[Src.BetaLeft * L + i] = this.gainLeft * this.rhythms[3]!.next();
      src[Src.BetaRight * L + i] = this.gainRight * this.rhythms[4]!.next();
      src[Src.Blink * L + i] = this.blinkValue(n);
    }
    fillMainsHum(src.subarray(Src.Hum * L, (Src.Hum + 1) * L), first, L, this.mainsHz, this.fs, 0.2);

    const out = new Float32Array(C * L);
    const w = this.sourceWeights;
    const pink = this.pinkState;
    const scale = this.backgroundScale;
    for (let c = 0; c < C; c++) {
      const random = this.channelRandom[c]!;
      let b0 = pink[3 * c]!;
      let b1 = pink[3 * c + 1]!;
      let b2 = pink[3 * c + 2]!;
      for (let i = 0; i < L; i++) {
        const white = random.normal();
        b0 = PINK_POLES[0] * b0 + PINK_GAINS[0] * white;
        b1 = PINK_POLES[1] * b1 + PINK_GAINS[1] * white;
        b2 = PINK_POLES[2] * b2 + PINK_GAINS[2] * white;
        let v = scale * (b0 + b1 + b2 + PINK_WHITE * white);
        for (let s = 0; s < K; s++) v += w[s * C + c]! * src[s * L + i]!;
        v = Math.floor(v / ADC_STEP_UV + 0.5) * ADC_STEP_UV;
        out[c * L + i] = v > ADC_RANGE_UV ? ADC_RANGE_UV : v < -ADC_RANGE_UV ? -ADC_RANGE_UV : v;
      }
      pink[3 * c] = b0;
      pink[3 * c + 1] = b1;
      pink[3 * c + 2] = b2;
    }
    this.pos = first + L;
    return createSampleBlock({
      info: this.info,
      first,
      length: L,
      data: out,
      hostTime,
      ...(markers.length ? { markers } : {}),
    });
  }

  private advanceCue(n: number, markers: Marker[]): void {
    if (this.cue === 'rest') {
      if (this.pendingImagery.length === 0) {
        this.pendingImagery = this.taskRandom.uniform() < 0.5 ? ['left', 'right'] : ['right', 'left'];
      }
      this.cue = this.pendingImagery.shift()!;
      this.nextCueSample = n + this.cueSamples;
    } else {
      this.cue = 'rest';
      this.nextCueSample = n + Math.round(this.taskRandom.between(this.restS[0], this.restS[1]) * this.fs);
    }
    this.cueStart = n;
    markers.push(createMarker(n, 'cue', this.cue));
  }

  /** Smoothly moves each hemisphere's mu/beta gain toward its target for the current cue. */
  private updateErd(n: number): void {
    let targetLeft = 1;
    let targetRight = 1;
    if (this.cue !== 'rest' && n - this.cueStart >= this.erdOnsetSamples) {
      // Imagery of one hand desynchronises the opposite hemisphere.
      const contra = this.erdAmplitude;
      targetLeft = this.cue === 'right' ? contra : IPSILATERAL_AMPLITUDE;
      targetRight = this.cue === 'left' ? contra : IPSILATERAL_AMPLITUDE;
    }
    this.gainLeft += (targetLeft - this.gainLeft) * this.erdAlpha;
    this.gainRight += (targetRight - this.gainRight) * this.erdAlpha;
  }

  private startBlink(n: number, markers: Marker[]): void {
    const amplitudeUv = this.blinkRandom.between(100, 200);
    const length = Math.max(2, Math.round(this.blinkRandom.between(0.25, 0.4) * this.fs));
    this.blinks.push({ start: n, length, amplitudeUv });
    markers.push(createMarker(n, 'blink', Math.round(amplitudeUv * 10) / 10));
    this.nextBlinkSample =
      n + Math.round(this.blinkRandom.between(this.blinkIntervalS[0], this.blinkIntervalS[1]) * this.fs);
  }

  private blinkValue(n: number): number {
    let v = 0;
    for (const b of this.blinks) {
      const k = n - b.start;
      if (k >= 0 && k < b.length) {
        const s = Math.sin((Math.PI * k) / b.length);
        v += b.amplitudeUv * s * s;
      }
    }
    if (this.blinks.length > 0 && n - this.blinks[0]!.start >= this.blinks[0]!.length) this.blinks.shift();
    return v;
  }
}
