/**
 * An LSL stream as a neurostream device, against liblsl 1.17.7's outlet (lsl-peer) on loopback:
 * the description's labels and units, and recovery when the outlet is killed mid-stream and
 * started again (the gap recorded from the timestamps).
 */
import { describe, expect, it } from 'vitest';
import type { SampleBlock } from '../../../core/index.js';
import { lslConfigFromIni } from '../../../devices/lsl/lsl-config.js';
import { lslSource } from '../../../devices/lsl/lsl-source.js';
import { lslClock } from '../../../devices/lsl/lsl-clock.js';
import { openLslOutlet } from '../../../devices/lsl/outlet.js';
import { LOOPBACK_INI, peerValue, runPeer } from '../../helpers/lsl-peer.js';

const config = lslConfigFromIni(LOOPBACK_INI, 'test loopback settings');

describe('lslSource against liblsl (lsl-peer send)', () => {
  it('an outlet killed mid-stream and started again: reconnected, the missing stretch is one gap, nothing lost or duplicated', async () => {
    const name = `ns-src-recover-${process.pid}`;
    const args = ['send', name, '--type', 'EEG', '--channels', '4', '--rate', '250', '--format', 'float32', '--source-id', `rec-${process.pid}`, '--wait-s', '20'];
    const first = runPeer([...args, '--seconds', '30']);
    first.result.catch(() => undefined);
    const blocks: SampleBlock[] = [];
    let second: ReturnType<typeof runPeer> | undefined;
    let received = 0;
    let killedAt = 0;
    const connections: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const sub = lslSource({ config, predicate: `name='${name}'`, resolveTimeoutMs: 15_000, onStats: (s) => connections.push(s.connections) }).subscribe({
        next: (b) => {
          blocks.push(b);
          received += b.length;
          if (!second && received >= 100) {
            killedAt = received;
            first.child.kill('SIGKILL');
            // The same source comes back a moment later (a new uid, a new clock start).
            setTimeout(() => (second = runPeer([...args, '--seconds', '0.4'])), 700);
          }
          if (second && received >= killedAt + 100) {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    const [summary2] = (await second!.result) as [{ sent: number; first_ts: number }];
    await first.result.catch(() => undefined);
    expect(summary2.sent).toBe(100);
    expect(connections).toContain(2);
    const info = blocks[0]!.info;
    expect(info.channelNames).toEqual(['ch1', 'ch2', 'ch3', 'ch4']);
    expect(info.units).toEqual(['uV', 'uV', 'uV', 'uV']);
    expect(info.channelKinds).toEqual(['eeg', 'eeg', 'eeg', 'eeg']);
    expect(info.sampleRateHz).toBe(250);
    // Before the kill: contiguous from 0. After: one gap, then the second outlet's samples from its own i = 0.
    const gaps = blocks.filter((b) => b.gap);
    expect(gaps).toHaveLength(1);
    const before = blocks.filter((b) => b.first < gaps[0]!.first);
    const n1 = before.reduce((a, b) => a + b.length, 0);
    let expectedFirst = 0;
    for (const b of blocks) {
      expect(b.first).toBe(expectedFirst + (b.gap?.missing ?? 0));
      expectedFirst = b.first + b.length;
    }
    const secondStart = gaps[0]!.first;
    expect(secondStart - n1).toBe(gaps[0]!.gap!.missing);
    expect(gaps[0]!.gap!.missing).toBeGreaterThan(150); // the outlet was away ≥ 0.7 s: ≥ 175 samples at 250 Hz
    let wrong = 0;
    for (const b of blocks) {
      for (let i = 0; i < b.length; i++) {
        const k = b.first + i < secondStart ? b.first + i : b.first + i - secondStart;
        for (let c = 0; c < 4; c++) if (b.data[c * b.length + i] !== Math.fround(peerValue(k, c))) wrong++;
      }
    }
    expect(wrong).toBe(0);
    expect(expectedFirst - secondStart).toBe(100);
  });

  it('a marker (string) stream is refused as a signal source with one clear error', async () => {
    const name = `ns-src-markers-${process.pid}`;
    const peer = runPeer(['send', name, '--format', 'string', '--channels', '1', '--rate', '0', '--wait-s', '10', '--seconds', '0.3']);
    peer.result.catch(() => undefined);
    const error = await new Promise<Error>((resolve) => lslSource({ config, predicate: `name='${name}'`, resolveTimeoutMs: 15_000 }).subscribe({ error: resolve }));
    peer.child.kill('SIGKILL');
    expect(error.message).toBe(`LSL stream "${name}": a regular-rate numeric stream is needed as the signal source, but it is string at an irregular rate (markers: use it as a marker stream)`);
  });

  it('30 kHz: a re-estimated clock offset that moves by 25 µs (¾ of a sample period) is not read as a lost sample', async () => {
    // Our outlet stands in for liblsl here because its clock can be moved: after 0.4 s its time
    // probes answer 25 µs earlier while its (nominal) timestamps go on, as when a re-estimate of
    // the offset moves. The inlet re-measures every 0.2 s.
    const name = `ns-src-offset-${process.pid}`;
    const rate = 30_000;
    const total = 36_000;
    let offsetS = 0;
    const outlet = await openLslOutlet({ config, name, type: 'EEG', channelCount: 2, nominalSrateHz: rate, channelFormat: 'float32', clock: () => lslClock() + offsetS });
    const inletConfig = lslConfigFromIni(`${LOOPBACK_INI}\n[tuning]\nTimeUpdateInterval = 0.2\n`, 'test loopback settings, probes every 0.2 s');
    const blocks: SampleBlock[] = [];
    let received = 0;
    const done = new Promise<void>((resolve, reject) => {
      const sub = lslSource({ config: inletConfig, predicate: `name='${name}'`, recover: false, resolveTimeoutMs: 15_000, onAnchor: () => undefined }).subscribe({
        next: (b) => {
          blocks.push(b);
          received += b.length;
          if (received >= total) {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    try {
      expect(await outlet.waitForConsumers(20_000)).toBe(true);
      const t0 = lslClock();
      const chunk = 30;
      for (let k = 0; k < total; k += chunk) {
        const wait = (t0 + (k + chunk) / rate - lslClock()) * 1000;
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        if (k >= 0.4 * rate) offsetS = -25e-6;
        const ts = Array.from({ length: chunk }, (_, i) => t0 + (k + i + 1) / rate);
        outlet.push(ts, new Array<number>(chunk * 2).fill(k));
      }
      await done;
    } finally {
      await outlet.close();
    }
    expect(received).toBe(total);
    expect(blocks.filter((b) => b.gap)).toEqual([]);
    let next = 0;
    for (const b of blocks) {
      expect(b.first).toBe(next);
      next += b.length;
    }
    expect(next).toBe(total);
  });
});
