/**
 * The firing-rate panel (hidden for streams without rates, e.g. EEG): a heatmap of binned rates
 * (rows: channels, columns: bins across the page's window), 0–100 spikes/s from navy through red
 * to yellow, grey where no data, with a channel axis, a time axis (seconds before now) and a
 * colour bar. Pixels go into one ImageData kept while the heatmap's size stays the same, drawn
 * scaled into the axes.
 */
import type { DecodedRateFrame } from '../../protocol/dashboard-frames.js';
import { FLAG_RESET } from '../../protocol/dashboard-frames.js';
import type { PageHello } from '../../protocol/dashboard-messages.js';
import { ColumnStore } from '../column-store.js';
import { $, type PageContext, type Panel } from '../page-context.js';

/** Rate (Hz) at the top of the colour scale. */
const MAX_RATE_HZ = 100;
/** Bins kept. */
const RING_BINS = 1024;

export class RatesPanel implements Panel<DecodedRateFrame> {
  dirty = false;
  private store: ColumnStore | undefined;
  private image: ImageData | undefined;
  private info = '';
  private readonly payloads: Float32Array[] = [];
  /** The heatmap at one pixel per bin and channel, scaled into the visible canvas. */
  private readonly offscreen = document.createElement('canvas');
  private colourBar: ImageData | undefined;

  constructor(private readonly page: PageContext) {}

  /** A hello: the heatmap's rows (none when the session has no rates). */
  setHello(hello: PageHello): void {
    this.store = hello.rate ? new ColumnStore(hello.rate.channels, RING_BINS, 1) : undefined;
    // Rates come with an extracellular stream's features (shortly after its hello); EEG never has them.
    const applies = !!hello.rate || hello.display?.signal === 'intracortical';
    $('rate-panel').hidden = !applies;
    this.page.probe.panels['rate'] = applies;
  }

  apply(frame: DecodedRateFrame): void {
    const store = this.store;
    if (!store || frame.channels !== store.rows) return;
    this.payloads[0] = frame.rates;
    store.apply(frame.firstColumn, frame.columns, frame.step, frame.time, (frame.flags & FLAG_RESET) !== 0, this.payloads);
    this.dirty = true;
  }

  draw(): void {
    this.dirty = false;
    const rates = this.store;
    const rate = this.page.hello?.rate;
    if (!rates || rates.end === 0 || !rate) return;
    const binS = rate.binS;
    const width = Math.min(rates.width, Math.round((this.page.view?.windowS ?? 5) / binS));
    const rows = rates.rows;
    const canvas = this.offscreen;
    if (canvas.width !== width || canvas.height !== rows) {
      canvas.width = width;
      canvas.height = rows;
    }
    const ctx = canvas.getContext('2d')!;
    if (!this.image || this.image.width !== width || this.image.height !== rows) this.image = ctx.createImageData(width, rows);
    const data = this.image.data;
    const first = rates.end - width;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < width; j++) {
        const v = rates.at(0, r, first + j);
        const i = 4 * (r * width + j);
        if (v !== v) {
          data[i] = data[i + 1] = data[i + 2] = 235;
        } else {
          const t = Math.max(0, Math.min(1, v / MAX_RATE_HZ));
          data[i] = Math.round(255 * Math.min(1, 2 * t));
          data[i + 1] = Math.round(255 * Math.max(0, 2 * t - 1) * 0.9);
          data[i + 2] = Math.round(90 * (1 - t));
        }
        data[i + 3] = 255;
      }
    }
    ctx.putImageData(this.image, 0, 0);
    this.drawAxes(width * binS, rows);
    const info = `${rows} channels × ${(width * binS).toFixed(1)} s, ${binS * 1000} ms bins, 0–${MAX_RATE_HZ} spikes/s (navy → red → yellow; grey: no data)`;
    if (info !== this.info) $('rate-info').textContent = this.info = info;
    this.page.probe.redraws.rate++;
  }

  /** The heatmap scaled into its axes: channels on the left, seconds before now below, the colour bar on the right. */
  private drawAxes(spanS: number, rows: number): void {
    const canvas = $('rate') as HTMLCanvasElement;
    // One canvas pixel per CSS pixel, so the axes' text is not scaled.
    const cssWidth = canvas.clientWidth;
    if (cssWidth > 0 && canvas.width !== cssWidth) canvas.width = cssWidth;
    const ctx = canvas.getContext('2d')!;
    const W = canvas.width;
    const H = canvas.height;
    const left = 56;
    const right = 90;
    const top = 6;
    const bottom = 30;
    const plotW = W - left - right;
    const plotH = H - top - bottom;
    ctx.clearRect(0, 0, W, H);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.offscreen, left, top, plotW, plotH);
    ctx.font = '12px system-ui';
    ctx.fillStyle = '#222';
    ctx.strokeStyle = '#222';
    // Channel axis: a few channel numbers (1-based).
    ctx.textAlign = 'right';
    const every = Math.max(1, Math.ceil(rows / 8));
    for (let r = 0; r < rows; r += every) ctx.fillText(CHANNEL_LABELS[r] ?? '', left - 4, top + ((r + 0.5) * plotH) / rows + 4);
    ctx.save();
    ctx.translate(12, top + plotH / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.fillText('channel', 0, 0);
    ctx.restore();
    // Time axis: seconds before now.
    ctx.textAlign = 'center';
    const stepS = spanS > 6 ? 2 : 1;
    for (let s = 0; s <= spanS + 1e-9; s += stepS) {
      const x = left + plotW * (1 - s / spanS);
      ctx.beginPath();
      ctx.moveTo(x, top + plotH);
      ctx.lineTo(x, top + plotH + 4);
      ctx.stroke();
      ctx.fillText(SECONDS_LABELS[Math.round(s)] ?? '', x, top + plotH + 16);
    }
    ctx.fillText('seconds before now', left + plotW / 2, H - 2);
    // Colour bar: 0 at the bottom, MAX_RATE_HZ at the top.
    const barX = W - right + 12;
    if (!this.colourBar || this.colourBar.height !== plotH) {
      this.colourBar = ctx.createImageData(16, plotH);
      for (let y = 0; y < plotH; y++) {
        const t = 1 - y / Math.max(1, plotH - 1);
        for (let x = 0; x < 16; x++) {
          const i = 4 * (y * 16 + x);
          this.colourBar.data[i] = Math.round(255 * Math.min(1, 2 * t));
          this.colourBar.data[i + 1] = Math.round(255 * Math.max(0, 2 * t - 1) * 0.9);
          this.colourBar.data[i + 2] = Math.round(90 * (1 - t));
          this.colourBar.data[i + 3] = 255;
        }
      }
    }
    ctx.putImageData(this.colourBar, barX, top);
    ctx.textAlign = 'left';
    ctx.fillText(`${MAX_RATE_HZ}`, barX + 20, top + 10);
    ctx.fillText('0', barX + 20, top + plotH);
    ctx.fillText('spikes/s', barX + 20, top + plotH / 2);
  }
}

/** Channel numbers and whole seconds as text, made once. */
const CHANNEL_LABELS = Array.from({ length: 4096 }, (_, i) => String(i + 1));
const SECONDS_LABELS = Array.from({ length: 601 }, (_, i) => (i === 0 ? 'now' : `−${i}`));
