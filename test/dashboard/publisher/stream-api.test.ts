/**
 * The stream API (`/stream?topics=…` on the dashboard's port, with its tokens) and `/metrics`:
 * a subscriber receives features and intents as binary frames the moment they are published
 * (names first, as JSON), markers and health; a bad token or an unknown topic is refused with
 * the reason; a subscriber that falls behind is told how much it missed; the metrics are
 * Prometheus text behind the same tokens.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createFeatureFrame } from '../../../core/feature-frame.js';
import { createIntent } from '../../../core/intent.js';
import { createMarker } from '../../../core/marker.js';
import { createSampleBlock } from '../../../core/sample-block.js';
import { DashboardPublisher, type DashboardSessionStatus } from '../../../dashboard/publisher/dashboard-publisher.js';
import { HEALTH_METRICS, decodeDashboardFrame, type DecodedDashboardFrame } from '../../../dashboard/protocol/dashboard-frames.js';
import { startDashboardServer, type DashboardClient, type DashboardServer } from '../../../dashboard/server/dashboard-server.js';
import { testStreamInfo } from '../../helpers/stream-info.js';
import { waitFor } from '../server/ws-clients.js';

const VIEWER = 'v'.repeat(32);
const OPERATOR = 'o'.repeat(32);
let server: DashboardServer | undefined;
let publisher: DashboardPublisher | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  publisher?.close();
  for (const s of sockets.splice(0)) s.terminate();
  await server?.close();
  server = undefined;
  publisher = undefined;
});

const status = (): DashboardSessionStatus => ({
  label: 'sim',
  state: 'live',
  recording: { state: 'recording', dir: '/tmp/x', bytes: 12345, samples: 100, droppedSamples: 0 },
  decoder: { name: 'kalman', provider: 'js', status: 'decoder kalman (js): R² 0.50', backlog: 2 },
  packets: { lost: 3, corrupt: 1 },
});

async function setup(): Promise<DashboardPublisher> {
  server = await startDashboardServer({ port: 0, viewerToken: VIEWER, operatorToken: OPERATOR });
  publisher = new DashboardPublisher(server, { status, timer: false });
  return publisher;
}

interface Subscriber {
  ws: WebSocket;
  texts: Record<string, unknown>[];
  frames: DecodedDashboardFrame[];
  order: string[];
  closed: Promise<{ code: number; reason: string }>;
}

function subscribe(query: string): Promise<Subscriber> {
  const ws = new WebSocket(`ws://127.0.0.1:${server!.port}/stream?${query}`);
  sockets.push(ws);
  const sub: Subscriber = {
    ws,
    texts: [],
    frames: [],
    order: [],
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
  };
  ws.on('message', (data: Buffer, binary) => {
    if (binary) {
      const f = decodeDashboardFrame(new Uint8Array(data));
      sub.frames.push(f);
      sub.order.push(`frame:${f.type}`);
    } else {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      sub.texts.push(m);
      sub.order.push(String(m['type']));
    }
  });
  ws.on('error', () => {});
  return new Promise((resolve) => {
    ws.once('open', () => resolve(sub));
    ws.once('close', () => resolve(sub));
  });
}

const info = testStreamInfo({ channelNames: ['a', 'b'], channelKinds: 'extracellular', sampleRateHz: 1000 });
const names = ['tc:a', 'tc:b', 'sbp:a', 'sbp:b'];

describe('stream API', () => {
  it('delivers features and intents as they are published, names first; markers and health as subscribed', async () => {
    const p = await setup();
    p.pushBlock(createSampleBlock({ info, first: 0, length: 100, data: new Float32Array(200), hostTime: performance.now() }));
    const sub = await subscribe(`token=${VIEWER}&topics=features,intents,markers`);
    const health = await subscribe(`token=${VIEWER}&topics=health`);
    await waitFor(() => sub.texts.length > 0 && health.texts.length > 0);
    expect(sub.texts[0]).toMatchObject({ type: 'hello', api: 'neurostream.stream', role: 'viewer', topics: ['features', 'intents', 'markers'], stream: { channels: ['a', 'b'], sampleRateHz: 1000 } });
    for (let bin = 0; bin < 5; bin++) {
      p.pushFeatures(createFeatureFrame({ bin, t0: bin * 20, values: Float32Array.of(bin, 1, 2.5, -bin), names, hostTime: 0 }), 0.02);
      p.pushIntent(createIntent({ bin, kind: 'continuous', values: Float32Array.of(bin / 10, -1), latency: { acquisitionMs: 0.1, featuresMs: 0.2, decodeMs: 0.3 } }), 0.02);
    }
    p.marker(createMarker(42, 'annotation', 'stim on'), 'operator');
    await waitFor(() => sub.frames.length === 10 && sub.texts.some((t) => t['type'] === 'marker'));
    // The first intent describes the decoder's output: a new hello announces it before its frame.
    expect(sub.order.slice(0, 6)).toEqual(['hello', 'features', 'frame:7', 'hello', 'frame:3', 'frame:7']);
    expect(sub.texts[2]).toMatchObject({ type: 'hello', intent: { kind: 'continuous', dims: 2, binS: 0.02 } });
    expect(sub.texts[1]).toEqual({ type: 'features', names, binS: 0.02 });
    const features = sub.frames.filter((f) => f.type === 7);
    expect(features.map((f) => [f.firstColumn, f.channels, f.columns, f.step])).toEqual([0, 1, 2, 3, 4].map((b) => [b, 4, 1, 0.02]));
    if (features[3]?.type === 7) expect(Array.from(features[3].values)).toEqual([3, 1, 2.5, -3]);
    const intents = sub.frames.filter((f) => f.type === 3);
    expect(intents.map((f) => f.firstColumn)).toEqual([0, 1, 2, 3, 4]);
    if (intents[2]?.type === 3) expect(Array.from(intents[2].latency)).toEqual([0.1, 0.2, 0.3].map(Math.fround));
    expect(sub.texts.find((t) => t['type'] === 'marker')).toEqual({ type: 'marker', source: 'operator', sample: 42, time: 0.042, markerType: 'annotation', value: 'stim on' });
    sub.frames.forEach((f, i) => expect(f.sequence).toBe(i));
    // Health goes only to its subscribers, twice a second (here: each tick the timer would make a status tick).
    p.tick();
    await waitFor(() => health.frames.some((f) => f.type === 5));
    const h = health.frames.find((f) => f.type === 5)!;
    if (h.type === 5) expect(Object.fromEntries(HEALTH_METRICS.map((m, r) => [m, h.values[r]]))).toMatchObject({ lostPackets: 3, corruptPackets: 1, recordingBytes: 12345 });
    expect(health.texts.some((t) => t['type'] === 'status')).toBe(true);
    expect(health.frames.some((f) => f.type === 7 || f.type === 3)).toBe(false);
    expect(sub.frames.some((f) => f.type === 5)).toBe(false);
  });

  it('refuses a bad token (4401) and an unknown topic (4400), each with its reason', async () => {
    await setup();
    const bad = await subscribe('token=nope&topics=features');
    expect(await bad.closed).toEqual({ code: 4401, reason: 'bad or missing token' });
    const unknown = await subscribe(`token=${VIEWER}&topics=features,spikes`);
    expect(await unknown.closed).toEqual({ code: 4400, reason: 'unknown topic "spikes"; topics: features, intents, markers, health' });
    expect(bad.frames.length + unknown.frames.length).toBe(0);
  });

  it('tells a subscriber that fell behind how much it missed', async () => {
    const p = await setup();
    p.pushBlock(createSampleBlock({ info, first: 0, length: 100, data: new Float32Array(200), hostTime: performance.now() }));
    let connected: DashboardClient | undefined;
    server!.onConnection((c) => {
      if (c.kind === 'stream') connected = c;
    });
    const sub = await subscribe(`token=${OPERATOR}&topics=features`);
    await waitFor(() => sub.texts.length > 0);
    // A subscriber whose socket is behind: the server sees it as not ready.
    const client = connected!;
    const ready = client.ready.bind(client);
    client.ready = () => false;
    for (let bin = 0; bin < 3; bin++) p.pushFeatures(createFeatureFrame({ bin, t0: bin * 20, values: new Float32Array(4), names, hostTime: 0 }), 0.02);
    client.ready = ready;
    p.pushFeatures(createFeatureFrame({ bin: 3, t0: 60, values: new Float32Array(4), names, hostTime: 0 }), 0.02);
    await waitFor(() => sub.frames.length === 1);
    expect(sub.texts.find((t) => t['type'] === 'dropped')).toEqual({ type: 'dropped', topic: 'features', count: 3 });
    expect(sub.frames[0]!.firstColumn).toBe(3);
  });
});

describe('/metrics', () => {
  it('answers Prometheus text behind the tokens', async () => {
    const p = await setup();
    p.pushBlock(createSampleBlock({ info, first: 0, length: 100, data: new Float32Array(200), hostTime: performance.now() - 2 }));
    p.pushIntent(createIntent({ bin: 0, kind: 'continuous', values: Float32Array.of(1), latency: { acquisitionMs: 0.1, featuresMs: 0.2, decodeMs: 0.3 } }), 0.02);
    p.tick();
    const url = `http://127.0.0.1:${server!.port}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { Authorization: 'Bearer wrong-token-0000000' } })).status).toBe(401);
    const response = await fetch(url, { headers: { Authorization: `Bearer ${VIEWER}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    expect(text).toContain('# TYPE neurostream_samples_total counter\nneurostream_samples_total 100\n');
    expect(text).toContain('neurostream_lost_packets_total 3\n');
    expect(text).toContain('neurostream_corrupt_packets_total 1\n');
    expect(text).toContain('neurostream_decoder_info{name="kalman",provider="js"} 1\n');
    expect(text).toContain('neurostream_recording_bytes 12345\n');
    expect(text).toMatch(/neurostream_latency_seconds\{stage="total",quantile="0\.99"\} 0\.0006\d*\n/);
    expect(text).toContain('neurostream_latency_seconds_count{stage="decode"} 1\n');
    expect(text).toContain('neurostream_nominal_sample_rate_hertz 1000\n');
    expect((await fetch(`${url}?token=${OPERATOR}`)).status).toBe(200);
    // Every sample line is `name{labels} value`, every family has HELP and TYPE.
    for (const line of text.trim().split('\n')) expect(line).toMatch(/^(# (HELP|TYPE) neurostream_\w+ .+|neurostream_\w+(\{[^}]*\})? \S+)$/);
  });
});
