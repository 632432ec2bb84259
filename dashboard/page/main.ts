/**
 * The dashboard page's wiring: one WebSocket to the session (token from the page URL), JSON
 * messages and binary frames dispatched to the panels (panels/: traces, rates, decoder,
 * spectrum, band power, health; a panel that does not apply to the stream is hidden), the
 * controls (channels, what is shown — the session's filter, raw or a display filter —, scale,
 * window), and one redraw per animation frame of each panel that changed.
 * The panels keep their own state; this module holds only the connection and the page context.
 *
 * `window.__neurostream` exposes counters (frames by type, redraws, acks, errors, close reason)
 * for the end-to-end tests in headless Chromium.
 */
import { FRAME_TYPE_NAMES, FrameType, decodeDashboardFrame, type DecodedDashboardFrame } from '../protocol/dashboard-frames.js';
import { MessageType, type DisplayChoice, type MarkerMessage, type PageHello, type StatusMessageJson, type ViewMessage } from '../protocol/dashboard-messages.js';
import { $, createProbe, setBanner, toast, type PageContext } from './page-context.js';
import { describeSessionState } from '../protocol/session-state.js';
import { BandPowerPanel } from './panels/band-power.js';
import { DecoderPanel } from './panels/decoder.js';
import { HealthPanel } from './panels/health.js';
import { RatesPanel } from './panels/rates.js';
import { SpectrumPanel } from './panels/spectrum.js';
import { TracesPanel } from './panels/traces.js';
import { qualityBadges, renderQuality } from './panels/quality.js';

/** Close code of a refused token (dashboard-server.ts). */
const CLOSE_UNAUTHORIZED = 4401;
/** Close code of a server going away. */
const CLOSE_GOING_AWAY = 1001;
const RECONNECT_MS = 2000;
const TOKEN_HELP = 'Open the dashboard with the URL that `neurostream run` printed (it carries the token).';

const page: PageContext = { hello: undefined, view: undefined, status: undefined, paused: false, probe: createProbe() };
(window as unknown as { __neurostream: PageContext['probe'] }).__neurostream = page.probe;

const traces = new TracesPanel(page);
const rates = new RatesPanel(page);
const decoder = new DecoderPanel(page);
const spectrum = new SpectrumPanel(page);
const health = new HealthPanel(page);
const bandPower = new BandPowerPanel(page);

const connection = { socket: undefined as WebSocket | undefined, lastSequence: -1, nextId: 1 };
const token = new URLSearchParams(location.search).get('token') ?? '';

// ---------- connection ----------

function connect(): void {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/ws?token=${encodeURIComponent(token)}`);
  ws.binaryType = 'arraybuffer';
  connection.socket = ws;
  ws.onmessage = (event: MessageEvent) => {
    if (typeof event.data === 'string') onText(JSON.parse(event.data) as Record<string, unknown>);
    else onFrame(decodeDashboardFrame(event.data as ArrayBuffer));
  };
  ws.onclose = (event: CloseEvent) => {
    page.probe.closed = { code: event.code, reason: event.reason };
    if (event.code === CLOSE_UNAUTHORIZED) {
      setBanner('bad', 'Access refused: bad or missing token');
      $('session').textContent = TOKEN_HELP;
      return;
    }
    if (page.status?.state === 'ended' || event.code === CLOSE_GOING_AWAY) {
      // A replay's end says where it ended (session-state.ts).
      setBanner('bad', page.status?.state === 'ended' ? describeSessionState(page.status).text : 'Session ended');
      return;
    }
    setBanner('bad', `Disconnected (${event.code}${event.reason ? `: ${event.reason}` : ''}); retrying…`);
    setTimeout(connect, RECONNECT_MS);
  };
}

function send(message: object): void {
  if (connection.socket?.readyState === WebSocket.OPEN) connection.socket.send(JSON.stringify(message));
}

function command(name: string, extra: Record<string, unknown> = {}): void {
  send({ type: MessageType.Command, name, id: connection.nextId++, ...extra });
}

function onText(message: Record<string, unknown>): void {
  switch (message['type']) {
    case MessageType.Hello:
      onHello(message as unknown as PageHello);
      break;
    case MessageType.View: {
      const view = message as unknown as ViewMessage;
      page.view = view;
      page.probe.view = view;
      traces.setView(view);
      break;
    }
    case MessageType.Status: {
      const status = message as unknown as StatusMessageJson;
      page.status = status;
      page.probe.status = status;
      showDecoderPanel();
      decoder.setStatus(status);
      health.dirty = true;
      // chips under the health tiles, badges on the traces.
      renderQuality(status.quality, status.impedance);
      traces.setBadges(qualityBadges(status.quality, status.impedance));
      break;
    }
    case MessageType.Marker: {
      const marker = message as unknown as MarkerMessage;
      page.probe.markers++;
      traces.addMarker(marker);
      decoder.setMarker(marker);
      break;
    }
    case MessageType.Ack:
      page.probe.acks.push(message);
      onAck(message);
      break;
    case MessageType.Error:
      page.probe.errors.push(message);
      toast(`${String(message['message'])}`, true);
      break;
  }
}

function onHello(message: PageHello): void {
  page.hello = message;
  page.probe.hello = message;
  page.probe.role = message.role;
  document.body.classList.toggle('viewer', message.role !== 'operator');
  $('role').textContent = message.role === 'operator' ? 'Operator' : 'Viewer (read-only)';
  if (message.stream) {
    const s = message.stream;
    $('session').textContent = `${s.device}: ${s.channels.length} channels @ ${s.sampleRateHz} Hz`;
    requestView();
  }
  rates.setHello(message);
  decoder.setHello(message);
  bandPower.setHello(message);
  offerDisplays(message);
  showDecoderPanel();
}

/** The decoder panel only when the session decodes (or has a decoder calibrating). */
function showDecoderPanel(): void {
  const shown = !!page.hello?.intent || !!page.status?.decoder;
  const el = $('decoder-panel');
  if (el.hidden === shown) el.hidden = !shown;
  page.probe.panels['decoder'] = shown;
}

/** The display choices the stream offers: default, the session's filter, raw, band-pass presets (EEG) or spike/LFP bands (intracortical). */
function offerDisplays(hello: PageHello): void {
  const offer = hello.display;
  const select = $('display') as HTMLSelectElement;
  const current = select.value;
  const options: [string, string][] = [['default', offer?.session ? `default: ${offer.session}` : offer?.signal === 'intracortical' ? 'default: spike band' : 'default']];
  if (offer?.session) options.push(['session', offer.session]);
  options.push(['raw', 'raw']);
  for (const [lo, hi] of offer?.bandPresetsHz ?? []) {
    const name = offer?.signal === 'intracortical' ? (lo >= 100 ? 'spike band ' : 'LFP band ') : 'band-pass ';
    options.push([`band:${lo}-${hi}`, `${name}${lo}–${hi} Hz`]);
  }
  options.push(['band:none', 'no band-pass (notch only)']);
  select.replaceChildren(...options.map(([value, text]) => new Option(text, value, false, value === current)));
  if (!options.some(([value]) => value === current)) select.value = 'default';
  (($('notch') as HTMLSelectElement).disabled = !select.value.startsWith('band:'));
}

/** The display the controls ask for. */
function displayChoice(): DisplayChoice {
  const value = ($('display') as HTMLSelectElement).value;
  if (value === 'default' || value === 'session' || value === 'raw') return value;
  const notch = ($('notch') as HTMLSelectElement).value;
  const notchHz = notch === '50' ? 50 : notch === '60' ? 60 : null;
  const m = /^band:(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(value);
  return { bandHz: m ? [Number(m[1]), Number(m[2])] : null, notchHz };
}

function onFrame(frame: DecodedDashboardFrame): void {
  const probe = page.probe;
  const name = FRAME_TYPE_NAMES[frame.type];
  probe.frames[name] = (probe.frames[name] ?? 0) + 1;
  if (connection.lastSequence >= 0 && frame.sequence !== ((connection.lastSequence + 1) >>> 0)) probe.sequenceGaps++;
  connection.lastSequence = frame.sequence;
  switch (frame.type) {
    case FrameType.Traces:
      traces.apply(frame);
      break;
    case FrameType.Rate:
      rates.apply(frame);
      break;
    case FrameType.Intent:
      decoder.apply(frame);
      break;
    case FrameType.Spectrum:
      spectrum.apply(frame);
      break;
    case FrameType.Health:
    case FrameType.Histogram:
      health.apply(frame);
      break;
    case FrameType.BandPower:
      bandPower.apply(frame);
      break;
    case FrameType.Features:
      break; // the stream API's; a page does not subscribe to it
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
  const hello = page.hello;
  if (!hello?.stream || !hello.traces) return;
  const count = hello.stream.channels.length;
  let channels = parseChannels(($('channels') as HTMLInputElement).value, count).slice(0, hello.traces.maxViewChannels);
  if (channels.length === 0) channels = [0];
  const windowS = Math.min(hello.traces.maxWindowS, Number(($('window') as HTMLSelectElement).value));
  const width = Math.max(16, Math.min(4096, Math.round($('traces').clientWidth - 60)));
  send({ type: MessageType.View, channels, windowS, columns: width, display: displayChoice() });
}

function shiftChannels(direction: number): void {
  const { hello, view } = page;
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
    case 'measure-impedance':
      toast('Impedance measured');
      break;
  }
}

$('channels').addEventListener('change', requestView);
$('display').addEventListener('change', () => {
  ($('notch') as HTMLSelectElement).disabled = !($('display') as HTMLSelectElement).value.startsWith('band:');
  requestView();
});
$('notch').addEventListener('change', requestView);
$('spectrum-channels').addEventListener('change', () => {
  spectrum.selection = ($('spectrum-channels') as HTMLInputElement).value;
  spectrum.dirty = true;
});
$('window').addEventListener('change', requestView);
$('channels-prev').addEventListener('click', () => shiftChannels(-1));
$('channels-next').addEventListener('click', () => shiftChannels(1));
$('scale').addEventListener('change', () => {
  traces.build();
  traces.dirty = true;
});
$('pause').addEventListener('click', () => {
  page.paused = !page.paused;
  $('pause').setAttribute('aria-pressed', String(page.paused));
  $('pause').textContent = page.paused ? 'Resume' : 'Pause';
  if (!page.paused) traces.dirty = rates.dirty = decoder.dirty = spectrum.dirty = health.dirty = bandPower.dirty = true;
});
$('marker').addEventListener('click', () => {
  const text = ($('marker-text') as HTMLInputElement).value.trim();
  command('add-marker', text ? { value: text } : {});
});
$('record').addEventListener('click', () => command(health.recording ? 'stop-recording' : 'start-recording'));
$('recalibrate').addEventListener('click', () => command('recalibrate'));
// The impedance panel is redrawn with each status: its button is found by delegation.
$('impedance').addEventListener('click', (event) => {
  if ((event.target as HTMLElement).id === 'measure-impedance') command('measure-impedance');
});
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(requestView, 200);
});

// ---------- drawing ----------

function animationFrame(): void {
  if (!page.paused) {
    if (traces.dirty) traces.draw();
    if (rates.dirty) rates.draw();
    if (decoder.dirty) decoder.draw();
    if (spectrum.dirty) spectrum.draw();
    if (bandPower.dirty) bandPower.draw();
  }
  if (health.dirty) health.draw();
  requestAnimationFrame(animationFrame);
}

if (!token) {
  setBanner('bad', 'Access refused: bad or missing token');
  $('session').textContent = TOKEN_HELP;
}
connect();
requestAnimationFrame(animationFrame);
