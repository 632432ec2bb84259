import { describe, expect, it } from 'vitest';
import { InvalidOptionError, type Marker } from '../../../core/index.js';
import { IntracorticalSimulator, type IntracorticalSimulatorOptions } from '../../../devices/simulators/intracortical-simulator.js';
import { leastSquares, powerAt, rms } from '../../helpers/spectrum.js';
import { readAll } from '../../helpers/read-all.js';

const FS = 30000;
const START = '2026-01-01T00:00:00.000Z';

function sim(options: IntracorticalSimulatorOptions = {}) {
  return new IntracorticalSimulator({ startTime: START, ...options });
}

describe('IntracorticalSimulator: stream', () => {
  it('describes itself: 96 channels of extracellular µV at 30 kHz by default, with the ADC step', () => {
    const s = sim();
    expect(s.info.channelNames).toHaveLength(96);
    expect(s.info.channelNames[0]).toBe('ch0001');
    expect(s.info.sampleRateHz).toBe(30000);
    expect(new Set(s.info.channelKinds)).toEqual(new Set(['extracellular']));
    expect(new Set(s.info.units)).toEqual(new Set(['uV']));
    expect(s.info.adcScale[0]).toBeCloseTo(0.195, 6);
    expect(s.info.startTime).toBe(START);
  });

  it('is deterministic by seed and independent of block sizes', () => {
    const total = 6000;
    const a = readAll(sim({ channels: 12, seed: 5 }), total, [30]);
    const b = readAll(sim({ channels: 12, seed: 5 }), total, [7, 1000, 1, 333, 64]);
    const c = readAll(sim({ channels: 12, seed: 5 }), total, [total]);
    const d = readAll(sim({ channels: 12, seed: 6 }), total, [30]);
    expect(Buffer.from(b.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true);
    expect(Buffer.from(c.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(true);
    expect(b.markers).toEqual(a.markers);
    expect(Buffer.from(d.data.buffer).equals(Buffer.from(a.data.buffer))).toBe(false);
  });

  it('emits consecutive blocks with ADC-quantised samples and markers inside their blocks', () => {
    const { blocks } = readAll(sim({ channels: 4 }), 3000, [30]);
    blocks.forEach((block, k) => {
      expect(block.first).toBe(k * 30);
      for (const m of block.markers ?? []) {
        expect(m.sample).toBeGreaterThanOrEqual(block.first);
        expect(m.sample).toBeLessThan(block.first + block.length);
      }
      for (let i = 0; i < block.data.length; i += 17) {
        const steps = block.data[i]! / 0.195;
        expect(Math.abs(steps - Math.round(steps))).toBeLessThan(1e-3);
      }
    });
  });
});

describe('IntracorticalSimulator: task ground truth', () => {
  it('emits the true cursor kinematics at 100 Hz and task events in order', () => {
    const seconds = 20;
    const { markers } = readAll(sim({ channels: 1 }), seconds * FS, [FS]);
    const kin = markers.filter((m) => m.type === 'kinematics');
    expect(kin).toHaveLength(seconds * 100);
    kin.forEach((m, k) => {
      expect(m.sample).toBe(k * 300);
      expect(m.value).toHaveLength(4);
    });
    const events = markers.filter((m) => m.type !== 'kinematics').map((m) => m.type);
    expect(events.length).toBeGreaterThan(12);
    events.forEach((type, i) => expect(type).toBe(['target_on', 'movement_onset', 'target_reached'][i % 3]));
    // Velocity is the derivative of position (central differences at 100 Hz).
    for (let k = 1; k < kin.length - 1; k++) {
      const [, , vx] = kin[k]!.value as number[];
      const dx = ((kin[k + 1]!.value as number[])[0]! - (kin[k - 1]!.value as number[])[0]!) / 0.02;
      expect(Math.abs(dx - vx!)).toBeLessThan(1.5);
    }
  });
});

describe('IntracorticalSimulator: spiking statistics', () => {
  // 240 s of 10 channels at 30 kHz, spikes taken from the ground-truth hook.
  const seconds = 240;
  const spikes: number[][] = [];
  const s = sim({
    channels: 10,
    seed: 11,
    onSpike: (unit, sample) => (spikes[unit] ??= []).push(sample),
  });
  const { markers, channel } = readAll(s, seconds * FS, [FS]);
  const kinematics = markers.filter((m): m is Marker & { value: number[] } => m.type === 'kinematics');

  it('fires at the configured mean rates', () => {
    expect(s.units.length).toBeGreaterThan(5);
    s.units.forEach((unit, u) => {
      const rate = (spikes[u]?.length ?? 0) / seconds;
      // Centre-out-and-back: mean velocity ≈ 0, so the mean rate is the baseline.
      expect(Math.abs(rate - unit.baselineHz)).toBeLessThan(0.06 * unit.baselineHz + 0.5);
    });
  });

  it('is cosine-tuned to velocity with the configured baseline, depth and preferred direction', () => {
    const binSamples = 0.05 * FS;
    const bins = Math.floor((seconds * FS) / binSamples);
    const maxSpeed = s.task.maxSpeedCmS;
    // Mean velocity per bin from the 100 Hz kinematics.
    const design: number[][] = [];
    for (let b = 0; b < bins; b++) {
      const ks = kinematics.slice(b * 5, b * 5 + 5);
      const vx = ks.reduce((acc, m) => acc + m.value[2]!, 0) / ks.length;
      const vy = ks.reduce((acc, m) => acc + m.value[3]!, 0) / ks.length;
      design.push([1, vx / maxSpeed, vy / maxSpeed]);
    }
    let dirErrSum = 0;
    let tunedUnits = 0;
    s.units.forEach((unit, u) => {
      const counts = new Array<number>(bins).fill(0);
      for (const at of spikes[u] ?? []) {
        const b = Math.floor(at / binSamples);
        if (b < bins) counts[b]! += 1 / 0.05;
      }
      const [b0, a, c] = leastSquares(design, counts) as [number, number, number];
      const depth = Math.hypot(a, c);
      expect(Math.abs(b0 - unit.baselineHz)).toBeLessThan(0.08 * unit.baselineHz + 0.5);
      expect(Math.abs(depth - unit.modulationHz)).toBeLessThan(0.25 * unit.modulationHz + 1.5);
      if (unit.modulationHz > 6) {
        let err = Math.abs(Math.atan2(c, a) - unit.preferredDirectionRad) % (2 * Math.PI);
        if (err > Math.PI) err = 2 * Math.PI - err;
        dirErrSum += err;
        tunedUnits++;
        expect(err).toBeLessThan((20 * Math.PI) / 180);
      }
    });
    expect(tunedUnits).toBeGreaterThan(2);
    expect(dirErrSum / tunedUnits).toBeLessThan((10 * Math.PI) / 180);
  });

  it('writes ~1 ms spike waveforms with 50–200 µV troughs into the signal', () => {
    s.units.forEach((unit, u) => {
      expect(unit.troughUv).toBeGreaterThanOrEqual(50);
      expect(unit.troughUv).toBeLessThanOrEqual(200);
      const x = channel(unit.channel);
      const sta = new Float64Array(36);
      const times = (spikes[u] ?? []).filter((t) => t + 36 < x.length);
      for (const t of times) for (let j = 0; j < 36; j++) sta[j]! += x[t + j]! / times.length;
      const base = (sta[0]! + sta[35]!) / 2;
      let min = Infinity;
      let at = 0;
      sta.forEach((v, j) => {
        if (v - base < min) {
          min = v - base;
          at = j;
        }
      });
      expect(Math.abs(-min - unit.troughUv)).toBeLessThan(0.15 * unit.troughUv);
      expect(at / FS).toBeGreaterThan(0.00015);
      expect(at / FS).toBeLessThan(0.0004);
    });
  });
});

describe('IntracorticalSimulator: noise, LFP and mains', () => {
  it('has 5–10 µV RMS background noise on channels without units', () => {
    const s = sim({ channels: 40, seed: 2, lfp: [], humUv: [0, 0] });
    const { channel } = readAll(s, FS, [FS]);
    const withUnits = new Set(s.units.map((u) => u.channel));
    let checked = 0;
    for (let c = 0; c < 40; c++) {
      if (withUnits.has(c)) continue;
      const r = rms(channel(c));
      expect(r).toBeGreaterThan(4.9);
      expect(r).toBeLessThan(10.1);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    const fixed = sim({ channels: 40, seed: 2, lfp: [], humUv: [0, 0], noiseUvRms: [7, 7] });
    const quiet = [...Array(40).keys()].find((c) => !new Set(fixed.units.map((u) => u.channel)).has(c))!;
    expect(rms(readAll(fixed, FS, [FS]).channel(quiet))).toBeCloseTo(7, 0);
  });

  it.each([60, 50] as const)('shows spectral peaks at the %i Hz mains and the 20 Hz beta LFP', (mainsHz) => {
    const s = sim({ channels: 2, seed: 4, mainsHz });
    const x = readAll(s, 12 * FS, [FS]).channel(0);
    const seg = 32768;
    const p = (f: number) => powerAt(x, FS, f, seg);
    expect(p(mainsHz) / p(mainsHz - 6)).toBeGreaterThan(20);
    expect(p(mainsHz) / p(mainsHz + 6)).toBeGreaterThan(20);
    expect(p(3 * mainsHz) / p(3 * mainsHz + 6)).toBeGreaterThan(5);
    const other = mainsHz === 60 ? 50 : 60;
    expect(p(other) / p(other - 6)).toBeLessThan(3);
    expect(p(20) / p(32)).toBeGreaterThan(3);
    expect(p(20) / p(27)).toBeGreaterThan(1.5);
  });
});

describe('IntracorticalSimulator: options', () => {
  it.each([
    [{ channels: 0 }, 'channels: expected an integer from 1 to 1024, got 0'],
    [{ channels: 1025 }, 'channels: expected an integer from 1 to 1024, got 1025'],
    [{ channels: 2.5 }, 'channels: expected an integer from 1 to 1024, got 2.5'],
    [{ sampleRateHz: 500 }, 'sampleRateHz: expected a finite number from 1000 to 100000, got 500'],
    [{ mainsHz: 55 as 50 }, 'mainsHz: expected one of 50, 60, got 55'],
    [{ seed: -1 }, 'seed: expected an integer ≥ 0, got -1'],
    [{ noiseUvRms: [10, 5] as [number, number] }, 'noiseUvRms[1]: expected a finite number ≥ 10, got 5'],
    [{ lfp: [{ frequencyHz: 20000, bandwidthHz: 2, amplitudeUv: 5 }] }, 'lfp[0].frequencyHz: expected a finite number > 0 and ≤ 15000, got 20000'],
  ])('rejects %o', (options, message) => {
    expect(() => sim(options)).toThrow(InvalidOptionError);
    expect(() => sim(options)).toThrow(message);
  });

  it('supports 1024 channels', () => {
    const block = sim({ channels: 1024 }).read(30, 0);
    expect(block.data).toHaveLength(1024 * 30);
    expect(block.info.channelNames[1023]).toBe('ch1024');
  });
});
