/**
 * The firing-rate panel: a heatmap of binned rates (rows: channels, columns: bins across the
 * page's window), 0–100 spikes/s from navy through red to yellow, grey where no data. Pixels go
 * into one ImageData kept while the heatmap's size stays the same.
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

  constructor(private readonly page: PageContext) {}

  /** A hello: the heatmap's rows (none when the session has no rates). */
  setHello(hello: PageHello): void {
    this.store = hello.rate ? new ColumnStore(hello.rate.channels, RING_BINS, 1) : undefined;
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
    const canvas = $('rate') as HTMLCanvasElement;
    const binS = rate.binS;
    const width = Math.min(rates.width, Math.round((this.page.view?.windowS ?? 5) / binS));
    const rows = rates.rows;
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
    const info = `${rows} channels × ${(width * binS).toFixed(1)} s, ${binS * 1000} ms bins, 0–${MAX_RATE_HZ} spikes/s (navy → red → yellow; grey: no data)`;
    if (info !== this.info) $('rate-info').textContent = this.info = info;
    this.page.probe.redraws.rate++;
  }
}
