/**
 * The traces panel: min/max per pixel column of the channels in the page's view, one lane per
 * channel (uPlot; each column's bar drawn as a zig-zag), with the stream's and the operator's
 * markers as vertical lines and labelled boxes. A lane is either a fixed number of µV (the scale
 * control) or, on `auto`, each channel's own range rounded up to 1/2/5 × 10^k µV (shown beside its
 * name); a scale bar marks one lane. The chart is as tall as its channels need (28–60 px a lane,
 * within the window). Channel names are shown normalised (`Fc5.` → `FC5`). The label above says
 * what is shown ("filtered 1–40 Hz, notch 60 Hz", "raw", a display filter). The chart and its
 * data arrays are made when the view or the scale changes and reused by every redraw.
 */
import uPlot from 'uplot';
import type { DecodedTracesFrame } from '../../protocol/dashboard-frames.js';
import { FLAG_RESET } from '../../protocol/dashboard-frames.js';
import type { MarkerMessage, ViewMessage } from '../../protocol/dashboard-messages.js';
import { displayChannelName } from '../../../core/channel-names.js';
import { ColumnStore, niceCeil, stackTraces, windowRange } from '../column-store.js';
import { $, COLORS, type PageContext, type Panel } from '../page-context.js';
import { type ChannelBadge, paintBadges } from './quality.js';

/** Markers kept for drawing. */
const MARKERS_KEPT = 200;
/** Rows of marker labels at the top of the traces; a label that fits in none is left out (its line stays). */
const MARKER_LABEL_ROWS = 4;

/** The marker labels of the last redraw: how many were drawn and left out (no room), each drawn box (x, y, w, h in canvas px) and its text, and the plot area. */
export interface MarkerLabelsProbe {
  drawn: number;
  hidden: number;
  boxes: Float64Array;
  texts: string[];
  plot: Float64Array;
}

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
  private readonly markerTexts: string[] = [];
  /** Per label row, the right edge (canvas px) of the last label placed in it this redraw. */
  private readonly labelRowEnds = new Float64Array(MARKER_LABEL_ROWS);
  /** The marker labels of the last redraw, for the browser tests (`window.__neurostream.markerLabels`). */
  readonly markerLabels: MarkerLabelsProbe = { drawn: 0, hidden: 0, boxes: new Float64Array(MARKERS_KEPT * 4), texts: [], plot: new Float64Array(4) };
  private readonly dash = [4 * devicePixelRatio, 3 * devicePixelRatio];
  private readonly solid: number[] = [];
  private readonly drawMarkers = (u: uPlot): void => this.paintOverlay(u);
  /** Per-channel µV per lane (auto scale), and the labels beside the lanes. */
  private scales = new Float64Array(0);
  /** 1 where a lane's channel did not change over the window (labelled "flat"). */
  private flat = new Uint8Array(0);
  /** Per lane, one ADC step of its channel (0 where unknown). */
  private steps = new Float64Array(0);
  private labels: string[] = [];
  private names: string[] = [];
  private units: string[] = [];
  private auto = true;
  // badges beside the traces of channels that are not ok.
  private badges: ReadonlyMap<string, ChannelBadge> = new Map();
  private rowNames: string[] = [];
  private rowOffsets: number[] = [];

  /** [signal quality] The channels' badges (by channel name), painted with the markers. */
  setBadges(badges: ReadonlyMap<string, ChannelBadge>): void {
    this.badges = badges;
    this.chart?.redraw(false);
  }

  constructor(private readonly page: PageContext) {
    page.probe.markerLabels = this.markerLabels;
  }

  /** µV between traces (the scale control); 1 (one lane) when each channel is scaled on its own. */
  spacing(): number {
    const v = ($('scale') as HTMLSelectElement).value;
    return v === 'auto' ? 1 : Number(v);
  }

  /** A new view from the server: a new store and chart. */
  setView(view: ViewMessage): void {
    this.store = new ColumnStore(view.channels.length, view.columns, 2);
    this.build();
    const label = $('display-label');
    label.textContent = view.display.label;
    label.classList.toggle('raw', view.display.key === 'raw');
    this.page.probe.display = view.display.label;
  }

  /** A marker to draw (the newest `MARKERS_KEPT`). */
  addMarker(marker: MarkerMessage): void {
    this.markers.push(marker);
    this.markerTexts.push(markerText(marker));
    if (this.markers.length > MARKERS_KEPT) {
      this.markers.shift();
      this.markerTexts.shift();
    }
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
    if (this.auto) {
      let changed = false;
      for (let r = 0; r < store.rows; r++) {
        // A flat channel (no change over the window) keeps its scale and says "flat", not "0.000001 g".
        const range = windowRange(store, r);
        const flat = range > this.steps[r]! ? 0 : 1; // less than one ADC step (or none at all)
        const s = flat ? this.scales[r] || 1 : niceCeil(range, 1e-6);
        if (s !== this.scales[r] || flat !== this.flat[r]) {
          this.scales[r] = s;
          this.flat[r] = flat;
          this.labels[r] = `${this.names[r]} ${flat ? 'flat' : formatRange(s, this.units[r]!)}`;
          changed = true;
        }
      }
      if (changed) this.chart.redraw(false, true);
    }
    stackTraces(store, this.spacing(), this.x, this.ys, this.auto ? this.scales : undefined);
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
    const names = view.channels.map((c) => displayChannelName(stream.channels[c] ?? String(c)));
    const gap = this.spacing();
    this.auto = ($('scale') as HTMLSelectElement).value === 'auto';
    const rows = names.length;
    const offsets = names.map((_, r) => -r * gap);
    this.names = names;
    this.units = view.channels.map((c) => stream.units[c] ?? '');
    this.labels = names.slice();
    this.page.probe.laneLabels = this.labels;
    this.scales = new Float64Array(rows);
    this.flat = new Uint8Array(rows);
    this.steps = Float64Array.from(view.channels, (c) => stream.adcScale?.[c] ?? 0);
    const labels = this.labels;
    const laneHeight = Math.max(28, Math.min(60, (window.innerHeight - 260) / rows));
    this.rowNames = names;
    this.rowOffsets = offsets;
    this.ys = names.map(() => []);
    this.data = [this.x, ...this.ys] as unknown as uPlot.AlignedData;
    const el = $('traces');
    this.chart = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height: Math.round(Math.max(200, rows * laneHeight + 50)),
        legend: { show: false },
        cursor: { show: false },
        scales: { x: { time: false }, y: { range: () => [-(rows - 0.5) * gap, 0.5 * gap] } },
        axes: [
          { label: 'stream time (s)' },
          { splits: () => offsets, values: () => labels, size: 110 },
        ],
        series: [{}, ...names.map((name, r) => ({ label: name, stroke: COLORS[r % COLORS.length]!, width: 1, points: { show: false } }))],
        hooks: { draw: [this.drawMarkers] },
      },
      [[], ...names.map(() => [])] as unknown as uPlot.AlignedData,
      el,
    );
    $('traces-info').textContent = `${names.length} channels, ${view.windowS} s, ${view.columns} columns of ${(view.step * 1000).toFixed(view.step < 0.01 ? 1 : 0)} ms, ${this.auto ? 'each channel scaled to its range' : `${gap} µV apart`}`;
  }

  private paintOverlay(u: uPlot): void {
    this.paintMarkers(u);
    this.paintScaleBar(u);
  }

  /** A bar one lane high at the right edge: its µV (fixed scale), or "1 lane = value beside each name". */
  private paintScaleBar(u: uPlot): void {
    const top = u.valToPos(0, 'y', true);
    const bottom = u.valToPos(-this.spacing(), 'y', true);
    const ctx = u.ctx;
    const dpr = devicePixelRatio;
    const x = u.bbox.left + u.bbox.width - 8 * dpr;
    ctx.save();
    ctx.strokeStyle = '#222';
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, bottom);
    ctx.moveTo(x - 4 * dpr, top);
    ctx.lineTo(x + 4 * dpr, top);
    ctx.moveTo(x - 4 * dpr, bottom);
    ctx.lineTo(x + 4 * dpr, bottom);
    ctx.stroke();
    ctx.font = `${12 * dpr}px system-ui`;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const text = this.auto ? 'one lane = the value beside each name' : `${this.spacing()} µV`;
    const w = ctx.measureText(text).width;
    ctx.fillStyle = 'rgba(255,255,255,0.9)';
    ctx.fillRect(x - 8 * dpr - w, (top + bottom) / 2 - 9 * dpr, w + 4 * dpr, 18 * dpr);
    ctx.fillStyle = '#222';
    ctx.fillText(text, x - 6 * dpr, (top + bottom) / 2);
    ctx.restore();
  }

  private paintMarkers(u: uPlot): void {
    const lo = u.scales['x']!.min ?? 0;
    const hi = u.scales['x']!.max ?? 0;
    const ctx = u.ctx;
    const dpr = devicePixelRatio;
    ctx.save();
    ctx.font = `600 ${13 * dpr}px system-ui`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'alphabetic';
    ctx.lineWidth = 1.5 * dpr;
    const left = u.bbox.left;
    const right = u.bbox.left + u.bbox.width;
    const h = 17 * dpr;
    const pad = 4 * dpr;
    const ends = this.labelRowEnds;
    ends.fill(-Infinity);
    const counts = this.markerLabels;
    counts.drawn = counts.hidden = 0;
    counts.plot[0] = left;
    counts.plot[1] = u.bbox.top;
    counts.plot[2] = u.bbox.width;
    counts.plot[3] = u.bbox.height;
    for (let k = 0; k < this.markers.length; k++) {
      const m = this.markers[k]!;
      if (m.time === null || m.time < lo || m.time > hi) continue;
      const x = u.valToPos(m.time, 'x', true);
      const color = m.source === 'operator' ? '#b3261e' : '#6a1b9a';
      ctx.strokeStyle = color;
      ctx.setLineDash(this.dash);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.setLineDash(this.solid);
      // A labelled box right of its line — left of it where it would run past the plot's right
      // edge — in the first row where it clears the labels already placed (markers come in time order).
      const text = this.markerTexts[k]!;
      const w = Math.min(ctx.measureText(text).width + 8 * dpr, right - left);
      let bx = x + 2 * dpr;
      if (bx + w > right) bx = x - 2 * dpr - w;
      if (bx < left) bx = left;
      let row = -1;
      for (let r = 0; r < ends.length; r++) {
        if (bx >= ends[r]! + pad) {
          row = r;
          break;
        }
      }
      if (row < 0) {
        counts.hidden++;
        continue;
      }
      ends[row] = bx + w;
      const y = u.bbox.top + 2 * dpr + row * (h + 2 * dpr);
      const b = counts.drawn * 4;
      counts.boxes[b] = bx;
      counts.boxes[b + 1] = y;
      counts.boxes[b + 2] = w;
      counts.boxes[b + 3] = h;
      counts.texts[counts.drawn] = text;
      counts.drawn++;
      ctx.fillStyle = 'rgba(255,255,255,0.92)';
      ctx.fillRect(bx, y, w, h);
      ctx.strokeRect(bx, y, w, h);
      ctx.fillStyle = color;
      ctx.fillText(text, bx + 4 * dpr, y + 13 * dpr);
    }
    ctx.restore();
    paintBadges(u, this.rowNames, this.rowOffsets, this.badges);
  }
}

/**
 * A marker's label: its text value (e.g. "T1", an EDF annotation as the file names it) when it has
 * one, else its type in words ("movement_onset" → "movement onset"); operator markers say so.
 */
export function markerText(m: MarkerMessage): string {
  const value = typeof m.value === 'string' ? m.value : typeof m.value === 'number' ? String(m.value) : '';
  const type = m.markerType.replace(/_/g, ' ');
  const text = value && value !== m.markerType ? (m.source === 'operator' || m.markerType === 'annotation' || m.markerType === 'cue' ? value : `${type}: ${value}`) : type;
  return m.source === 'operator' ? `operator: ${text}` : text;
}

/** A lane's range in the channel's unit: "500 µV", "1 mV", "0.05 g". */
function formatRange(v: number, unit: string): string {
  const micro = unit === 'uV' || unit === 'µV';
  if (micro && v >= 1000) return `${v / 1000} mV`;
  return `${v < 1 ? Number(v.toPrecision(1)) : v} ${micro ? 'µV' : unit}`;
}
