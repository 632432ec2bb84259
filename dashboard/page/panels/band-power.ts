/**
 * The band-power panel (EEG; the OpenBCI GUI's widget): for each channel of the page's view (at
 * most 16), one bar split into its delta/theta/alpha/beta/gamma shares of the power (%, from the
 * server's band-power frames, µV² per band), with the total beside it; and, beside the bars, each
 * band's share averaged over those channels for the last minute. Canvas only; every buffer and
 * label is made when the bands or the view change, none per redraw.
 */
import { displayChannelName } from '../../../core/channel-names.js';
import type { DecodedBandPowerFrame } from '../../protocol/dashboard-frames.js';
import type { PageHello } from '../../protocol/dashboard-messages.js';
import { $, type PageContext, type Panel } from '../page-context.js';

/** Band colours: delta, theta, alpha, beta, gamma. */
const BAND_COLORS = ['#5e35b1', '#1e88e5', '#43a047', '#fb8c00', '#e53935', '#6d4c41'] as const;
/** Channels with a bar at most. */
const MAX_BARS = 16;
/** Windows kept for the over-time plot (0.5 s each: one minute). */
const HISTORY = 120;
/** "0%" … "100%", made once. */
const PERCENT = Array.from({ length: 101 }, (_, i) => `${i}%`);

export class BandPowerPanel implements Panel<DecodedBandPowerFrame> {
  dirty = false;
  private bands: string[] = [];
  private bandLabels: string[] = [];
  private power = new Float32Array(0);
  private channels = 0;
  /** `[bands × HISTORY]` mean share over the shown channels, ring by window. */
  private history = new Float32Array(0);
  private windows = 0;
  private lastWindow = -1;
  private rows: number[] = [];
  private rowNames: string[] = [];
  private rowTotals: string[] = [];
  private rowRounded = new Float64Array(0);
  private rowsKey: unknown;

  constructor(private readonly page: PageContext) {}

  /** A hello: the bands (none: the panel is hidden, e.g. an intracortical stream). */
  setHello(hello: PageHello): void {
    const bp = hello.bandPower;
    $('bandpower-panel').hidden = !bp;
    this.page.probe.panels['bandPower'] = !!bp;
    if (!bp) return;
    this.bands = bp.bands.map((b) => b.name);
    this.bandLabels = bp.bands.map((b) => `${b.name} ${b.loHz}–${b.hiHz} Hz`);
    this.channels = bp.channels;
    this.history = new Float32Array(this.bands.length * HISTORY).fill(NaN);
    this.windows = 0;
    this.lastWindow = -1;
    this.rowsKey = undefined;
    $('bandpower-info').textContent = `of ${bp.source}; Welch over the last ${bp.windowS} s; share of each band in the 1–45 Hz power`;
  }

  apply(frame: DecodedBandPowerFrame): void {
    if (frame.columns !== this.bands.length || frame.channels !== this.channels) return;
    if (this.power.length !== frame.power.length) this.power = new Float32Array(frame.power.length);
    this.power.set(frame.power);
    this.page.probe.bandPower = { bands: this.bands, channels: this.channels, power: this.power };
    if (frame.firstColumn !== this.lastWindow) {
      this.lastWindow = frame.firstColumn;
      this.record();
    }
    this.dirty = true;
  }

  draw(): void {
    this.dirty = false;
    if (this.bands.length === 0 || this.lastWindow < 0) return;
    this.layoutRows();
    this.drawBars();
    this.drawHistory();
    this.page.probe.redraws.bandPower++;
  }

  /** The shares averaged over the shown channels, into the history ring. */
  private record(): void {
    this.layoutRows();
    const B = this.bands.length;
    const slot = this.windows % HISTORY;
    for (let b = 0; b < B; b++) {
      let sum = 0;
      let n = 0;
      for (const c of this.rows) {
        const total = this.total(c);
        if (total > 0) {
          sum += this.power[c * B + b]! / total;
          n++;
        }
      }
      this.history[b * HISTORY + slot] = n > 0 ? sum / n : NaN;
    }
    this.windows++;
  }

  private total(c: number): number {
    const B = this.bands.length;
    let t = 0;
    for (let b = 0; b < B; b++) t += this.power[c * B + b]!;
    return t;
  }

  /** The channels with a bar: the view's EEG channels (at most 16). */
  private layoutRows(): void {
    const view = this.page.view;
    const stream = this.page.hello?.stream;
    if (!view || !stream || this.rowsKey === view) return;
    this.rowsKey = view;
    this.rows = view.channels.filter((c) => c < this.channels && (stream.kinds[c] ?? 'eeg') !== 'accel' && (stream.kinds[c] ?? 'eeg') !== 'aux').slice(0, MAX_BARS);
    this.rowNames = this.rows.map((c) => displayChannelName(stream.channels[c] ?? String(c)));
    this.rowTotals = this.rows.map(() => '');
    this.rowRounded = new Float64Array(this.rows.length).fill(NaN);
  }

  private drawBars(): void {
    const canvas = $('bandpower') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const W = canvas.width;
    const H = canvas.height;
    const B = this.bands.length;
    const left = 60;
    const right = 90;
    const top = 26;
    ctx.clearRect(0, 0, W, H);
    ctx.font = '12px system-ui';
    // Legend.
    let lx = left;
    for (let b = 0; b < B; b++) {
      ctx.fillStyle = BAND_COLORS[b % BAND_COLORS.length]!;
      ctx.fillRect(lx, 6, 12, 12);
      ctx.fillStyle = '#222';
      ctx.fillText(this.bandLabels[b]!, lx + 16, 16);
      lx += ctx.measureText(this.bandLabels[b]!).width + 30;
    }
    const rows = this.rows.length;
    const barH = Math.max(8, Math.min(26, (H - top - 4) / Math.max(1, rows)));
    const span = W - left - right;
    for (let r = 0; r < rows; r++) {
      const c = this.rows[r]!;
      const y = top + r * barH;
      const total = this.total(c);
      ctx.fillStyle = '#222';
      ctx.textAlign = 'right';
      ctx.fillText(this.rowNames[r]!, left - 6, y + barH / 2 + 4);
      ctx.textAlign = 'left';
      let x = left;
      for (let b = 0; b < B && total > 0; b++) {
        const share = this.power[c * B + b]! / total;
        const w = share * span;
        ctx.fillStyle = BAND_COLORS[b % BAND_COLORS.length]!;
        ctx.fillRect(x, y + 1, w, barH - 3);
        if (w > 30) {
          ctx.fillStyle = '#fff';
          ctx.fillText(PERCENT[Math.round(share * 100)]!, x + 4, y + barH / 2 + 4);
        }
        x += w;
      }
      ctx.fillStyle = '#444';
      const label = this.totalLabel(r, total);
      ctx.fillText(label, W - right + 6, y + barH / 2 + 4);
    }
  }

  /** "123 µV²", made only when its rounded value changes. */
  private totalLabel(r: number, total: number): string {
    const rounded = total >= 100 ? Math.round(total) : Math.round(total * 10) / 10;
    if (this.rowRounded[r] !== rounded) {
      this.rowRounded[r] = rounded;
      this.rowTotals[r] = `${rounded} µV²`;
    }
    return this.rowTotals[r]!;
  }

  private drawHistory(): void {
    const canvas = $('bandpower-time') as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    const W = canvas.width;
    const H = canvas.height;
    const B = this.bands.length;
    const left = 40;
    const bottom = 22;
    const top = 10;
    const plotW = W - left - 10;
    const plotH = H - top - bottom;
    ctx.clearRect(0, 0, W, H);
    ctx.font = '11px system-ui';
    ctx.strokeStyle = '#ddd';
    ctx.fillStyle = '#444';
    for (let p = 0; p <= 100; p += 25) {
      const y = top + plotH * (1 - p / 100);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + plotW, y);
      ctx.stroke();
      ctx.fillText(PERCENT[p]!, 4, y + 4);
    }
    ctx.fillText('last 60 s (mean share over the channels shown)', left, H - 6);
    const n = Math.min(this.windows, HISTORY);
    for (let b = 0; b < B; b++) {
      ctx.strokeStyle = BAND_COLORS[b % BAND_COLORS.length]!;
      ctx.lineWidth = 2;
      ctx.beginPath();
      for (let k = 0; k < n; k++) {
        const w = this.windows - n + k;
        const v = this.history[b * HISTORY + (w % HISTORY)]!;
        const x = left + plotW * ((HISTORY - n + k) / (HISTORY - 1));
        const y = top + plotH * (1 - (v === v ? v : 0));
        if (k === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.stroke();
    }
    ctx.lineWidth = 1;
  }
}
