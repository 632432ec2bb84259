/**
 * The publisher against a real server on loopback port 0 and real ws clients: what each client is
 * sent for its own view, that deltas rebuild exactly the min/max a one-shot decimation gives,
 * rates/intents/health, bad view requests, and that a stalled client costs nobody else a frame.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createFeatureFrame } from '../../../core/feature-frame.js';
import { createIntent } from '../../../core/intent.js';
import { createMarker } from '../../../core/marker.js';
import { createSampleBlock, type SampleBlock } from '../../../core/sample-block.js';
import type { StreamInfo } from '../../../core/stream-info.js';
import { DashboardPublisher, type DashboardSessionStatus } from '../../../dashboard/publisher/dashboard-publisher.js';
import { ColumnStore } from '../../../dashboard/page/column-store.js';
import { FLAG_RESET, FrameType, HEALTH_METRICS, decodeDashboardFrame, type DecodedDashboardFrame } from '../../../dashboard/protocol/dashboard-frames.js';
import { startDashboardServer, type DashboardServer } from '../../../dashboard/server/dashboard-server.js';
import { testStreamInfo } from '../../helpers/stream-info.js';
import { stalledClient, waitFor } from '../server/ws-clients.js';

const VIEWER = 'v'.repeat(32);
const OPERATOR = 'o'.repeat(32);
let server: DashboardServer | undefined;
let publisher: DashboardPublisher | undefined;
const sockets: (WebSocket | Socket)[] = [];

afterEach(async () => {
  publisher?.close();
  publisher = undefined;
  for (const s of sockets.splice(0)) {
    if (s instanceof WebSocket) s.terminate();
    else s.destroy();
  }
  await server?.close();
  server = undefined;
});

const status = (): DashboardSessionStatus => ({ label: 'test session', state: 'live', recording: null, decoder: null });

async function setup(options: Partial<ConstructorParameters<typeof DashboardPublisher>[1]> = {}): Promise<DashboardPublisher> {
  server = await startDashboardServer({ port: 0, viewerToken: VIEWER, operatorToken: OPERATOR, maxBufferedBytes: 64 * 1024 });
  publisher = new DashboardPublisher(server, { status, timer: false, ...options });
  return publisher;
}

interface Client {
  ws: WebSocket;
  texts: Record<string, unknown>[];
  frames: DecodedDashboardFrame[];
}

async function connect(token = VIEWER): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${server!.port}/ws?token=${token}`);
  sockets.push(ws);
  const client: Client = { ws, texts: [], frames: [] };
  ws.on('message', (data: Buffer, binary) => {
    if (binary) client.frames.push(decodeDashboardFrame(new Uint8Array(data)));
    else client.texts.push(JSON.parse(data.toString()) as Record<string, unknown>);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return client;
}

/** Lets what was sent so far reach the clients (loopback: a few ms), ticking the publisher first when asked. */
async function settle(publisherTick = false): Promise<void> {
  if (publisherTick) publisher!.tick();
  await new Promise((r) => setTimeout(r, 30));
}

function info(channels: number, rate: number): StreamInfo {
  return testStreamInfo({ channelNames: Array.from({ length: channels }, (_, c) => `ch${c}`), channelKinds: 'extracellular', sampleRateHz: rate });
}

/** Channel-major signal [channels × total] and a function that cuts blocks from it. */
function stream(streamInfo: StreamInfo, total: number): { data: Float32Array; block: (first: number, length: number, extra?: Partial<SampleBlock>) => SampleBlock } {
  const C = streamInfo.channelNames.length;
  const data = new Float32Array(C * total).map((_, i) => Math.round(Math.sin(i * 0.0137) * 300 + ((i * 7919) % 101)));
  return {
    data,
    block: (first, length, extra = {}) => {
      const out = new Float32Array(C * length);
      for (let c = 0; c < C; c++) out.set(data.subarray(c * total + first, c * total + first + length), c * length);
      return createSampleBlock({ info: streamInfo, first, length, data: out, hostTime: performance.now(), ...extra });
    },
  };
}

describe('DashboardPublisher', () => {
  it('greets a client with hello, its view and the status; then sends its traces as a RESET frame', async () => {
    const p = await setup();
    const client = await connect(OPERATOR);
    await settle();
    expect(client.texts.map((t) => t['type'])).toEqual(['hello', 'status']); // no stream yet: no view
    expect(client.texts[0]).toMatchObject({ role: 'operator', commands: ['start-recording', 'stop-recording', 'add-marker', 'recalibrate', 'measure-impedance'], stream: null });
    const si = info(20, 1000);
    const s = stream(si, 5000);
    p.pushBlock(s.block(0, 100));
    await settle();
    const hello = client.texts.find((t) => t['type'] === 'hello' && t['stream'] !== null)!;
    expect(hello['stream']).toMatchObject({ channels: si.channelNames, sampleRateHz: 1000 });
    expect(hello['traces']).toEqual({ baseColumnsPerSecond: 1000, maxWindowS: 10, maxViewChannels: 128 });
    expect(hello['healthMetrics']).toEqual([...HEALTH_METRICS]);
    const view = client.texts.find((t) => t['type'] === 'view')!;
    // An extracellular stream without the session's filter is shown its spike band by default (up to 0.95 × Nyquist here).
    expect(view).toEqual({
      type: 'view',
      channels: Array.from({ length: 16 }, (_, i) => i),
      windowS: 5,
      columns: 1000,
      step: 0.005,
      display: { choice: 'default', key: 'filter:300-475:none', label: 'spike band 300–475 Hz (display filter)' },
    });
    await settle(true);
    const traces = client.frames.filter((f) => f.type === 1);
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({ channels: 16, columns: 20, firstColumn: 0, flags: FLAG_RESET, step: 0.005 });
    const viewer = await connect(VIEWER);
    await settle();
    expect(viewer.texts[0]).toMatchObject({ type: 'hello', role: 'viewer', commands: [] });
  });

  it('rebuilds, from its deltas, exactly the min/max of the samples each of its columns covers', async () => {
    const p = await setup();
    const client = await connect();
    const si = info(8, 2000); // 2 samples per base column
    const total = 2000 * 7;
    const s = stream(si, total);
    p.pushBlock(s.block(0, 10));
    await settle();
    client.ws.send(JSON.stringify({ type: 'view', channels: [5, 2, 7], windowS: 2, columns: 150, display: 'raw' })); // 13 base columns a column
    await waitFor(() => client.texts.some((t) => t['type'] === 'view' && (t['channels'] as number[]).length === 3));
    const layout = client.texts.filter((t) => t['type'] === 'view').at(-1)!;
    expect(layout).toMatchObject({ columns: 154, step: 0.013 });
    const store = new ColumnStore(3, 154, 2);
    let at = 10;
    const sizes = [37, 1, 250, 3, 999, 64];
    for (let k = 0; at < total; k++) {
      const n = Math.min(sizes[k % sizes.length]!, total - at);
      p.pushBlock(s.block(at, n));
      at += n;
      if (k % 2 === 0) p.tick();
    }
    p.tick();
    await settle();
    for (const f of client.frames) {
      if (f.type === 1 && f.channels === 3) store.apply(f.firstColumn, f.columns, f.step, f.time, (f.flags & FLAG_RESET) !== 0, [f.min, f.max]);
    }
    const samplesPerColumn = 26; // 13 base columns × 2 samples
    const end = Math.ceil(total / samplesPerColumn);
    expect(store.end).toBe(end);
    [5, 2, 7].forEach((c, r) => {
      for (let k = end - 154; k < end; k++) {
        const slice = s.data.subarray(c * total + k * samplesPerColumn, c * total + Math.min(total, (k + 1) * samplesPerColumn));
        expect(store.at(0, r, k), `ch ${c} column ${k}`).toBe(Math.min(...slice));
        expect(store.at(1, r, k), `ch ${c} column ${k}`).toBe(Math.max(...slice));
      }
    });
    // Deltas, not whole windows: after the first frame, frames carry a few columns each.
    const deltas = client.frames.filter((f) => f.type === 1 && f.channels === 3 && (f.flags & FLAG_RESET) === 0);
    expect(deltas.length).toBeGreaterThan(5);
    expect(Math.max(...deltas.map((f) => f.columns))).toBeLessThan(60);
    // Sequence numbers have no holes.
    client.frames.forEach((f, i) => expect(f.sequence).toBe(client.frames[0]!.sequence + i));
  });

  it('answers a bad view request with one error naming the field, and keeps the old view', async () => {
    const p = await setup();
    const client = await connect();
    p.pushBlock(stream(info(4, 1000), 100).block(0, 100));
    await settle();
    client.ws.send(JSON.stringify({ type: 'view', channels: [0, 9], windowS: 5, columns: 500, display: 'raw' }));
    await waitFor(() => client.texts.some((t) => t['type'] === 'error'));
    const error = client.texts.find((t) => t['type'] === 'error')!;
    expect(error).toMatchObject({ code: 'bad-message', message: 'view.channels[1]: expected a distinct channel index from 0 to 3, got 9' });
    p.tick();
    await settle();
    expect(client.frames.find((f) => f.type === 1)).toMatchObject({ channels: 4 });
  });

  it('sends a page that connects later the markers the others already got, each once (those still queued come with the next round)', async () => {
    const p = await setup({ framesPerSecond: 2 });
    const early = await connect();
    const s = stream(info(2, 1000), 1000);
    p.pushBlock(s.block(0, 500, { markers: [createMarker(20, 'target_on', [3, 4])] }));
    p.marker(createMarker(30, 'signal-quality', 'ch0 railed'), 'stream');
    p.tick();
    p.marker(createMarker(40, 'annotation', 'queued'), 'operator');
    const late = await connect();
    await settle();
    const seen = (c: Client): unknown[] => c.texts.filter((t) => t['type'] === 'marker').map((t) => t['value']);
    expect(seen(late)).toEqual([[3, 4], 'ch0 railed']);
    p.tick();
    await settle();
    expect(seen(late)).toEqual([[3, 4], 'ch0 railed', 'queued']);
    expect(seen(early)).toEqual([[3, 4], 'ch0 railed', 'queued']);
  });

  it('sends binned rates (Hz), intents with their latency split, stream markers (not kinematics) and health', async () => {
    const p = await setup({ framesPerSecond: 2 });
    const client = await connect();
    const si = info(2, 1000);
    const s = stream(si, 1000);
    p.pushBlock(s.block(0, 500, { markers: [createMarker(10, 'kinematics', [1, 2, 3, 4]), createMarker(20, 'target_on', [3, 4])] }));
    p.pushBlock(s.block(600, 400, { gap: { missing: 100 } }));
    const names = ['tc:ch0', 'tc:ch1', 'sbp:ch0', 'sbp:ch1'];
    p.pushFeatures(createFeatureFrame({ bin: 0, t0: 0, values: Float32Array.of(1, 2, 9, 9), names, hostTime: 0 }), 0.02, 2);
    p.pushFeatures(createFeatureFrame({ bin: 2, t0: 40, values: Float32Array.of(0, 3, 9, 9), names, hostTime: 0 }), 0.02, 2);
    p.pushIntent(createIntent({ bin: 2, kind: 'continuous', values: Float32Array.of(0.5, -1), latency: { acquisitionMs: 0.1, featuresMs: 0.2, decodeMs: 0.3 } }), 0.02);
    p.tick();
    await settle();
    const rate = client.frames.find((f) => f.type === 2);
    expect(rate).toMatchObject({ channels: 2, columns: 3, firstColumn: 0, step: 0.02 });
    if (rate?.type === 2) expect(Array.from(rate.rates)).toEqual([50, NaN, 0, 100, NaN, 150]);
    const intent = client.frames.find((f) => f.type === 3);
    // The 2 outputs, then the task's truth (pos_x, pos_y, vel_x, vel_y) in force before the bin's end.
    expect(intent).toMatchObject({ channels: 6, columns: 1, firstColumn: 2 });
    if (intent?.type === 3) {
      expect(Array.from(intent.values)).toEqual([0.5, -1, 1, 2, 3, 4]);
      expect(Array.from(intent.latency)).toEqual([0.1, 0.2, 0.3].map(Math.fround));
    }
    const markers = client.texts.filter((t) => t['type'] === 'marker');
    expect(markers).toEqual([{ type: 'marker', source: 'stream', sample: 20, time: 0.02, markerType: 'target_on', value: [3, 4] }]);
    const health = client.frames.find((f) => f.type === 5);
    expect(health).toBeDefined();
    if (health?.type === 5) {
      const h = Object.fromEntries(HEALTH_METRICS.map((m, r) => [m, health.values[r]]));
      expect(h).toMatchObject({ lostPackets: 1, gapSamples: 100, droppedFrames: 0 });
      expect(h['latencyP99Ms']).toBeCloseTo(0.6, 5); // total of the one intent
      expect(h['corruptPackets']).toBeNaN(); // not reported by this source: unknown, not 0
    }
    expect(client.frames.some((f) => f.type === 6)).toBe(true);
    expect(client.texts.filter((t) => t['type'] === 'status').at(-1)).toMatchObject({ label: 'test session', state: 'live', clients: 1 });
  });

  it("carries the task's truth with a page's intents, bin by bin (named and in units in the hello), NaN before the first kinematics; none for a discrete decoder", async () => {
    const p = await setup({ framesPerSecond: 2 });
    const client = await connect();
    const si = info(2, 1000);
    const s = stream(si, 1000);
    // Kinematics every 10 ms from sample 30 ([x, y, vx, vy] = [k, -k, 10k, -10k]).
    const kinematics = Array.from({ length: 40 }, (_, k) => createMarker(30 + 10 * k, 'kinematics', [k, -k, 10 * k, -10 * k]));
    p.pushBlock(s.block(0, 500, { markers: kinematics }));
    const latency = { acquisitionMs: 0.1, featuresMs: 0.2, decodeMs: 0.3 };
    // Bin 0 ends at sample 20 (no kinematics yet); bin 1 at 40 (the marker at 30: k = 0); bin 5 at 120 (k = 9, sample 120 itself not included).
    for (const bin of [0, 1, 5]) p.pushIntent(createIntent({ bin, kind: 'continuous', values: Float32Array.of(bin, -bin), latency }), 0.02);
    p.tick();
    await settle();
    const hello = client.texts.filter((t) => t['type'] === 'hello').at(-1)!;
    expect(hello['intent']).toEqual({ kind: 'continuous', dims: 2, binS: 0.02 });
    expect(hello['intentTruth']).toEqual({ names: ['pos_x', 'pos_y', 'vel_x', 'vel_y'], units: ['cm', 'cm', 'cm/s', 'cm/s'], source: "the task's kinematics markers" });
    const intent = client.frames.filter((f) => f.type === 3).at(-1);
    expect(intent).toMatchObject({ channels: 6, firstColumn: 0, columns: 6 });
    if (intent?.type === 3) {
      const row = (r: number): number[] => Array.from(intent.values.subarray(r * 6, r * 6 + 6));
      expect(row(0)).toEqual([0, 1, NaN, NaN, NaN, 5]);
      expect(row(2)).toEqual([NaN, 0, NaN, NaN, NaN, 8]);
      expect(row(3)).toEqual([NaN, -0, NaN, NaN, NaN, -8]);
      expect(row(4)).toEqual([NaN, 0, NaN, NaN, NaN, 80]);
    }

    // A discrete decoder's intents carry no kinematics truth.
    p.pushIntent(createIntent({ bin: 6, kind: 'discrete', values: Float32Array.of(0.2, 0.8), labels: ['left', 'right'], latency }), 0.02);
    p.tick();
    await settle();
    expect(client.texts.filter((t) => t['type'] === 'hello').at(-1)!['intentTruth']).toBeNull();
    expect(client.frames.filter((f) => f.type === 3).at(-1)).toMatchObject({ channels: 2, columns: 1, firstColumn: 6 });
  });

  it('tells every page the session ended with a whole status: its state, the clients still there and the markers dropped', async () => {
    const p = await setup();
    const a = await connect();
    const b = await connect();
    await waitFor(() => a.texts.some((t) => t['type'] === 'status') && b.texts.some((t) => t['type'] === 'status'));
    p.close({ label: 'replay of /tmp/x', state: 'live', recording: null, decoder: null });
    await waitFor(() => a.texts.some((t) => t['type'] === 'status' && t['state'] === 'ended'));
    const last = a.texts.filter((t) => t['type'] === 'status').at(-1)!;
    expect(last).toMatchObject({ state: 'ended', label: 'replay of /tmp/x', clients: 2, markersDropped: 0 });
  });

  it("shows the health source it is given (a session's monitor), read without a monitor of its own; without one, its own figures", async () => {
    const given = { samples: 123_456, blocks: 789, droppedSamples: 42, achievedRateHz: 29_876.5, lagMs: 3.25, maxLagMs: 17.5, elapsedMs: 4115 };
    let reads = 0;
    const p = await setup({ framesPerSecond: 2, health: () => (reads++, given) });
    const client = await connect();
    const s = stream(info(2, 1000), 1000);
    p.pushBlock(s.block(0, 100));
    p.pushBlock(s.block(100, 100, { gap: { missing: 7 } }));
    p.tick();
    await settle();
    const health = client.frames.find((f) => f.type === 5);
    if (health?.type !== 5) throw new Error('no health frame');
    const h = Object.fromEntries(HEALTH_METRICS.map((m, r) => [m, health.values[r]]));
    expect(reads).toBeGreaterThan(0);
    // The source's figures, not the 200 samples and 7 lost the publisher was pushed.
    expect([h['gapSamples'], h['sampleRateHz'], h['lagMs'], h['maxLagMs']]).toEqual([42, Math.fround(29_876.5), 3.25, 17.5]);
    publisher!.close();
    await server!.close();
    // Without a source: the publisher's own monitor over what it was pushed.
    const own = await setup({ framesPerSecond: 2 });
    const other = await connect();
    own.pushBlock(s.block(0, 100));
    own.pushBlock(s.block(100, 100, { gap: { missing: 7 } }));
    own.tick();
    await settle();
    const mine = other.frames.find((f) => f.type === 5);
    if (mine?.type !== 5) throw new Error('no health frame');
    expect(mine.values[HEALTH_METRICS.indexOf('gapSamples')]).toBe(7);
  });

  it('leaves bins held back for a calibration out of the latency figures, and says how the source delivers its blocks', async () => {
    const p = await setup({ framesPerSecond: 2 });
    const client = await connect();
    const s = stream(info(2, 1000), 1000);
    p.pushBlock(s.block(0, 25));
    p.pushIntent(createIntent({ bin: 1, kind: 'continuous', values: Float32Array.of(0, 0), latency: { acquisitionMs: 0.1, featuresMs: 400, decodeMs: 0.3, heldMs: 900 } }), 0.02);
    p.pushIntent(createIntent({ bin: 2, kind: 'continuous', values: Float32Array.of(0.5, -1), latency: { acquisitionMs: 0.1, featuresMs: 0.2, decodeMs: 0.3 } }), 0.02);
    p.tick();
    await settle();
    const health = client.frames.find((f) => f.type === 5);
    if (health?.type !== 5) throw new Error('no health frame');
    const h = Object.fromEntries(HEALTH_METRICS.map((m, r) => [m, health.values[r]]));
    expect(h['latencyP99Ms']).toBeCloseTo(0.6, 5); // the live bin only
    const histogram = client.frames.find((f) => f.type === 6);
    if (histogram?.type !== 6) throw new Error('no histogram frame');
    const total = Array.from(histogram.counts.subarray(3 * histogram.columns, 4 * histogram.columns)).reduce((a, b) => a + b, 0);
    expect(total).toBe(1);
    // The intents' own latency split still reaches the page (both bins).
    const intents = client.frames.filter((f) => f.type === 3);
    expect(intents.reduce((a, f) => a + f.columns, 0)).toBe(2);
    const hello = client.texts.filter((t) => t['type'] === 'hello').at(-1) as { stream: { blockSamples: number } };
    expect(hello.stream.blockSamples).toBe(25);
  });

  it('takes the rate channels from the caller, not from the feature names', async () => {
    const p = await setup({ framesPerSecond: 2 });
    const client = await connect();
    const s = stream(info(2, 1000), 1000);
    p.pushBlock(s.block(0, 500));
    // Names that look like spike counts, but no rate channels given: no heatmap.
    p.pushFeatures(createFeatureFrame({ bin: 0, t0: 0, values: Float32Array.of(1, 2, 9, 9), names: ['tc:ch0', 'tc:ch1', 'sbp:ch0', 'sbp:ch1'], hostTime: 0 }), 0.02);
    p.tick();
    await settle();
    expect(client.frames.some((f) => f.type === FrameType.Rate)).toBe(false);
    expect(client.texts.filter((t) => t['type'] === 'hello').at(-1)).toMatchObject({ rate: null });
    // Names with no prefix at all, and three rate channels given: a heatmap of three rows.
    p.pushFeatures(createFeatureFrame({ bin: 1, t0: 20, values: Float32Array.of(1, 0, 2, 7), names: ['unit1', 'unit2', 'unit3', 'power'], hostTime: 0 }), 0.02, 3);
    p.tick();
    await settle();
    expect(client.texts.filter((t) => t['type'] === 'hello').at(-1)).toMatchObject({ rate: { channels: 3, binS: 0.02 } });
    const rate = client.frames.find((f) => f.type === FrameType.Rate);
    expect(rate).toMatchObject({ channels: 3, columns: 1, firstColumn: 1 });
    if (rate?.type === FrameType.Rate) expect(Array.from(rate.rates)).toEqual([50, 0, 100]);
    expect(() => p.pushFeatures(createFeatureFrame({ bin: 2, t0: 40, values: Float32Array.of(1, 0), names: ['a', 'b'], hostTime: 0 }), 0.02, 3)).toThrow(/rateChannels/);
  });

  it('builds nothing for a stalled client, counts its skipped frames, and keeps every other client at full rate', async () => {
    const p = await setup();
    const clients = await Promise.all(Array.from({ length: 4 }, () => connect()));
    const stalled = await stalledClient(server!.port, VIEWER);
    sockets.push(stalled);
    await waitFor(() => server!.clients().length === 5);
    const si = info(64, 30_000);
    const second = stream(si, 30_000);
    const block = (first: number): SampleBlock => createSampleBlock({ ...second.block(0, 30_000), first, hostTime: performance.now() });
    p.pushBlock(block(0));
    await settle();
    // Every client (the stalled one too: its request is read before it stops reading) shows 64 channels.
    const request = JSON.stringify({ type: 'view', channels: Array.from({ length: 64 }, (_, i) => i), windowS: 1, columns: 1000 });
    for (const c of clients) c.ws.send(request);
    stalled.write(maskedText(request));
    await settle();
    // A second of stream per tick: each frame is a whole window (64 × 1000 columns, 512 KB).
    const ticks = 40;
    for (let t = 1; t <= ticks; t++) {
      p.pushBlock(block(t * 30_000));
      p.tick();
      await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor(() => clients.every((c) => c.frames.filter((f) => f.type === 1).length === ticks), 20_000);
    for (const c of clients) expect(c.frames.filter((f) => f.type === 1 && f.channels === 64).length).toBe(ticks);
    const stats = server!.clients();
    const behind = stats.filter((c) => c.skipped > 0);
    expect(behind).toHaveLength(1);
    expect(behind[0]!.skipped).toBeGreaterThan(ticks / 2);
    // Nothing piles up for it beyond the limit and one frame.
    expect(behind[0]!.bufferedAmount).toBeLessThan(64 * 1024 + 600 * 1024);
  });
});

/** A client → server WebSocket text frame (masked with a zero key, as RFC 6455 requires of clients). */
function maskedText(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const head = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), payload]);
}
