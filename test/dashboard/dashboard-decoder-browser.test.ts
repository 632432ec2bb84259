/**
 * The decoder panel and the marker labels as a clinician reads them, in real headless Chromium on
 * a live simulated intracortical session decoded by the Kalman filter (calibrated on the first
 * 6 s of the centre-out task — long enough for a page on a loaded machine to see it): while it calibrates, the panel says so (never an empty plot); once
 * it decodes, one chart per unit with labelled axes — "velocity (cm/s)", "position (cm)", "stream
 * time (s)" — each output decoded against the task's truth (dashed) from its kinematics markers;
 * the task's marker labels ("movement onset", "target reached") stay inside the plot and never
 * overlap. Screenshots: test-results/dashboard-decoder-calibrating.png, dashboard-decoder.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardProbe, dashboardSession, launchChromium, openPage, RESULTS } from '../helpers/dashboard-page.js';

interface DecoderProbe {
  state: string;
  progress: { value: number; max: number } | null;
  charts: { xLabel: string; yLabel: string; series: string[] }[];
  decodedPoints: number;
  truthPoints: number;
  classes: string[];
  trueCue: string | null;
}
interface Probe {
  frames: Record<string, number>;
  redraws: Record<string, number>;
  panels: Record<string, boolean>;
  status: { decoder: { state?: string } | null } | null;
  hello: { intentTruth: { names: string[]; units: string[] } | null } | null;
  decoder: DecoderProbe | null;
  markerLabels: { drawn: number; hidden: number; boxes: Float64Array; texts: string[]; plot: Float64Array } | null;
}

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(RESULTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
}, 60_000);

const { until } = dashboardProbe<Probe>({
  read: (page) =>
    page.evaluate(() => {
      const p = (window as unknown as { __neurostream: Probe }).__neurostream;
      // Typed arrays do not survive the trip: send plain arrays.
      const m = p.markerLabels;
      return { ...p, markerLabels: m ? { ...m, boxes: Array.from(m.boxes.subarray(0, m.drawn * 4)), plot: Array.from(m.plot), texts: m.texts.slice(0, m.drawn) } : null } as unknown as Probe;
    }),
  show: (p) => p.decoder ?? p.status,
});

describe('decoder panel in headless Chromium', () => {
  it('live intracortical session with the Kalman decoder: calibration shown in words, then decoded vs true with labelled axes and units; marker labels inside the plot, never overlapping', async () => {
    const s = await dashboardSession(['run', '--device', 'intracortical', '--calibrate-s', '6', '--duration', '60', '--dashboard', '0', '--status-interval', '60'], { timeoutMs: 180_000 });
    const { page, problems } = await openPage(browser, s.viewer, { viewport: { width: 1600, height: 1100 } });
    try {
      // Calibrating: the panel is shown and says so, no empty chart.
      const calibrating = await until(page, (p) => p.status?.decoder?.state === 'calibrating' && !!p.decoder?.state, 'the calibrating state', 20_000);
      expect(calibrating.panels['decoder']).toBe(true);
      expect(calibrating.decoder!.state).toMatch(/^Calibrating/);
      // Its progress: bins collected of the 300 that 6 s of 20 ms bins make (or the fit).
      const progress = await until(page, (p) => /of 300 bins collected|fitting the model/.test(p.decoder?.state ?? ''), 'the calibration progress', 20_000);
      expect((progress.status!.decoder as { calibration?: unknown }).calibration).toMatchObject({ neededBins: 300 });
      expect(await page.isVisible('#decoder-state')).toBe(true);
      expect(await page.isVisible('#decoder-progress')).toBe(true);
      expect(await page.isVisible('#intent')).toBe(false);
      await page.waitForTimeout(300);
      await (await page.$('#decoder-panel'))!.screenshot({ path: join(RESULTS, 'dashboard-decoder-calibrating.png') });

      // Decoding: labelled charts, decoded and true.
      const decoding = await until(page, (p) => p.status?.decoder?.state === 'decoding' && (p.decoder?.truthPoints ?? 0) > 100 && (p.decoder?.decodedPoints ?? 0) > 100, 'decoded and true traces', 40_000);
      expect(decoding.hello?.intentTruth).toEqual({ names: ['pos_x', 'pos_y', 'vel_x', 'vel_y'], units: ['cm', 'cm', 'cm/s', 'cm/s'], source: "the task's kinematics markers" });
      const charts = decoding.decoder!.charts;
      expect(charts.map((c) => c.yLabel)).toEqual(['velocity (cm/s)', 'position (cm)']);
      for (const c of charts) expect(c.xLabel).toBe('stream time (s)');
      expect(charts[0]!.series).toEqual(['vel_x true', 'vel_x decoded', 'vel_y true', 'vel_y decoded']);
      expect(charts[1]!.series).toEqual(['pos_x true', 'pos_x decoded', 'pos_y true', 'pos_y decoded']);
      // Two charts drawn on the page (uPlot paints the axis labels on their canvases: see the screenshot).
      expect(await page.$$eval('#intent canvas', (els) => els.filter((e) => (e as HTMLCanvasElement).width > 0).length)).toBe(2);
      expect(decoding.decoder!.state).toBe('');
      expect(await page.isVisible('#decoder-state')).toBe(false);
      expect(await page.isVisible('#intent')).toBe(true);

      // Marker labels: the task's events, named in words, inside the plot, no two overlapping.
      const labelled = await until(page, (p) => (p.markerLabels?.drawn ?? 0) >= 4 && p.markerLabels!.texts.includes('movement onset'), 'marker labels', 20_000);
      const m = labelled.markerLabels!;
      const [left, top, width, height] = m.plot as unknown as number[];
      const boxes = m.boxes as unknown as number[];
      for (let i = 0; i < m.drawn; i++) {
        const [x, y, w, h] = boxes.slice(4 * i, 4 * i + 4) as [number, number, number, number];
        expect(x, m.texts[i]).toBeGreaterThanOrEqual(left! - 0.01);
        expect(x + w, m.texts[i]).toBeLessThanOrEqual(left! + width! + 0.01);
        expect(y).toBeGreaterThanOrEqual(top!);
        expect(y + h).toBeLessThanOrEqual(top! + height!);
        for (let j = 0; j < i; j++) {
          const [x2, y2, w2, h2] = boxes.slice(4 * j, 4 * j + 4) as [number, number, number, number];
          const overlap = x < x2 + w2 && x2 < x + w && y < y2 + h2 && y2 < y + h;
          expect(overlap, `${m.texts[i]} over ${m.texts[j]}`).toBe(false);
        }
      }
      expect(problems).toEqual([]);
      // Some reaches in the window before the pictures are taken.
      await page.waitForTimeout(6000);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(RESULTS, 'dashboard-decoder.png') });
      await (await page.$('#decoder-panel'))!.screenshot({ path: join(RESULTS, 'dashboard-decoder-panel.png') });
    } finally {
      await page.close();
      const r = await s.stop();
      expect(r.code, r.stderr).toBe(0);
    }
  }, 150_000);
});
