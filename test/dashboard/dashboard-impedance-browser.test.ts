/**
 * Impedance from the dashboard during a live Cyton session, in headless Chromium (issue 17):
 * `run --device cyton` on a socat pty against `emulate --impedance-kohm …`; an operator clicks
 * "Measure impedance"; the page shows the progress (the channel under measurement says
 * "measuring impedance", not a quality verdict), then each channel within 10 % of its configured
 * impedance, coloured by the OpenBCI GUI's thresholds; /metrics exports them; the recording has an
 * `impedance` marker per channel; the emulator's lead-off currents are all off again. A viewer
 * sees no button and is refused; a simulator session refuses the command in one clear message.
 * Screenshots: test-results/dashboard-impedance-measuring.png, dashboard-impedance.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecording } from '../../recordings/recording-reader.js';
import { dashboardSession, launchChromium, openPage, RESULTS } from '../helpers/dashboard-page.js';
import { type RunningEmulator, startEmulator } from '../helpers/emulator.js';

/** kΩ per channel, across the GUI's green (≤ 750), yellow (≤ 2500) and red bands. */
const CONFIGURED = [5, 10, 20, 50, 100, 800, 2000, 3000];

let browser: Browser;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ns-dashboard-impedance-'));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

/** A command sent by hand on the page's token; resolves with the server's ack or error. */
function handMade(page: Page, command: Record<string, unknown>): Promise<Record<string, unknown>> {
  return page.evaluate(
    (c) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const token = new URLSearchParams(location.search).get('token')!;
        const ws = new WebSocket(`ws://${location.host}/ws?token=${token}`);
        ws.onopen = () => ws.send(JSON.stringify({ type: 'command', id: 41, ...c }));
        ws.onmessage = (event) => {
          if (typeof event.data !== 'string') return;
          const message = JSON.parse(event.data) as Record<string, unknown>;
          if ((message['type'] === 'error' || message['type'] === 'ack') && message['id'] === 41) {
            ws.close();
            resolve(message);
          }
        };
      }),
    command,
  );
}

describe('impedance from the dashboard', () => {
  let emulator: RunningEmulator | undefined;
  afterAll(async () => {
    await emulator?.stop();
  });

  it('an operator measures a live Cyton’s impedances: progress, each channel within 10 %, GUI colours, /metrics, markers, currents off', async () => {
    emulator = await startEmulator(['--protocol', 'cyton', '--impedance-kohm', CONFIGURED.join(',')]);
    const record = join(work, 'cyton-recording');
    const s = await dashboardSession(['run', '--device', 'cyton', '--port', emulator.link, '--dashboard', '0', '--record', record, '--duration', '120'], { timeoutMs: 180_000 });
    const operator = await openPage(browser, s.operator, { consoleErrors: false });
    const viewer = await openPage(browser, s.viewer, { consoleErrors: false });
    const page = operator.page;
    try {
      await page.waitForFunction(() => (document.getElementById('banner')?.textContent ?? '').startsWith('Live'), undefined, { timeout: 30_000 });
      // The device can measure: the operator has the button, the viewer does not.
      await page.waitForSelector('#measure-impedance', { state: 'visible', timeout: 10_000 });
      await viewer.page.waitForSelector('#measure-impedance', { state: 'attached', timeout: 10_000 });
      expect(await viewer.page.isVisible('#measure-impedance')).toBe(false);
      const refused = await handMade(viewer.page, { name: 'measure-impedance' });
      expect(refused).toEqual({ type: 'error', id: 41, code: 'forbidden', message: 'measure-impedance needs the operator token; this client is a viewer' });

      // Signal quality is running before the measurement (1 s windows).
      await page.waitForFunction(() => document.querySelectorAll('#quality .chip').length === 8, undefined, { timeout: 15_000 });
      await page.click('#measure-impedance');
      // Progress: the channel whose current is on, and its quality chip says so.
      await page.waitForFunction(() => /Measuring impedance: EXG2 \(2 of 8\)/.test(document.getElementById('impedance-progress')?.textContent ?? ''), undefined, { timeout: 20_000 });
      await page.waitForFunction(() => document.querySelector('#quality .chip[data-channel="EXG2"]')?.getAttribute('data-status') === 'measuring', undefined, { timeout: 5_000 });
      expect(await page.textContent('#quality .chip[data-channel="EXG2"]')).toBe('EXG2 measuring impedance');
      expect(await page.isDisabled('#measure-impedance')).toBe(true);
      // A second measurement while one runs is refused.
      const twice = await handMade(page, { name: 'measure-impedance' });
      expect(twice).toMatchObject({ type: 'error', code: 'command-failed' });
      expect(String(twice['message'])).toMatch(/^already measuring impedance \(EXG\d, \d of 8\)$/);
      mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: join(RESULTS, 'dashboard-impedance-measuring.png') });

      // Done: the ack carries the values, the panel shows each channel within 10 %.
      await page.waitForFunction(
        () => (window as unknown as { __neurostream: { acks: { name: string }[] } }).__neurostream.acks.some((a) => a.name === 'measure-impedance'),
        undefined,
        { timeout: 60_000 },
      );
      await page.waitForFunction(() => document.querySelectorAll('#impedance .chip[data-kohm]').length === 8 && !document.getElementById('impedance-progress'), undefined, { timeout: 5_000 });
      const chips = await page.$$eval('#impedance .chip[data-kohm]', (els) =>
        els.map((el) => ({ channel: el.getAttribute('data-channel'), kohm: Number(el.getAttribute('data-kohm')), level: el.getAttribute('data-level'), text: el.textContent, color: getComputedStyle(el).color })),
      );
      expect(chips.map((c) => c.channel)).toEqual(['EXG1', 'EXG2', 'EXG3', 'EXG4', 'EXG5', 'EXG6', 'EXG7', 'EXG8']);
      chips.forEach((c, k) => {
        expect(Math.abs(c.kohm - CONFIGURED[k]!) / CONFIGURED[k]!, `${c.channel}: ${c.kohm} kΩ vs ${CONFIGURED[k]}`).toBeLessThan(0.1);
        expect(c.text).toBe(`${c.channel} ${c.kohm.toFixed(1)} kΩ`);
      });
      // The OpenBCI GUI's colours: green ≤ 750 kΩ, yellow ≤ 2500 kΩ, red above.
      expect(chips.map((c) => c.level)).toEqual(['good', 'good', 'good', 'good', 'good', 'fair', 'fair', 'poor']);
      expect(chips[0]!.color).toBe('rgb(24, 128, 56)');
      expect(chips[7]!.color).toBe('rgb(179, 38, 30)');
      expect(await page.textContent('#impedance h3')).toMatch(/^Impedance measured \d/);
      // Quality verdicts again (no channel is left "measuring").
      expect(await page.$$eval('#quality .chip[data-status="measuring"]', (els) => els.length)).toBe(0);
      // The emulator's AccelZ does not change: its lane says "flat" rather than a scale of 0.000001 g.
      const lanes = await page.evaluate(() => (window as unknown as { __neurostream: { laneLabels: string[] } }).__neurostream.laneLabels);
      expect(lanes).toContain('AccelZ flat');
      expect(lanes.find((l) => l.startsWith('EXG1 '))).toMatch(/^EXG1 \d+(\.\d+)? (µV|mV)$/);
      await page.screenshot({ path: join(RESULTS, 'dashboard-impedance.png') });
      // The viewer sees the values too.
      await viewer.page.waitForFunction(() => document.querySelectorAll('#impedance .chip[data-kohm]').length === 8, undefined, { timeout: 5_000 });

      // /metrics exports them (Ω).
      const url = new URL(s.viewer);
      const metrics = await (await fetch(`${url.origin}/metrics?token=${url.searchParams.get('token')}`)).text();
      for (const [k, kohm] of CONFIGURED.entries()) {
        const m = new RegExp(`^neurostream_electrode_impedance_ohms\\{channel="EXG${k + 1}"\\} ([\\d.e+]+)$`, 'm').exec(metrics);
        expect(m, `EXG${k + 1} in /metrics`).not.toBeNull();
        expect(Math.abs(Number(m![1]) / 1000 - kohm) / kohm).toBeLessThan(0.1);
      }
      expect(operator.problems).toEqual([]);
      expect(viewer.problems).toEqual([]);
    } finally {
      await page.close();
      await viewer.page.close();
      s.interrupt();
    }
    const result = await s.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/impedance: EXG1 [\d.]+ kΩ, EXG2/);
    // The recording has one impedance marker per channel, in order.
    const markers = openRecording(record).markers().filter((m) => m.type === 'impedance');
    expect(markers.map((m) => String(m.value).split(' ')[0])).toEqual(['EXG1', 'EXG2', 'EXG3', 'EXG4', 'EXG5', 'EXG6', 'EXG7', 'EXG8']);
    markers.forEach((m, k) => {
      const [, value, unit] = String(m.value).split(' ');
      expect(unit).toBe('kΩ');
      expect(Math.abs(Number(value) - CONFIGURED[k]!) / CONFIGURED[k]!).toBeLessThan(0.1);
    });
  }, 240_000);

  it('a session stopped mid-measurement leaves no lead-off current on and fails the command, not the session', async () => {
    const board = await startEmulator(['--protocol', 'cyton', '--impedance-kohm', '20']);
    const s = await dashboardSession(['run', '--device', 'cyton', '--port', board.link, '--dashboard', '0', '--duration', '120'], { timeoutMs: 120_000 });
    const { page, problems } = await openPage(browser, s.operator, { consoleErrors: false });
    try {
      await page.waitForFunction(() => (document.getElementById('banner')?.textContent ?? '').startsWith('Live'), undefined, { timeout: 30_000 });
      const reply = handMade(page, { name: 'measure-impedance', channels: '1-8', seconds: 5 });
      await page.waitForFunction(() => /Measuring impedance: EXG1/.test(document.getElementById('impedance-progress')?.textContent ?? ''), undefined, { timeout: 20_000 });
      s.interrupt();
      expect(await reply).toMatchObject({ type: 'error', code: 'command-failed', message: 'impedance measurement stopped: the stream ended during the impedance measurement' });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
    const result = await s.done;
    expect(result.code, result.stderr).toBe(0);
    // The driver turned channel 1's current off before `s`: the emulator reports its lead-off state on exit.
    const out = await board.stop();
    expect(out).toMatch(/lead-off on: none/);
  }, 180_000);

  it('a simulator session refuses measure-impedance in one clear message, and offers no button', async () => {
    const s = await dashboardSession(['run', '--device', 'eeg', '--dashboard', '0', '--duration', '60'], { timeoutMs: 90_000 });
    const { page, problems } = await openPage(browser, s.operator, { consoleErrors: false });
    try {
      await page.waitForFunction(() => (document.getElementById('banner')?.textContent ?? '').startsWith('Live'), undefined, { timeout: 30_000 });
      expect(await page.$('#measure-impedance')).toBeNull();
      const reply = await handMade(page, { name: 'measure-impedance' });
      expect(reply).toEqual({
        type: 'error',
        id: 41,
        code: 'command-failed',
        message: "measure-impedance needs a device that drives a lead-off current (an OpenBCI Cyton); this session's source (eeg-simulator) has none",
      });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      s.interrupt();
    }
    expect((await s.done).code).toBe(0);
  }, 120_000);
});
