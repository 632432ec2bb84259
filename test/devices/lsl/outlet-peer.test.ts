/**
 * neurostream's outlet read by liblsl 1.17.7's inlet (the lsl-peer `receive` command), on loopback.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lslClock } from '../../../devices/lsl/lsl-clock.js';
import { lslConfigFromIni } from '../../../devices/lsl/lsl-config.js';
import { openLslOutlet } from '../../../devices/lsl/outlet.js';
import { DEDUCED_TIMESTAMP } from '../../../devices/lsl/sample-codec.js';
import { channelsDesc, type LslChannelFormat } from '../../../devices/lsl/stream-info.js';
import { collectInlet } from '../../helpers/lsl-collect.js';
import { LOOPBACK_INI, runPeer, writePeerCfg } from '../../helpers/lsl-peer.js';

const config = lslConfigFromIni(LOOPBACK_INI, 'test loopback settings');
const dir = mkdtempSync(join(tmpdir(), 'ns-lsl-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Our value for channel c of sample i, exact in every format (int8 stays within ±127). */
function ourValue(format: LslChannelFormat, i: number, c: number): number {
  if (format === 'int8') return ((i * 3 + c * 5) % 250) - 125;
  if (format === 'int64') return (i * 7919 + c) * 1_000_003 - 2 ** 40;
  if (format === 'float32') return Math.fround(((i * 7 + c * 13) % 1000) - 500 + 0.25 * c);
  if (format === 'int16' || format === 'int32') return ((i * 7 + c * 13) % 1000) * 4 - 2000;
  return ((i * 7 + c * 13) % 1000) - 500 + 0.125 * c + 1e-9 * i;
}

interface SendOptions {
  /** liblsl config for the peer (default: loopback.cfg). */
  peerCfg?: string;
  /** Settings for our outlet (default: the loopback settings). */
  outletConfig?: typeof config;
  /** Our outlet's clock runs this far ahead of the machine's LSL clock. */
  clockOffsetS?: number;
  /** Also read the outlet with our own inlet; its events land in `ours`. */
  ourInlet?: boolean;
  tag?: string;
}

async function sendToPeer(format: LslChannelFormat, channels: number, rateHz: number, total: number, chunk: number, deduce: boolean, opts: SendOptions = {}) {
  const name = `ns-out-${format}-${chunk}-${rateHz}${opts.tag ?? ''}-${process.pid}`;
  const labels = Array.from({ length: channels }, (_, c) => ({ label: `C${c + 1}`, unit: 'microvolts', type: 'EEG' }));
  const offset = opts.clockOffsetS ?? 0;
  const clock = (): number => lslClock() + offset;
  const outlet = await openLslOutlet({ config: opts.outletConfig ?? config, name, type: 'EEG', channelCount: channels, nominalSrateHz: rateHz, channelFormat: format, sourceId: `ns-test-${format}`, desc: channelsDesc(labels), clock });
  const csv = join(dir, `${name}.csv`);
  const peer = runPeer(['receive', name, '--samples', String(total), '--seconds', '30', '--timeout-s', '15', '--out', csv], opts.peerCfg);
  const ours = opts.ourInlet ? collectInlet({ config, predicate: `name='${name}'`, recover: false, resolveTimeoutMs: 15_000 }, total) : undefined;
  try {
    expect(await outlet.waitForConsumers(20_000)).toBe(true);
    if (opts.ourInlet) while (outlet.consumers < 2) await new Promise((r) => setTimeout(r, 20));
    // The peer's inlet measures its clock offset once it is connected: give it that time.
    if (offset !== 0) await new Promise((r) => setTimeout(r, 300));
    const sentTs: number[] = [];
    const period = rateHz > 0 ? 1 / rateHz : 0.01;
    const t0 = clock();
    for (let i = 0; i < total; i += chunk) {
      const n = Math.min(chunk, total - i);
      const ts: number[] = [];
      const values: (number | string)[] = [];
      for (let k = 0; k < n; k++) {
        const t = t0 + (i + k) * period;
        sentTs.push(deduce && k > 0 ? sentTs[sentTs.length - 1]! + period : t);
        ts.push(deduce && k > 0 ? DEDUCED_TIMESTAMP : t);
        for (let c = 0; c < channels; c++) values.push(format === 'string' ? `m${i + k}-${c}${'é'.repeat(c)}` : ourValue(format, i + k, c));
      }
      outlet.push(ts, values as number[] | string[]);
      const wait = (t0 + (i + n) * period - clock()) * 1000;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const [header] = (await peer.result) as [Record<string, unknown>];
    const rows = readFileSync(csv, 'utf8').trim().split('\n').map((l) => l.split(','));
    return { header, rows, sentTs, outlet, ours: ours ? await ours : undefined };
  } finally {
    await outlet.close();
  }
}

describe('LSL outlet read by liblsl (lsl-peer receive)', () => {
  for (const format of ['float32', 'double64', 'int32', 'int16', 'int8', 'int64', 'string'] as const) {
    for (const chunk of [1, 32]) {
      it(`${format}, chunks of ${chunk}, 4 channels at 250 Hz: header, every value, timestamps within 1 ms`, async () => {
        const total = 128;
        const { header, rows, sentTs } = await sendToPeer(format, 4, 250, total, chunk, chunk > 1);
        expect(header).toMatchObject({ type: 'EEG', channel_count: 4, nominal_srate: 250, channel_format: format, samples: total, labels: ['C1', 'C2', 'C3', 'C4'] });
        expect(rows.length).toBe(total);
        for (let i = 0; i < total; i++) {
          const row = rows[i]!;
          // liblsl adds its time correction (≈ 0 on one machine) only when asked; the raw stamps are ours.
          expect(Math.abs(Number(row[0]) - sentTs[i]!)).toBeLessThan(1e-3);
          for (let c = 0; c < 4; c++) {
            if (format === 'string') expect(JSON.parse(row[c + 1]!)).toBe(`m${i}-${c}${'é'.repeat(c)}`);
            else expect(Number(row[c + 1])).toBe(ourValue(format, i, c));
          }
        }
        expect(Math.abs(Number(header.time_correction))).toBeLessThan(1e-3);
      });
    }
  }

  it('30 kHz × 32 channels float32 in chunks of 32: all 30000 samples, every value', async () => {
    const { header, rows } = await sendToPeer('float32', 32, 30000, 30000, 32, true);
    expect(header.samples).toBe(30000);
    let wrong = 0;
    for (let i = 0; i < 30000; i++) for (let c = 0; c < 32; c++) if (Number(rows[i]![c + 1]) !== ourValue('float32', i, c)) wrong++;
    expect(wrong).toBe(0);
  });

  it('rate 0 (markers): each string once, with its timestamp', async () => {
    const { header, rows, sentTs } = await sendToPeer('string', 1, 0, 40, 1, false);
    expect(header).toMatchObject({ nominal_srate: 0, samples: 40 });
    expect(rows.map((r) => JSON.parse(r[1]!))).toEqual(Array.from({ length: 40 }, (_, i) => `m${i}-0`));
    rows.forEach((r, i) => expect(Math.abs(Number(r[0]) - sentTs[i]!)).toBeLessThan(1e-3));
  });
});

describe('LSL outlet and liblsl on data protocol 100 (the portable archive)', () => {
  const peer100 = writePeerCfg(dir, 'proto100.cfg', '[tuning]\nUseProtocolVersion = 100');
  for (const format of ['float32', 'double64', 'int32', 'int16', 'int8', 'int64', 'string'] as const) {
    for (const chunk of [1, 32]) {
      it(`liblsl configured for protocol 100 reads our outlet: ${format}, chunks of ${chunk}, every value, timestamps within 1 ms`, async () => {
        const total = 96;
        const { header, rows, sentTs } = await sendToPeer(format, 3, 250, total, chunk, chunk > 1, { peerCfg: peer100, tag: '-p100' });
        expect(header).toMatchObject({ channel_format: format, samples: total, labels: ['C1', 'C2', 'C3'] });
        expect(rows.length).toBe(total);
        for (let i = 0; i < total; i++) {
          expect(Math.abs(Number(rows[i]![0]) - sentTs[i]!)).toBeLessThan(1e-3);
          for (let c = 0; c < 3; c++) {
            if (format === 'string') expect(JSON.parse(rows[i]![c + 1]!)).toBe(`m${i}-${c}${'é'.repeat(c)}`);
            else expect(Number(rows[i]![c + 1])).toBe(ourValue(format, i, c));
          }
        }
      });
    }
  }

  it('our outlet configured for protocol 100 (its info says 1.00): liblsl 1.17 with default settings reads it through the archive', async () => {
    const outletConfig = lslConfigFromIni(`${LOOPBACK_INI}\n[tuning]\nUseProtocolVersion = 100\n`, 'test loopback settings, protocol 100');
    const { header, rows } = await sendToPeer('double64', 2, 250, 64, 8, true, { outletConfig, tag: '-o100' });
    expect(header.samples).toBe(64);
    rows.forEach((r, i) => expect([Number(r[1]), Number(r[2])]).toEqual([ourValue('double64', i, 0), ourValue('double64', i, 1)]));
  });
});

describe('clock offset', () => {
  it('an outlet clock 5 s ahead: liblsl and our inlet both measure −5 s, and their corrected timestamps agree with the true push times within 1 ms', async () => {
    const total = 250;
    const { header, rows, sentTs, ours } = await sendToPeer('float32', 2, 250, total, 10, true, { clockOffsetS: 5, ourInlet: true, tag: '-clk' });
    // liblsl's own inlet
    expect(Number(header.time_correction)).toBeGreaterThan(-5.001);
    expect(Number(header.time_correction)).toBeLessThan(-4.999);
    const liblslCorrected = rows.map((r) => Number(r[0]) + Number(header.time_correction));
    // ours
    expect(ours!.timestamps.length).toBe(total);
    expect(ours!.corrections.length).toBeGreaterThan(0);
    for (const c of ours!.corrections) expect(Math.abs(c + 5)).toBeLessThan(1e-3);
    for (let i = 0; i < total; i++) {
      const truePush = sentTs[i]! - 5;
      expect(Math.abs(Number(rows[i]![0]) - sentTs[i]!)).toBeLessThan(1e-6); // raw stamps on the outlet's clock
      expect(Math.abs(liblslCorrected[i]! - truePush)).toBeLessThan(1e-3);
      expect(Math.abs(ours!.timestamps[i]! - truePush)).toBeLessThan(1e-3);
      expect(Math.abs(ours!.timestamps[i]! - liblslCorrected[i]!)).toBeLessThan(1e-3);
    }
  });
});
