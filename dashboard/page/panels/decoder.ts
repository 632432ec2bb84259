/**
 * The decoder panel, made to be read at a glance:
 * - while the decoder calibrates (or waits, or will not run, or failed) a line says so in words,
 *   with a progress bar of the calibration (bins collected of those needed, then "fitting") when
 *   the session reports it, else its status line — never an empty plot;
 * - a continuous decoder's outputs over the last 10 s, one chart per unit (e.g. "velocity (cm/s)"
 *   and "position (cm)"), each output decoded (solid) against the task's truth (dashed, same
 *   colour) when the stream carries it (the hello's `intentTruth`: the centre-out task's
 *   kinematics), with "stream time (s)" on the x axis; and the 2-D workspace (cm) with the target,
 *   the true cursor and the decoded one;
 * - a discrete (trial) decoder's class probabilities of the last trial as bars named by class,
 *   with the trial's true cue (the newest cue of one of its classes at or before the trial's end)
 *   outlined and named, or "true cue: not known".
 * Charts and their data arrays are made when the outputs, units or window change; every redraw
 * refills them in place (no allocation of its own per redraw). Texts are rewritten on status
 * messages (twice a second), not per redraw.
 */
import uPlot from 'uplot';
import type { DecodedIntentFrame } from '../../protocol/dashboard-frames.js';
import { FLAG_RESET } from '../../protocol/dashboard-frames.js';
import type { MarkerMessage, PageHello, StatusMessageJson } from '../../protocol/dashboard-messages.js';
import { ColumnStore } from '../column-store.js';
import { $, COLORS, escapeHtml, type PageContext, type Panel } from '../page-context.js';

/** Bins kept. */
const RING_BINS = 1024;
/** Seconds of outputs shown. */
const SHOWN_S = 10;
/** Latency rows after the values and truth: acquisitionMs, featuresMs, decodeMs. */
const LATENCY_ROWS = 3;
/** Half the centre-out workspace shown on the cursor canvas, cm (targets at 10 cm). */
const WORKSPACE_HALF_WIDTH_CM = 12;
/** Cursor trail, bins. */
const TRAIL_BINS = 50;
/** Cue markers remembered (to name a trial's true cue). */
const CUES_KEPT = 32;
/** Chart size in the side panel, CSS px. */
const CHART_WIDTH = 360;
const CHART_HEIGHT = 150;

/** What the decoder panel shows, for the browser tests (`window.__neurostream.decoder`). */
export interface DecoderProbe {
  /** The state line ("" while decoding). */
  state: string;
  /** The calibration progress bar: value of max, or null when hidden or indeterminate. */
  progress: { value: number; max: number } | null;
  /** The continuous charts: axis labels and series labels. */
  charts: { xLabel: string; yLabel: string; series: string[] }[];
  /** Points drawn in the last redraw: decoded outputs and truth (finite values). */
  decodedPoints: number;
  truthPoints: number;
  /** Discrete: the class labels and the true cue named (null: not known). */
  classes: string[];
  trueCue: string | null;
}

/** One chart: outputs of one unit, each decoded and (where known) true. */
interface UnitChart {
  chart: uPlot;
  /** Per series after x: the store row it draws. */
  rows: number[];
  ys: (number | null)[][];
  data: uPlot.AlignedData;
  /** Series that are truth (for the probe's count). */
  truth: boolean[];
  legend: HTMLElement;
}

export class DecoderPanel implements Panel<DecodedIntentFrame> {
  dirty = false;
  /** Rows [0, dims) values, [dims, dims + truth) the task's truth, then the 3 latency rows. */
  private store: ColumnStore | undefined;
  private dims = 0;
  private truthNames: readonly string[] = [];
  private truthUnits: readonly string[] = [];
  private charts: UnitChart[] = [];
  private chartKey = '';
  private outputs: readonly string[] = [];
  private outputsKey = '';
  private readonly x: number[] = [];
  private joined = new Float32Array(0);
  private readonly payloads: Float32Array[] = [];
  /** The task's target (x, y), once a `target_on` marker has said. */
  private readonly target: [number, number] = [0, 0];
  private hasTarget = false;
  /** Cue markers (time, label), newest CUES_KEPT in a ring. */
  private readonly cueTimes = new Float64Array(CUES_KEPT).fill(NaN);
  private readonly cueLabels: string[] = new Array<string>(CUES_KEPT).fill('');
  private cueCount = 0;
  /** Indices of pos_x, pos_y among the outputs and the truth rows (-1: none). */
  private posOut: [number, number] = [-1, -1];
  private posTruth: [number, number] = [-1, -1];
  private readonly probe: DecoderProbe = { state: '', progress: null, charts: [], decodedPoints: 0, truthPoints: 0, classes: [], trueCue: null };
  private cursorCtx: CanvasRenderingContext2D | undefined;

  constructor(private readonly page: PageContext) {
    page.probe.decoder = this.probe;
  }

  /** A hello: the intents' rows (none when the session does not decode) and the truth they carry. */
  setHello(hello: PageHello): void {
    const truth = hello.intentTruth ?? null;
    this.dims = hello.intent?.dims ?? 0;
    this.truthNames = truth?.names ?? [];
    this.truthUnits = truth?.units ?? [];
    this.store = hello.intent ? new ColumnStore(this.dims + this.truthNames.length + LATENCY_ROWS, RING_BINS, 1) : undefined;
    this.destroyCharts();
    this.setOutputs(this.page.status);
    this.showState(this.page.status);
  }

  /** A status: the decoder's output names label the chart; its state and calibration progress the state line. */
  setStatus(status: StatusMessageJson): void {
    this.setOutputs(status);
    this.showState(status);
    this.showInfo(status);
  }

  /** A `target_on` marker: where the cursor should go. A cue: a trial's truth. */
  setMarker(m: MarkerMessage): void {
    if (m.markerType === 'target_on' && Array.isArray(m.value) && m.value.length >= 2) {
      this.target[0] = m.value[0] as number;
      this.target[1] = m.value[1] as number;
      this.hasTarget = true;
      this.dirty = true;
    } else if ((m.markerType === 'cue' || m.markerType === 'annotation') && typeof m.value === 'string' && m.time !== null) {
      const slot = this.cueCount % CUES_KEPT;
      this.cueTimes[slot] = m.time;
      this.cueLabels[slot] = m.value;
      this.cueCount++;
    }
  }

  apply(frame: DecodedIntentFrame): void {
    const store = this.store;
    if (!store || frame.channels + LATENCY_ROWS !== store.rows) return;
    // Values (and truth) and latency share the store: the frame's rows, then 3 latency rows.
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
    const store = this.store;
    const intent = this.page.hello?.intent;
    this.showOutputs();
    if (!store || store.end === 0 || !intent) return;
    const width = Math.min(store.width, Math.round(SHOWN_S / intent.binS));
    if (intent.kind === 'continuous') {
      if (this.chartKey !== this.outputsKey || this.x.length !== width) this.build(width);
      this.fill(store, width);
      this.drawCursor(store);
    } else {
      this.drawClasses(store);
    }
    this.page.probe.redraws.intent++;
  }

  /** The output names: the decoder's when it names one per dimension, else `out i`. */
  private setOutputs(status: StatusMessageJson | undefined): void {
    const dims = this.dims;
    const named = status?.decoder?.outputs;
    const outputs = named && named.length === dims ? named : Array.from({ length: dims }, (_, i) => `out ${i}`);
    const key = `${outputs.join(',')}|${this.truthNames.join(',')}`;
    if (key === this.outputsKey) return;
    this.outputs = outputs;
    this.outputsKey = key;
    this.posOut = [outputs.indexOf('pos_x'), outputs.indexOf('pos_y')];
    this.posTruth = [this.truthNames.indexOf('pos_x'), this.truthNames.indexOf('pos_y')];
    this.probe.classes = [...outputs];
    this.dirty = true;
  }

  /** The state line and the calibration progress bar (hidden while decoding normally). */
  private showState(status: StatusMessageJson | undefined): void {
    const decoder = status?.decoder;
    const line = $('decoder-state');
    const bar = $('decoder-progress') as HTMLProgressElement;
    const state = decoder?.state;
    let text = '';
    let progress: { value: number; max: number } | null = null;
    let indeterminate = false;
    const c = decoder?.calibration;
    if (decoder && (state === 'calibrating' || (state === 'recalibrating' && c))) {
      const verb = state === 'recalibrating' ? 'Recalibrating (the current model goes on decoding)' : 'Calibrating';
      if (c && c.fitting) {
        text = `${verb}: fitting the model on ${c.collectedBins} bins…`;
        indeterminate = true;
      } else if (c && c.neededBins > 0) {
        text = `${verb}: ${Math.min(c.collectedBins, c.neededBins)} of ${c.neededBins} bins collected (${Math.round((100 * Math.min(c.collectedBins, c.neededBins)) / c.neededBins)} %)`;
        progress = { value: Math.min(c.collectedBins, c.neededBins), max: c.neededBins };
      } else {
        text = `${verb} — ${decoder.status}`;
        indeterminate = true;
      }
    } else if (decoder && state === 'waiting') {
      text = `Waiting — ${decoder.status}`;
    } else if (decoder && state === 'none') {
      text = `Not decoding — ${decoder.status}`;
    } else if (decoder && state === 'failed') {
      text = decoder.status;
    }
    line.textContent = text;
    line.hidden = text === '';
    line.classList.toggle('bad', state === 'failed');
    bar.hidden = progress === null && !indeterminate;
    if (progress) {
      bar.max = progress.max;
      bar.value = progress.value;
    } else bar.removeAttribute('value');
    this.probe.state = text;
    this.probe.progress = progress;
    this.showOutputs();
  }

  /**
   * The charts and the cursor, shown once there are outputs (they would be empty before): on each
   * status and at each redraw, so intents that arrive between two statuses show at once.
   */
  private showOutputs(): void {
    const shown = !!this.store && this.store.end > 0;
    const cursor = $('cursor') as HTMLCanvasElement;
    if (cursor.hidden === shown) cursor.hidden = !shown;
    const intent = $('intent');
    if (intent.hidden === shown) intent.hidden = !shown;
  }

  /** The decoder's name, where it runs and the last bin's latency (twice a second). */
  private showInfo(status: StatusMessageJson): void {
    const decoder = status.decoder;
    const store = this.store;
    let latency = '';
    if (store && store.end > 0) {
      let total = 0;
      const first = store.rows - LATENCY_ROWS;
      for (let k = 0; k < LATENCY_ROWS; k++) total += store.at(0, first + k, store.end - 1);
      latency = `; last ${this.page.hello?.intent?.kind === 'discrete' ? 'trial' : 'bin'} ${total.toFixed(2)} ms end to end`;
    }
    $('decoder-info').textContent = decoder ? `${decoder.name} on ${decoder.provider}${latency}` : '';
  }

  private destroyCharts(): void {
    for (const c of this.charts) {
      c.chart.destroy();
      c.legend.remove();
    }
    this.charts = [];
    this.chartKey = '';
    this.probe.charts = [];
  }

  /** One chart per unit: each output decoded (solid) and, where the task's truth names it, true (dashed). */
  private build(width: number): void {
    this.destroyCharts();
    this.x.length = width;
    const units: string[] = [];
    const byUnit = new Map<string, number[]>();
    for (let i = 0; i < this.dims; i++) {
      const t = this.truthNames.indexOf(this.outputs[i]!);
      const unit = t >= 0 ? this.truthUnits[t]! : '';
      if (!byUnit.has(unit)) {
        byUnit.set(unit, []);
        units.push(unit);
      }
      byUnit.get(unit)!.push(i);
    }
    // Velocity first: it is what the Kalman filter is scored on.
    units.sort((a, b) => unitOrder(a) - unitOrder(b));
    const host = $('intent');
    for (const unit of units) {
      const outputs = byUnit.get(unit)!;
      const rows: number[] = [];
      const truth: boolean[] = [];
      const series: uPlot.Series[] = [{ label: 'stream time (s)' }];
      outputs.forEach((i, n) => {
        const color = COLORS[n % COLORS.length]!;
        const name = this.outputs[i]!;
        // The truth first (under), thick and dashed; the decoded output over it, thin.
        const t = this.truthNames.indexOf(name);
        if (t >= 0) {
          rows.push(this.dims + t);
          truth.push(true);
          series.push({ label: `${name} true`, stroke: color, width: 2.5, dash: [6, 3], points: { show: false } });
        }
        rows.push(i);
        truth.push(false);
        series.push({ label: `${name} decoded`, stroke: color, width: 1, alpha: 0.75, points: { show: false } } as uPlot.Series);
      });
      const ys = rows.map(() => new Array<number | null>(width).fill(null));
      const data = [this.x, ...ys] as unknown as uPlot.AlignedData;
      const yLabel = quantity(unit, outputs.map((i) => this.outputs[i]!));
      const shownS = width * (this.page.hello?.intent?.binS ?? 0.02);
      const chart = new uPlot(
        {
          width: CHART_WIDTH,
          height: CHART_HEIGHT,
          // The newest 10 s; from 0 until the stream is that old (no negative times).
          scales: { x: { time: false, range: (_u, _min, max) => [Math.max(0, max - shownS), Math.max(shownS, max)] } },
          legend: { show: false },
          cursor: { show: false },
          axes: [
            { label: 'stream time (s)', labelSize: 16, size: 32, font: '11px system-ui', labelFont: '12px system-ui' },
            { label: yLabel, labelSize: 16, size: 44, space: 22, font: '11px system-ui', labelFont: '600 12px system-ui' },
          ],
          series,
        },
        [[], ...rows.map(() => [])] as unknown as uPlot.AlignedData,
        host,
      );
      // A one-line legend under the chart: the colour of each output, solid decoded, dashed true.
      const legend = document.createElement('div');
      legend.className = 'decoder-legend';
      legend.innerHTML =
        outputs.map((i, n) => `<span style="color:${COLORS[n % COLORS.length]}">━ ${escapeHtml(this.outputs[i]!)}</span>`).join(' ') +
        (truth.includes(true) ? ' <span class="muted">solid: decoded · dashed: true</span>' : ' <span class="muted">decoded (no truth known)</span>');
      host.appendChild(legend);
      this.charts.push({ chart, rows, ys, data, truth, legend });
      // What uPlot was given to draw (its axes' labels and series' labels), for the browser tests.
      this.probe.charts.push({ xLabel: String(chart.axes[0]!.label), yLabel: String(chart.axes[1]!.label), series: chart.series.slice(1).map((s) => String(s.label)) });
    }
    this.chartKey = this.outputsKey;
  }

  /** Refills every chart's arrays in place from the store and hands them to uPlot. */
  private fill(store: ColumnStore, width: number): void {
    const first = store.end - width;
    for (let j = 0; j < width; j++) this.x[j] = (first + j) * store.step;
    let decoded = 0;
    let truth = 0;
    for (const c of this.charts) {
      for (let s = 0; s < c.rows.length; s++) {
        const y = c.ys[s]!;
        const row = c.rows[s]!;
        let finite = 0;
        for (let j = 0; j < width; j++) {
          const v = store.at(0, row, first + j);
          if (v === v) {
            y[j] = v;
            finite++;
          } else y[j] = null;
        }
        if (c.truth[s]) truth += finite;
        else decoded += finite;
      }
      c.chart.setData(c.data);
    }
    this.probe.decodedPoints = decoded;
    this.probe.truthPoints = truth;
  }

  private context(): CanvasRenderingContext2D {
    return (this.cursorCtx ??= ($('cursor') as HTMLCanvasElement).getContext('2d')!);
  }

  /** The workspace (cm): the target (green ring), the true cursor (grey ring), the decoded cursor and its trail (blue). */
  private drawCursor(store: ColumnStore): void {
    const canvas = $('cursor') as HTMLCanvasElement;
    const ctx = this.context();
    const W = canvas.width;
    const H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    ctx.font = '12px system-ui';
    ctx.textBaseline = 'middle';
    const [px, py] = this.posOut;
    if (px < 0 || py < 0) {
      ctx.fillStyle = '#666';
      ctx.textAlign = 'left';
      ctx.fillText('the decoder has no position outputs (pos_x, pos_y)', 8, 16);
      return;
    }
    // A square workspace on the left (with its axis in cm), the legend on the right.
    const size = H - 28;
    const left = 34;
    const top = 6;
    const scale = size / (2 * WORKSPACE_HALF_WIDTH_CM);
    const cx = left + size / 2;
    const cy = top + size / 2;
    ctx.strokeStyle = '#ccc';
    ctx.lineWidth = 1;
    ctx.strokeRect(left + 0.5, top + 0.5, size, size);
    ctx.beginPath();
    ctx.moveTo(cx, top);
    ctx.lineTo(cx, top + size);
    ctx.moveTo(left, cy);
    ctx.lineTo(left + size, cy);
    ctx.stroke();
    ctx.fillStyle = '#555';
    ctx.textAlign = 'center';
    ctx.fillText('−10', cx - 10 * scale, top + size + 9);
    ctx.fillText('0', cx, top + size + 9);
    ctx.fillText('10 cm', cx + 10 * scale, top + size + 9);
    ctx.textAlign = 'right';
    ctx.fillText('10', left - 4, cy - 10 * scale);
    ctx.fillText('0', left - 4, cy);
    ctx.fillText('−10', left - 4, cy + 10 * scale);
    if (this.hasTarget) {
      ctx.strokeStyle = '#2ca02c';
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc(cx + this.target[0] * scale, cy - this.target[1] * scale, 10, 0, 2 * Math.PI);
      ctx.stroke();
    }
    const end = store.end;
    const [tx, ty] = this.posTruth;
    let hasTruth = false;
    if (tx >= 0 && ty >= 0) {
      const x = store.at(0, this.dims + tx, end - 1);
      const y = store.at(0, this.dims + ty, end - 1);
      if (x === x && y === y) {
        hasTruth = true;
        ctx.strokeStyle = '#555';
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(cx + x * scale, cy - y * scale, 6, 0, 2 * Math.PI);
        ctx.stroke();
      }
    }
    ctx.lineWidth = 1;
    ctx.strokeStyle = '#1f77b4';
    ctx.beginPath();
    for (let k = Math.max(0, end - TRAIL_BINS); k < end; k++) {
      const x = store.at(0, px, k);
      const y = store.at(0, py, k);
      if (x === x && y === y) ctx.lineTo(cx + x * scale, cy - y * scale);
    }
    ctx.stroke();
    const x = store.at(0, px, end - 1);
    const y = store.at(0, py, end - 1);
    if (x === x && y === y) {
      ctx.fillStyle = '#1f77b4';
      ctx.beginPath();
      ctx.arc(cx + x * scale, cy - y * scale, 5, 0, 2 * Math.PI);
      ctx.fill();
    }
    // Legend.
    const lx = left + size + 18;
    ctx.textAlign = 'left';
    ctx.fillStyle = '#1f77b4';
    ctx.beginPath();
    ctx.arc(lx, 16, 5, 0, 2 * Math.PI);
    ctx.fill();
    ctx.fillStyle = '#222';
    ctx.fillText('decoded cursor', lx + 12, 16);
    ctx.strokeStyle = '#555';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(lx, 36, 5, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillText(hasTruth ? 'true cursor' : 'true cursor (not known)', lx + 12, 36);
    ctx.strokeStyle = '#2ca02c';
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(lx, 56, 5, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillText('target', lx + 12, 56);
    ctx.fillStyle = '#666';
    ctx.fillText('workspace, cm', lx - 6, 80);
  }

  /** The newest cue of one of the classes at or before `timeS` (the trial's end), or -1. */
  private cueBefore(timeS: number): number {
    const oldest = Math.max(0, this.cueCount - CUES_KEPT);
    for (let k = this.cueCount - 1; k >= oldest; k--) {
      const slot = k % CUES_KEPT;
      if (this.cueTimes[slot]! <= timeS && this.outputs.includes(this.cueLabels[slot]!)) return slot;
    }
    return -1;
  }

  /** The last trial's class probabilities as named bars, the true cue outlined. */
  private drawClasses(store: ColumnStore): void {
    const canvas = $('cursor') as HTMLCanvasElement;
    const ctx = this.context();
    const W = canvas.width;
    const H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    const labels = this.outputs;
    const dims = labels.length;
    const last = store.end - 1;
    // The trial's bin ends at (last + 1) · step s.
    const cue = this.cueBefore((last + 1) * store.step);
    const trueLabel = cue >= 0 ? this.cueLabels[cue]! : null;
    this.probe.trueCue = trueLabel;
    ctx.font = '13px system-ui';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#222';
    ctx.textAlign = 'left';
    ctx.fillText('Class probabilities, last trial', 4, 10);
    const labelW = 90;
    const barW = W - labelW - 56;
    const barH = Math.min(30, (H - 50) / Math.max(1, dims));
    let decoded = 0;
    for (let i = 0; i < dims; i++) {
      const p = store.at(0, i, last);
      if (p === p) decoded++;
      const y = 24 + i * barH;
      const isTrue = labels[i] === trueLabel;
      ctx.fillStyle = '#eee';
      ctx.fillRect(labelW, y, barW, barH - 6);
      ctx.fillStyle = COLORS[i % COLORS.length]!;
      ctx.fillRect(labelW, y, barW * (p === p ? Math.max(0, Math.min(1, p)) : 0), barH - 6);
      if (isTrue) {
        ctx.strokeStyle = '#222';
        ctx.lineWidth = 2;
        ctx.strokeRect(labelW - 1, y - 1, barW + 2, barH - 4);
      }
      ctx.fillStyle = '#222';
      ctx.textAlign = 'right';
      ctx.font = isTrue ? '600 13px system-ui' : '13px system-ui';
      ctx.fillText(labels[i]!, labelW - 8, y + (barH - 6) / 2);
      ctx.textAlign = 'left';
      ctx.fillText(p === p ? `${Math.round(p * 100)} %` : '—', labelW + barW + 6, y + (barH - 6) / 2);
    }
    this.probe.decodedPoints = decoded;
    ctx.font = '13px system-ui';
    ctx.textAlign = 'left';
    ctx.fillStyle = trueLabel ? '#222' : '#666';
    ctx.fillText(trueLabel ? `true cue: ${trueLabel} (outlined)` : 'true cue: not known', 4, H - 10);
  }
}

/** Units in the order their charts are stacked: velocity, position, the rest. */
function unitOrder(unit: string): number {
  return unit === 'cm/s' ? 0 : unit === 'cm' ? 1 : 2;
}

/** A chart's y label: the quantity and its unit ("velocity (cm/s)"), or "output (unit not known)". */
function quantity(unit: string, names: string[]): string {
  if (unit === '') return `${names.length > 1 ? 'outputs' : 'output'} (unit not known)`;
  const what = names.every((n) => n.startsWith('vel')) ? 'velocity' : names.every((n) => n.startsWith('pos')) ? 'position' : 'value';
  return `${what} (${unit})`;
}
