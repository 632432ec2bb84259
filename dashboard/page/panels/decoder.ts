/**
 * The decoder panel: a continuous decoder's outputs over the last 10 s (uPlot) and the 2-D cursor
 * against the task's target; a discrete decoder's class probabilities as bars; and the last bin's
 * latency. The chart and its data arrays are made when the intents or the output names change and
 * reused by every redraw.
 */
import uPlot from 'uplot';
import type { DecodedIntentFrame } from '../../protocol/dashboard-frames.js';
import { FLAG_RESET } from '../../protocol/dashboard-frames.js';
import type { MarkerMessage, PageHello, StatusMessageJson } from '../../protocol/dashboard-messages.js';
import { ColumnStore } from '../column-store.js';
import { $, COLORS, type PageContext, type Panel } from '../page-context.js';

/** Bins kept. */
const RING_BINS = 1024;
/** Seconds of outputs shown. */
const SHOWN_S = 10;
/** Latency rows after the values: acquisitionMs, featuresMs, decodeMs. */
const LATENCY_ROWS = 3;
/** Half the centre-out workspace shown on the cursor canvas (targets at about ±10 cm). */
const WORKSPACE_HALF_WIDTH = 12;
/** Cursor trail, bins. */
const TRAIL_BINS = 50;

export class DecoderPanel implements Panel<DecodedIntentFrame> {
  dirty = false;
  /** Values rows [0, dims), then the 3 latency rows. */
  private store: ColumnStore | undefined;
  private chart: uPlot | undefined;
  private chartKey = '';
  private outputs: readonly string[] = [];
  private outputsKey = '';
  private readonly x: number[] = [];
  private ys: (number | null)[][] = [];
  private data: uPlot.AlignedData = [[]];
  private joined = new Float32Array(0);
  private readonly payloads: Float32Array[] = [];
  /** The task's target (x, y), once a `target_on` marker has said. */
  private readonly target: [number, number] = [0, 0];
  private hasTarget = false;

  constructor(private readonly page: PageContext) {}

  /** A hello: the intents' rows (none when the session does not decode). */
  setHello(hello: PageHello): void {
    this.store = hello.intent ? new ColumnStore(hello.intent.dims + LATENCY_ROWS, RING_BINS, 1) : undefined;
    this.chart?.destroy();
    this.chart = undefined;
    this.setOutputs(this.page.status);
  }

  /** A status: the decoder's output names label the chart. */
  setStatus(status: StatusMessageJson): void {
    this.setOutputs(status);
  }

  /** A `target_on` marker: where the cursor should go. */
  setMarker(m: MarkerMessage): void {
    if (m.markerType === 'target_on' && Array.isArray(m.value) && m.value.length >= 2) {
      this.target[0] = m.value[0] as number;
      this.target[1] = m.value[1] as number;
      this.hasTarget = true;
    }
  }

  apply(frame: DecodedIntentFrame): void {
    const store = this.store;
    if (!store || frame.channels + LATENCY_ROWS !== store.rows) return;
    // Values and latency share the store: rows [0, dims) values, then 3 latency rows.
    const n = (frame.channels + LATENCY_ROWS) * frame.columns;
    if (this.joined.length < n) this.joined = new Float32Array(Math.max(n, 2 * this.joined.length));
    const joined = this.joined.subarray(0, n);
    joined.set(frame.values);
    joined.set(frame.latency, frame.values.length);
    this.payloads[0] = joined;
    store.apply(frame.firstColumn, frame.columns, frame.step, frame.time, (frame.flags & FLAG_RESET) !== 0, this.payloads);
    this.dirty = true;
  }

  draw(): void {
    this.dirty = false;
    const intents = this.store;
    const intent = this.page.hello?.intent;
    if (!intents || intents.end === 0 || !intent) return;
    const dims = intent.dims;
    const width = Math.min(intents.width, Math.round(SHOWN_S / intent.binS));
    const first = intents.end - width;
    if (intent.kind === 'continuous') {
      if (!this.chart || this.chartKey !== this.outputsKey || this.x.length !== width) this.build(dims, width);
      for (let j = 0; j < width; j++) this.x[j] = (first + j) * intents.step;
      for (let r = 0; r < dims; r++) {
        const y = this.ys[r]!;
        for (let j = 0; j < width; j++) {
          const v = intents.at(0, r, first + j);
          y[j] = v === v ? v : null;
        }
      }
      this.chart!.setData(this.data);
      this.drawCursor(intents);
    } else {
      this.drawClasses(intents);
    }
    const latest = intents.end - 1;
    let total = 0;
    for (let k = 0; k < LATENCY_ROWS; k++) total += intents.at(0, dims + k, latest);
    const decoder = this.page.status?.decoder;
    $('decoder-info').textContent = `${decoder?.name ?? ''} on ${decoder?.provider ?? '?'}; last bin ${total.toFixed(2)} ms end to end`;
    this.page.probe.redraws.intent++;
  }

  /** The output names: the decoder's when it names one per dimension, else `out i`. */
  private setOutputs(status: StatusMessageJson | undefined): void {
    const dims = this.page.hello?.intent?.dims ?? 0;
    const named = status?.decoder?.outputs;
    const outputs = named && named.length === dims ? named : Array.from({ length: dims }, (_, i) => `out ${i}`);
    const key = outputs.join(',');
    if (key === this.outputsKey && this.outputs.length === dims) return;
    this.outputs = outputs;
    this.outputsKey = key;
    this.dirty = true;
  }

  private build(dims: number, width: number): void {
    this.chart?.destroy();
    const names = this.outputs.slice(0, dims);
    this.x.length = width;
    this.ys = names.map(() => new Array<number | null>(width).fill(null));
    this.data = [this.x, ...this.ys] as unknown as uPlot.AlignedData;
    this.chart = new uPlot(
      {
        width: 360,
        height: 160,
        scales: { x: { time: false } },
        legend: { show: true },
        series: [{ label: 's' }, ...names.map((name, i) => ({ label: name, stroke: COLORS[i % COLORS.length]!, width: 1, points: { show: false } }))],
      },
      [[], ...names.map(() => [])] as unknown as uPlot.AlignedData,
      $('intent'),
    );
    this.chartKey = this.outputsKey;
  }

  private drawCursor(intents: ColumnStore): void {
    const canvas = $('cursor') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const W = canvas.width;
    const H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    ctx.strokeStyle = '#ddd';
    ctx.strokeRect(0.5, 0.5, W - 1, H - 1);
    const px = this.outputs.indexOf('pos_x');
    const py = this.outputs.indexOf('pos_y');
    if (px < 0 || py < 0) {
      ctx.fillStyle = '#666';
      ctx.fillText('no position outputs', 10, 20);
      return;
    }
    const scale = W / (2 * WORKSPACE_HALF_WIDTH);
    const cx = W / 2;
    const cy = H / 2;
    if (this.hasTarget) {
      ctx.strokeStyle = '#2ca02c';
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc(cx + this.target[0] * scale, cy - this.target[1] * scale, 10, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.lineWidth = 1;
    ctx.strokeStyle = '#1f77b4';
    ctx.beginPath();
    const end = intents.end;
    for (let k = Math.max(0, end - TRAIL_BINS); k < end; k++) {
      const x = intents.at(0, px, k);
      const y = intents.at(0, py, k);
      if (x === x && y === y) ctx.lineTo(cx + x * scale, cy - y * scale);
    }
    ctx.stroke();
    const x = intents.at(0, px, end - 1);
    const y = intents.at(0, py, end - 1);
    if (x === x && y === y) {
      ctx.fillStyle = '#1f77b4';
      ctx.beginPath();
      ctx.arc(cx + x * scale, cy - y * scale, 6, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  private drawClasses(intents: ColumnStore): void {
    const canvas = $('cursor') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    const labels = this.outputs;
    const dims = labels.length;
    const barH = Math.min(30, (canvas.height - 10) / Math.max(1, dims));
    for (let i = 0; i < dims; i++) {
      const p = intents.at(0, i, intents.end - 1);
      ctx.fillStyle = COLORS[i % COLORS.length]!;
      ctx.fillRect(80, 5 + i * barH, (canvas.width - 90) * (p === p ? p : 0), barH - 4);
      ctx.fillStyle = '#222';
      ctx.fillText(`${labels[i]} ${(p * 100).toFixed(0)}%`, 4, 5 + i * barH + barH / 2);
    }
  }
}
