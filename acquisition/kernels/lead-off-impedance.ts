/**
 * Electrode impedance from an AC lead-off current: the amplitude of the drive frequency in a
 * channel (a Hann-windowed single-bin DFT — Goertzel's bin without its recursion — over the
 * channel's mean-removed samples), then Ohm's law the way the OpenBCI GUI computes it
 * (`impedance = sqrt(2) · uVrms · 1e-6 / drive current − series resistor`, its DataProcessing
 * with `leadOffDrive_amps = 6.0e-9` and `series_resistor_ohms = 2200` for the Cyton).
 * Pure functions over typed arrays; nothing allocated.
 */
import { InvalidDataError, checkNumber } from '../../core/index.js';

/**
 * Peak amplitude of the sinusoid at `frequencyHz` in `data[offset … offset+length)`, in the data's
 * unit. The sample rate is given, never assumed. The window's mean is removed first (a DC offset
 * adds nothing); the Hann window keeps mains and drift from leaking in.
 */
export function toneAmplitude(data: ArrayLike<number>, offset: number, length: number, frequencyHz: number, sampleRateHz: number): number {
  checkNumber('option', 'sampleRateHz', sampleRateHz, { min: 0, exclusiveMin: true });
  checkNumber('option', 'frequencyHz', frequencyHz, { min: 0, exclusiveMin: true, max: sampleRateHz / 2 });
  if (!Number.isInteger(length) || length < 4 || offset < 0 || offset + length > data.length) {
    throw new InvalidDataError('toneAmplitude window', `at least 4 samples inside the data (${data.length})`, { offset, length });
  }
  let mean = 0;
  for (let i = 0; i < length; i++) mean += data[offset + i]!;
  mean /= length;
  const w = (2 * Math.PI * frequencyHz) / sampleRateHz;
  let re = 0;
  let im = 0;
  let weights = 0;
  for (let i = 0; i < length; i++) {
    const hann = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (length - 1));
    const v = (data[offset + i]! - mean) * hann;
    re += v * Math.cos(w * i);
    im -= v * Math.sin(w * i);
    weights += hann;
  }
  return (2 * Math.sqrt(re * re + im * im)) / weights;
}

export interface LeadOffDrive {
  /** The lead-off current, A (Cyton: 6 nA). */
  driveCurrentA: number;
  /** A resistor in series with every electrode, Ω, subtracted (Cyton: 2200 Ω). */
  seriesResistanceOhms: number;
}

/**
 * Electrode impedance (Ω) from the drive frequency's peak amplitude in µV: `amplitude/√2` is the
 * RMS the OpenBCI GUI uses, so `Z = √2 · rms · 1e-6 / I − R_series = amplitude · 1e-6 / I − R_series`,
 * never below 0.
 */
export function leadOffImpedanceOhms(amplitudeUv: number, drive: LeadOffDrive): number {
  const rmsUv = amplitudeUv / Math.SQRT2;
  const z = (Math.SQRT2 * rmsUv * 1e-6) / drive.driveCurrentA - drive.seriesResistanceOhms;
  return z > 0 ? z : 0;
}

/** The peak amplitude (µV) a lead-off current produces across an impedance: the inverse of {@link leadOffImpedanceOhms}. */
export function leadOffAmplitudeUv(impedanceOhms: number, drive: LeadOffDrive): number {
  return (impedanceOhms + drive.seriesResistanceOhms) * drive.driveCurrentA * 1e6;
}
