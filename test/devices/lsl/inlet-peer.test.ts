/**
 * neurostream's inlet against liblsl 1.17.7's outlet (the lsl-peer `send` command), on loopback.
 */
import { describe, expect, it } from 'vitest';
import { lslInlet, type LslInletEvent } from '../../../devices/lsl/inlet.js';
import { lslConfigFromIni } from '../../../devices/lsl/lsl-config.js';
import { LOOPBACK_INI, peerValue, runPeer } from '../../helpers/lsl-peer.js';

const config = lslConfigFromIni(LOOPBACK_INI, 'test loopback settings');

interface Received {
  timestamps: number[];
  values: number[];
  strings: string[];
  deduced: number;
  corrections: number[];
}

/** Runs the peer's outlet and our inlet until `expected` samples arrived. */
async function receiveFromPeer(name: string, args: string[], expected: number, inletExtra: Partial<Parameters<typeof lslInlet>[0]> = {}) {
  const peer = runPeer(['send', name, '--wait-s', '20', ...args]);
  const got: Received = { timestamps: [], values: [], strings: [], deduced: 0, corrections: [] };
  let info: Extract<LslInletEvent, { kind: 'connected' }>['info'] | undefined;
  let feed: Extract<LslInletEvent, { kind: 'connected' }>['feed'] | undefined;
  const events = lslInlet({ config, predicate: `name='${name}'`, recover: false, resolveTimeoutMs: 15_000, ...inletExtra });
  await new Promise<void>((resolve, reject) => {
    const sub = events.subscribe({
      next: (e) => {
        if (e.kind === 'connected') {
          info = e.info;
          feed = e.feed;
        }
        if (e.kind === 'correction') got.corrections.push(e.correction.correctionS);
        if (e.kind === 'samples') {
          got.timestamps.push(...e.batch.timestamps);
          for (const v of e.batch.values) got.values.push(v);
          got.strings.push(...e.batch.strings);
          got.deduced += e.batch.deduced;
          if (got.timestamps.length >= expected) {
            sub.unsubscribe();
            resolve();
          }
        }
      },
      error: reject,
      complete: () => resolve(),
    });
  });
  const [summary] = await peer.result;
  return { got, info: info!, feed: feed!, summary: summary as { sent: number; first_ts: number; last_ts: number } };
}

const FORMATS = ['float32', 'double64', 'int32', 'int16', 'string'] as const;

describe('LSL inlet against liblsl (lsl-peer send)', () => {
  for (const format of FORMATS) {
    for (const chunk of [1, 32]) {
      it(`${format}, chunks of ${chunk}, 8 channels at 250 Hz: every value, no sample lost or duplicated, timestamps within 1 ms`, async () => {
        const name = `ns-in-${format}-${chunk}-${process.pid}`;
        const { got, info, feed, summary } = await receiveFromPeer(name, ['--format', format, '--channels', '8', '--rate', '250', '--seconds', '1', '--chunk', String(chunk)], 250);
        expect(summary.sent).toBe(250);
        expect(feed.littleEndian).toBe(true);
        expect(info.channelFormat).toBe(format);
        expect(info.nominalSrateHz).toBe(250);
        expect(got.timestamps.length).toBe(250);
        for (let i = 0; i < 250; i++) {
          for (let c = 0; c < 8; c++) {
            const v = peerValue(i, c);
            if (format === 'string') expect(got.strings[i * 8 + c]).toBe(`m${i}`);
            else if (format === 'float32') expect(got.values[i * 8 + c]).toBe(Math.fround(v));
            else if (format === 'double64') expect(got.values[i * 8 + c]).toBe(v);
            else expect(got.values[i * 8 + c]).toBe(Math.trunc(v * 4));
          }
        }
        // Same machine, same monotonic clock: after correction our timestamps are the peer's within 1 ms.
        expect(got.corrections.length).toBeGreaterThan(0);
        expect(Math.abs(got.timestamps[0]! - summary.first_ts)).toBeLessThan(1e-3);
        expect(Math.abs(got.timestamps[249]! - summary.last_ts)).toBeLessThan(1e-3);
        for (let i = 1; i < 250; i++) expect(got.timestamps[i]! - got.timestamps[i - 1]!).toBeCloseTo(1 / 250, 6);
      });
    }
  }
});

describe('LSL inlet against liblsl: rates, byte order, markers', () => {
  it('30 kHz × 32 channels float32 in chunks of 32: all 30000 samples, every value', async () => {
    const name = `ns-in-30k-${process.pid}`;
    const { got, summary } = await receiveFromPeer(name, ['--format', 'float32', '--channels', '32', '--rate', '30000', '--seconds', '1', '--chunk', '32'], 30000);
    expect(summary.sent).toBe(30000);
    expect(got.timestamps.length).toBe(30000);
    let wrong = 0;
    for (let i = 0; i < 30000; i++) for (let c = 0; c < 32; c++) if (got.values[i * 32 + c] !== Math.fround(peerValue(i, c))) wrong++;
    expect(wrong).toBe(0);
    expect(Math.abs(got.timestamps[29999]! - summary.last_ts)).toBeLessThan(1e-3);
  });

  it('big-endian values when the inlet asks for its byte order (the outlet converts): every value', async () => {
    const name = `ns-in-be-${process.pid}`;
    const { got, feed } = await receiveFromPeer(name, ['--format', 'double64', '--channels', '4', '--rate', '250', '--seconds', '0.4', '--chunk', '1'], 100, { requestBigEndian: true });
    expect(feed.littleEndian).toBe(false);
    expect(feed.dataProtocolVersion).toBe(110);
    expect(got.timestamps.length).toBe(100);
    for (let i = 0; i < 100; i++) for (let c = 0; c < 4; c++) expect(got.values[i * 4 + c]).toBe(peerValue(i, c));
  });

  it('rate 0 (markers, string): each marker once with its own timestamp', async () => {
    const name = `ns-in-markers-${process.pid}`;
    // The peer sends an irregular stream every 10 ms when --rate is 0.
    const { got, info, summary } = await receiveFromPeer(name, ['--format', 'string', '--channels', '1', '--rate', '0', '--seconds', '0.5', '--chunk', '1'], 50);
    expect(info.nominalSrateHz).toBe(0);
    expect(summary.sent).toBe(50);
    expect(got.strings).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(Math.abs(got.timestamps[0]! - summary.first_ts)).toBeLessThan(1e-3);
    expect(Math.abs(got.timestamps[49]! - summary.last_ts)).toBeLessThan(1e-3);
  });
});

describe('LSL inlet against liblsl: subnormal negotiation', () => {
  it('an inlet without subnormal support is told to suppress them (float32)', async () => {
    const name = `ns-in-subn-${process.pid}`;
    const { got, feed } = await receiveFromPeer(name, ['--format', 'float32', '--channels', '2', '--rate', '250', '--seconds', '0.2', '--chunk', '1'], 50, { noSubnormals: true });
    expect(feed.suppressSubnormals).toBe(true);
    expect(got.values.slice(0, 4)).toEqual([peerValue(0, 0), peerValue(0, 1), peerValue(1, 0), peerValue(1, 1)].map(Math.fround));
  });
});
