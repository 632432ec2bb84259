/**
 * An outlet never waits for a slow consumer: one that stops reading is dropped once it is more
 * than the cap behind (counted), while liblsl's inlet (lsl-peer receive) on the same outlet gets
 * every sample. Loopback only.
 */
import { connect } from 'node:net';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { feedRequestText } from '../../../devices/lsl/feed-handshake.js';
import { lslConfigFromIni } from '../../../devices/lsl/lsl-config.js';
import { lslClock } from '../../../devices/lsl/lsl-clock.js';
import { channelsDesc } from '../../../devices/lsl/stream-info.js';
import { openLslOutlet } from '../../../devices/lsl/outlet.js';
import { LOOPBACK_INI, runPeer } from '../../helpers/lsl-peer.js';
import { waitFor } from '../../helpers/wait-for.js';

const config = lslConfigFromIni(LOOPBACK_INI, 'test loopback settings');

describe('LslOutlet and a consumer that stops reading', () => {
  it('drops the stalled consumer (counted) without blocking a push, and liblsl’s inlet still receives every sample', async () => {
    const name = `ns-drop-${process.pid}`;
    const C = 64;
    const chunk = 100;
    const chunks = 1500; // 150 000 samples × 64 ch × 4 B ≈ 38 MB: far beyond any socket buffer
    const outlet = await openLslOutlet({
      config,
      name,
      type: 'EEG',
      channelCount: C,
      nominalSrateHz: 30_000,
      channelFormat: 'float32',
      sourceId: name,
      desc: channelsDesc(Array.from({ length: C }, (_, c) => ({ label: `c${c}`, unit: 'microvolts', type: 'EEG' }))),
      maxBufferedBytes: 1024 * 1024,
    });
    const peer = runPeer(['receive', name, '--samples', String(chunk * chunks), '--seconds', '120', '--timeout-s', '10']);
    try {
      expect(await outlet.waitForConsumers(15_000)).toBe(true);
      // A consumer that completes the handshake and then reads nothing more.
      const stalled = connect({ host: '127.0.0.1', port: outlet.info.v4dataPort });
      await new Promise<void>((resolve) => stalled.once('connect', resolve));
      stalled.write(
        feedRequestText({
          protocolVersion: 110,
          uid: outlet.info.uid,
          nativeByteOrder: 1234,
          endianPerformance: 0,
          hasIeee754Floats: true,
          supportsSubnormals: true,
          valueSize: 4,
          maxBufferLength: 360 * 30_000,
          maxChunkLength: 0,
          hostname: hostname(),
          sourceId: name,
          sessionId: outlet.info.sessionId,
        }),
      );
      await new Promise<void>((resolve) => stalled.once('data', () => resolve()));
      stalled.pause();
      await waitFor(() => outlet.consumers === 2, 'the stalled consumer to be served');
      const values = new Float32Array(chunk * C);
      for (let k = 0; k < chunks; k++) {
        const t = lslClock();
        const ts = Array.from({ length: chunk }, (_, i) => t + i / 30_000);
        for (let i = 0; i < chunk; i++) for (let c = 0; c < C; c++) values[i * C + c] = k * chunk + i + c / 100;
        outlet.push(ts, values); // returns at once whatever the consumers do
        await new Promise((r) => setImmediate(r)); // the event loop runs: sockets that read drain
      }
      expect(outlet.samplesPushed).toBe(chunk * chunks);
      expect(outlet.droppedConsumers).toBe(1);
      expect(outlet.consumers).toBe(1);
      const [summary] = (await peer.result) as [{ samples: number; channel_count: number }];
      expect(summary.channel_count).toBe(C);
      expect(summary.samples).toBe(chunk * chunks);
      stalled.destroy();
    } finally {
      peer.child.kill('SIGKILL');
      await peer.result.catch(() => undefined);
      await outlet.close();
    }
  }, 120_000);
});
