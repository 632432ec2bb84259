/**
 * `neurostream run` with Lab Streaming Layer on both sides, against liblsl 1.17.7 (lsl-peer) on
 * loopback only: `--device lsl` records every sample of the peer's outlet and puts each marker of
 * its marker outlet at its sample (within one), the dashboard says "device lost" when the outlet
 * goes; `--lsl-out` offers the session's signals, features, intents and markers, which the peer's
 * inlet receives with the values the session recorded.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { channelDescriptions, fetchFullInfo, lslConfigFromIni, resolveStreams, type LslChannelDescription } from '../../devices/index.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { markerText } from '../../session/session-lsl-outlets.js';
import { runCli } from '../helpers/cli.js';
import { LOOPBACK_INI, peerValue, runPeer } from '../helpers/lsl-peer.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-run-lsl-'));
const cfg = join(dir, 'lsl_api.cfg');
writeFileSync(cfg, LOOPBACK_INI);
const env = { LSLAPICFG: cfg, NEUROSTREAM_VIEWER_TOKEN: '', NEUROSTREAM_OPERATOR_TOKEN: '' };
const config = lslConfigFromIni(LOOPBACK_INI, 'test loopback settings');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The peer's CSV rows: timestamp, then the values (numbers, or JSON strings). */
function readRows(path: string): { ts: number; values: (number | string)[] }[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const comma = line.indexOf(',');
      const rest = line.slice(comma + 1);
      const values = rest.startsWith('"') ? [JSON.parse(rest) as string] : rest.split(',').map(Number);
      return { ts: Number(line.slice(0, comma)), values };
    });
}

describe('neurostream run --device lsl (liblsl outlets)', () => {
  it('records every sample of the signal outlet and each marker of the marker outlet at its sample (±1); the dashboard says device lost when the outlet goes', async () => {
    const signal = `ns-run-sig-${process.pid}`;
    const marks = `ns-run-mk-${process.pid}`;
    const rec = join(dir, 'inlet-rec');
    const sig = runPeer(['send', signal, '--type', 'EEG', '--channels', '4', '--rate', '250', '--format', 'float32', '--seconds', '3', '--wait-s', '30', '--source-id', `sig-${process.pid}`]);
    let mk: ReturnType<typeof runPeer> | undefined;
    const states: string[] = [];
    const r = await runCli(['run', '--device', 'lsl', '--stream', signal, '--lsl-markers', marks, '--record', rec, '--duration', '8', '--dashboard', '0', '--decoder', 'none', '--no-dsp', '--status-interval', '0.25'], {
      env,
      timeoutMs: 60_000,
      onStdout: (text) => {
        const m = /dashboard \(viewer\): +(\S+)/.exec(text);
        if (m && !mk && /\[ *\d+\.\d+ s\]/.test(text)) {
          // The marker outlet starts once the signal flows (its markers fall inside the signal).
          mk = runPeer(['send', marks, '--format', 'string', '--channels', '1', '--rate', '0', '--seconds', '1', '--wait-s', '30']);
          const url = new URL(m[1]!);
          const ws = new WebSocket(`ws://${url.host}/ws?token=${url.searchParams.get('token')}`);
          ws.on('error', () => {});
          ws.on('message', (data: Buffer, binary) => {
            if (binary) return;
            const msg = JSON.parse(data.toString()) as { type: string; state?: string };
            if (msg.type === 'status' && msg.state) states.push(msg.state);
          });
        }
      },
    });
    expect(r.code, r.stderr).toBe(0);
    const [s] = (await sig.result) as [{ sent: number; first_ts: number }];
    const [m] = (await mk!.result) as [{ sent: number; first_ts: number }];
    expect(s.sent).toBe(750);
    expect(m.sent).toBe(100);

    const recording = openRecording(rec);
    expect(recording.info.channelNames).toEqual(['ch1', 'ch2', 'ch3', 'ch4']);
    expect(recording.info.sampleRateHz).toBe(250);
    let count = 0;
    let wrong = 0;
    for (const b of recording.blocks()) {
      expect(b.first).toBe(count);
      for (let i = 0; i < b.length; i++) for (let c = 0; c < 4; c++) if (b.data[c * b.length + i] !== Math.fround(peerValue(b.first + i, c))) wrong++;
      count += b.length;
    }
    expect(count).toBe(750);
    expect(wrong).toBe(0);
    // Marker j was stamped first_ts + 0.01 j on the peer's clock, as sample i of the signal at first_ts + i / 250.
    const markers = recording.markers().filter((x) => x.type === marks);
    expect(markers.map((x) => x.value).sort()).toEqual(Array.from({ length: 100 }, (_, j) => `m${j}`).sort());
    for (const x of markers) {
      const j = Number(String(x.value).slice(1));
      const expected = (m.first_ts + 0.01 * j - s.first_ts) * 250;
      expect(Math.abs(x.sample - expected), `marker m${j} at ${x.sample}, expected ${expected.toFixed(2)}`).toBeLessThanOrEqual(1);
    }
    // The outlet went after 3 s: the session kept running, reconnecting, and said so.
    expect(states).toContain('live');
    expect(states).toContain('device-lost');
    expect(r.stdout).toMatch(/device lost, reconnecting/);
  }, 90_000);

  it('refuses a bad LSL setup with one error line (exit 2)', async () => {
    const both = await runCli(['run', '--device', 'lsl', '--stream', 'a', '--lsl-query', "type='EEG'", '--no-dashboard'], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^neurostream: --lsl-query: expected the signal stream of --device lsl: its name \(--stream NAME\) or a query .*, one of the two, got .*\n$/);
    const none = await runCli(['run', '--device', 'lsl', '--no-dashboard'], { env });
    expect(none.code).toBe(2);
    expect(none.stderr.split('\n')).toHaveLength(2);
    const query = await runCli(['run', '--device', 'lsl', '--lsl-query', "type=='EEG'", '--no-dashboard'], { env });
    expect(query.code).toBe(2);
    expect(query.stderr).toMatch(/^neurostream: --lsl-query: expected an LSL query \(XPath predicate\): /);
    const port = await runCli(['run', '--device', 'lsl', '--stream', 'x', '--rate', '100', '--no-dashboard'], { env });
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/^neurostream: --rate: expected no value for --device lsl/);
    const stray = await runCli(['run', '--device', 'eeg', '--lsl-markers', 'x', '--no-dashboard'], { env });
    expect(stray.code).toBe(2);
    expect(stray.stderr).toMatch(/^neurostream: --lsl-markers: expected no value for --device eeg \(only --device lsl uses it\)/);
    const name = await runCli(['run', '--lsl-name', 'x', '--no-dashboard'], { env });
    expect(name.code).toBe(2);
    expect(name.stderr).toMatch(/^neurostream: --lsl-name: expected an --lsl-out whose outlets it names/);
  }, 60_000);
});

describe('neurostream run --lsl-out (liblsl inlets)', () => {
  it('offers signals, features, intents and markers; the peer receives each with the values the session recorded', async () => {
    const prefix = `ns-out-${process.pid}`;
    const rec = join(dir, 'outlet-rec');
    const kinds = ['signals', 'features', 'intents', 'markers'] as const;
    const receivers: Record<string, ReturnType<typeof runPeer>> = {};
    let described: Record<string, LslChannelDescription[]> | undefined;
    let describedTypes: Record<string, string> = {};
    let started = false;
    const r = await runCli(['run', '--channels', '8', '--calibrate-s', '1', '--lsl-out', '--lsl-name', prefix, '--record', rec, '--duration', '7', '--no-dashboard'], {
      env,
      timeoutMs: 60_000,
      onStdout: (text) => {
        if (started || !/\[ *\d+\.\d+ s\]/.test(text)) return;
        started = true;
        for (const k of kinds) receivers[k] = runPeer(['receive', `${prefix}-${k}`, '--seconds', '3.5', '--timeout-s', '5', '--out', join(dir, `${k}.csv`)]);
        void (async () => {
          const found = await resolveStreams({ config, predicate: `starts-with(name,'${prefix}-')`, timeoutMs: 2000, minimum: 2 });
          const full = await Promise.all(found.map((f) => fetchFullInfo(f.v4address || '127.0.0.1', f.v4dataPort)));
          described = Object.fromEntries(full.map((f) => [f.name, channelDescriptions(f)]));
          describedTypes = Object.fromEntries(full.map((f) => [f.name, f.type]));
        })();
      },
    });
    expect(r.code, r.stderr).toBe(0);
    const headers = Object.fromEntries(await Promise.all(kinds.map(async (k) => [k, ((await receivers[k]!.result) as [Record<string, unknown>])[0]] as const)));
    expect(headers['signals']).toMatchObject({ type: 'Extracellular', channel_count: 8, nominal_srate: 30000, channel_format: 'float32', labels: ['ch0001', 'ch0002', 'ch0003', 'ch0004', 'ch0005', 'ch0006', 'ch0007', 'ch0008'] });
    expect(headers['features']).toMatchObject({ type: 'Features', channel_count: 16, nominal_srate: 50, channel_format: 'float32' });
    expect(headers['intents']).toMatchObject({ type: 'Control', nominal_srate: 50, channel_format: 'float32' });
    expect(headers['markers']).toMatchObject({ type: 'Markers', channel_count: 1, nominal_srate: 0, channel_format: 'string' });
    // Units and types per channel, as the XDF meta-data conventions say.
    expect(described?.[`${prefix}-signals`]?.[0]).toEqual({ label: 'ch0001', unit: 'microvolts', type: 'Extracellular' });
    expect(described?.[`${prefix}-features`]?.[0]).toEqual({ label: 'tc:ch0001', unit: 'counts', type: 'Feature' });
    expect(described?.[`${prefix}-features`]?.[8]).toEqual({ label: 'sbp:ch0001', unit: 'microvolts', type: 'Feature' });
    expect(describedTypes[`${prefix}-signals`]).toBe('Extracellular');

    const recording = openRecording(rec);
    // Signals: the rows are consecutive samples of the recording, every value equal.
    const rows = readRows(join(dir, 'signals.csv'));
    expect(rows.length).toBeGreaterThan(30_000);
    const samples: Float32Array[] = Array.from({ length: 8 }, () => new Float32Array(recording.manifest.streams[0]!.samples ?? 300_000));
    let total = 0;
    for (const b of recording.blocks()) {
      for (let c = 0; c < 8; c++) samples[c]!.set(b.data.subarray(c * b.length, (c + 1) * b.length), b.first);
      total = b.first + b.length;
    }
    let start = -1;
    for (let s = 0; s < total && start < 0; s++) if ([0, 1, 2, 3, 4, 5, 6, 7].every((c) => samples[c]![s] === rows[0]!.values[c])) start = s;
    expect(start).toBeGreaterThanOrEqual(0);
    let wrong = 0;
    rows.forEach((row, i) => {
      for (let c = 0; c < 8; c++) if (samples[c]![start + i] !== row.values[c]) wrong++;
    });
    expect(wrong).toBe(0);
    expect(rows.at(-1)!.ts - rows[0]!.ts).toBeGreaterThan(0);
    // Features and intents: consecutive frames of the recording, every value equal.
    const consecutive = (csv: string, recorded: Float32Array[]): number => {
      const got = readRows(join(dir, csv));
      const first = recorded.findIndex((v) => Array.from(v).every((x, c) => x === got[0]!.values[c]));
      expect(first, csv).toBeGreaterThanOrEqual(0);
      got.forEach((row, i) => expect(Array.from(recorded[first + i]!), `${csv} row ${i}`).toEqual(row.values));
      return got.length;
    };
    expect(consecutive('features.csv', recording.features().map((f) => f.values))).toBeGreaterThan(100);
    expect(consecutive('intents.csv', recording.intents().map((x) => x.values))).toBeGreaterThan(50);
    // Markers: each received text is one of the session's recorded markers.
    const texts = recording.markers().map(markerText);
    const got = readRows(join(dir, 'markers.csv')).map((row) => row.values[0] as string);
    expect(got.length).toBeGreaterThan(10);
    const missing = got.filter((t) => !texts.includes(t));
    expect(missing).toEqual([]);
  }, 90_000);

  it('a session file (device lsl, lsl-out) relays liblsl’s outlet to liblsl’s inlet; replay --lsl-out offers the recording again', async () => {
    const signal = `ns-file-sig-${process.pid}`;
    const relay = `ns-relay-${process.pid}`;
    const again = `ns-again-${process.pid}`;
    const rec = join(dir, 'file-rec');
    const file = join(dir, 'lsl-session.yaml');
    writeFileSync(file, `device: { type: lsl, stream: ${signal}, timeoutS: 20 }\nstages: { dsp: false }\ndecoder: { type: none }\noutputs: { lsl-out: { name: ${relay} }, dashboard: false, recording: ${rec} }\nduration: 4\n`);
    const sig = runPeer(['send', signal, '--channels', '2', '--rate', '250', '--seconds', '3', '--wait-s', '30']);
    /** Rows of consecutive peer samples, each value equal: returns how many. */
    const checkRows = (csv: string): number => {
      const rows = readRows(join(dir, csv));
      // 7 is invertible mod 1000: the first value names the sample (mod 1000).
      const i0 = Array.from({ length: 1000 }, (_, i) => i).find((i) => Math.fround(peerValue(i, 0)) === rows[0]!.values[0])!;
      rows.forEach((row, k) => expect(row.values, `${csv} row ${k}`).toEqual([0, 1].map((c) => Math.fround(peerValue(i0 + k, c)))));
      return rows.length;
    };
    let relayed: ReturnType<typeof runPeer> | undefined;
    const r = await runCli(['run', file], {
      env,
      timeoutMs: 60_000,
      onStdout: (text) => {
        if (!relayed && /\[ *\d+\.\d+ s\] lsl/.test(text)) relayed = runPeer(['receive', `${relay}-signals`, '--seconds', '1.5', '--timeout-s', '5', '--out', join(dir, 'relay.csv')]);
      },
    });
    expect(r.code, r.stderr).toBe(0);
    await sig.result;
    const [h] = (await relayed!.result) as [Record<string, unknown>];
    expect(h).toMatchObject({ type: 'EEG', channel_count: 2, nominal_srate: 250, labels: ['ch1', 'ch2'] });
    expect(checkRows('relay.csv')).toBeGreaterThan(100);

    let replayed: ReturnType<typeof runPeer> | undefined;
    const p = await runCli(['replay', rec, '--lsl-out', '--lsl-name', again, '--no-dashboard', '--status-interval', '0.25'], {
      env,
      timeoutMs: 60_000,
      onStdout: (text) => {
        if (!replayed && /\[ *\d+\.\d+ s\]/.test(text)) replayed = runPeer(['receive', `${again}-signals`, '--seconds', '1', '--timeout-s', '5', '--out', join(dir, 'again.csv')]);
      },
    });
    expect(p.code, p.stderr).toBe(0);
    await replayed!.result;
    expect(checkRows('again.csv')).toBeGreaterThan(50);
  }, 90_000);
});
