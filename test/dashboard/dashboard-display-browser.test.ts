/**
 * What a clinician sees, in real headless Chromium, on real recordings replayed into the
 * dashboard (the OpenBCI GUI v6 recording with its 60 Hz mains; EEGMMIDB S001R04) and on live
 * simulated sessions: traces and spectra of the session's filtered signal by default (the 60 Hz
 * bin of the shown spectrum at least 20 dB below the raw one), raw on request for one viewer
 * only, a label that says which, panels that do not apply hidden (firing rates for EEG; band
 * power for intracortical), band-power bars, channel names normalised, the spike band for an
 * intracortical stream. Screenshots go to test-results/ (linked from docs/dashboard.md).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { dashboardProbe, dashboardSession, launchChromium, openPage, RESULTS } from '../helpers/dashboard-page.js';
import { sharedData } from '../helpers/shared-data.js';

const OPENBCI = fileURLToPath(sharedData('eeg/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt'));
const EEGMMIDB_R04 = fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf'));

interface Probe {
  frames: Record<string, number>;
  redraws: Record<string, number>;
  display: string | null;
  spectrum: { binHz: number; bins: number; channels: number } | null;
  bandPower: { bands: string[]; channels: number } | null;
  panels: Record<string, boolean>;
  markers: number;
}

let browser: Browser;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ns-dashboard-display-'));
  const a = await runCli(['convert', OPENBCI, join(work, 'openbci')], { timeoutMs: 60_000 });
  expect(a.code, a.stderr).toBe(0);
  const b = await runCli(['convert', EEGMMIDB_R04, join(work, 'r04')], { timeoutMs: 60_000 });
  expect(b.code, b.stderr).toBe(0);
  browser = await launchChromium();
  mkdirSync(RESULTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(work, { recursive: true, force: true });
}, 60_000);

const { probe, until } = dashboardProbe<Probe>();
const VIEWPORT = { width: 1600, height: 1200 };

/** The shown spectrum of `channel` at `hz` (dB µV²/Hz), from the page's own copy of the newest spectrum frame. */
function spectrumDb(page: Page, channel: number, hz: number): Promise<number> {
  return page.evaluate(
    ([c, f]) => {
      const s = (window as unknown as { __neurostream: { spectrum: { binHz: number; bins: number; power: Float32Array } } }).__neurostream.spectrum;
      const bin = Math.round(f! / s.binHz);
      return 10 * Math.log10(s.power[c! * s.bins + bin]!);
    },
    [channel, hz],
  );
}

/** The page's spectrum frames received so far (to wait for one computed after a change). */
const spectrumFrames = async (page: Page): Promise<number> => (await probe(page)).frames['spectrum'] ?? 0;

describe('dashboard display in headless Chromium', () => {
  it('OpenBCI GUI v6 replay: filtered traces and spectrum by default (60 Hz ≥ 20 dB below raw), raw on request for one viewer, band power, no firing rates', async () => {
    const s = await dashboardSession(['replay', join(work, 'openbci'), '--speed', '1', '--dashboard', '0', '--status-interval', '60'], { timeoutMs: 180_000 });
    const filtered = await openPage(browser, s.viewer, { viewport: VIEWPORT });
    const raw = await openPage(browser, s.viewer, { viewport: VIEWPORT });
    try {
      await until(filtered.page, (p) => p.display === 'filtered 1–40 Hz, notch 60 Hz', 'the session-filter label');
      await raw.page.waitForSelector('#display option[value="raw"]', { state: 'attached' });
      await raw.page.selectOption('#display', 'raw');
      await until(raw.page, (p) => p.display === 'raw', 'the raw label');
      // Spectra computed after the change (2 s of signal: the Welch span is 192 samples at 250 Hz).
      const seenRaw = await spectrumFrames(raw.page);
      await until(raw.page, (p) => (p.frames['spectrum'] ?? 0) >= seenRaw + 2, 'raw spectra');
      const seenFiltered = await spectrumFrames(filtered.page);
      await until(filtered.page, (p) => (p.frames['spectrum'] ?? 0) >= seenFiltered + 2 && (p.redraws['bandPower'] ?? 0) > 0, 'filtered spectra and band power');
      // The health figures are fresh although the terminal's status comes once a minute (--status-interval 60):
      // the replay's 250 Hz is achieved, not "0 Hz · SIGNAL PROBLEM".
      await filtered.page.waitForFunction(() => /^2\d\d Hz/.test(document.querySelector('#health .tile b')?.textContent ?? ''), undefined, { timeout: 10_000 });
      expect(await filtered.page.textContent('#banner')).not.toMatch(/SIGNAL PROBLEM/);
      // The other viewer still sees the filtered signal: the choice is per viewer.
      expect((await probe(filtered.page)).display).toBe('filtered 1–40 Hz, notch 60 Hz');
      expect(await filtered.page.textContent('#display-label')).toBe('filtered 1–40 Hz, notch 60 Hz');
      expect(await raw.page.textContent('#display-label')).toBe('raw');
      expect(await filtered.page.textContent('#spectrum-label')).toBe('filtered 1–40 Hz, notch 60 Hz');
      for (let c = 0; c < 8; c++) {
        const shown = await spectrumDb(filtered.page, c, 60);
        const unfiltered = await spectrumDb(raw.page, c, 60);
        expect(shown, `EXG ${c}: 60 Hz shown ${shown.toFixed(1)} dB vs raw ${unfiltered.toFixed(1)} dB`).toBeLessThanOrEqual(unfiltered - 20);
      }
      // EEG: no firing-rate heatmap; band power per channel, all five bands, positive.
      const p = await probe(filtered.page);
      expect(p.panels).toMatchObject({ rate: false, bandPower: true });
      expect(await filtered.page.isVisible('#rate-panel')).toBe(false);
      expect(await filtered.page.isVisible('#bandpower')).toBe(true);
      expect(p.bandPower!.bands).toEqual(['delta', 'theta', 'alpha', 'beta', 'gamma']);
      const power = await filtered.page.evaluate(() => Array.from((window as unknown as { __neurostream: { bandPower: { power: Float32Array } } }).__neurostream.bandPower.power.subarray(0, 40)));
      expect(power.every((v) => v > 0)).toBe(true);
      await filtered.page.screenshot({ path: join(RESULTS, 'dashboard-openbci-filtered.png'), fullPage: true });
      await raw.page.screenshot({ path: join(RESULTS, 'dashboard-openbci-raw.png'), fullPage: true });
      expect(filtered.problems).toEqual([]);
      expect(raw.problems).toEqual([]);
    } finally {
      await filtered.page.close();
      await raw.page.close();
      await s.stop();
    }
  }, 120_000);

  it('EEGMMIDB S001R04 replay: filtered by default, channel names normalised, cue markers, band power, no firing rates', async () => {
    const s = await dashboardSession(['replay', join(work, 'r04'), '--speed', '1', '--dashboard', '0', '--status-interval', '60'], { timeoutMs: 180_000 });
    const { page, problems } = await openPage(browser, s.viewer, { viewport: VIEWPORT });
    try {
      await until(page, (p) => p.display === 'filtered 1–40 Hz, notch 60 Hz', 'the session-filter label');
      await until(page, (p) => (p.redraws['spectrum'] ?? 0) > 0 && (p.redraws['bandPower'] ?? 0) > 0 && p.markers >= 2, 'spectra, band power and cue markers', 30_000);
      // Names as a clinician writes them (the file says `Fc5.`), in the spectrum's legend.
      const legend = await page.textContent('#spectrum');
      expect(legend).toContain('FC5');
      expect(legend).not.toContain('Fc5.');
      // … and in the signal-quality chips under the health tiles.
      await page.waitForSelector('#quality .chip', { timeout: 10_000 });
      const chips = await page.textContent('#quality');
      expect(chips).toContain('FC5 ');
      expect(chips).not.toContain('Fc5.');
      expect(await page.isVisible('#rate-panel')).toBe(false);
      expect(await page.isVisible('#bandpower')).toBe(true);
      await page.waitForTimeout(4000); // a few cues on the traces
      await page.screenshot({ path: join(RESULTS, 'dashboard-eegmmidb-filtered.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await s.stop();
    }
  }, 120_000);

  it('live simulated EEG: filtered by default; a display filter (7–13 Hz) for one viewer', async () => {
    const s = await dashboardSession(['run', '--device', 'eeg', '--duration', '60', '--dashboard', '0', '--status-interval', '60'], { timeoutMs: 180_000 });
    const { page, problems } = await openPage(browser, s.viewer, { viewport: VIEWPORT });
    try {
      await until(page, (p) => p.display === 'filtered 1–40 Hz, notch 60 Hz' && (p.redraws['bandPower'] ?? 0) > 0, 'filtered traces and band power');
      expect(await page.isVisible('#rate-panel')).toBe(false);
      await page.selectOption('#display', 'band:7-13');
      await until(page, (p) => p.display === 'filtered 7–13 Hz, notch 60 Hz (display filter)', 'the display-filter label');
      await page.screenshot({ path: join(RESULTS, 'dashboard-eeg-live-alpha-band.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await s.stop();
    }
  }, 120_000);

  it('live simulated intracortical: the session spike band (the chain band-pass and common average) by default, firing rates shown, no band power', async () => {
    const s = await dashboardSession(['run', '--channels', '16', '--duration', '60', '--dashboard', '0', '--decoder', 'none', '--status-interval', '60'], { timeoutMs: 180_000 });
    const { page, problems } = await openPage(browser, s.viewer, { viewport: VIEWPORT });
    try {
      await until(page, (p) => p.display === 'spike band 300–3000 Hz, common average' && (p.redraws['rate'] ?? 0) > 0 && (p.redraws['spectrum'] ?? 0) > 0, 'spike-band traces, rates and spectra');
      // The spectrum shown is of the spike band: far more power at 1 kHz than at 50 Hz (below the band).
      await until(page, (p) => (p.frames['spectrum'] ?? 0) >= 2, 'a second spectrum');
      expect(await spectrumDb(page, 0, 1000)).toBeGreaterThan((await spectrumDb(page, 0, 50)) + 20);
      const p = await probe(page);
      expect(p.panels).toMatchObject({ rate: true, bandPower: false, decoder: false });
      expect(await page.isVisible('#bandpower-panel')).toBe(false);
      expect(await page.isVisible('#rate-panel')).toBe(true);
      // The spectrum's axis reaches 7.5 kHz (log frequency).
      expect(p.spectrum!.bins * p.spectrum!.binHz).toBeGreaterThan(7000);
      await page.screenshot({ path: join(RESULTS, 'dashboard-intracortical-spike-band.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await page.close();
      await s.stop();
    }
  }, 120_000);
});
