/**
 * Honest states, in headless Chromium (issue 17, item 5):
 * - a replay of a real recording (the OpenBCI GUI v6 file of ../shared/data, converted) says
 *   "Replay <position> / <length> s at 4x" in a blue banner, never "Live", with latency
 *   thresholds that fit a 250 Hz stream;
 * - a Cyton on a socat pty whose emulator is killed says "device lost — reconnecting (attempt N)"
 *   in a red banner (not a green one with 0 Hz), and leaves that state once an emulator is back
 *   on the same port.
 * Screenshots: test-results/dashboard-replay-state.png, dashboard-device-lost.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { dashboardSession, launchChromium, openPage, RESULTS } from '../helpers/dashboard-page.js';
import { sharedData } from '../helpers/shared-data.js';

const GUI_V6 = fileURLToPath(sharedData('eeg/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt'));
/** The banner's red (style.css --bad) and the replay's blue. */
const RED = 'rgb(179, 38, 30)';
const BLUE = 'rgb(31, 95, 168)';

let browser: Browser;
let work: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ns-dashboard-states-'));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const child of children) if (child.exitCode === null) child.kill('SIGINT');
  rmSync(work, { recursive: true, force: true });
}, 60_000);

/** `neurostream emulate --protocol cyton --link LINK` (socat pty), once its device exists. */
async function emulator(link: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'emulate', '--protocol', 'cyton', '--link', link], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (out += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (out += t));
  await expect.poll(() => out.includes('emulating ') || child.exitCode !== null, { timeout: 15_000, interval: 50 }).toBe(true);
  if (child.exitCode !== null) throw new Error(`emulator exited: ${out}`);
  return child;
}

async function banner(page: Page): Promise<{ text: string; background: string }> {
  return await page.$eval('#banner', (el) => ({ text: el.textContent ?? '', background: getComputedStyle(el).backgroundColor }));
}

describe('dashboard states', () => {
  it('says "Replay" with position, length and speed on a replay of the OpenBCI GUI v6 recording, never "Live"', async () => {
    const recording = join(work, 'gui-v6');
    const c = await runCli(['convert', GUI_V6, recording]);
    expect(c.code, c.stderr).toBe(0);
    const s = await dashboardSession(['replay', recording, '--speed', '4', '--dashboard', '0'], { timeoutMs: 90_000 });
    const { page, problems } = await openPage(browser, s.viewer, { consoleErrors: false });
    const seen = new Set<string>();
    try {
      // Replay, in blue once the replay runs at its speed (a loaded machine may show "· degraded", in
      // amber, while it warms up or falls behind): text and colour read together.
      const shown = await page.waitForFunction(
        (blue) => {
          const el = document.getElementById('banner');
          const text = el?.textContent ?? '';
          return /^Replay \d+\.\d \/ 90\.0 s at 4x/.test(text) && !!el && getComputedStyle(el).backgroundColor === blue ? text : false;
        },
        BLUE,
        { timeout: 30_000 },
      );
      const first = { text: String(await shown.jsonValue()) };
      seen.add(first.text);
      const at = (text: string): number => Number(/^Replay (\d+\.\d)/.exec(text)![1]);
      // The position moves on (4 s of recording a second).
      await page.waitForFunction((p) => {
        const m = /^Replay (\d+\.\d)/.exec(document.getElementById('banner')?.textContent ?? '');
        return m !== null && Number(m[1]) > p + 2;
      }, at(first.text), { timeout: 20_000 });
      const later = await banner(page);
      seen.add(later.text);
      expect(at(later.text)).toBeGreaterThan(at(first.text));
      // The status carries the typed state (what the banner is drawn from).
      const status = await page.evaluate(() => (window as unknown as { __neurostream: { status: { state: string; replay: { speed: number; durationS: number } } } }).__neurostream.status);
      expect(status.state).toBe('replay');
      expect(status.replay).toMatchObject({ speed: 4, durationS: 89.96 });
      // Latency thresholds of a 250 Hz stream in 10 ms blocks: not amber at 2 ms.
      const latency = await page.textContent('#latency-tile');
      expect(latency).toMatch(/^Latency p50 \/ p99, last byte to processing.*amber above (\d+) ms, red above (\d+) ms \(2 \/ 10 blocks of [\d.]+ ms\)$/);
      expect(Number(/amber above (\d+) ms/.exec(latency!)![1])).toBeGreaterThanOrEqual(8);
      expect(await page.textContent('#latency-info')).not.toMatch(/Ms\b/);
      mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: join(RESULTS, 'dashboard-replay-state.png') });
      // Sampled through the replay: never "Live".
      for (let k = 0; k < 5; k++) {
        seen.add((await banner(page)).text);
        await page.waitForTimeout(300);
      }
      expect([...seen].filter((t) => /Live/.test(t))).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      s.interrupt();
      expect((await s.done).code).toBe(0);
    }
  }, 120_000);

  it('says "device lost — reconnecting (attempt N)" in red while the Cyton\'s pty is gone, and streams again once it is back', async () => {
    const link = join(work, 'cyton-pty');
    let device = await emulator(link);
    const s = await dashboardSession(['run', '--device', 'cyton', '--port', link, '--dashboard', '0', '--duration', '90'], { timeoutMs: 120_000 });
    const { page, problems } = await openPage(browser, s.viewer, { consoleErrors: false });
    try {
      await page.waitForFunction(() => (document.getElementById('banner')?.textContent ?? '').startsWith('Live'), undefined, { timeout: 30_000 });
      // The emulator (and its socat pty) is killed: the device is gone.
      device.kill('SIGINT');
      await new Promise((r) => device.once('exit', r));
      await page.waitForFunction(() => /^device lost — reconnecting \(attempt \d+\)$/.test(document.getElementById('banner')?.textContent ?? ''), undefined, { timeout: 20_000 });
      // Attempts count up while it stays away.
      await page.waitForFunction(() => Number(/attempt (\d+)/.exec(document.getElementById('banner')?.textContent ?? '')?.[1] ?? 0) >= 2, undefined, { timeout: 20_000 });
      const lost = await banner(page);
      expect(lost.background).toBe(RED);
      expect(await page.textContent('#health')).toContain('Sample ratedevice lost');
      expect(await page.textContent('#session')).toMatch(/^cyton on .* — away \d+ s: .+ · 1 client\(s\)$/);
      const status = await page.evaluate(() => (window as unknown as { __neurostream: { status: { state: string; link: { attempt: number } } } }).__neurostream.status);
      expect(status.state).toBe('device-lost');
      expect(status.link.attempt).toBeGreaterThanOrEqual(2);
      mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: join(RESULTS, 'dashboard-device-lost.png') });
      // A new emulator on the same port: the driver reconnects and the banner no longer says lost.
      device = await emulator(link);
      await page.waitForFunction(() => {
        const text = document.getElementById('banner')?.textContent ?? '';
        return text !== '' && !text.startsWith('device lost') && !text.startsWith('Waiting');
      }, undefined, { timeout: 30_000 });
      const back = await page.evaluate(() => (window as unknown as { __neurostream: { status: { state: string } } }).__neurostream.status.state);
      expect(back).toBe('live');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      s.interrupt();
      await s.done;
      device.kill('SIGINT');
    }
  }, 150_000);
});
