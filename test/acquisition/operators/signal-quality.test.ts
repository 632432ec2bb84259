/**
 * Signal quality per channel: railed, flat and line noise — on the real Jordan OpenBCI recording
 * (../shared/data/eeg/openbci, whose EXG3, 5, 6 and 8 sit at the rail for its first seconds and
 * then read 0, and whose EXG1 and 2 rail near its end) and on synthetic edge cases.
 */
import { fileURLToPath } from 'node:url';
import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { leadOffAmplitudeUv, leadOffImpedanceOhms, toneAmplitude } from '../../../acquisition/kernels/lead-off-impedance.js';
import { type SignalQualityReport, channelFullScale, signalQuality, signalQualityMarkers } from '../../../acquisition/operators/signal-quality.js';
import { InvalidOptionError, type SampleBlock, createSampleBlock, createStreamInfo } from '../../../core/index.js';
import { EegSimulator } from '../../../devices/simulators/eeg-simulator.js';
import { IntracorticalSimulator } from '../../../devices/simulators/intracortical-simulator.js';
import { readOpenBciText } from '../../../recordings/import/openbci-text.js';
import { sharedData } from '../../helpers/shared-data.js';

const JORDAN = fileURLToPath(sharedData('eeg/openbci/OpenBCI_2016-02-13_Jordan_focus.txt'));

const info = (channels: number, fs: number, adcScale = 0.02235174445530706, adcBits: number | null = 24) =>
  createStreamInfo({
    ...(adcBits !== null ? { adcBits } : {}),
    id: 'synthetic',
    device: { name: 'test', model: 'test', serial: '' },
    channelNames: Array.from({ length: channels }, (_, c) => `ch${c + 1}`),
    channelKinds: 'eeg',
    units: 'uV',
    sampleRateHz: fs,
    adcScale,
    startTime: '2026-01-01T00:00:00.000Z',
  });

/** Channel-major signal cut into blocks of `per` samples. */
function blocks(rows: Float32Array[], fs: number, per: number, gapAt?: number, streamInfo = info(rows.length, fs)): SampleBlock[] {
  const i = streamInfo;
  const n = rows[0]!.length;
  const out: SampleBlock[] = [];
  for (let first = 0; first < n; first += per) {
    const len = Math.min(per, n - first);
    const data = new Float32Array(rows.length * len);
    rows.forEach((r, c) => data.set(r.subarray(first, first + len), c * len));
    const gap = gapAt !== undefined && first === gapAt ? { missing: 10 } : undefined;
    out.push(createSampleBlock({ info: i, first: gapAt !== undefined && first >= gapAt ? first + 10 : first, length: len, data, hostTime: 0, ...(gap ? { gap } : {}) }));
  }
  return out;
}

const signal = (fs: number, seconds: number, f: (t: number) => number): Float32Array => Float32Array.from({ length: Math.round(fs * seconds) }, (_, k) => f(k / fs));

const reports = (bs: SampleBlock[], mainsHz: 50 | 60 = 60): Promise<SignalQualityReport[]> => firstValueFrom(from(bs).pipe(signalQuality({ mainsHz }), toArray()));

/** Status of each channel in the report whose window covers second `s`. */
const at = (rs: SignalQualityReport[], s: number): string[] => {
  const r = rs.find((x) => x.windowStart / x.sampleRateHz <= s && x.sample / x.sampleRateHz > s)!;
  return r.channels.map((q) => `${q.channel} ${q.status}`);
};

describe('signal quality on the Jordan OpenBCI recording', () => {
  const rec = readOpenBciText(JORDAN);
  const stream = rec.streams[0]!;

  it('full scale of a Cyton channel at gain 24 is 187 500 µV (from adcScale × 2^23)', () => {
    expect(channelFullScale(stream.info, 0)).toBeCloseTo(187500, 0);
    expect(channelFullScale(stream.info, 0, 16)).toBeCloseTo(732.4, 0);
  });

  it('railed channels at the start, flat ones after, EXG1/EXG2 railed at the end', async () => {
    const rs = await firstValueFrom(from(stream.blocks()).pipe(signalQuality({ mainsHz: 60 }), toArray()));
    // Only the 8 EXG channels are judged (the accelerometer is not neural).
    expect(rs[0]!.channels.map((q) => q.channel)).toEqual(['EXG1', 'EXG2', 'EXG3', 'EXG4', 'EXG5', 'EXG6', 'EXG7', 'EXG8']);
    const first = at(rs, 0.5);
    for (const c of [3, 5, 6, 8]) expect(first).toContain(`EXG${c} railed`);
    for (const c of [1, 2]) expect(first).not.toContain(`EXG${c} railed`);
    const middle = at(rs, 40.5);
    for (const c of [3, 4, 5, 6, 7, 8]) expect(middle).toContain(`EXG${c} flat`);
    for (const c of [1, 2]) expect(middle.find((s) => s.startsWith(`EXG${c} `))).not.toMatch(/railed|flat/);
    const end = at(rs, 121.5);
    expect(end).toContain('EXG1 railed');
    expect(end).toContain('EXG2 railed');
    // A railed channel reads its peak as a fraction of full scale.
    const r0 = rs.find((r) => r.windowStart === 0)!;
    expect(r0.channels[2]!.peakFraction).toBeGreaterThanOrEqual(0.99);
    expect(r0.channels[0]!.peakFraction).toBeLessThan(0.1);
  });

  it('markers where a channel changes: EXG3 railed at sample 0, then EXG3 flat, EXG1 railed near the end', async () => {
    const markers = await firstValueFrom(from(stream.blocks()).pipe(signalQuality({ mainsHz: 60 }), signalQualityMarkers(), toArray()));
    expect(markers.every((m) => m.type === 'signal-quality')).toBe(true);
    expect(markers.find((m) => m.value === 'EXG3 railed')!.sample).toBe(0);
    const flat = markers.find((m) => m.value === 'EXG3 flat')!;
    expect(flat.sample / 250).toBeGreaterThan(10);
    expect(flat.sample / 250).toBeLessThan(20);
    const railed1 = markers.filter((m) => m.value === 'EXG1 railed').at(-1)!;
    expect(railed1.sample / 250).toBeGreaterThan(105);
    // Only changes are marked: no two consecutive markers of a channel say the same.
    const byChannel = new Map<string, string[]>();
    for (const m of markers) {
      const [ch, status] = String(m.value).split(' ') as [string, string];
      byChannel.set(ch, [...(byChannel.get(ch) ?? []), status]);
    }
    for (const list of byChannel.values()) for (let i = 1; i < list.length; i++) expect(list[i]).not.toBe(list[i - 1]);
  });
});

describe('signal quality on synthetic signals', () => {
  const fs = 250;
  const rec = readOpenBciText(JORDAN);

  it('railed at 90 % of full scale, not at 89 %', async () => {
    const full = 0.02235174445530706 * 2 ** 23;
    // Every 10th sample at the level, the rest a 10 Hz sine well below it.
    const level = (f: number) => signal(fs, 2, (t) => (Math.round(t * fs) % 10 === 0 ? f * full : 1000 * Math.sin(2 * Math.PI * 10 * t)));
    const rs = await reports(blocks([level(0.9001), level(0.8999)], fs, 32));
    expect(rs[0]!.channels.map((q) => q.status)).toEqual(['railed', 'ok']);
  });

  it('full scale from the stream’s ADC bit depth: an Intan RHX stream (16 bits of 0.195 µV) rails at 90 % of 6390 µV', async () => {
    const intan = info(2, fs, 0.195, 16);
    expect(channelFullScale(intan, 0)).toBeCloseTo(0.195 * 2 ** 15, 6);
    // 6 mV peaks: railed for a 16-bit amplifier (94 % of its range), though a 24-bit guess would call them 0.4 %.
    const peaks = (uV: number) => signal(fs, 2, (t) => (Math.round(t * fs) % 10 === 0 ? uV : 100 * Math.sin(2 * Math.PI * 10 * t)));
    const rs = await reports(blocks([peaks(6000), peaks(5000)], fs, 32, undefined, intan));
    expect(rs[0]!.channels.map((q) => q.status)).toEqual(['railed', 'ok']);
    expect(rs[0]!.channels[0]!.peakFraction).toBeCloseTo(6000 / (0.195 * 2 ** 15), 3);
    // A stream that does not say its bit depth: no full scale is assumed (never railed), unless the caller gives one.
    const unsaid = info(1, fs, 0.195, null);
    expect(channelFullScale(unsaid, 0)).toBe(0);
    const none = await reports(blocks([peaks(6000)], fs, 32, undefined, unsaid));
    expect(none[0]!.channels[0]).toMatchObject({ status: 'ok', peakFraction: null });
    expect(channelFullScale(unsaid, 0, 16)).toBeCloseTo(6389.76, 2);
  });

  it('each source says its ADC bit depth: Cyton 24 (accelerometer 16), the simulators 24 (EEG) and 16 (intracortical)', () => {
    expect(rec.streams[0]!.info.adcBits).toEqual([24, 24, 24, 24, 24, 24, 24, 24, 16, 16, 16]);
    expect(new EegSimulator({ channels: 8 }).info.adcBits).toEqual(new Array(8).fill(24));
    expect(new IntracorticalSimulator({ channels: 2 }).info.adcBits).toEqual([16, 16]);
    expect(() => info(1, fs, 0.195, 17.5)).toThrow(/StreamInfo.adcBits\[0\]: expected a whole number of bits, 2–32 \(0: unknown\), got 17.5/);
  });

  it('flat after a second without change (0.9 s is not), a gap restarts the count', async () => {
    const noise = (t: number) => 10 * Math.sin(2 * Math.PI * 10 * t) + 3 * Math.sin(2 * Math.PI * 17 * t);
    const rows = [signal(fs, 3, (t) => (t >= 1.9 ? 5 : noise(t))), signal(fs, 3, (t) => (t >= 2.1 ? 5 : noise(t)))];
    const rs = await reports(blocks(rows, fs, 25));
    expect(rs.map((r) => r.channels.map((q) => q.status))).toEqual([
      ['ok', 'ok'],
      ['ok', 'ok'],
      ['flat', 'ok'],
    ]);
    expect(rs[2]!.channels[0]!.flatS).toBeCloseTo(1.1, 1);
    // The same signal with 10 samples lost at 2.5 s: neither run reaches a second after the gap.
    const gapped = await reports(blocks(rows, fs, 25, 625));
    expect(gapped.at(-1)!.channels.map((q) => q.status)).toEqual(['ok', 'ok']);
  });

  it('line noise is the mains frequency given: 60 Hz hum flagged with mainsHz 60, not with 50', async () => {
    const hum = signal(fs, 2, (t) => 20 * Math.sin(2 * Math.PI * 10 * t) + 100 * Math.sin(2 * Math.PI * 60 * t) + 4000);
    const clean = signal(fs, 2, (t) => 20 * Math.sin(2 * Math.PI * 10 * t) + 2 * Math.sin(2 * Math.PI * 60 * t) + 4000);
    const r60 = await reports(blocks([hum, clean], fs, 50), 60);
    expect(r60.map((r) => r.channels.map((q) => q.status))).toEqual([
      ['line-noise', 'ok'],
      ['line-noise', 'ok'],
    ]);
    expect(r60[1]!.channels[0]!.lineNoiseDb!).toBeGreaterThan(5);
    // The 4000 µV offset does not ring the filters: the clean channel's first window is well below 0 dB.
    expect(r60[0]!.channels[1]!.lineNoiseDb!).toBeLessThan(-20);
    const r50 = await reports(blocks([hum, clean], fs, 50), 50);
    expect(r50[1]!.channels.map((q) => q.status)).toEqual(['ok', 'ok']);
  });

  it('the reports do not depend on block sizes', async () => {
    const x = signal(fs, 4, (t) => 30 * Math.sin(2 * Math.PI * 9 * t) + 40 * Math.sin(2 * Math.PI * 50 * t) + (t > 2.5 ? 0 : 1));
    const y = signal(fs, 4, (t) => (t > 1.2 ? 7 : 15 * Math.sin(2 * Math.PI * 3 * t)));
    const a = await reports(blocks([x, y], fs, 7), 50);
    const b = await reports(blocks([x, y], fs, 1000), 50);
    expect(a).toHaveLength(4);
    expect(a.map((r) => r.channels.map((q) => q.status))).toEqual(b.map((r) => r.channels.map((q) => q.status)));
    a.forEach((r, k) => r.channels.forEach((q, c) => expect(q.lineNoiseDb!).toBeCloseTo(b[k]!.channels[c]!.lineNoiseDb!, 6)));
  });

  it('refuses a rate too low to see the mains and a mains frequency other than 50/60', async () => {
    await expect(reports(blocks([signal(100, 2, () => 1)], 100, 50), 60)).rejects.toThrow(/sampleRateHz.*above 124 Hz/);
    expect(() => signalQuality({ mainsHz: 55 as 50 })).toThrow(InvalidOptionError);
  });
});

describe('lead-off impedance', () => {
  const cyton = { driveCurrentA: 6e-9, seriesResistanceOhms: 2200 };

  it('the OpenBCI GUI formula: 10 kΩ gives 73.2 µV peak, and back', () => {
    expect(leadOffAmplitudeUv(10000, cyton)).toBeCloseTo(73.2, 6);
    expect(leadOffImpedanceOhms(73.2, cyton)).toBeCloseTo(10000, 6);
    expect(leadOffImpedanceOhms(5, cyton)).toBe(0);
  });

  it('31.25 Hz amplitude in EEG-like noise, mains and a DC offset: within 2 %', () => {
    const fs = 250;
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 2;
    const x = signal(fs, 2, (t) => 5000 + 73.2 * Math.sin(2 * Math.PI * 31.25 * t + 0.3) + 40 * Math.sin(2 * Math.PI * 60 * t) + 20 * Math.sin(2 * Math.PI * 10 * t) + 10 * rand());
    const a = toneAmplitude(x, 0, x.length, 31.25, fs);
    expect(a).toBeGreaterThan(73.2 * 0.98);
    expect(a).toBeLessThan(73.2 * 1.02);
    expect(() => toneAmplitude(x, 0, 2, 31.25, fs)).toThrow(/at least 4 samples/);
  });
});
