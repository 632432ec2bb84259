import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../core/index.js';
import { EEGMMIDB_MONTAGE, electrodePosition } from '../../../devices/simulators/eeg-montage.js';
import { EegSimulator, type EegSimulatorOptions } from '../../../devices/simulators/eeg-simulator.js';
import { bandPower, powerAt } from '../../helpers/spectrum.js';
import { readAll } from '../../helpers/read-all.js';

const START = '2026-01-01T00:00:00.000Z';
const sim = (options: EegSimulatorOptions = {}) => new EegSimulator({ startTime: START, ...options });

describe('EegSimulator: montages', () => {
  it('is a Cyton at 250 Hz with 8 or 16 channels and EEGMMIDB at 160 Hz with 64', () => {
    const cyton = sim();
    expect(cyton.info.channelNames).toEqual(['Fp1', 'Fp2', 'C3', 'C4', 'P7', 'P8', 'O1', 'O2']);
    expect(cyton.info.sampleRateHz).toBe(250);
    expect(cyton.info.adcScale[0]).toBeCloseTo(4.5e6 / 24 / (2 ** 23 - 1), 9);
    expect(sim({ channels: 16 }).info.channelNames).toHaveLength(16);
    const big = sim({ channels: 64 });
    expect(big.info.sampleRateHz).toBe(160);
    expect(big.info.channelNames).toEqual(EEGMMIDB_MONTAGE);
    expect(new Set(big.info.channelKinds)).toEqual(new Set(['eeg']));
  });

  it('places 10-10 electrodes on a grid from their names', () => {
    expect(electrodePosition('C3')).toEqual({ x: -2, y: 0 });
    expect(electrodePosition('C4')).toEqual({ x: 2, y: 0 });
    expect(electrodePosition('FCz')).toEqual({ x: 0, y: 1 });
    expect(electrodePosition('Fp1')).toEqual({ x: -1, y: 4 });
    expect(electrodePosition('T10')).toEqual({ x: 5, y: 0 });
    expect(() => electrodePosition('X9')).toThrow('electrode: expected a 10-10 electrode name such as C3, FCz or PO8, got "X9"');
  });

  it.each([
    [{ channels: 12 }, 'channels: expected one of 8, 16, 64, got 12'],
    [{ sampleRateHz: 100, mainsHz: 60 as const }, 'sampleRateHz: expected more than twice the mains frequency (60 Hz), got 100'],
    [{ erdAmplitude: 1.5 }, 'erdAmplitude: expected a finite number from 0 to 1, got 1.5'],
    [{ alphaHz: 200 }, 'alpha.frequencyHz: expected a finite number > 0 and ≤ 125, got 200'],
  ])('rejects %o', (options, message) => {
    expect(() => sim(options)).toThrow(InvalidOptionError);
    expect(() => sim(options)).toThrow(message);
  });
});

describe('EegSimulator: determinism', () => {
  it('is deterministic by seed and independent of block sizes', () => {
    const total = 250 * 30;
    const a = readAll(sim({ channels: 16, seed: 3 }), total, [1]);
    const b = readAll(sim({ channels: 16, seed: 3 }), total, [13, 250, 2, 977]);
    const c = readAll(sim({ channels: 16, seed: 4 }), total, [1]);
    expect(Buffer.from(b.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true);
    expect(b.markers).toEqual(a.markers);
    expect(Buffer.from(c.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(false);
  });
});

describe('EegSimulator: signal content', () => {
  const fs = 250;
  const seconds = 600;
  const s = sim({ seed: 21 });
  const { markers, channel } = readAll(s, seconds * fs, [fs]);
  const names = s.info.channelNames;
  const at = (name: string) => channel(names.indexOf(name));
  const cues = markers.filter((m) => m.type === 'cue');

  it('alternates rest and balanced left/right imagery cues, EEGMMIDB-style', () => {
    expect(cues[0]).toEqual({ sample: 0, type: 'cue', value: 'rest' });
    cues.forEach((m, i) => expect(m.value === 'rest').toBe(i % 2 === 0));
    const imagery = cues.filter((m) => m.value !== 'rest');
    const left = imagery.filter((m) => m.value === 'left').length;
    expect(Math.abs(left - (imagery.length - left))).toBeLessThanOrEqual(1);
    for (let i = 1; i < cues.length; i++) {
      const seconds = (cues[i]!.sample - cues[i - 1]!.sample) / fs;
      if (cues[i - 1]!.value === 'rest') {
        expect(seconds).toBeGreaterThanOrEqual(3.5);
        expect(seconds).toBeLessThanOrEqual(4.5);
      } else expect(seconds).toBe(4);
    }
  });

  it('has posterior alpha at 10 Hz and mains hum at 60 Hz', () => {
    const o1 = at('O1');
    const p = (f: number) => powerAt(o1, fs, f, 1024);
    expect(p(10) / p(6)).toBeGreaterThan(4);
    expect(p(10) / p(15)).toBeGreaterThan(4);
    expect(p(10) / powerAt(at('Fp1'), fs, 10, 1024)).toBeGreaterThan(3);
    expect(p(60) / p(55)).toBeGreaterThan(20);
  });

  it('desynchronises mu/beta over the hemisphere contralateral to the imagined hand', () => {
    // Band power 8–30 Hz from 1 s to 3.5 s after each cue, relative to rest epochs.
    const epochPower = (x: Float32Array, onset: number) =>
      bandPower(x.subarray(onset + fs, onset + Math.round(3.5 * fs)), fs, 9, 13, 128, 1) +
      bandPower(x.subarray(onset + fs, onset + Math.round(3.5 * fs)), fs, 19, 25, 128, 1);
    const mean = (label: string, electrode: string) => {
      const epochs = cues.filter((m) => m.value === label && m.sample + 3.5 * fs < seconds * fs);
      return epochs.reduce((acc, m) => acc + epochPower(at(electrode), m.sample), 0) / epochs.length;
    };
    const ratio = (label: string, electrode: string) => mean(label, electrode) / mean('rest', electrode);
    // Right-hand imagery: C3 (left hemisphere) drops, C4 barely.
    expect(ratio('right', 'C3')).toBeLessThan(0.55);
    expect(ratio('right', 'C4')).toBeGreaterThan(0.7);
    expect(ratio('left', 'C4')).toBeLessThan(0.55);
    expect(ratio('left', 'C3')).toBeGreaterThan(0.7);
  });

  it('adds blinks: 100–200 µV frontal deflections marked as they start', () => {
    const blinks = markers.filter((m) => m.type === 'blink');
    expect(blinks.length).toBeGreaterThan(seconds / 8);
    expect(blinks.length).toBeLessThan(seconds / 2);
    for (const b of blinks) {
      expect(b.value as number).toBeGreaterThanOrEqual(100);
      expect(b.value as number).toBeLessThanOrEqual(200);
    }
    // Blink-triggered averages: full amplitude at Fp1, little at the back of the head.
    const n = Math.round(0.5 * fs);
    const triggered = (x: Float32Array) => {
      const avg = new Float64Array(n);
      const used = blinks.filter((b) => b.sample + n < x.length && b.sample > 0);
      for (const b of used) for (let j = 0; j < n; j++) avg[j]! += (x[b.sample + j]! - x[b.sample - 1]!) / used.length;
      return Math.max(...avg);
    };
    const meanAmplitude = blinks.reduce((acc, b) => acc + (b.value as number), 0) / blinks.length;
    expect(triggered(at('Fp1'))).toBeGreaterThan(0.8 * meanAmplitude);
    expect(triggered(at('Fp1'))).toBeLessThan(1.2 * meanAmplitude);
    expect(triggered(at('O1'))).toBeLessThan(0.15 * meanAmplitude);
  });
});
