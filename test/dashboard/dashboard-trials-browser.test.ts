/**
 * The dashboard of a live EEG session decoding motor imagery, in headless Chromium: a trial
 * decoder calibrated on a recording of the simulator's task decodes each cue live, and the page
 * shows its running accuracy against the cues as a tile (online validation), with the class
 * probabilities arriving as intents.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { dashboardSession, launchChromium, openPage, RESULTS, type DashboardSession } from '../helpers/dashboard-page.js';

let browser: Browser;
let work: string;
let session: DashboardSession | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ns-dashboard-trials-'));
  const training = join(work, 'training');
  const t = await runCli(['run', '--device', 'eeg', '--fast', '--no-dashboard', '--duration', '240', '--record', training], { timeoutMs: 120_000 });
  expect(t.code, t.stderr).toBe(0);
  const c = await runCli(['calibrate', training, '--decoder', 'lda', '--classes', 'left,right', '--window', '0.5,2.5', '--band', '8,30', '--out', join(work, 'lda.onnx')]);
  expect(c.code, c.stderr).toBe(0);
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  if (session) expect((await session.stop()).code).toBe(0);
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('dashboard of a live trial decoder', () => {
  it('shows the running accuracy against the cues as a tile, and the class probabilities', async () => {
    session = await dashboardSession(['run', '--device', 'eeg', '--seed', '3', '--duration', '120', '--dashboard', '0', '--providers', 'cpu', '--model', join(work, 'lda.onnx')], { timeoutMs: 150_000 });
    const { page, problems } = await openPage(browser, session.viewer, { consoleErrors: false });
    // The first cue comes after 3.5–4.5 s of rest; its epoch ends 2.5 s later.
    await page.waitForSelector('#validation', { timeout: 30_000 });
    expect(await page.textContent('#validation')).toMatch(/^Decoding accuracy \(last \d+ trials\)\d\.\d\d\d+\/\d+ correct, chance 0\.50$/);
    const frames = await page.evaluate(() => (window as unknown as { __neurostream: { frames: Record<string, number> } }).__neurostream.frames);
    expect(frames['intent'] ?? 0).toBeGreaterThan(0);
    // The decoder panel: the last trial's probabilities named by class, and the trial's true cue
    // (the simulator's cue markers: left / right), no calibration line, no continuous charts.
    const decoder = await page.evaluate(async () => {
      type D = { classes: string[]; trueCue: string | null; decodedPoints: number; charts: unknown[]; state: string };
      const w = window as unknown as { __neurostream: { decoder: D; redraws: Record<string, number> } };
      const seen = w.__neurostream.redraws['intent'] ?? 0;
      while ((w.__neurostream.redraws['intent'] ?? 0) === seen) await new Promise((r) => setTimeout(r, 50));
      return w.__neurostream.decoder;
    });
    expect(decoder.classes).toEqual(['left', 'right']);
    expect(decoder.decodedPoints).toBe(2);
    expect(['left', 'right']).toContain(decoder.trueCue);
    expect(decoder.charts).toEqual([]);
    expect(decoder.state).toBe('');
    expect(problems).toEqual([]);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'dashboard-trials.png') });
    await (await page.$('#decoder-panel'))!.screenshot({ path: join(RESULTS, 'dashboard-decoder-trials.png') });
    await page.close();
  }, 120_000);
});
