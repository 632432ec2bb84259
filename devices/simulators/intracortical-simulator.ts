/**
 * Intracortical array simulator: broadband extracellular voltage of a Utah-style array in motor
 * cortex while a subject performs a centre-out cursor task.
 *
 * Per channel: 0–2 single units whose firing rate is cosine-tuned to the cursor's 2-D velocity,
 *   rate(t) = baselineHz + modulationHz · (v(t) · d) / maxSpeed,   d = (cos θpref, sin θpref)
 * (Georgopoulos 1982; Moran & Schwartz 1999), spiking as an inhomogeneous Poisson process with a
 * 1 ms absolute refractory period (rates are pre-compensated so the mean rate is the tuning curve's
 * rate); each spike adds the unit's ~1.2 ms biphasic waveform with a 50–200 µV trough. Added to
 * that: white background noise of 5–10 µV RMS, local field potentials (shared narrow-band
 * rhythms with per-channel weights), and mains hum at 50 or 60 Hz with its third harmonic. Samples
 * are quantised to an Intan RHD2000-like ADC (0.195 µV steps, ±6389 µV range).
 *
 * Markers (in the block holding their sample):
 *   - `kinematics`  value `[x, y, vx, vy]` (cm, cm/s): the true cursor state at that sample,
 *                   every 1/kinematicsRateHz s;
 *   - `target_on`, `movement_onset`, `target_reached`  value `[x, y]`: the target, in cm.
 *
 * Deterministic: the same options and seed give the same samples, whatever the block sizes.
 */
import {
  type Marker,
  type SampleBlock,
  type StreamInfo,
  checkInteger,
  checkInterval,
  checkNumber,
  checkOneOf,
  createMarker,
  createSampleBlock,
  createStreamInfo,
  utcNowIso,
} from '../../core/index.js';
import { CentreOutTask, type CentreOutTaskOptions, type TaskEvent } from './centre-out-task.js';
import { NarrowbandSource, fillMainsHum } from './narrowband-source.js';
import { Random } from './random.js';
import type { SimulatedDevice } from './simulated-device.js';

export const INTRACORTICAL_MAX_CHANNELS = 1024;

export interface LfpRhythm {
  frequencyHz: number;
  bandwidthHz: number;
  /** RMS on a channel of full weight, µV; each channel weights it by a draw in [0.5, 1]. */
  amplitudeUv: number;
}

export interface IntracorticalSimulatorOptions {
  /** 1–1024. Default 96 (a Utah array). */
  channels?: number;
  /** 1 kHz–100 kHz. Default 30 000. */
  sampleRateHz?: number;
  /** Default 1. */
  seed?: number;
  /** 50 or 60. Default 60. */
  mainsHz?: 50 | 60;
  /** Background noise RMS per channel, drawn uniformly in this range, µV. Default [5, 10]. */
  noiseUvRms?: readonly [number, number];
  /** Mains amplitude per channel, drawn uniformly in this range, µV. Default [1, 5]. */
  humUv?: readonly [number, number];
  /** LFP rhythms. Default: 3 Hz (bandwidth 3 Hz, 30 µV) and 20 Hz beta (bandwidth 4 Hz, 8 µV). */
  lfp?: readonly LfpRhythm[];
  /** Rate of `kinematics` markers, Hz. Default 100. */
  kinematicsRateHz?: number;
  task?: CentreOutTaskOptions;
  /** Stream id. Default `intracortical-<seed>`. */
  id?: string;
  /** UTC ISO start time. Default: now. */
  startTime?: string;
  /** Ground truth: called for every spike with the unit's index and the spike's first sample. */
  onSpike?: (unit: number, sample: number) => void;
}

/** One simulated neuron: where it is and how it is tuned. */
export interface SimulatedUnit {
  readonly channel: number;
  readonly baselineHz: number;
  readonly modulationHz: number;
  readonly preferredDirectionRad: number;
  readonly troughUv: number;
}

const ADC_STEP_UV = 0.195;
/** The 16-bit range in whole steps (±32767 × 0.195 µV ≈ ±6.39 mV), so clipped values stay exact counts. */
const ADC_RANGE_UV = 32767 * ADC_STEP_UV;
const REFRACTORY_S = 0.001;
const WAVEFORM_S = 0.0012;

export class IntracorticalSimulator implements SimulatedDevice {
  readonly info: StreamInfo;
  readonly units: readonly SimulatedUnit[];
  readonly task: CentreOutTask;
  private pos = 0;

  private readonly channels: number;
  private readonly fs: number;
  private readonly mainsHz: number;
  private readonly noiseSd: Float64Array;
  private readonly noiseRandom: Random[];
  private readonly humAmplitude: Float64Array;
  private readonly lfpSources: NarrowbandSource[];
  /** lfpWeights[s * channels + c]: µV of rhythm s on channel c. */
  private readonly lfpWeights: Float64Array;

  // Spikes.
  private readonly unitChannel: Int32Array;
  private readonly unitBaseline: Float64Array;
  private readonly unitCos: Float64Array;
  private readonly unitSin: Float64Array;
  private readonly unitHazard: Float64Array;
  private readonly unitDeadUntil: Float64Array;
  private readonly unitRandom: Random[];
  /** unitWaveform[u * waveformLength + j]. */
  private readonly unitWaveform: Float32Array;
  private readonly waveformLength: number;
  private readonly refractorySamples: number;
  private readonly onSpike: ((unit: number, sample: number) => void) | undefined;

  // Task stepping: rates are constant over steps of `stepSamples` (1 ms).
  private readonly stepSamples: number;
  private readonly kinematicsEvery: number;
  private stepIndex = 0;
  private readonly taskEvents: TaskEvent[] = [];
  private pendingMarkers: Marker[] = [];

  /** Spike waveforms spilling past the end of the last block: carry[c * carryRing + (sample % carryRing)]. */
  private readonly carry: Float32Array;
  /** How far past a block's end a spike can spill: one step plus one waveform. */
  private readonly carrySpan: number;
  private readonly carryRing: number;

  // Scratch per block, grown on demand.
  private scratch = new Float64Array(0);

  constructor(options: IntracorticalSimulatorOptions = {}) {
    const channels = checkInteger('option', 'channels', options.channels ?? 96, {
      min: 1,
      max: INTRACORTICAL_MAX_CHANNELS,
    });
    const fs = checkNumber('option', 'sampleRateHz', options.sampleRateHz ?? 30000, { min: 1000, max: 100000 });
    const seed = checkInteger('option', 'seed', options.seed ?? 1, { min: 0 });
    this.mainsHz = checkOneOf('option', 'mainsHz', options.mainsHz ?? 60, [50, 60] as const);
    const noise = checkInterval('option', 'noiseUvRms', options.noiseUvRms ?? [5, 10], 0);
    const hum = checkInterval('option', 'humUv', options.humUv ?? [1, 5], 0);
    const lfp = options.lfp ?? [
      { frequencyHz: 3, bandwidthHz: 3, amplitudeUv: 30 },
      { frequencyHz: 20, bandwidthHz: 4, amplitudeUv: 8 },
    ];
    const kinematicsRateHz = checkNumber('option', 'kinematicsRateHz', options.kinematicsRateHz ?? 100, {
      min: 1,
      max: 1000,
    });
    this.channels = channels;
    this.fs = fs;
    this.onSpike = options.onSpike;

    const names = Array.from({ length: channels }, (_, c) => `ch${String(c + 1).padStart(4, '0')}`);
    this.info = createStreamInfo({
      id: options.id ?? `intracortical-${seed}`,
      device: { name: 'intracortical-simulator', model: 'neurostream simulated Utah-style array', serial: `seed-${seed}` },
      channelNames: names,
      channelKinds: 'extracellular',
      units: 'uV',
      sampleRateHz: fs,
      adcScale: ADC_STEP_UV,
      adcBits: 16, // an Intan amplifier's 16-bit samples
      exactCounts: true, // quantised to whole steps of ADC_STEP_UV, clipped to ±32767 steps
      startTime: options.startTime ?? utcNowIso(),
    });

    // Independent generators: 0 = layout, 1 = task, 2.. = LFP rhythms, then channels, then units.
    const layout = new Random(seed, 0);
    this.task = new CentreOutTask(new Random(seed, 1), options.task);
    this.lfpSources = lfp.map(
      (r, s) => new NarrowbandSource(`lfp[${s}]`, r.frequencyHz, r.bandwidthHz, fs, new Random(seed, 2 + s)),
    );
    this.lfpWeights = new Float64Array(lfp.length * channels);
    lfp.forEach((r, s) => {
      checkNumber('option', `lfp[${s}].amplitudeUv`, r.amplitudeUv, { min: 0 });
      for (let c = 0; c < channels; c++) this.lfpWeights[s * channels + c] = r.amplitudeUv * layout.between(0.5, 1);
    });
    this.noiseSd = new Float64Array(channels);
    this.humAmplitude = new Float64Array(channels);
    this.noiseRandom = [];
    const streamBase = 2 + lfp.length;
    for (let c = 0; c < channels; c++) {
      this.noiseSd[c] = layout.between(noise[0], noise[1]);
      this.humAmplitude[c] = layout.between(hum[0], hum[1]);
      this.noiseRandom.push(new Random(seed, streamBase + c));
    }

    // Units: 0, 1 or 2 per channel (15% / 55% / 30%), as on a real array.
    const units: SimulatedUnit[] = [];
    for (let c = 0; c < channels; c++) {
      const u = layout.uniform();
      const count = u < 0.15 ? 0 : u < 0.7 ? 1 : 2;
      for (let k = 0; k < count; k++) {
        const baselineHz = layout.between(5, 25);
        units.push(
          Object.freeze({
            channel: c,
            baselineHz,
            modulationHz: baselineHz * layout.between(0.3, 0.9),
            preferredDirectionRad: layout.between(0, 2 * Math.PI),
            troughUv: layout.between(50, 200),
          }),
        );
      }
    }
    this.units = Object.freeze(units);
    const n = units.length;
    this.unitChannel = new Int32Array(n);
    this.unitBaseline = new Float64Array(n);
    this.unitCos = new Float64Array(n);
    this.unitSin = new Float64Array(n);
    this.unitHazard = new Float64Array(n);
    this.unitDeadUntil = new Float64Array(n);
    this.unitRandom = [];
    this.waveformLength = Math.max(3, Math.round(WAVEFORM_S * fs));
    this.unitWaveform = new Float32Array(n * this.waveformLength);
    const scale = this.task.maxSpeedCmS;
    units.forEach((unit, u) => {
      this.unitChannel[u] = unit.channel;
      this.unitBaseline[u] = unit.baselineHz;
      this.unitCos[u] = (unit.modulationHz * Math.cos(unit.preferredDirectionRad)) / scale;
      this.unitSin[u] = (unit.modulationHz * Math.sin(unit.preferredDirectionRad)) / scale;
      const random = new Random(seed, streamBase + channels + u);
      this.unitRandom.push(random);
      this.unitHazard[u] = random.exponential();
      writeWaveform(this.unitWaveform, u * this.waveformLength, this.waveformLength, fs, unit.troughUv, layout);
    });
    this.refractorySamples = REFRACTORY_S * fs;

    this.stepSamples = Math.max(1, Math.round(fs / 1000));
    this.kinematicsEvery = Math.max(1, Math.round(fs / kinematicsRateHz / this.stepSamples));
    this.carrySpan = this.stepSamples + this.waveformLength;
    this.carryRing = 2 ** Math.ceil(Math.log2(this.carrySpan));
    this.carry = new Float32Array(channels * this.carryRing);
  }

  get position(): number {
    return this.pos;
  }

  read(length: number, hostTime: number): SampleBlock {
    checkInteger('option', 'read length', length, { min: 1, max: 10_000_000 });
    const C = this.channels;
    const L = length;
    const first = this.pos;
    const end = first + L;
    const out = new Float32Array(C * L);

    this.takeCarry(out, first, L);
    // Spikes and task, step by step, for every step starting before the block's end.
    while (this.stepIndex * this.stepSamples < end) this.runStep(out, first, L);
    this.addContinuous(out, first, L);

    this.pos = end;
    let markers: Marker[] | undefined;
    if (this.pendingMarkers.length > 0) {
      this.pendingMarkers.sort((a, b) => a.sample - b.sample);
      const split = this.pendingMarkers.findIndex((m) => m.sample >= end);
      const cut = split < 0 ? this.pendingMarkers.length : split;
      if (cut > 0) {
        markers = this.pendingMarkers.slice(0, cut);
        this.pendingMarkers = this.pendingMarkers.slice(cut);
      }
    }
    return createSampleBlock({ info: this.info, first, length: L, data: out, hostTime, ...(markers ? { markers } : {}) });
  }

  /**
   * Moves the spike tails that earlier steps wrote past the previous block's end into this block.
   * The carry is a ring per channel indexed by absolute sample (mod a power of two ≥ the longest
   * spill), so nothing is shifted; slots are zeroed as they are taken.
   */
  private takeCarry(out: Float32Array, first: number, L: number): void {
    const R = this.carryRing;
    const mask = R - 1;
    const carry = this.carry;
    const n = Math.min(this.carrySpan, L);
    for (let c = 0; c < this.channels; c++) {
      const cb = c * R;
      const ob = c * L;
      for (let k = 0; k < n; k++) {
        const slot = cb + ((first + k) & mask);
        out[ob + k] = carry[slot]!;
        carry[slot] = 0;
      }
    }
  }

  /** One 1 ms step: kinematics marker, spikes at the current rates, then advance the task. */
  private runStep(out: Float32Array, first: number, L: number): void {
    const task = this.task;
    const s0 = this.stepIndex * this.stepSamples;
    const s1 = s0 + this.stepSamples;
    if (this.stepIndex % this.kinematicsEvery === 0) {
      this.pendingMarkers.push(createMarker(s0, 'kinematics', [task.x, task.y, task.vx, task.vy]));
    }
    const vx = task.vx;
    const vy = task.vy;
    const fs = this.fs;
    const W = this.waveformLength;
    const n = this.unitChannel.length;
    for (let u = 0; u < n; u++) {
      const rateHz = this.unitBaseline[u]! + this.unitCos[u]! * vx + this.unitSin[u]! * vy;
      if (rateHz <= 0) continue;
      // Pre-compensate for the dead time so the mean rate equals the tuning curve's.
      const perSample = rateHz / (1 - rateHz * REFRACTORY_S) / fs;
      let t = Math.max(s0, this.unitDeadUntil[u]!);
      let hazard = this.unitHazard[u]!;
      while (t < s1) {
        const wait = hazard / perSample;
        if (t + wait >= s1) {
          hazard -= (s1 - t) * perSample;
          break;
        }
        const at = Math.floor(t + wait);
        this.addSpike(out, first, L, u, at, W);
        t = t + wait + this.refractorySamples;
        this.unitDeadUntil[u] = t;
        hazard = this.unitRandom[u]!.exponential();
      }
      this.unitHazard[u] = hazard;
    }
    this.taskEvents.length = 0;
    task.step(this.stepSamples / fs, this.taskEvents);
    for (const e of this.taskEvents) this.pendingMarkers.push(createMarker(s1, e.type, e.target));
    this.stepIndex++;
  }

  private addSpike(out: Float32Array, first: number, L: number, u: number, at: number, W: number): void {
    this.onSpike?.(u, at);
    const R = this.carryRing;
    const mask = R - 1;
    const c = this.unitChannel[u]!;
    const wave = this.unitWaveform;
    const wb = u * W;
    const rel = at - first;
    for (let j = 0; j < W; j++) {
      const idx = rel + j;
      if (idx < L) out[c * L + idx]! += wave[wb + j]!;
      else this.carry[c * R + ((at + j) & mask)]! += wave[wb + j]!;
    }
  }

  /**
   * Noise, LFP and hum for every channel, then ADC quantisation, in one pass per channel (the
   * first two LFP rhythms are fused into that pass; any further ones get a pass each).
   */
  private addContinuous(out: Float32Array, first: number, L: number): void {
    const C = this.channels;
    const S = this.lfpSources.length;
    const rows = Math.max(S, 2) + 1;
    if (this.scratch.length < rows * L) this.scratch = new Float64Array(rows * L);
    const scratch = this.scratch;
    scratch.fill(0, 0, 2 * L);
    for (let s = 0; s < S; s++) this.lfpSources[s]!.fill(scratch.subarray(s * L, (s + 1) * L), L);
    const hb = (rows - 1) * L;
    fillMainsHum(scratch.subarray(hb, hb + L), first, L, this.mainsHz, this.fs, 0.2);
    const weights = this.lfpWeights;
    const step = ADC_STEP_UV;
    const invStep = 1 / ADC_STEP_UV;
    // Noise in a pass of its own: fused into the loop below, V8 compiles both at half the speed.
    for (let c = 0; c < C; c++) this.noiseRandom[c]!.addNormal(out, c * L, L, this.noiseSd[c]!);
    for (let c = 0; c < C; c++) {
      const base = c * L;
      for (let s = 2; s < S; s++) {
        const w = weights[s * C + c]!;
        const sb = s * L;
        for (let i = 0; i < L; i++) out[base + i]! += w * scratch[sb + i]!;
      }
      const w0 = S > 0 ? weights[c]! : 0;
      const w1 = S > 1 ? weights[C + c]! : 0;
      const h = this.humAmplitude[c]!;
      for (let i = 0; i < L; i++) {
        let v = out[base + i]! + w0 * scratch[i]! + w1 * scratch[L + i]! + h * scratch[hb + i]!;
        v = Math.floor(v * invStep + 0.5) * step; // Math.round is ~10× slower in V8
        out[base + i] = v > ADC_RANGE_UV ? ADC_RANGE_UV : v < -ADC_RANGE_UV ? -ADC_RANGE_UV : v;
      }
    }
  }
}

/**
 * A biphasic extracellular spike: a sharp trough ~0.25 ms after onset followed by a slower, smaller
 * positive repolarisation peak, scaled so its minimum is −troughUv. Widths vary per unit.
 */
function writeWaveform(out: Float32Array, offset: number, length: number, fs: number, troughUv: number, random: Random): void {
  const t1 = 0.00025 * random.between(0.9, 1.1);
  const sd1 = 0.00008 * random.between(0.8, 1.25);
  const t2 = 0.0006 * random.between(0.9, 1.15);
  const sd2 = 0.0002 * random.between(0.8, 1.2);
  const ratio = random.between(0.2, 0.45);
  let min = 0;
  const shape = new Float64Array(length);
  for (let j = 0; j < length; j++) {
    const t = j / fs;
    const v = -Math.exp(-((t - t1) ** 2) / (2 * sd1 * sd1)) + ratio * Math.exp(-((t - t2) ** 2) / (2 * sd2 * sd2));
    shape[j] = v;
    if (v < min) min = v;
  }
  // Taper the last samples to zero so the waveform ends without a step.
  const taper = Math.max(1, Math.floor(length / 6));
  for (let j = 0; j < taper; j++) shape[length - 1 - j]! *= j / taper;
  for (let j = 0; j < length; j++) out[offset + j] = (shape[j]! / -min) * troughUv;
}
