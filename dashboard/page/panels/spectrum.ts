/**
 * The spectrum panel: the Welch spectra (dB µV²/Hz) of what the page is shown (the view's
 * display: the session's filtered signal, raw, or a display filter), on a log-frequency axis up
 * to the server's limit (EEG 100 Hz, extracellular 7.5 kHz), for the channels typed in its
 * channel box (at most eight; by default the first four of the view) (uPlot). The newest spectra are copied into one buffer
 * kept while their size stays the same; the chart and its data arrays are made when the channels
 * shown or the bins change and reused by every redraw.
 */
import uPlot from 'uplot';
import type { DecodedSpectrumFrame } from '../../protocol/dashboard-frames.js';
import { displayChannelName } from '../../../core/channel-names.js';
import { $, COLORS, type PageContext, type Panel } from '../page-context.js';

/** Channels drawn by default. */
const SHOWN_CHANNELS = 4;
/** Channels drawn at most. */
const MAX_SHOWN_CHANNELS = 8;

/** "1-4" or "2,5" (1-based) → 0-based channel indices below `count`, at most `max`. */
export function parseChannelList(text: string, count: number, max: number): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    for (let c = Math.min(a, b); c <= Math.max(a, b) && out.length < max; c++) if (c >= 1 && c <= count && !out.includes(c - 1)) out.push(c - 1);
  }
  return out;
}

export class SpectrumPanel implements Panel<DecodedSpectrumFrame> {
  dirty = false;
  private power = new Float32Array(0);
  private channels = 0;
  private bins = 0;
  private binHz = 0;
  private received = false;
  private chart: uPlot | undefined;
  /** What the series were laid out for. */
  private built = { view: undefined as unknown, channels: 0, bins: 0, binHz: 0, selection: '' };
  /** The channel box changed: rebuild. */
  selection = '';
  /** Stream channel of each series. */
  private shown: number[] = [];
  private readonly x: number[] = [];
  private ys: (number | null)[][] = [];
  private data: uPlot.AlignedData = [[]];

  constructor(private readonly page: PageContext) {}

  apply(frame: DecodedSpectrumFrame): void {
    if (this.power.length !== frame.power.length) this.power = new Float32Array(frame.power.length);
    this.power.set(frame.power);
    this.channels = frame.channels;
    this.bins = frame.columns;
    this.binHz = frame.step;
    this.received = true;
    this.page.probe.spectrum = { binHz: this.binHz, bins: this.bins, channels: this.channels, power: this.power };
    this.dirty = true;
  }

  draw(): void {
    this.dirty = false;
    const view = this.page.view;
    if (!this.received || !view) return;
    const { bins, binHz, power } = this;
    const built = this.built;
    if (!this.chart || built.view !== view || built.channels !== this.channels || built.bins !== bins || built.binHz !== binHz || built.selection !== this.selection) this.build();
    for (let s = 0; s < this.shown.length; s++) {
      const c = this.shown[s]!;
      const y = this.ys[s]!;
      for (let b = 0; b < bins; b++) {
        const p = power[c * bins + b]!;
        y[b] = p > 0 ? 10 * Math.log10(p) : null;
      }
    }
    this.chart!.setData(this.data);
    this.page.probe.redraws.spectrum++;
  }

  private build(): void {
    const view = this.page.view!;
    const { bins, binHz } = this;
    const chosen = parseChannelList(this.selection, this.channels, MAX_SHOWN_CHANNELS);
    this.shown = chosen.length > 0 ? chosen : view.channels.filter((c) => c < this.channels).slice(0, SHOWN_CHANNELS);
    const names = this.shown.map((c) => displayChannelName(this.page.hello?.stream?.channels[c] ?? String(c)));
    const namesKey = `${names.join(',')}|${bins}|${binHz}`;
    this.x.length = bins;
    for (let b = 0; b < bins; b++) this.x[b] = (b + 0.5) * binHz;
    this.ys = names.map(() => new Array<number | null>(bins).fill(null));
    this.data = [this.x, ...this.ys] as unknown as uPlot.AlignedData;
    // The chart itself only changes with the channels' names (as it always did).
    if (!this.chart || (this.chart as unknown as { key?: string }).key !== namesKey) {
      this.chart?.destroy();
      this.chart = new uPlot(
        {
          width: Math.max(300, $('spectrum').clientWidth),
          height: 200,
          scales: { x: { time: false, distr: 3, log: 10, range: () => [this.x[0] ?? 1, this.x[this.x.length - 1] ?? 10] } },
          legend: { live: false },
          axes: [{ label: 'frequency (Hz, log scale)' }, { label: 'power (dB µV²/Hz)', size: 60 }],
          series: [{ label: 'Hz' }, ...names.map((name, i) => ({ label: name, stroke: COLORS[i % COLORS.length]!, width: 1, points: { show: false } }))],
        },
        [[], ...names.map(() => [])] as unknown as uPlot.AlignedData,
        $('spectrum'),
      );
      (this.chart as unknown as { key?: string }).key = namesKey;
    }
    this.built = { view, channels: this.channels, bins, binHz, selection: this.selection };
    $('spectrum-label').textContent = view.display.label;
    $('spectrum-label').classList.toggle('raw', view.display.key === 'raw');
    $('spectrum-info').textContent = this.shown.length === 0 ? 'the spectrum covers the first channels only' : `Welch, ${binHz.toFixed(1)} Hz bins, up to ${(bins * binHz).toFixed(0)} Hz`;
  }
}
