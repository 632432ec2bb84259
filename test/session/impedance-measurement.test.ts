/**
 * measureImpedance over a stream of blocks and a device that drives a lead-off tone into the rows
 * whose current is on (the module `neurostream impedance` and the dashboard's measure-impedance
 * share): the formula's impedance per channel, the current turned off after each, a gap restarting
 * a channel's window, a stream that ends mid-measurement failing it with the current off, and
 * channels the stream does not have refused naming the option.
 */
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createSampleBlock, type SampleBlock } from '../../core/index.js';
import { CYTON_LEAD_OFF, type LeadOffSetting } from '../../devices/index.js';
import { ImpedanceMeasurementError, measureImpedance, parseChannelList, type LeadOffDevice } from '../../session/index.js';
import { testStreamInfo } from '../helpers/stream-info.js';

const RATE = 250;
const info = testStreamInfo({
  channelNames: ['EXG1', 'EXG2', 'EXG3', 'AccelX'],
  channelKinds: ['eeg', 'eeg', 'eeg', 'accel'],
  units: ['uV', 'uV', 'uV', 'g'],
  sampleRateHz: RATE,
});

/** A board: 25-sample blocks every ms of wall time; a row carries (Z + 2.2 kΩ) × 6 nA at 31.25 Hz while its current is on. */
function board(kohm: readonly number[], options: { gapAt?: number } = {}) {
  const blocks$ = new Subject<SampleBlock>();
  const on = new Set<number>();
  const commands: string[] = [];
  let next = 0;
  let gapDone = false;
  const timer = setInterval(() => {
    const n = 25;
    const data = new Float32Array(info.channelNames.length * n);
    for (let i = 0; i < n; i++) {
      const t = (next + i) / RATE;
      for (let c = 0; c < 3; c++) {
        const tone = on.has(c + 1) ? (kohm[c]! * 1000 + CYTON_LEAD_OFF.seriesResistanceOhms) * CYTON_LEAD_OFF.driveCurrentA * 1e6 * Math.sin(2 * Math.PI * CYTON_LEAD_OFF.frequencyHz * t) : 0;
        data[c * n + i] = 10 * Math.sin(2 * Math.PI * 10 * t) + 40 * Math.sin(2 * Math.PI * 60 * t + c) + 5000 + tone;
      }
    }
    let gap: { missing: number } | undefined;
    if (options.gapAt !== undefined && !gapDone && next >= options.gapAt) {
      gapDone = true;
      gap = { missing: 3 };
      next += 3;
    }
    blocks$.next(createSampleBlock({ info, first: next, length: n, data, hostTime: 0, ...(gap ? { gap } : {}) }));
    next += n;
  }, 1);
  const device: LeadOffDevice = {
    leadOff: CYTON_LEAD_OFF,
    setLeadOff: (channel: number, setting: LeadOffSetting) => {
      commands.push(`${channel}${setting.positive ? 'on' : 'off'}`);
      if (setting.positive) on.add(channel);
      else on.delete(channel);
      return Promise.resolve();
    },
  };
  return { blocks$, device, commands, on, stop: () => clearInterval(timer), end: () => blocks$.complete() };
}

describe('measureImpedance', () => {
  it('gives each channel’s configured impedance within 2 %, turning each current on then off, in order', async () => {
    const b = board([5, 120, 1500]);
    try {
      const progress: string[] = [];
      const results = await measureImpedance(b.blocks$, b.device, { channels: [1, 2, 3], seconds: 2, onProgress: (p) => progress.push(`${p.name} ${p.index + 1}/${p.of}`) });
      expect(results.map((r) => r.name)).toEqual(['EXG1', 'EXG2', 'EXG3']);
      results.forEach((r, k) => expect(Math.abs(r.impedanceKohm - [5, 120, 1500][k]!) / [5, 120, 1500][k]!).toBeLessThan(0.02));
      expect(progress).toEqual(['EXG1 1/3', 'EXG2 2/3', 'EXG3 3/3']);
      expect(b.commands).toEqual(['1on', '1off', '2on', '2off', '3on', '3off']);
      expect(b.on.size).toBe(0);
    } finally {
      b.stop();
    }
  });

  it('starts a channel’s window again after a gap (the current on again), and still measures it', async () => {
    const b = board([30, 30, 30], { gapAt: 200 });
    try {
      const results = await measureImpedance(b.blocks$, b.device, { channels: [1], seconds: 2 });
      expect(b.commands).toEqual(['1on', '1on', '1off']);
      expect(Math.abs(results[0]!.impedanceKohm - 30) / 30).toBeLessThan(0.02);
    } finally {
      b.stop();
    }
  });

  it('fails with one clear error when the stream ends mid-measurement, and turns the current off', async () => {
    const b = board([30, 30, 30]);
    setTimeout(() => {
      b.stop();
      b.end();
    }, 150);
    const error = await measureImpedance(b.blocks$, b.device, { channels: [1, 2, 3], seconds: 60 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImpedanceMeasurementError);
    expect((error as Error).message).toBe('the stream ended during the impedance measurement');
    expect(b.commands).toEqual(['1on', '1off']);
    expect(b.on.size).toBe(0);
  });

  it('refuses a channel the stream does not have, naming the option and the count, before any current is on', async () => {
    const b = board([30, 30, 30]);
    try {
      const error = await measureImpedance(b.blocks$, b.device, { channels: [2, 4], seconds: 1, channelsOption: '--channels' }).catch((e: unknown) => e);
      expect((error as Error).message).toBe('--channels: expected channels 1–3 (the test streaming has 3), got 4');
      expect(b.commands).toEqual([]);
    } finally {
      b.stop();
    }
    expect(parseChannelList('channels', '2-4,7')).toEqual([2, 3, 4, 7]);
    expect(() => parseChannelList('channels', '0-3', 8)).toThrow(/channels: expected channel numbers 1–8/);
  });
});
