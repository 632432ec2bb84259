/**
 * The dashboard end to end in real headless Chromium (Debian's /usr/bin/chromium, driven by
 * playwright-core; no browser is ever downloaded): the page loads from `neurostream run`, its
 * charts receive frames and redraw, an operator adds a marker and records (the marker is in the
 * recording), a viewer cannot start a recording, a wrong token is refused with its reason. A
 * screenshot of the live dashboard is saved under test-results/ (a CI artifact).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecording } from '../../recordings/recording-reader.js';
import { dashboardProbe, dashboardSession, launchChromium, openPage, RESULTS, type DashboardSession } from '../helpers/dashboard-page.js';

interface Probe {
  frames: Record<string, number>;
  redraws: Record<string, number>;
  role: string | null;
  acks: { name: string; result?: Record<string, unknown> }[];
  errors: { code: string; message: string }[];
  closed: { code: number; reason: string } | null;
  markers: number;
  status: { recording: { state: string; dir: string } | null; decoder: { name: string } | null } | null;
  view: { channels: number[]; columns: number } | null;
  health: Record<string, number>;
}

const { probe, until } = dashboardProbe<Probe>();

let browser: Browser;
let work: string;
let session: DashboardSession | undefined;
let viewerUrl = '';
let operatorUrl = '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ns-dashboard-'));
  const ready = dashboardSession(['run', '--channels', '16', '--duration', '300', '--dashboard', '0', '--calibrate-s', '3', '--recordings-dir', join(work, 'recordings')], {
    timeoutMs: 300_000,
    readyWhen: (stdout) => stdout.includes('intracortical-simulator'),
  }).then((s) => {
    session = s; // stopped in afterAll even if Chromium fails to start
    viewerUrl = s.viewer;
    operatorUrl = s.operator;
  });
  [browser] = await Promise.all([launchChromium(), ready]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (session) {
    const result = await session.stop();
    expect(result.code, result.stderr).toBe(0);
  }
  rmSync(work, { recursive: true, force: true });
}, 60_000);

/** Non-background pixels in the trace chart's canvas: something was drawn. */
function inkedPixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    const canvas = document.querySelector('#traces canvas') as HTMLCanvasElement | null;
    if (!canvas) return 0;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3]! > 0 && (data[i]! < 200 || data[i + 1]! < 200 || data[i + 2]! < 200)) inked++;
    return inked;
  });
}

describe('dashboard in headless Chromium', () => {
  it('loads from `neurostream run`; every chart receives frames and redraws; a screenshot is saved', async () => {
    const { page, problems } = await openPage(browser, operatorUrl);
    const first = await until(page, (p) => p.frames['traces']! > 20 && p.redraws['traces']! > 5 && p.frames['health']! > 2, 'trace frames and redraws');
    expect(first.role).toBe('operator');
    expect(first.view).toMatchObject({ channels: Array.from({ length: 16 }, (_, i) => i) });
    expect(await page.textContent('#role')).toBe('Operator');
    await page.waitForTimeout(1000);
    const later = await probe(page);
    // About 30 frames a second, redrawn as they come (at most once per animation frame).
    expect(later.frames['traces']! - first.frames['traces']!).toBeGreaterThan(15);
    expect(later.redraws['traces']!).toBeGreaterThan(first.redraws['traces']!);
    expect(await inkedPixels(page)).toBeGreaterThan(5000);
    // The rate heatmap and the spectrum arrive too; the decoder calibrates (3 s) and then decodes.
    const decoded = await until(page, (p) => p.frames['rate']! > 10 && p.redraws['spectrum']! > 0 && p.frames['intent']! > 10 && p.redraws['intent']! > 0, 'rates, spectra and intents', 20_000);
    expect(decoded.health['sampleRateHz']).toBeGreaterThan(25_000);
    // Online validation: the decoder's running R² against the task's truth, as a tile.
    await until(page, (p) => (p.status?.decoder as { validation?: unknown } | null)?.validation !== undefined, 'the running R²', 20_000);
    await page.waitForSelector('#validation');
    expect(await page.textContent('#validation')).toMatch(/^Decoding R² \(last \d+ s\)(-?\d+\.\d\d|—)vel_x (-?\d+\.\d\d|—), vel_y (-?\d+\.\d\d|—)$/);
    expect(decoded.status?.decoder?.name).toBe('kalman');
    expect(await page.textContent('#banner')).toMatch(/^Live/);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'dashboard.png'), fullPage: true });
    expect(existsSync(join(RESULTS, 'dashboard.png'))).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('follows its controls: channel selection, window and scale re-lay the view; pause stops drawing, not receiving', async () => {
    const { page, problems } = await openPage(browser, viewerUrl);
    await until(page, (p) => p.frames['traces']! > 5, 'the first frames');
    await page.fill('#channels', '5-8, 12');
    await page.press('#channels', 'Enter');
    await page.selectOption('#window', '1');
    const relaid = await until(page, (p) => p.view?.channels.join(',') === '4,5,6,7,11' && (p.view as unknown as { windowS: number }).windowS === 1, 'the new view');
    expect(relaid.view!.columns).toBeGreaterThan(500);
    expect(await page.textContent('#traces-info')).toMatch(/^5 channels, 1 s, \d+ columns of 1(\.0)? ms, each channel scaled to its range$/);
    await page.selectOption('#scale', '1000');
    expect(await page.textContent('#traces-info')).toMatch(/1000 µV apart$/);
    await page.click('#channels-next');
    await until(page, (p) => p.view?.channels.join(',') === '9,10,11,12,13', 'the next page of channels (as many as shown)');
    await page.click('#pause');
    expect(await page.getAttribute('#pause', 'aria-pressed')).toBe('true');
    await page.waitForTimeout(200);
    const paused = await probe(page);
    await page.waitForTimeout(1000);
    const still = await probe(page);
    expect(still.frames['traces']! - paused.frames['traces']!).toBeGreaterThan(15); // still receiving
    expect(still.redraws['traces']).toBe(paused.redraws['traces']); // not drawing
    expect(await page.textContent('#banner')).toContain('PAUSED');
    await page.click('#pause');
    await until(page, (p) => p.redraws['traces']! > still.redraws['traces']!, 'drawing to resume');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('lets an operator start a recording, add a marker into it and stop it', async () => {
    const { page, problems } = await openPage(browser, operatorUrl);
    await until(page, (p) => p.status !== null && p.frames['traces']! > 0, 'the first frames');
    await page.click('#record');
    const started = await until(page, (p) => p.acks.some((a) => a.name === 'start-recording'), 'start-recording ack');
    const dir = String(started.acks.find((a) => a.name === 'start-recording')!.result!['dir']);
    expect(dir.startsWith(join(work, 'recordings', 'session-'))).toBe(true);
    await until(page, (p) => p.status?.recording?.state === 'recording', 'recording state');
    await page.fill('#marker-text', 'stimulation on');
    await page.click('#marker');
    const marked = await until(page, (p) => p.acks.some((a) => a.name === 'add-marker') && p.markers > 0, 'add-marker ack and the marker shown');
    const markerTime = Number(marked.acks.find((a) => a.name === 'add-marker')!.result!['time']);
    await page.waitForTimeout(500);
    expect(await page.textContent('#record')).toBe('Stop recording');
    await page.click('#record');
    const stopped = await until(page, (p) => p.acks.some((a) => a.name === 'stop-recording'), 'stop-recording ack');
    expect(stopped.acks.find((a) => a.name === 'stop-recording')!.result).toMatchObject({ dir, state: 'closed' });
    const recording = openRecording(dir);
    const markers = recording.markers().filter((m) => m.type === 'annotation');
    expect(markers.map((m) => m.value)).toEqual(['stimulation on']);
    expect(markers[0]!.sample / recording.info.sampleRateHz).toBeCloseTo(markerTime, 6);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('shows a viewer no operator controls and refuses its start-recording as forbidden', async () => {
    const before = existsSync(join(work, 'recordings')) ? readdirSync(join(work, 'recordings')).length : 0;
    const { page, problems } = await openPage(browser, viewerUrl);
    await until(page, (p) => p.role === 'viewer' && p.frames['traces']! > 0, 'viewer frames');
    expect(await page.textContent('#role')).toBe('Viewer (read-only)');
    expect(await page.isVisible('#record')).toBe(false);
    expect(await page.isVisible('#marker')).toBe(false);
    // Even a hand-made command on the viewer's token is refused by the server.
    const reply = await page.evaluate(
      () =>
        new Promise<Record<string, unknown>>((resolve) => {
          const token = new URLSearchParams(location.search).get('token')!;
          const ws = new WebSocket(`ws://${location.host}/ws?token=${token}`);
          ws.onopen = () => ws.send(JSON.stringify({ type: 'command', name: 'start-recording', id: 7 }));
          ws.onmessage = (event) => {
            if (typeof event.data !== 'string') return;
            const message = JSON.parse(event.data) as Record<string, unknown>;
            if (message['type'] === 'error') resolve(message);
          };
        }),
    );
    expect(reply).toEqual({ type: 'error', id: 7, code: 'forbidden', message: 'start-recording needs the operator token; this client is a viewer' });
    await page.waitForTimeout(300);
    const after = existsSync(join(work, 'recordings')) ? readdirSync(join(work, 'recordings')).length : 0;
    expect(after).toBe(before);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('refuses a wrong token with the reason on the page (close code 4401)', async () => {
    const url = new URL(viewerUrl);
    url.searchParams.set('token', 'not-the-token-at-all');
    const { page } = await openPage(browser, url.toString());
    const refused = await until(page, (p) => p.closed !== null, 'the socket to close');
    expect(refused.closed).toEqual({ code: 4401, reason: 'bad or missing token' });
    expect(refused.frames['traces']).toBe(0);
    expect(await page.textContent('#banner')).toBe('Access refused: bad or missing token');
    await page.close();
  });
});
