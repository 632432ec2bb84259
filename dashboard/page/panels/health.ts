/**
 * The health panel: tiles for the stream's health (sample rate, lag, gaps, corrupt packets,
 * latency, skipped frames), the recording and the decoder (and its online validation), the
 * latency histogram, and the banner: the worst of what matters to a clinician. Colours come from
 * numbers and structured states (the recording's state, the decoder's `state`), never from
 * status texts. Drawn twice a second (with each status), also while the page is paused.
 */
import type { DecodedHealthFrame, DecodedHistogramFrame } from '../../protocol/dashboard-frames.js';
import { FrameType } from '../../protocol/dashboard-frames.js';
import type { DecoderValidationJson } from '../../../decoding/decoder-validation.js';
import type { DashboardDecoderStatus } from '../../protocol/dashboard-messages.js';
import { $, escapeHtml, fmt, fmtNullable, setBanner, type PageContext, type Panel } from '../page-context.js';
import { latencyBudget, latencyKind, latencyStageWords } from '../../protocol/latency-budget.js';
import { expectedRateHz, sessionBanner } from '../session-banner.js';

type Kind = 'ok' | 'warn' | 'bad' | '';

/** The tile colour of a decoder's state: failed red, (re)calibrating amber, otherwise green. */
export function decoderKind(decoder: Partial<Omit<DashboardDecoderStatus, 'validation'>> | null | undefined): Kind {
  if (!decoder) return '';
  switch (decoder.state) {
    case 'failed':
      return 'bad';
    case 'calibrating':
    case 'recalibrating':
      return 'warn';
    default:
      return 'ok';
  }
}

function tile(label: string, value: string, kind: Kind): string {
  return `<div class="tile ${kind}"><span>${label}</span><b>${value}</b></div>`;
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

export class HealthPanel implements Panel<DecodedHealthFrame | DecodedHistogramFrame> {
  dirty = false;
  /** A recording is open (what the record button does). */
  recording = false;
  /** The newest value of each health metric, by name (also the probe's `health`). */
  private readonly values: Record<string, number>;
  private counts = new Float32Array(0);
  private bins = 0;
  private hasHistogram = false;

  constructor(private readonly page: PageContext) {
    this.values = page.probe.health;
  }

  apply(frame: DecodedHealthFrame | DecodedHistogramFrame): void {
    if (frame.type === FrameType.Health) {
      const metrics = this.page.hello?.healthMetrics;
      if (metrics) for (let r = 0; r < metrics.length; r++) this.values[metrics[r]!] = frame.values[r * frame.columns + frame.columns - 1]!;
    } else {
      if (this.counts.length !== frame.counts.length) this.counts = new Float32Array(frame.counts.length);
      this.counts.set(frame.counts);
      this.bins = frame.columns;
      this.hasHistogram = true;
    }
    this.dirty = true;
  }

  draw(): void {
    this.dirty = false;
    const { hello, status, paused } = this.page;
    const h = this.values;
    // a replay's rate is its speed × the stream's; a lost device has none.
    const lost = status?.state === 'device-lost';
    const rate = expectedRateHz(status, hello?.stream?.sampleRateHz ?? 0);
    const achieved = h['sampleRateHz'];
    const pct = rate > 0 && achieved !== undefined ? (100 * achieved) / rate : NaN;
    const rateKind = lost ? 'bad' : pct !== pct ? '' : pct >= 98 ? 'ok' : pct >= 90 ? 'warn' : 'bad';
    // Latency against thresholds that fit the stream: a decoder's bin, or the source's blocks.
    const endToEnd = this.hasTotal();
    const budget = latencyBudget({ sampleRateHz: hello?.stream?.sampleRateHz ?? 0, blockSamples: hello?.stream?.blockSamples ?? 1, ...(endToEnd && hello?.intent ? { binS: hello.intent.binS } : {}) });
    const latKind = latencyKind(h['latencyP99Ms'], budget);
    const lag = h['lagMs'];
    const lagKind = lag === undefined ? '' : lag < 100 ? 'ok' : lag < 1000 ? 'warn' : 'bad';
    const rec = status?.recording;
    const recKind = !rec ? '' : rec.state === 'failed' ? 'bad' : rec.state === 'overflow' ? 'warn' : 'ok';
    const dec = status?.decoder;
    const decKind = decoderKind(dec);
    const dropped = h['droppedFrames'] ?? 0;
    this.recording = rec !== null && rec !== undefined && rec.state !== 'closed' && rec.state !== 'failed';
    $('record').textContent = this.recording ? 'Stop recording' : 'Start recording';
    $('health').innerHTML = [
      lost ? tile('Sample rate', 'device lost', 'bad') : tile('Sample rate', `${fmt(achieved, 0, ' Hz')} (${fmt(pct, 1, '%')})`, rateKind),
      tile('Lag', `${fmt(lag, 1, ' ms')} (max ${fmt(h['maxLagMs'], 0)})`, lagKind),
      tile('Gaps / lost packets', `${fmt(h['gapSamples'], 0)} samples / ${fmt(h['lostPackets'], 0)}`, (h['gapSamples'] ?? 0) > 0 ? 'warn' : 'ok'),
      tile('Corrupt packets', fmt(h['corruptPackets'], 0), (h['corruptPackets'] ?? 0) > 0 ? 'warn' : h['corruptPackets'] === h['corruptPackets'] ? 'ok' : ''),
      `<div class="tile ${latKind}" id="latency-tile"><span>Latency p50 / p99, ${budget.stage === 'end-to-end' ? 'end to end' : 'last byte to processing'}</span><b>${fmt(h['latencyP50Ms'], 2)} / ${fmt(h['latencyP99Ms'], 2)} ms</b><small>amber above ${fmt(budget.warnMs, budget.warnMs < 10 ? 1 : 0)} ms, red above ${fmt(budget.badMs, budget.badMs < 10 ? 1 : 0)} ms (${budget.basis})</small></div>`,
      tile('Frames skipped (this view)', fmt(dropped, 0), dropped > 0 ? 'warn' : 'ok'),
      tile('Recording', rec ? `${escapeHtml(rec.state)} ${(rec.bytes / 1e6).toFixed(1)} MB` : 'off', recKind),
      tile('Decoder', dec ? `${escapeHtml(dec.name)} on ${escapeHtml(dec.provider)}` : 'none', decKind),
      ...(dec?.validation ? [validationTile(dec.validation)] : []),
    ].join('');
    if (dec) $('decoder-info').title = dec.status;
    // Status banner: the worst of what matters to a clinician.
    if (status) {
      // the typed state first (Replay, device lost, …), then the worst problem.
      const bad = rateKind === 'bad' || lagKind === 'bad' || recKind === 'bad' || decKind === 'bad';
      const failure = !bad ? undefined : rec?.state === 'failed' ? 'RECORDING FAILED' : decKind === 'bad' ? 'DECODER FAILED' : 'SIGNAL PROBLEM';
      const banner = sessionBanner(status, { ...(failure ? { failure } : {}), degraded: rateKind === 'warn' || lagKind === 'warn' || recKind === 'warn' }, { recording: this.recording, paused });
      setBanner(banner.kind, banner.text);
      const away = status.state === 'device-lost' && status.link ? ` — away ${status.link.lostForS.toFixed(0)} s: ${status.link.reason}` : '';
      $('session').textContent = `${status.label}${away} · ${status.clients} client(s)`;
    }
    this.drawHistogram();
    this.page.probe.redraws.health++;
  }

  /** The histogram holds end-to-end latencies (decoded intents, not held for a calibration). */
  private hasTotal(): boolean {
    const row = this.page.hello?.histogram.stages.indexOf('totalMs') ?? -1;
    if (!this.hasHistogram || row < 0) return false;
    for (let j = 0; j < this.bins; j++) if (this.counts[row * this.bins + j]! > 0) return true;
    return false;
  }

  private drawHistogram(): void {
    const hello = this.page.hello;
    if (!this.hasHistogram || !hello) return;
    const canvas = $('histogram') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const { counts, bins } = this;
    const stages = hello.histogram.stages;
    const totalRow = stages.indexOf('totalMs');
    let row = 0;
    for (let j = 0; j < bins && totalRow >= 0; j++) {
      if (counts[totalRow * bins + j]! > 0) {
        row = totalRow;
        break;
      }
    }
    const at = row * bins;
    let max = 1;
    let sum = 0;
    for (let j = 0; j < bins; j++) {
      const v = counts[at + j]!;
      if (v > max) max = v;
      sum += v;
    }
    const W = canvas.width;
    const H = canvas.height - 16;
    ctx.clearRect(0, 0, W, canvas.height);
    const barW = W / bins;
    ctx.fillStyle = '#1f77b4';
    for (let j = 0; j < bins; j++) {
      const h = (H * counts[at + j]!) / max;
      ctx.fillRect(j * barW + 1, H - h, barW - 2, h);
    }
    ctx.fillStyle = '#444';
    ctx.font = '10px system-ui';
    const edges = hello.histogram.edgesMs;
    for (let j = 0; j <= bins; j += 4) ctx.fillText(`${edges[j]! < 1 ? edges[j]!.toPrecision(1) : edges[j]!.toFixed(0)}`, j * barW, canvas.height - 3);
    $('latency-info').textContent = `${latencyStageWords(stages[row]!)} (ms, log bins), ${sum} values`;
  }
}
