/**
 * Signal quality on the dashboard, in headless Chromium: the Jordan OpenBCI recording (converted,
 * then replayed) starts with EXG3, 5, 6 and 8 at the rail — the page shows them RAILED as chips
 * under the health tiles and as badges on the traces, `/metrics` has a railed gauge per channel,
 * and a screenshot is written to test-results/dashboard-quality.png.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { dashboardSession, launchChromium, openPage, RESULTS, type DashboardSession } from '../helpers/dashboard-page.js';
import { sharedData } from '../helpers/shared-data.js';

const JORDAN = fileURLToPath(sharedData('eeg/openbci/OpenBCI_2016-02-13_Jordan_focus.txt'));

let browser: Browser;
let work: string;
let session: DashboardSession | undefined;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ns-dashboard-quality-'));
  const c = await runCli(['convert', JORDAN, join(work, 'jordan')]);
  expect(c.code, c.stderr).toBe(0);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await session?.stop();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('signal quality on the dashboard', () => {
  it('shows the Jordan file’s railed channels as chips and trace badges, and as /metrics gauges', async () => {
    session = await dashboardSession(['replay', join(work, 'jordan'), '--dashboard', '0', '--no-dsp'], { timeoutMs: 120_000 });
    const url = session.viewer;
    const { page, problems } = await openPage(browser, url, { consoleErrors: false });
    await page.waitForSelector('#quality [data-status="railed"]', { timeout: 30_000 });
    const chips = await page.$$eval('#quality .chip', (els) => els.map((e) => `${e.getAttribute('data-channel')} ${e.getAttribute('data-status')}`));
    for (const c of [3, 5, 6, 8]) expect(chips).toContain(`EXG${c} railed`);
    expect(chips).not.toContain('EXG1 railed');
    const u = new URL(url);
    const token = u.searchParams.get('token');
    const metrics = await (await fetch(`http://${u.host}/metrics`, token ? { headers: { Authorization: `Bearer ${token}` } } : {})).text();
    expect(metrics).toMatch(/neurostream_channel_railed\{channel="EXG3"\} 1/);
    expect(metrics).toMatch(/neurostream_channel_railed\{channel="EXG1"\} 0/);
    // The markers where a channel's quality changed reach the page.
    const markers = await page.evaluate(() => (window as unknown as { __neurostream: { markers: number } }).__neurostream.markers);
    expect(markers).toBeGreaterThanOrEqual(4);
    await page.waitForTimeout(1500); // a few trace frames
    expect(problems).toEqual([]);
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, 'dashboard-quality.png') });
    await page.close();
  }, 120_000);
});
