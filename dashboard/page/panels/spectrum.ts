/**
 * The spectrum panel: the Welch spectra (dB µV²/Hz) of the first (at most four) channels of the
 * page's view that the server monitors (uPlot). The newest spectra are copied into one buffer
 * kept while their size stays the same; the chart and its data arrays are made when the channels
 * shown or the bins change and reused by every redraw.
 */
import uPlot from 'uplot';
import type { DecodedSpectrumFrame } from '../../protocol/dashboard-frames.js';
import { $, COLORS, type PageContext, type Panel } from '../page-context.js';

/** Channels drawn at most. */
const SHOWN_CHANNELS = 4;

export class SpectrumPanel implements Panel<DecodedSpectrumFrame> {
  dirty = false;
  private power = new Float32Array(0);
  private channels = 0;
  private bins = 0;
  private binHz = 0;
  private received = false;
  private chart: uPlot | undefined;
  /** What the series were laid out for. */
  private built = { view: undefined as unknown, channels: 0, bins: 0, binHz: 0 };
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
    this.dirty = true;
  }

  draw(): void {
    this.dirty = false;
    const view = this.page.view;
    if (!this.received || !view) return;
    const { bins, binHz, power } = this;
    const built = this.built;
    if (!this.chart || built.view !== view || built.channels !== this.channels || built.bins !== bins || built.binHz !== binHz) this.build();
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
    this.shown = view.channels.filter((c) => c < this.channels).slice(0, SHOWN_CHANNELS);
    const names = this.shown.map((c) => this.page.hello?.stream?.channels[c] ?? String(c));
    const namesKey = names.join(',');
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
          scales: { x: { time: false } },
          axes: [{ label: 'Hz' }, { label: 'dB µV²/Hz', size: 60 }],
          series: [{ label: 'Hz' }, ...names.map((name, i) => ({ label: name, stroke: COLORS[i % COLORS.length]!, width: 1, points: { show: false } }))],
        },
        [[], ...names.map(() => [])] as unknown as uPlot.AlignedData,
        $('spectrum'),
      );
      (this.chart as unknown as { key?: string }).key = namesKey;
    }
    this.built = { view, channels: this.channels, bins, binHz };
    $('spectrum-info').textContent = this.shown.length === 0 ? 'the spectrum covers the first channels only' : `Welch, ${binHz.toFixed(1)} Hz bins`;
  }
}
