/**
 * The dashboard of `run` and `replay` from the command line: its flags and their errors, binding
 * beyond loopback only with tokens, the operator's commands over the WebSocket (and what they
 * refuse), and a recalibration asked live that a replay of the recording reproduces bit for bit.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { FLAG_RESET, FrameType, HEALTH_METRICS, decodeDashboardFrame, type DecodedTracesFrame } from '../../dashboard/protocol/dashboard-frames.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { readManifest } from '../../recordings/session-manifest.js';
import { startEmulator } from '../helpers/emulator.js';
import { runCli } from '../helpers/cli.js';
import { dashboardSession } from '../helpers/dashboard-page.js';
import { waitFor } from '../helpers/wait-for.js';
import { openClient, type TestClient } from '../dashboard/server/ws-clients.js';

const NO_TOKENS = { NEUROSTREAM_VIEWER_TOKEN: '', NEUROSTREAM_OPERATOR_TOKEN: '' };

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-run-dashboard-'));
}

function wsFor(pageUrl: string): string {
  const url = new URL(pageUrl);
  return `ws://${url.host}/ws?token=${url.searchParams.get('token')}`;
}

/**
 * An `onStdout` for runCli that calls `use` once with the WebSocket URL of the printed dashboard
 * URL for `role`, once the session's first status line is out (the stream has started).
 */
function onDashboard(role: 'viewer' | 'operator', use: (ws: string, child: ChildProcess) => unknown, started = /\[ *\d+\.\d s\]/): (text: string, child: ChildProcess) => void {
  let done = false;
  const pattern = new RegExp(`dashboard \\(${role}\\): +(\\S+)`);
  return (text, child) => {
    const m = pattern.exec(text);
    if (m && !done && started.test(text)) {
      done = true;
      void use(wsFor(m[1]!), child);
    }
  };
}

/** Sends an operator command and resolves with its reply (ack or error). */
async function command(client: TestClient, name: string, extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  const id = Math.floor(Math.random() * 1e9);
  const reply = client.next((m) => (m['type'] === 'ack' || m['type'] === 'error') && m['id'] === id);
  client.ws.send(JSON.stringify({ type: 'command', name, id, ...extra }));
  return reply;
}

describe('neurostream run --dashboard', () => {
  it('refuses a host beyond loopback without both tokens, before the device starts (exit 2)', async () => {
    const r = await runCli(['run', '--duration', '1', '--dashboard-host', '0.0.0.0'], { env: NO_TOKENS });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--dashboard-host: expected a loopback address (127.0.0.1, ::1, localhost), or NEUROSTREAM_VIEWER_TOKEN and NEUROSTREAM_OPERATOR_TOKEN set');
    expect(r.stdout).not.toContain('intracortical-simulator');
  });

  it('refuses a port out of range or taken, naming --dashboard (exit 2)', async () => {
    const range = await runCli(['run', '--duration', '1', '--dashboard', '70000']);
    expect(range.code).toBe(2);
    expect(range.stderr).toContain('--dashboard: expected an integer from 0 to 65535, got 70000');
    const blocker = createServer();
    const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
    try {
      const taken = await runCli(['run', '--duration', '1', '--dashboard', String(port)]);
      expect(taken.code).toBe(2);
      expect(taken.stderr).toContain(`--dashboard: expected a free port this process may bind, got ${port}`);
    } finally {
      blocker.close();
    }
  });

  it('binds beyond loopback with the tokens from the environment, and never prints them', async () => {
    const viewerToken = 'viewer-token-0123456789';
    const operatorToken = 'operator-token-0123456789';
    let hello: Record<string, unknown> | undefined;
    const r = await runCli(['run', '--channels', '4', '--duration', '3', '--dashboard', '0', '--dashboard-host', '0.0.0.0', '--decoder', 'none'], {
      env: { NEUROSTREAM_VIEWER_TOKEN: viewerToken, NEUROSTREAM_OPERATOR_TOKEN: operatorToken },
      timeoutMs: 30_000,
      onStdout: (text) => {
        const m = /dashboard: http:\/\/0\.0\.0\.0:(\d+)\//.exec(text);
        if (m && hello === undefined) {
          hello = {};
          void openClient(`ws://127.0.0.1:${m[1]}/ws?token=${viewerToken}`).then(async (client) => {
            hello = await client.next((x) => x['type'] === 'hello');
            client.ws.close();
          });
        }
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/dashboard: http:\/\/0\.0\.0\.0:\d+\/ \(tokens from NEUROSTREAM_VIEWER_TOKEN \/ NEUROSTREAM_OPERATOR_TOKEN/);
    expect(r.stdout).not.toContain(viewerToken);
    expect(r.stdout).not.toContain(operatorToken);
    expect(hello).toMatchObject({ type: 'hello', role: 'viewer' });
  });

  it('has no dashboard with --no-dashboard', async () => {
    const r = await runCli(['run', '--channels', '4', '--duration', '0.5', '--no-dashboard']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('dashboard');
  });

  it('refuses operator commands that cannot be done, each with its reason', async () => {
    const replies: Record<string, Record<string, unknown>> = {};
    const r = await runCli(['run', '--channels', '16', '--duration', '4', '--calibrate-s', '2', '--dashboard', '0'], {
      timeoutMs: 30_000,
      onStdout: onDashboard('operator', async (url) => {
        const client = await openClient(url);
        replies['recalibrate'] = await command(client, 'recalibrate'); // still calibrating
        replies['stop'] = await command(client, 'stop-recording');
        replies['long'] = await command(client, 'add-marker', { value: 'x'.repeat(201) });
        replies['number'] = await command(client, 'add-marker', { value: 42 });
        client.ws.close();
      }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(replies['recalibrate']).toMatchObject({ type: 'error', code: 'command-failed', message: 'cannot recalibrate: the decoder is still calibrating' });
    expect(replies['stop']).toMatchObject({ type: 'error', code: 'command-failed', message: 'not recording' });
    expect(replies['long']).toMatchObject({ type: 'error', code: 'command-failed', message: 'value must be a text of 1 to 200 characters' });
    expect(replies['number']).toMatchObject({ type: 'error', message: 'value must be a text of 1 to 200 characters' });
  });

  it('gives every recording started from the dashboard its own directory, even started again within the same second', async () => {
    const root = tempDir();
    const replies: Record<string, unknown>[] = [];
    const r = await runCli(['run', '--channels', '16', '--duration', '6', '--no-dsp', '--dashboard', '0', '--recordings-dir', root], {
      timeoutMs: 60_000,
      onStdout: onDashboard('operator', async (url) => {
        const client = await openClient(url);
        // Start, then Stop and Start clicked together (the second Start does not wait for the first
        // recording to be finalised), twice: all well within one second.
        replies.push(await command(client, 'start-recording'));
        for (let k = 0; k < 2; k++) replies.push(...(await Promise.all([command(client, 'stop-recording'), command(client, 'start-recording')])));
        client.ws.close();
      }),
    });
    expect(replies.map((reply) => reply['type'])).toEqual(['ack', 'ack', 'ack', 'ack', 'ack']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/INCOMPLETE|WARNING/);
    const dirs = replies.filter((_, i) => i % 2 === 0).map((reply) => (reply['result'] as { dir: string }).dir);
    expect(new Set(dirs).size).toBe(3);
    for (const dir of dirs) {
      expect(dir.startsWith(root)).toBe(true);
      expect(readManifest(dir).status).toBe('complete');
      expect(r.stdout).toContain(`to ${dir}`);
    }
  }, 90_000);

  it('recalibrates live on an operator request, and a replay of the recording recalibrates at the same sample (intents bit for bit)', async () => {
    const root = tempDir();
    const live = join(root, 'live');
    const replies: Record<string, Record<string, unknown>> = {};
    let recalibrated: Record<string, unknown> | undefined;
    const states: unknown[] = [];
    const r = await runCli(['run', '--channels', '32', '--duration', '10', '--calibrate-s', '2', '--record', live, '--dashboard', '0'], {
      timeoutMs: 60_000,
      onStdout: onDashboard('operator', async (url) => {
        const client = await openClient(url);
        const decoding = (s: Record<string, unknown>): string => String((s['decoder'] as { status?: string } | null)?.status ?? '');
        const state = (s: Record<string, unknown>): unknown => (s['decoder'] as { state?: string } | null)?.state;
        // The decoder's state is a field of the status (what the page colours by), not read from its text.
        states.push(state(await client.next((s) => s['type'] === 'status' && decoding(s).includes('calibrating on'))));
        states.push(state(await client.next((s) => s['type'] === 'status' && decoding(s).includes('R²'))));
        replies['recalibrate'] = await command(client, 'recalibrate');
        replies['again'] = await command(client, 'recalibrate');
        states.push(state(await client.next((s) => s['type'] === 'status' && decoding(s).includes('recalibrating on'))));
        recalibrated = await client.next((s) => s['type'] === 'status' && decoding(s).includes('recalibrated ×1'));
        states.push(state(recalibrated));
        client.ws.close();
      }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(replies['recalibrate']).toMatchObject({ type: 'ack', name: 'recalibrate', result: { message: 'recalibrating on the next 2 s of the task; the current model decodes meanwhile' } });
    expect(replies['again']).toMatchObject({ type: 'error', message: 'cannot recalibrate: a recalibration is already under way' });
    expect(recalibrated).toBeDefined();
    expect(states).toEqual(['calibrating', 'decoding', 'recalibrating', 'decoding']);
    expect(r.stdout).toMatch(/asked for a recalibration at [\d.]+ s/);
    const liveRecording = openRecording(live);
    const requests = liveRecording.markers().filter((m) => m.type === 'recalibrate');
    expect(requests).toHaveLength(1);
    expect(requests[0]!.sample).toBe((replies['recalibrate']!['result'] as { sample: number }).sample);
    const liveIntents = liveRecording.intents();

    const replayed = join(root, 'replayed');
    const p = await runCli(['replay', live, '--speed', 'max', '--record', replayed, '--no-dashboard'], { timeoutMs: 60_000 });
    expect(p.code, p.stderr).toBe(0);
    const intents = openRecording(replayed).intents();
    expect(intents.map((i) => i.bin)).toEqual(liveIntents.map((i) => i.bin));
    intents.forEach((intent, i) => expect(Buffer.from(intent.values.buffer).equals(Buffer.from(liveIntents[i]!.values.buffer)), `bin ${intent.bin}`).toBe(true));
    // And without the request the replay would have differed: the model did change after it.
    expect(p.stdout).toMatch(/recalibrated ×1/);
  }, 120_000);

  it("shows a real device's lost and corrupt packets in the health frames (frame protocol over a pty, with faults)", async () => {
    const emulator = await startEmulator(['--protocol', 'frame', '--channels', '32', '--drop-rate', '0.02', '--bit-error-rate', '0.00001']);
    const health: Record<string, number>[] = [];
    try {
      const r = await runCli(['run', '--device', 'frame', '--port', emulator.link, '--duration', '4', '--dashboard', '0', '--decoder', 'none'], {
        timeoutMs: 30_000,
        onStdout: onDashboard(
          'viewer',
          (url) => {
            const ws = new WebSocket(url);
            ws.on('error', () => {});
            ws.on('message', (data: Buffer, binary) => {
              if (!binary) return;
              const frame = decodeDashboardFrame(new Uint8Array(data));
              if (frame.type === 5) health.push(Object.fromEntries(HEALTH_METRICS.map((name, row) => [name, frame.values[row]!])));
            });
          },
          /dashboard \(operator\)/,
        ),
      });
      expect(r.code, r.stderr).toBe(0);
    } finally {
      await emulator.stop();
    }
    const last = health.at(-1)!;
    expect(health.length).toBeGreaterThan(3);
    expect(last['lostPackets']).toBeGreaterThan(0);
    expect(last['corruptPackets']).toBeGreaterThan(0);
    expect(last['gapSamples']).toBeGreaterThan(0);
    expect(last['sampleRateHz']).toBeGreaterThan(20_000);
  }, 60_000);

  it('serves the stream API and /metrics from a live session, and on SIGTERM ends every part gracefully with files finalised', async () => {
    const root = tempDir();
    const rec = join(root, 'rec');
    const frames: number[] = [];
    const texts: Record<string, unknown>[] = [];
    let closed: { code: number; reason: string } | undefined;
    let metrics = '';
    const r = await runCli(['run', '--channels', '8', '--duration', '60', '--calibrate-s', '1', '--dashboard', '0', '--record', rec], {
      timeoutMs: 60_000,
      onStdout: onDashboard('viewer', async (url, child) => {
        const token = new URL(url).searchParams.get('token')!;
        const base = url.replace(/^ws:/, 'http:').replace(/\/ws\?.*$/, '');
        const ws = new WebSocket(url.replace('/ws?', '/stream?') + '&topics=features,intents,health');
        ws.on('error', () => {});
        ws.on('message', (data: Buffer, binary) => {
          if (binary) frames.push(decodeDashboardFrame(new Uint8Array(data)).type);
          else texts.push(JSON.parse(data.toString()) as Record<string, unknown>);
        });
        ws.on('close', (code, reason) => (closed = { code, reason: reason.toString() }));
        // Once intents flow, read the metrics and stop the session as a service manager would.
        while (!frames.includes(3)) await new Promise((resolve) => setTimeout(resolve, 50));
        metrics = await (await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).text();
        child.kill('SIGTERM');
      }),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stopped \(SIGTERM\)/);
    expect(r.stdout).toMatch(/recorded \d+ samples\/ch, [\d.]+ MB to /);
    expect(readManifest(rec).status).toBe('complete');
    expect(texts.find((t) => t['type'] === 'features')).toMatchObject({ names: expect.arrayContaining(['tc:ch0001', 'sbp:ch0008']) });
    expect(frames).toContain(7);
    expect(frames).toContain(5);
    expect(metrics).toMatch(/neurostream_decoder_info\{name="kalman",provider="js"\} 1/);
    expect(metrics).toMatch(/neurostream_recording_info\{state="recording"\} 1/);
    expect(texts.at(-1)).toMatchObject({ type: 'status', state: 'ended' });
    expect(closed).toEqual({ code: 1001, reason: 'server closing' });
  }, 90_000);

  it('serves the dashboard for a replay too', async () => {
    const root = tempDir();
    const rec = join(root, 'rec');
    const made = await runCli(['run', '--channels', '8', '--duration', '2', '--fast', '--no-dsp', '--record', rec, '--no-dashboard'], { timeoutMs: 30_000 });
    expect(made.code, made.stderr).toBe(0);
    let hello: Record<string, unknown> | undefined;
    let frames = 0;
    const r = await runCli(['replay', rec, '--speed', '1', '--dashboard', '0'], {
      timeoutMs: 30_000,
      onStdout: onDashboard(
        'viewer',
        async (url) => {
          const client = await openClient(url);
          hello = await client.next((x) => x['type'] === 'hello' && x['stream'] !== null);
          await new Promise((resolve) => setTimeout(resolve, 800));
          frames = client.binaryFrames;
        },
        /dashboard \(operator\)/,
      ),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(hello).toMatchObject({ role: 'viewer', stream: { sampleRateHz: 30_000 } });
    expect((hello!['stream'] as { channels: string[] }).channels).toHaveLength(8);
    expect(frames).toBeGreaterThan(10);
  }, 60_000);

  it("makes the intracortical spike-band display only while a page shows it: a page that comes later sees a gap where none did, in the raw signal none", async () => {
    const s = await dashboardSession(['run', '--channels', '16', '--duration', '60', '--dashboard', '0', '--decoder', 'none', '--status-interval', '1'], {
      timeoutMs: 90_000,
      readyWhen: (text) => /\[ *\d+\.\d s\]/.test(text),
    });
    const shown: Record<'raw' | 'session', DecodedTracesFrame | undefined> = { raw: undefined, session: undefined };
    try {
      // A second and a half of the session with no page at all.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const watch = async (display: 'raw' | 'session'): Promise<void> => {
        const client = await openClient(wsFor(s.viewer));
        // (The hello may have come with the upgrade: the client keeps every text message.)
        await waitFor(() => client.messages.some((m) => (m as Record<string, unknown>)['type'] === 'hello' && (m as Record<string, unknown>)['stream'] !== null), 'the hello');
        // After the page's view is answered, the whole window comes (a RESET frame): the one to read.
        let viewed = false;
        client.ws.on('message', (data: Buffer, binary) => {
          if (!binary) {
            const m = JSON.parse(data.toString()) as Record<string, unknown>;
            if (m['type'] === 'view' && (m['display'] as { choice?: string } | undefined)?.choice === display) viewed = true;
            return;
          }
          if (!viewed || shown[display]) return;
          const frame = decodeDashboardFrame(new Uint8Array(data));
          if (frame.type === FrameType.Traces && (frame.flags & FLAG_RESET) !== 0) shown[display] = frame;
        });
        client.ws.send(JSON.stringify({ type: 'view', channels: [0], windowS: 10, columns: 500, display }));
      };
      await Promise.all([watch('raw'), watch('session')]);
      await waitFor(() => shown.raw !== undefined && shown.session !== undefined, 'both pages’ whole windows');
    } finally {
      const r = await s.stop();
      expect(r.code, r.stderr).toBe(0);
    }
    const finite = (f: DecodedTracesFrame): number[] => Array.from(f.max.subarray(0, f.columns)).flatMap((v, i) => (Number.isNaN(v) ? [] : [i]));
    const raw = finite(shown.raw!);
    const session = finite(shown.session!);
    // 20 ms columns: the raw signal from the start, ≥ 1.5 s of it.
    expect(raw.length).toBeGreaterThanOrEqual(75);
    // The session's display: its first block (which made it), then nothing while no page showed it.
    expect(session[0]).toBe(raw[0]);
    expect(raw.length - session.length, `raw ${raw.length} columns, the session's display ${session.length}`).toBeGreaterThanOrEqual(50);
    expect(session.every((column) => raw.includes(column))).toBe(true);
  }, 120_000);
});
