/**
 * The dashboard page: one WebSocket to the session (token from the page URL), binary frames into
 * column stores, redrawn at most once per animation frame and only when something changed.
 * Traces are uPlot series of min/max per pixel column (zig-zag through each column's bar); rates
 * a heatmap on a canvas; intents a uPlot of the decoded outputs plus the 2-D cursor against the
 * target; spectra a uPlot in dB; health tiles with status colours and the latency histogram.
 *
 * `window.__neurostream` exposes counters (frames by type, redraws, acks, errors, close reason)
 * for the end-to-end tests in headless Chromium.
 */
import uPlot from 'uplot';
import type { DecoderValidationJson } from '../../decoding/decoder-validation.js';
import { FLAG_RESET, decodeDashboardFrame, type DecodedDashboardFrame } from '../protocol/dashboard-frames.js';
import { ColumnStore, stackTraces } from './column-store.js';

interface Hello {
  role: 'viewer' | 'operator';
  commands: string[];
  framesPerSecond: number;
  stream: { device: string; channels: string[]; kinds: string[]; units: string[]; sampleRateHz: number } | null;
  traces: { baseColumnsPerSecond: number; maxWindowS: number; maxViewChannels: number } | null;
  rate: { channels: number; binS: number } | null;
  intent: { kind: string; dims: number; binS: number } | null;
  spectrum: { channels: number; binHz: number; bins: number } | null;
  histogram: { stages: string[]; edgesMs: number[] };
  healthMetrics: string[];
}
interface ViewMessage { channels: number[]; windowS: number; columns: number; step: number }
interface Status {
  label: string;
  state: 'waiting' | 'running' | 'ended';
  detail?: string;
  recording: { state: string; dir: string; bytes: number; samples: number; droppedSamples: number; error?: string } | null;
  decoder: {
    name: string;
    provider: string;
    status: string;
    kind?: string;
    outputs?: string[];
    backlog?: number;
    validation?: DecoderValidationJson;
  } | null;
  clients: number;
}
interface MarkerMessage { time: number | null; markerType: string; value: unknown; source: string }

const FRAME_NAMES = ['', 'traces', 'rate', 'intent', 'spectrum', 'health', 'histogram', 'features'] as const;
const probe = {
  frames: { traces: 0, rate: 0, intent: 0, spectrum: 0, health: 0, histogram: 0 } as Record<string, number>,
  redraws: { traces: 0, rate: 0, intent: 0, spectrum: 0, health: 0 } as Record<string, number>,
  role: null as string | null,
  hello: null as Hello | null,
  view: null as ViewMessage | null,
  status: null as Status | null,
  health: {} as Record<string, number>,
  acks: [] as unknown[],
  errors: [] as unknown[],
  closed: null as { code: number; reason: string } | null,
  markers: 0,
  sequenceGaps: 0,
};
(window as unknown as { __neurostream: typeof probe }).__neurostream = probe;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const token = new URLSearchParams(location.search).get('token') ?? '';
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];

let socket: WebSocket | undefined;
let hello: Hello | undefined;
let view: ViewMessage | undefined;
let status: Status | undefined;
let traces: ColumnStore | undefined;
let rates: ColumnStore | undefined;
let intents: ColumnStore | undefined;
let spectrum: { power: Float32Array; channels: number; bins: number; binHz: number } | undefined;
let histogram: { counts: Float32Array; bins: number } | undefined;
let lastSequence = -1;
let paused = false;
let recording = false;
let nextId = 1;
const dirty = { traces: false, rate: false, intent: false, spectrum: false, health: false };
const markers: MarkerMessage[] = [];
let target: [number, number] | undefined;

let traceChart: uPlot | undefined;
const traceX: number[] = [];
let traceY: (number | null)[][] = [];
let spectrumChart: uPlot | undefined;
let intentChart: uPlot | undefined;

// ---------- connection ----------

function connect(): void {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`);
  ws.binaryType = 'arraybuffer';
  socket = ws;
  ws.onmessage = (event: MessageEvent) => {
    if (typeof event.data === 'string') onText(JSON.parse(event.data) as Record<string, unknown>);
    else onFrame(decodeDashboardFrame(event.data as ArrayBuffer));
  };
  ws.onclose = (event: CloseEvent) => {
    probe.closed = { code: event.code, reason: event.reason };
    if (event.code === 4401) {
      setBanner('bad', 'Access refused: bad or missing token');
      $('session').textContent = 'Open the dashboard with the URL that `neurostream run` printed (it carries the token).';
      return;
    }
    if (status?.state === 'ended' || event.code === 1001) {
      setBanner('bad', 'Session ended');
      return;
    }
    setBanner('bad', `Disconnected (${event.code}${event.reason ? `: ${event.reason}` : ''}); retrying…`);
    setTimeout(connect, 2000);
  };
}

function send(message: object): void {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function command(name: string, extra: Record<string, unknown> = {}): void {
  send({ type: 'command', name, id: nextId++, ...extra });
}

function onText(message: Record<string, unknown>): void {
  switch (message['type']) {
    case 'hello':
      onHello(message as unknown as Hello);
      break;
    case 'view':
      onView(message as unknown as ViewMessage);
      break;
    case 'status':
      status = message as unknown as Status;
      probe.status = status;
      dirty.health = true;
      break;
    case 'marker': {
      const m = message as unknown as MarkerMessage;
      probe.markers++;
      markers.push(m);
      if (markers.length > 200) markers.shift();
      if (m.markerType === 'target_on' && Array.isArray(m.value) && m.value.length >= 2) target = [m.value[0] as number, m.value[1] as number];
      dirty.traces = true;
      break;
    }
    case 'ack':
      probe.acks.push(message);
      onAck(message);
      break;
    case 'error':
      probe.errors.push(message);
      toast(`${String(message['message'])}`, true);
      break;
  }
}

function onHello(message: Hello): void {
  hello = message;
  probe.hello = message;
  probe.role = message.role;
  document.body.classList.toggle('viewer', message.role !== 'operator');
  $('role').textContent = message.role === 'operator' ? 'Operator' : 'Viewer (read-only)';
  if (message.stream) {
    const s = message.stream;
    $('session').textContent = `${s.device}: ${s.channels.length} channels @ ${s.sampleRateHz} Hz`;
    requestView();
  }
  rates = message.rate ? new ColumnStore(message.rate.channels, 1024, 1) : undefined;
  intents = message.intent ? new ColumnStore(message.intent.dims + 3, 1024, 1) : undefined;
  intentChart?.destroy();
  intentChart = undefined;
}

function onView(message: ViewMessage): void {
  view = message;
  probe.view = message;
  traces = new ColumnStore(message.channels.length, message.columns, 2);
  buildTraceChart();
}

function onFrame(frame: DecodedDashboardFrame): void {
  const name = FRAME_NAMES[frame.type];
  probe.frames[name] = (probe.frames[name] ?? 0) + 1;
  if (lastSequence >= 0 && frame.sequence !== ((lastSequence + 1) >>> 0)) probe.sequenceGaps++;
  lastSequence = frame.sequence;
  const reset = (frame.flags & FLAG_RESET) !== 0;
  switch (frame.type) {
    case 1:
      if (traces && frame.channels === traces.rows) {
        traces.apply(frame.firstColumn, frame.columns, frame.step, frame.time, reset, [frame.min, frame.max]);
        dirty.traces = true;
      }
      break;
    case 2:
      if (rates && frame.channels === rates.rows) {
        rates.apply(frame.firstColumn, frame.columns, frame.step, frame.time, reset, [frame.rates]);
        dirty.rate = true;
      }
      break;
    case 3:
      if (intents && frame.channels + 3 === intents.rows) {
        // Values and latency share the store: rows [0, dims) values, then 3 latency rows.
        const joined = new Float32Array((frame.channels + 3) * frame.columns);
        joined.set(frame.values);
        joined.set(frame.latency, frame.values.length);
        intents.apply(frame.firstColumn, frame.columns, frame.step, frame.time, reset, [joined]);
        dirty.intent = true;
      }
      break;
    case 4:
      spectrum = { power: frame.power.slice(), channels: frame.channels, bins: frame.columns, binHz: frame.step };
      dirty.spectrum = true;
      break;
    case 5:
      hello?.healthMetrics.forEach((metric, r) => (probe.health[metric] = frame.values[r * frame.columns + frame.columns - 1]!));
      dirty.health = true;
      break;
    case 6:
      histogram = { counts: frame.counts.slice(), bins: frame.columns };
      dirty.health = true;
      break;
  }
}

// ---------- controls ----------

/** "1-16" or "1,5,9-12" (1-based) → 0-based indices within the stream. */
function parseChannels(text: string, count: number): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+))?\s*$/.exec(part);
    if (!m) continue;
    const a = Number(m[1]);
    const b = m[2] ? Number(m[2]) : a;
    for (let c = Math.min(a, b); c <= Math.max(a, b) && out.length < 512; c++) if (c >= 1 && c <= count && !out.includes(c - 1)) out.push(c - 1);
  }
  return out;
}

function requestView(): void {
  if (!hello?.stream || !hello.traces) return;
  const count = hello.stream.channels.length;
  let channels = parseChannels(($('channels') as HTMLInputElement).value, count).slice(0, hello.traces.maxViewChannels);
  if (channels.length === 0) channels = [0];
  const windowS = Math.min(hello.traces.maxWindowS, Number(($('window') as HTMLSelectElement).value));
  const width = Math.max(16, Math.min(4096, Math.round($('traces').clientWidth - 60)));
  send({ type: 'view', channels, windowS, columns: width });
}

function shiftChannels(direction: number): void {
  if (!hello?.stream || !view) return;
  const n = view.channels.length;
  const count = hello.stream.channels.length;
  const first = Math.max(0, Math.min(count - n, (view.channels[0] ?? 0) + direction * n));
  ($('channels') as HTMLInputElement).value = `${first + 1}-${first + n}`;
  requestView();
}

function onAck(message: Record<string, unknown>): void {
  const result = message['result'] as Record<string, unknown> | undefined;
  switch (message['name']) {
    case 'start-recording':
      toast(`Recording to ${String(result?.['dir'] ?? '')}`);
      break;
    case 'stop-recording':
      toast(`Recording stopped: ${String(result?.['dir'] ?? '')}`);
      break;
    case 'add-marker':
      toast(`Marker added at ${Number(result?.['time'] ?? 0).toFixed(2)} s`);
      break;
    case 'recalibrate':
      toast(String(result?.['message'] ?? 'Recalibrating'));
      break;
  }
}

function toast(text: string, error = false): void {
  const el = $('toast');
  el.textContent = text;
  el.classList.toggle('error', error);
}

function setBanner(kind: 'ok' | 'warn' | 'bad' | 'wait', text: string): void {
  const el = $('banner');
  el.className = `banner state-${kind}`;
  el.textContent = text;
}

$('channels').addEventListener('change', requestView);
$('window').addEventListener('change', requestView);
$('channels-prev').addEventListener('click', () => shiftChannels(-1));
$('channels-next').addEventListener('click', () => shiftChannels(1));
$('scale').addEventListener('change', () => {
  buildTraceChart();
  dirty.traces = true;
});
$('pause').addEventListener('click', () => {
  paused = !paused;
  $('pause').setAttribute('aria-pressed', String(paused));
  $('pause').textContent = paused ? 'Resume' : 'Pause';
  if (!paused) Object.keys(dirty).forEach((k) => (dirty[k as keyof typeof dirty] = true));
});
$('marker').addEventListener('click', () => {
  const text = ($('marker-text') as HTMLInputElement).value.trim();
  command('add-marker', text ? { value: text } : {});
});
$('record').addEventListener('click', () => command(recording ? 'stop-recording' : 'start-recording'));
$('recalibrate').addEventListener('click', () => command('recalibrate'));
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(requestView, 200);
});

// ---------- drawing ----------

function spacing(): number {
  return Number(($('scale') as HTMLSelectElement).value);
}

function buildTraceChart(): void {
  traceChart?.destroy();
  traceChart = undefined;
  if (!hello?.stream || !view) return;
  const names = view.channels.map((c) => hello!.stream!.channels[c] ?? String(c));
  const gap = spacing();
  const rows = names.length;
  const offsets = names.map((_, r) => -r * gap);
  traceY = names.map(() => []);
  const el = $('traces');
  traceChart = new uPlot(
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
      hooks: { draw: [drawMarkers] },
    },
    [[], ...names.map(() => [])] as unknown as uPlot.AlignedData,
    el,
  );
  $('traces-info').textContent = `${names.length} channels, ${view.windowS} s, ${view.columns} columns of ${(view.step * 1000).toFixed(view.step < 0.01 ? 1 : 0)} ms, ${gap} µV apart`;
}

function drawMarkers(u: uPlot): void {
  const [lo, hi] = [u.scales['x']!.min ?? 0, u.scales['x']!.max ?? 0];
  const ctx = u.ctx;
  ctx.save();
  ctx.font = `${12 * devicePixelRatio}px system-ui`;
  for (const m of markers) {
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
}

function drawTraces(): void {
  if (!traceChart || !traces || traces.end === 0) return;
  stackTraces(traces, spacing(), traceX, traceY);
  traceChart.setData([traceX, ...traceY] as unknown as uPlot.AlignedData);
  probe.redraws['traces']!++;
}

function heat(v: number, max: number): [number, number, number] {
  if (v !== v) return [235, 235, 235];
  const t = Math.max(0, Math.min(1, v / max));
  return [Math.round(255 * Math.min(1, 2 * t)), Math.round(255 * Math.max(0, 2 * t - 1) * 0.9), Math.round(90 * (1 - t))];
}

function drawRates(): void {
  const canvas = $('rate') as HTMLCanvasElement;
  if (!rates || rates.end === 0 || !hello?.rate) return;
  const binS = hello.rate.binS;
  const width = Math.min(rates.width, Math.round((view?.windowS ?? 5) / binS));
  const rows = rates.rows;
  if (canvas.width !== width || canvas.height !== rows) {
    canvas.width = width;
    canvas.height = rows;
  }
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(width, rows);
  const first = rates.end - width;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < width; j++) {
      const [red, green, blue] = heat(rates.at(0, r, first + j), 100);
      const i = 4 * (r * width + j);
      image.data[i] = red;
      image.data[i + 1] = green;
      image.data[i + 2] = blue;
      image.data[i + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
  $('rate-info').textContent = `${rows} channels × ${(width * binS).toFixed(1)} s, ${binS * 1000} ms bins, 0–100 spikes/s (navy → red → yellow; grey: no data)`;
  probe.redraws['rate']!++;
}

function drawIntents(): void {
  if (!intents || intents.end === 0 || !hello?.intent) return;
  const dims = hello.intent.dims;
  const named = status?.decoder?.outputs;
  const outputs = named && named.length === dims ? named : Array.from({ length: dims }, (_, i) => `out ${i}`);
  const key = outputs.join(',');
  if (intentChart && (intentChart as unknown as { key?: string }).key !== key) {
    intentChart.destroy();
    intentChart = undefined;
  }
  const width = Math.min(intents.width, Math.round(10 / hello.intent.binS));
  const first = intents.end - width;
  if (hello.intent.kind === 'continuous') {
    if (!intentChart) {
      intentChart = new uPlot(
        {
          width: 360,
          height: 160,
          scales: { x: { time: false } },
          legend: { show: true },
          series: [{ label: 's' }, ...outputs.slice(0, dims).map((name, i) => ({ label: name, stroke: COLORS[i % COLORS.length]!, width: 1, points: { show: false } }))],
        },
        [[], ...outputs.slice(0, dims).map(() => [])] as unknown as uPlot.AlignedData,
        $('intent'),
      );
      (intentChart as unknown as { key?: string }).key = key;
    }
    const x = Array.from({ length: width }, (_, j) => (first + j) * intents!.step);
    const ys = Array.from({ length: dims }, (_, r) => Array.from({ length: width }, (_, j) => {
      const v = intents!.at(0, r, first + j);
      return v === v ? v : null;
    }));
    intentChart.setData([x, ...ys] as unknown as uPlot.AlignedData);
    drawCursor(outputs);
  } else {
    drawClasses(outputs);
  }
  const latest = intents.end - 1;
  const total = [0, 1, 2].map((k) => intents!.at(0, dims + k, latest)).reduce((a, b) => a + b, 0);
  $('decoder-info').textContent = `${status?.decoder?.name ?? ''} on ${status?.decoder?.provider ?? '?'}; last bin ${total.toFixed(2)} ms`;
  probe.redraws['intent']!++;
}

function drawCursor(outputs: readonly string[]): void {
  const canvas = $('cursor') as HTMLCanvasElement;
  const ctx = canvas.getContext('2d')!;
  const W = canvas.width;
  const H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  ctx.strokeStyle = '#ddd';
  ctx.strokeRect(0.5, 0.5, W - 1, H - 1);
  const px = outputs.indexOf('pos_x');
  const py = outputs.indexOf('pos_y');
  if (px < 0 || py < 0 || !intents) {
    ctx.fillStyle = '#666';
    ctx.fillText('no position outputs', 10, 20);
    return;
  }
  const scale = W / 24; // the centre-out workspace: targets at about ±10 cm
  const toX = (v: number): number => W / 2 + v * scale;
  const toY = (v: number): number => H / 2 - v * scale;
  if (target) {
    ctx.strokeStyle = '#2ca02c';
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(toX(target[0]), toY(target[1]), 10, 0, 2 * Math.PI);
    ctx.stroke();
  }
  ctx.lineWidth = 1;
  ctx.strokeStyle = '#1f77b4';
  ctx.beginPath();
  const end = intents.end;
  for (let k = Math.max(0, end - 50); k < end; k++) {
    const x = intents.at(0, px, k);
    const y = intents.at(0, py, k);
    if (x === x && y === y) ctx.lineTo(toX(x), toY(y));
  }
  ctx.stroke();
  const x = intents.at(0, px, end - 1);
  const y = intents.at(0, py, end - 1);
  if (x === x && y === y) {
    ctx.fillStyle = '#1f77b4';
    ctx.beginPath();
    ctx.arc(toX(x), toY(y), 6, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function drawClasses(labels: readonly string[]): void {
  const canvas = $('cursor') as HTMLCanvasElement;
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!intents) return;
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

function drawSpectrum(): void {
  if (!spectrum || !view) return;
  const shown = view.channels.filter((c) => c < spectrum!.channels).slice(0, 4);
  const names = shown.map((c) => hello?.stream?.channels[c] ?? String(c));
  const key = names.join(',');
  if (!spectrumChart || (spectrumChart as unknown as { key?: string }).key !== key) {
    spectrumChart?.destroy();
    spectrumChart = new uPlot(
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
    (spectrumChart as unknown as { key?: string }).key = key;
  }
  const { bins, binHz, power } = spectrum;
  const x = Array.from({ length: bins }, (_, b) => (b + 0.5) * binHz);
  const ys = shown.map((c) => Array.from({ length: bins }, (_, b) => {
    const p = power[c * bins + b]!;
    return p > 0 ? 10 * Math.log10(p) : null;
  }));
  spectrumChart.setData([x, ...ys] as unknown as uPlot.AlignedData);
  $('spectrum-info').textContent = shown.length === 0 ? 'the spectrum covers the first channels only' : `Welch, ${binHz.toFixed(1)} Hz bins`;
  probe.redraws['spectrum']!++;
}

function tile(label: string, value: string, kind: 'ok' | 'warn' | 'bad' | ''): string {
  return `<div class="tile ${kind}"><span>${label}</span><b>${value}</b></div>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function fmt(v: number | undefined, digits = 1, unit = ''): string {
  return v === undefined || v !== v ? '—' : `${v.toFixed(digits)}${unit}`;
}

function drawHealth(): void {
  const h = probe.health;
  const rate = hello?.stream?.sampleRateHz ?? 0;
  const achieved = h['sampleRateHz'];
  const pct = rate > 0 && achieved !== undefined ? (100 * achieved) / rate : NaN;
  const rateKind = pct !== pct ? '' : pct >= 98 ? 'ok' : pct >= 90 ? 'warn' : 'bad';
  const lag = h['lagMs'];
  const lagKind = lag === undefined ? '' : lag < 100 ? 'ok' : lag < 1000 ? 'warn' : 'bad';
  const rec = status?.recording;
  const recKind = !rec ? '' : rec.state === 'failed' ? 'bad' : rec.state === 'overflow' ? 'warn' : 'ok';
  const dec = status?.decoder;
  const decKind = !dec ? '' : dec.status.startsWith('DECODER FAILED') ? 'bad' : dec.status.includes('calibrating') || dec.status.includes('fitting') ? 'warn' : 'ok';
  const dropped = h['droppedFrames'] ?? 0;
  recording = rec !== null && rec !== undefined && rec.state !== 'closed' && rec.state !== 'failed';
  $('record').textContent = recording ? 'Stop recording' : 'Start recording';
  $('health').innerHTML = [
    tile('Sample rate', `${fmt(achieved, 0, ' Hz')} (${fmt(pct, 1, '%')})`, rateKind),
    tile('Lag', `${fmt(lag, 1, ' ms')} (max ${fmt(h['maxLagMs'], 0)})`, lagKind),
    tile('Gaps / lost packets', `${fmt(h['gapSamples'], 0)} samples / ${fmt(h['lostPackets'], 0)}`, (h['gapSamples'] ?? 0) > 0 ? 'warn' : 'ok'),
    tile('Corrupt packets', fmt(h['corruptPackets'], 0), (h['corruptPackets'] ?? 0) > 0 ? 'warn' : h['corruptPackets'] === h['corruptPackets'] ? 'ok' : ''),
    tile('Latency p50 / p99', `${fmt(h['latencyP50Ms'], 2)} / ${fmt(h['latencyP99Ms'], 2)} ms`, (h['latencyP99Ms'] ?? 0) > 2 ? 'warn' : 'ok'),
    tile('Frames skipped (this view)', fmt(dropped, 0), dropped > 0 ? 'warn' : 'ok'),
    tile('Recording', rec ? `${escapeHtml(rec.state)} ${(rec.bytes / 1e6).toFixed(1)} MB` : 'off', recKind),
    tile('Decoder', dec ? `${escapeHtml(dec.name)} on ${escapeHtml(dec.provider)}` : 'none', decKind),
    ...(dec?.validation ? [validationTile(dec.validation)] : []),
  ].join('');
  if (dec) $('decoder-info').title = dec.status;
  // Status banner: the worst of what matters to a clinician.
  if (status) {
    const ended = status.state === 'ended';
    const bad = ended || rateKind === 'bad' || lagKind === 'bad' || recKind === 'bad' || decKind === 'bad';
    const warn = rateKind === 'warn' || lagKind === 'warn' || recKind === 'warn';
    const text = ended
      ? 'Session ended'
      : status.state === 'waiting'
        ? 'Waiting for data'
        : bad
          ? rec?.state === 'failed' ? 'RECORDING FAILED' : dec?.status.startsWith('DECODER FAILED') ? 'DECODER FAILED' : 'SIGNAL PROBLEM'
          : warn ? 'Live, degraded' : 'Live';
    setBanner(status.state === 'waiting' ? 'wait' : bad ? 'bad' : warn ? 'warn' : 'ok', `${text}${recording ? ' · REC' : ''}${paused ? ' · PAUSED' : ''}`);
    $('session').textContent = `${status.label}${status.detail ? ` — ${status.detail}` : ''} · ${status.clients} client(s)`;
  }
  drawHistogram();
  probe.redraws['health']!++;
}

/**
 * Online validation: the decoder's running R² against the task's truth (green ≥ 0.5, amber ≥ 0.2,
 * red below), or a trial decoder's running accuracy against the cues (green ≥ 0.7, amber above
 * chance, red at or below it).
 */
function validationTile(v: DecoderValidationJson): string {
  const value = v.value ?? NaN;
  if (v.metric === 'accuracy') {
    const chance = v.chance ?? 0;
    const kind = !(value === value) ? '' : value >= 0.7 ? 'ok' : value > chance ? 'warn' : 'bad';
    const trials = v.trials ?? 0;
    return `<div class="tile ${kind}" id="validation"><span>Decoding accuracy (last ${trials} trials)</span><b>${fmt(value, 2)}</b><small>${Math.round(value * trials)}/${trials} correct, chance ${fmt(chance, 2)}</small></div>`;
  }
  const kind = !(value === value) ? '' : value >= 0.5 ? 'ok' : value >= 0.2 ? 'warn' : 'bad';
  const parts = v.dimensions.map((d, i) => `${escapeHtml(d)} ${fmtNullable(v.perDimension[i], 2)}`).join(', ');
  return `<div class="tile ${kind}" id="validation"><span>Decoding R² (last ${v.windowS.toFixed(0)} s)</span><b>${fmt(value, 2)}</b><small>${parts}</small></div>`;
}

/** JSON turns NaN into null: show both as "—". */
function fmtNullable(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined ? '—' : fmt(v, digits);
}

function drawHistogram(): void {
  if (!histogram || !hello) return;
  const canvas = $('histogram') as HTMLCanvasElement;
  const ctx = canvas.getContext('2d')!;
  const { counts, bins } = histogram;
  const stages = hello.histogram.stages;
  const totalRow = stages.indexOf('totalMs');
  const row = counts.subarray(totalRow * bins, totalRow * bins + bins).some((v) => v > 0) ? totalRow : 0;
  const values = counts.subarray(row * bins, row * bins + bins);
  const max = Math.max(1, ...values);
  const W = canvas.width;
  const H = canvas.height - 16;
  ctx.clearRect(0, 0, W, canvas.height);
  const barW = W / bins;
  ctx.fillStyle = '#1f77b4';
  for (let j = 0; j < bins; j++) {
    const h = (H * values[j]!) / max;
    ctx.fillRect(j * barW + 1, H - h, barW - 2, h);
  }
  ctx.fillStyle = '#444';
  ctx.font = '10px system-ui';
  for (let j = 0; j <= bins; j += 4) ctx.fillText(`${hello.histogram.edgesMs[j]! < 1 ? hello.histogram.edgesMs[j]!.toPrecision(1) : hello.histogram.edgesMs[j]!.toFixed(0)}`, j * barW, canvas.height - 3);
  $('latency-info').textContent = `${stages[row]} (ms, log bins), ${values.reduce((a, b) => a + b, 0)} values`;
}

function frame(): void {
  if (!paused) {
    if (dirty.traces) drawTraces();
    if (dirty.rate) drawRates();
    if (dirty.intent) drawIntents();
    if (dirty.spectrum) drawSpectrum();
    dirty.traces = dirty.rate = dirty.intent = dirty.spectrum = false;
  }
  if (dirty.health) {
    drawHealth();
    dirty.health = false;
  }
  requestAnimationFrame(frame);
}

if (!token) {
  setBanner('bad', 'Access refused: bad or missing token');
  $('session').textContent = 'Open the dashboard with the URL that `neurostream run` printed (it carries the token).';
}
connect();
requestAnimationFrame(frame);
