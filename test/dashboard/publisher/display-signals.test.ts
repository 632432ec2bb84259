/**
 * What each page is shown of the signal: the session's filtered blocks by default once the
 * session pushes them, the raw blocks to a page that asks, a display filter made from
 * acquisition's kernels to another — each page its own choice, none of them changing the others'
 * (or the raw blocks); band-power frames for EEG; a bad display request is refused naming the field.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createSampleBlock } from '../../../core/sample-block.js';
import { DashboardPublisher } from '../../../dashboard/publisher/dashboard-publisher.js';
import { parseDisplayChoice } from '../../../dashboard/publisher/display-signals.js';
import { FLAG_RESET, FrameType, decodeDashboardFrame, type DecodedDashboardFrame, type DecodedTracesFrame } from '../../../dashboard/protocol/dashboard-frames.js';
import { startDashboardServer, type DashboardServer } from '../../../dashboard/server/dashboard-server.js';
import { testStreamInfo } from '../../helpers/stream-info.js';

const VIEWER = 'v'.repeat(32);
let server: DashboardServer | undefined;
let publisher: DashboardPublisher | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  publisher?.close();
  for (const s of sockets.splice(0)) s.terminate();
  await server?.close();
});

interface Client {
  texts: Record<string, unknown>[];
  frames: DecodedDashboardFrame[];
  send: (m: object) => void;
}

async function connect(): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${server!.port}/ws?token=${VIEWER}`);
  sockets.push(ws);
  const client: Client = { texts: [], frames: [], send: (m) => ws.send(JSON.stringify(m)) };
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

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 40));
const lastView = (c: Client): Record<string, unknown> => c.texts.filter((t) => t['type'] === 'view').at(-1)!;
const lastTraces = (c: Client): DecodedTracesFrame => c.frames.filter((f): f is DecodedTracesFrame => f.type === FrameType.Traces).at(-1)!;

describe('display signals', () => {
  it('shows each page what it chose: the session filter by default, raw or a display filter on request', async () => {
    server = await startDashboardServer({ port: 0, viewerToken: VIEWER, operatorToken: 'o'.repeat(32) });
    publisher = new DashboardPublisher(server, { status: () => ({ label: 't', state: 'live', recording: null, decoder: null }), timer: false });
    const info = testStreamInfo({ channelNames: ['Fc5.', 'C3..'], channelKinds: 'eeg', sampleRateHz: 250 });
    const byDefault = await connect();
    const raw = await connect();
    const alpha = await connect();
    // Raw: 1000 µV of DC; "filtered": the same samples minus the DC (what a high-pass does).
    const L = 250;
    for (let k = 0; k < 4; k++) {
      const rawData = new Float32Array(2 * L).map((_, i) => 1000 + 10 * Math.sin((2 * Math.PI * 10 * (k * L + (i % L))) / 250));
      const filtered = rawData.map((v) => v - 1000);
      publisher.pushBlock(createSampleBlock({ info, first: k * L, length: L, data: rawData, hostTime: 0 }));
      publisher.pushFiltered(createSampleBlock({ info, first: k * L, length: L, data: filtered, hostTime: 0 }), 'filtered 1–40 Hz, notch 60 Hz');
      if (k === 0) {
        await settle();
        raw.send({ type: 'view', channels: [0, 1], windowS: 5, columns: 500, display: 'raw' });
        alpha.send({ type: 'view', channels: [0, 1], windowS: 5, columns: 500, display: { bandHz: [7, 13], notchHz: 60 } });
        await settle();
      }
    }
    publisher.tick();
    await settle();
    const hello = byDefault.texts.filter((t) => t['type'] === 'hello').at(-1)!;
    expect(hello['display']).toEqual({ signal: 'eeg', session: 'filtered 1–40 Hz, notch 60 Hz', bandPresetsHz: [[1, 50], [5, 50], [7, 13], [15, 50]], notchHz: [50, 60] });
    expect(hello['bandPower']).toMatchObject({ bands: [{ name: 'delta' }, { name: 'theta' }, { name: 'alpha' }, { name: 'beta' }, { name: 'gamma' }], channels: 2, source: 'filtered 1–40 Hz, notch 60 Hz' });
    expect(lastView(byDefault)['display']).toEqual({ choice: 'default', key: 'session', label: 'filtered 1–40 Hz, notch 60 Hz' });
    expect(lastView(raw)['display']).toEqual({ choice: 'raw', key: 'raw', label: 'raw' });
    expect(lastView(alpha)['display']).toMatchObject({ key: 'filter:7-13:60', label: 'filtered 7–13 Hz, notch 60 Hz (display filter)' });
    const shownDefault = lastTraces(byDefault);
    const shownRaw = lastTraces(raw);
    const shownAlpha = lastTraces(alpha);
    const maxOf = (f: DecodedTracesFrame): number => Math.max(...Array.from(f.max).filter((v) => v === v));
    expect(maxOf(shownDefault)).toBeCloseTo(10, 0);
    expect(maxOf(shownRaw)).toBeCloseTo(1010, 0);
    // The 7–13 Hz band-pass removed the DC and kept the 10 Hz sine (its last second, after the start-up).
    const lastSecond = Array.from(shownAlpha.max.subarray(shownAlpha.columns - 100, shownAlpha.columns));
    expect(Math.max(...lastSecond)).toBeLessThan(12);
    expect(Math.max(...lastSecond)).toBeGreaterThan(8);
    // Band power: 4 s of a 10 Hz sine → alpha dominates on each channel.
    const bp = byDefault.frames.filter((f) => f.type === FrameType.BandPower).at(-1);
    expect(bp).toBeDefined();
    const power = (bp as { power: Float32Array }).power;
    for (let c = 0; c < 2; c++) {
      const row = Array.from(power.subarray(c * 5, c * 5 + 5));
      expect(row.indexOf(Math.max(...row))).toBe(2);
    }
  });

  it("asks for the session's filtered blocks only while a page shows them (always for EEG), and shows the blocks it skipped as a gap", async () => {
    server = await startDashboardServer({ port: 0, viewerToken: VIEWER, operatorToken: 'o'.repeat(32) });
    publisher = new DashboardPublisher(server, { status: () => ({ label: 't', state: 'live', recording: null, decoder: null }), timer: false });
    const info = testStreamInfo({ channelNames: ['e0', 'e1'], channelKinds: 'extracellular', sampleRateHz: 30_000 });
    const L = 3000;
    // Raw: 100 µV; the session's filtered blocks: 7 µV — which one a page is shown is plain from its traces.
    const push = (k: number, filtered: boolean): void => {
      publisher!.pushBlock(createSampleBlock({ info, first: k * L, length: L, data: new Float32Array(2 * L).fill(100), hostTime: 0 }));
      if (filtered) publisher!.pushFiltered(createSampleBlock({ info, first: k * L, length: L, data: new Float32Array(2 * L).fill(7), hostTime: 0 }), 'spike band 300–3000 Hz, CAR');
    };
    /** Rounds of the publisher (as its timer runs them) until `condition` holds; fails naming `what`. */
    const until = async (condition: () => boolean, what: string): Promise<void> => {
      for (let i = 0; i < 300 && !condition(); i++) {
        publisher!.tick();
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(condition(), what).toBe(true);
    };
    expect(publisher.wantsFiltered(), 'before the first block').toBe(true);
    push(0, publisher.wantsFiltered());
    expect(publisher.wantsFiltered(), 'the display exists, no page shows it').toBe(false);
    push(1, publisher.wantsFiltered());
    push(2, publisher.wantsFiltered());
    const page = await connect();
    await until(() => (lastView(page)?.['display'] as { key?: string } | undefined)?.key === 'session', 'the page on the session display');
    expect(lastView(page)['display']).toEqual({ choice: 'default', key: 'session', label: 'spike band 300–3000 Hz, CAR' });
    expect(publisher.wantsFiltered(), 'a page shows it').toBe(true);
    push(3, publisher.wantsFiltered());
    // 0.5 s of window in 50 columns of 10 ms: the first 0.1 s shown, 0.1–0.3 s skipped (empty), 0.3–0.4 s shown, nothing yet after.
    const resets = (): DecodedTracesFrame[] => page.frames.filter((f): f is DecodedTracesFrame => f.type === FrameType.Traces && (f.flags & FLAG_RESET) !== 0);
    const before = resets().length;
    page.send({ type: 'view', channels: [0, 1], windowS: 0.5, columns: 50, display: 'default' });
    // (The old view — 1000 columns over 5 s — may still get a whole window first: this one has at most 50 columns.)
    await until(() => resets().slice(before).some((f) => f.columns <= 50), 'the whole window of the new view');
    const traces = resets().slice(before).find((f) => f.columns <= 50)!;
    const row = Array.from(traces.max.subarray(0, traces.columns));
    expect(row.slice(0, 10)).toEqual(Array(10).fill(7));
    expect(row.slice(10, 30).every((v) => Number.isNaN(v)), 'the skipped blocks are empty columns').toBe(true);
    expect(row.slice(30, 40)).toEqual(Array(10).fill(7));
    page.send({ type: 'view', channels: [0, 1], windowS: 0.5, columns: 50, display: 'raw' });
    await until(() => !publisher!.wantsFiltered(), 'the page turned to raw: not wanted');
    page.send({ type: 'view', channels: [0, 1], windowS: 0.5, columns: 50, display: 'session' });
    await until(() => publisher!.wantsFiltered(), 'and back: wanted');
    sockets[0]!.terminate();
    // (A page that left is let go at the next round.)
    await until(() => !publisher!.wantsFiltered(), 'the page left: not wanted');
    publisher.close();

    // EEG: its band power is computed from the filtered blocks, watched or not.
    publisher = new DashboardPublisher(server, { status: () => ({ label: 't', state: 'live', recording: null, decoder: null }), timer: false });
    const eeg = testStreamInfo({ channelNames: ['C3', 'C4'], channelKinds: 'eeg', sampleRateHz: 250 });
    publisher.pushBlock(createSampleBlock({ info: eeg, first: 0, length: 250, data: new Float32Array(500), hostTime: 0 }));
    publisher.pushFiltered(createSampleBlock({ info: eeg, first: 0, length: 250, data: new Float32Array(500), hostTime: 0 }), 'filtered 1–40 Hz');
    expect(publisher.wantsFiltered()).toBe(true);
  });

  it("wants the session's filtered blocks from the first one on when a page is open before it (no gap after the first)", async () => {
    server = await startDashboardServer({ port: 0, viewerToken: VIEWER, operatorToken: 'o'.repeat(32) });
    publisher = new DashboardPublisher(server, { status: () => ({ label: 't', state: 'live', recording: null, decoder: null }), timer: false });
    const page = await connect();
    await settle();
    const info = testStreamInfo({ channelNames: ['e0', 'e1'], channelKinds: 'extracellular', sampleRateHz: 30_000 });
    publisher.pushBlock(createSampleBlock({ info, first: 0, length: 300, data: new Float32Array(600).fill(100), hostTime: 0 }));
    // The page is on the spike-band display filter until the session's filter appears…
    expect(publisher.wantsFiltered()).toBe(true);
    publisher.pushFiltered(createSampleBlock({ info, first: 0, length: 300, data: new Float32Array(600).fill(7), hostTime: 0 }), 'spike band 300–3000 Hz, CAR');
    // … and on it as soon as it has: the next blocks are wanted with no round in between.
    expect(publisher.wantsFiltered()).toBe(true);
    await settle();
    expect(lastView(page)['display']).toMatchObject({ choice: 'default', key: 'session' });
  });

  it('refuses a display it cannot make, naming the field', () => {
    expect(() => parseDisplayChoice({ bandHz: [40, 10], notchHz: null }, 250)).toThrow(/view\.display\.bandHz: expected \[low, high\] Hz/);
    expect(() => parseDisplayChoice({ bandHz: null, notchHz: 55 }, 250)).toThrow(/view\.display\.notchHz: expected one of 50, 60 or null/);
    expect(() => parseDisplayChoice('filtered', 250)).toThrow(/view\.display: expected "default", "session", "raw"/);
    expect(parseDisplayChoice(undefined, 250)).toBe('default');
  });
});
