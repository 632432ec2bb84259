/**
 * The traces panel: min/max per pixel column of the channels in the page's view, stacked
 * `spacing` µV apart (uPlot; each column's bar drawn as a zig-zag), with the stream's and the
 * operator's markers as vertical lines. The chart and its data arrays are made when the view or
 * the scale changes and reused by every redraw.
 */
import uPlot from 'uplot';
import type { DecodedTracesFrame } from '../../protocol/dashboard-frames.js';
import { FLAG_RESET } from '../../protocol/dashboard-frames.js';
import type { MarkerMessage, ViewMessage } from '../../protocol/dashboard-messages.js';
import { ColumnStore, stackTraces } from '../column-store.js';
import { $, COLORS, type PageContext, type Panel } from '../page-context.js';
import { type ChannelBadge, paintBadges } from './quality.js'; // [signal quality, issue 17]

/** Markers kept for drawing. */
const MARKERS_KEPT = 200;

export class TracesPanel implements Panel<DecodedTracesFrame> {
  dirty = false;
  private store: ColumnStore | undefined;
  private chart: uPlot | undefined;
  private readonly x: number[] = [];
  private ys: (number | null)[][] = [];
  /** `[x, ...ys]`, made with the chart. */
  private data: uPlot.AlignedData = [[]];
  private readonly payloads: Float32Array[] = [];
  private readonly markers: MarkerMessage[] = [];
  private readonly drawMarkers = (u: uPlot): void => this.paintMarkers(u);
  // [signal quality, issue 17] badges beside the traces of channels that are not ok.
  private badges: ReadonlyMap<string, ChannelBadge> = new Map();
  private rowNames: string[] = [];
  private rowOffsets: number[] = [];

  /** [signal quality] The channels' badges (by channel name), painted with the markers. */
  setBadges(badges: ReadonlyMap<string, ChannelBadge>): void {
    this.badges = badges;
    this.chart?.redraw(false);
  }

  constructor(private readonly page: PageContext) {}

  /** µV between traces (the scale control). */
  spacing(): number {
    return Number(($('scale') as HTMLSelectElement).value);
  }

  /** A new view from the server: a new store and chart. */
  setView(view: ViewMessage): void {
    this.store = new ColumnStore(view.channels.length, view.columns, 2);
    this.build();
  }

  /** A marker to draw (the newest `MARKERS_KEPT`). */
  addMarker(marker: MarkerMessage): void {
    this.markers.push(marker);
    if (this.markers.length > MARKERS_KEPT) this.markers.shift();
    this.dirty = true;
  }

  apply(frame: DecodedTracesFrame): void {
    const store = this.store;
    if (!store || frame.channels !== store.rows) return;
    this.payloads[0] = frame.min;
    this.payloads[1] = frame.max;
    store.apply(frame.firstColumn, frame.columns, frame.step, frame.time, (frame.flags & FLAG_RESET) !== 0, this.payloads);
    this.dirty = true;
  }

  draw(): void {
    this.dirty = false;
    const store = this.store;
    if (!this.chart || !store || store.end === 0) return;
    stackTraces(store, this.spacing(), this.x, this.ys);
    this.chart.setData(this.data);
    this.page.probe.redraws.traces++;
  }

  /** (Re)builds the chart for the current view and scale. */
  build(): void {
    this.chart?.destroy();
    this.chart = undefined;
    const { hello, view } = this.page;
    const stream = hello?.stream;
    if (!stream || !view) return;
    const names = view.channels.map((c) => stream.channels[c] ?? String(c));
    const gap = this.spacing();
    const rows = names.length;
    const offsets = names.map((_, r) => -r * gap);
    this.rowNames = names;
    this.rowOffsets = offsets;
    this.ys = names.map(() => []);
    this.data = [this.x, ...this.ys] as unknown as uPlot.AlignedData;
    const el = $('traces');
    this.chart = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: Math.min(900, Math.max(240, rows * 28)),
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false }, y: { range: () => [-(rows - 0.5) * gap, 0.5 * gap] } },
        axes: [
          { label: 'stream time (s)' },
          { splits: () => offsets, values: () => names, size: 70 },
        ],
        series: [{}, ...names.map((name, r) => ({ label: name, stroke: COLORS[r % COLORS.length]!, width: 1, points: { show: false } }))],
        hooks: { draw: [this.drawMarkers] },
      },
      [[], ...names.map(() => [])] as unknown as uPlot.AlignedData,
      el,
    );
    $('traces-info').textContent = `${names.length} channels, ${view.windowS} s, ${view.columns} columns of ${(view.step * 1000).toFixed(view.step < 0.01 ? 1 : 0)} ms, ${gap} µV apart`;
  }

  private paintMarkers(u: uPlot): void {
    const lo = u.scales['x']!.min ?? 0;
    const hi = u.scales['x']!.max ?? 0;
    const ctx = u.ctx;
    ctx.save();
    ctx.font = `${12 * devicePixelRatio}px system-ui`;
    for (const m of this.markers) {
      if (m.time === null || m.time < lo || m.time > hi) continue;
      const x = u.valToPos(m.time, 'x', true);
      ctx.strokeStyle = m.source === 'operator' ? '#b3261e' : '#888';
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(`${m.markerType}${typeof m.value === 'string' ? `: ${m.value}` : ''}`, x + 3, u.bbox.top + 12 * devicePixelRatio);
    }
    ctx.restore();
    paintBadges(u, this.rowNames, this.rowOffsets, this.badges); // [signal quality, issue 17]
  }
}
