/**
 * neurostream's inlet against liblsl 1.17.7's outlet (the lsl-peer `send` command), on loopback.
 */
import { describe, expect, it } from 'vitest';
import type { lslInlet } from '../../../devices/lsl/inlet.js';
import { lslConfigFromIni } from '../../../devices/lsl/lsl-config.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { collectInlet } from '../../helpers/lsl-collect.js';
import { ctypesPeerValue, LOOPBACK_INI, peerValue, runCtypesPeer, runPeer, writePeerCfg } from '../../helpers/lsl-peer.js';

const config = lslConfigFromIni(LOOPBACK_INI, 'test loopback settings');
const dir = mkdtempSync(join(tmpdir(), 'ns-lsl-in-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** liblsl settings: loopback, and data protocol 100 at most. */
const peer100 = writePeerCfg(dir, 'proto100.cfg', '[tuning]\nUseProtocolVersion = 100');

/** Runs the peer's outlet and our inlet until `expected` samples arrived. */
async function receiveFromPeer(name: string, args: string[], expected: number, inletExtra: Partial<Parameters<typeof lslInlet>[0]> = {}, peerCfg?: string) {
  const peer = runPeer(['send', name, '--wait-s', '20', ...args], peerCfg);
  const got = await collectInlet({ config, predicate: `name='${name}'`, recover: false, resolveTimeoutMs: 15_000, ...inletExtra }, expected);
  const [summary] = await peer.result;
  return { got, info: got.info!, feed: got.feed!, summary: summary as { sent: number; first_ts: number; last_ts: number } };
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

/** Checks what liblsl's outlet sent: every value, count, spacing, and timestamps within 1 ms of the peer's. */
function expectPeerStream(got: { timestamps: number[]; values: number[]; strings: string[] }, summary: { first_ts: number; last_ts: number }, total: number, channels: number, value: (i: number, c: number) => number | string) {
  expect(got.timestamps.length).toBe(total);
  let wrong = 0;
  for (let i = 0; i < total; i++) {
    for (let c = 0; c < channels; c++) {
      const want = value(i, c);
      const have = typeof want === 'string' ? got.strings[i * channels + c] : got.values[i * channels + c];
      if (have !== want) wrong++;
    }
  }
  expect(wrong).toBe(0);
  expect(Math.abs(got.timestamps[0]! - summary.first_ts)).toBeLessThan(1e-3);
  expect(Math.abs(got.timestamps[total - 1]! - summary.last_ts)).toBeLessThan(1e-3);
  for (let i = 1; i < total; i++) expect(Math.abs(got.timestamps[i]! - got.timestamps[i - 1]! - (summary.last_ts - summary.first_ts) / (total - 1))).toBeLessThan(1e-6);
}

describe('LSL inlet against liblsl: int8 and int64 (liblsl through ctypes)', () => {
  for (const format of ['int8', 'int64'] as const) {
    for (const chunk of [1, 32]) {
      it(`${format}, chunks of ${chunk}, 8 channels at 250 Hz: every value equal, no sample lost or duplicated, timestamps within 1 ms`, async () => {
        const name = `ns-in-${format}-${chunk}-${process.pid}`;
        const peer = runCtypesPeer({ name, format, channels: 8, rateHz: 250, samples: 250, chunk });
        const got = await collectInlet({ config, predicate: `name='${name}'`, recover: false, resolveTimeoutMs: 15_000 }, 250);
        const [summary] = (await peer.result) as [{ sent: number; first_ts: number; last_ts: number }];
        expect(summary.sent).toBe(250);
        expect(got.info!.channelFormat).toBe(format);
        expect(got.feed!.dataProtocolVersion).toBe(110);
        expectPeerStream(got, summary, 250, 8, (i, c) => ctypesPeerValue(format, i, c));
        if (format === 'int64') expect(Math.max(...got.values.map(Math.abs))).toBeGreaterThan(2 ** 50);
      });
    }
  }

  it('an int64 beyond ±2^53 (which a double cannot hold exactly) is refused loudly, naming sample and channel', async () => {
    const name = `ns-in-int64-huge-${process.pid}`;
    const peer = runCtypesPeer({ name, format: 'int64', channels: 2, rateHz: 250, samples: 50, chunk: 1, huge: true });
    const error = await collectInlet({ config, predicate: `name='${name}'`, recover: false, resolveTimeoutMs: 15_000 }, 50).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    peer.result.catch(() => undefined); // killed below: its exit status is not the point
    peer.child.kill();
    expect(error?.message).toBe('LSL int64 sample 0 channel 0: expected an integer within ±2^53 − 1 (neurostream holds values as float64), got "1152921504606846976"');
  });
});

describe('LSL inlet against liblsl on data protocol 100 (the portable archive)', () => {
  for (const format of FORMATS) {
    for (const chunk of [1, 32]) {
      it(`liblsl configured for protocol 100 sends ${format} in chunks of ${chunk}: our inlet reads the archive, every value, timestamps within 1 ms`, async () => {
        const name = `ns-in100-${format}-${chunk}-${process.pid}`;
        const { got, info, feed, summary } = await receiveFromPeer(name, ['--format', format, '--channels', '4', '--rate', '250', '--seconds', '0.4', '--chunk', String(chunk)], 100, {}, peer100);
        expect(info.version).toBe(100);
        expect(feed.dataProtocolVersion).toBe(100);
        expectPeerStream(got, summary, 100, 4, (i, c) => (format === 'string' ? `m${i}` : format === 'float32' ? Math.fround(peerValue(i, c)) : format === 'double64' ? peerValue(i, c) : Math.trunc(peerValue(i, c) * 4)));
      });
    }
  }

  for (const format of ['int8', 'int64'] as const) {
    it(`liblsl configured for protocol 100 sends ${format} in chunks of 32: every value`, async () => {
      const name = `ns-in100-${format}-${process.pid}`;
      const peer = runCtypesPeer({ name, format, channels: 8, rateHz: 250, samples: 100, chunk: 32 }, peer100);
      const got = await collectInlet({ config, predicate: `name='${name}'`, recover: false, resolveTimeoutMs: 15_000 }, 100);
      const [summary] = (await peer.result) as [{ sent: number; first_ts: number; last_ts: number }];
      expect(got.feed!.dataProtocolVersion).toBe(100);
      expectPeerStream(got, summary, 100, 8, (i, c) => ctypesPeerValue(format, i, c));
    });
  }

  it('our inlet configured for protocol 100 (UseProtocolVersion = 100) asks liblsl 1.17 with default settings for the archive', async () => {
    const name = `ns-in-our100-${process.pid}`;
    const config100 = lslConfigFromIni(`${LOOPBACK_INI}\n[tuning]\nUseProtocolVersion = 100\n`, 'test loopback settings, protocol 100');
    const { got, info, feed, summary } = await receiveFromPeer(name, ['--format', 'double64', '--channels', '4', '--rate', '250', '--seconds', '0.4', '--chunk', '8'], 100, { config: config100 });
    expect(info.version).toBe(110);
    expect(feed.dataProtocolVersion).toBe(100);
    expectPeerStream(got, summary, 100, 4, peerValue);
  });
});
