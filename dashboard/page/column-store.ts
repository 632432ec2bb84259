/**
 * The browser's copy of a frame stream: a ring of `width` columns × `rows` rows (one or two
 * planes: min and max for traces, one for rates and intents), written by absolute column index
 * as frames arrive (deltas re-send partial columns; a RESET frame clears first). No DOM here, so
 * it is tested in Node.
 *
 * Layout contract: plane `p`, row `r`, column `k` (absolute) lives at
 * `planes[p][r * width + (k mod width)]`; `end` is one past the newest column received; columns
 * in `[end - width, end)` that no frame has filled are NaN.
 */
export class ColumnStore {
  readonly planes: Float32Array[];
  end = 0;
  step = 0;
  /** Stream time (s) of the start of column `end - 1`. */
  newestTime = 0;

  constructor(
    readonly rows: number,
    readonly width: number,
    planeCount: number,
  ) {
    this.planes = Array.from({ length: planeCount }, () => new Float32Array(rows * width).fill(NaN));
  }

  /** Applies a frame's columns `[firstColumn, firstColumn + columns)` from channel-major payloads `[rows × columns]`. */
  apply(firstColumn: number, columns: number, step: number, time: number, reset: boolean, payloads: readonly Float32Array[]): void {
    const W = this.width;
    if (reset) {
      for (const plane of this.planes) plane.fill(NaN);
      this.end = 0;
    }
    const last = firstColumn + columns;
    // Columns skipped between the old end and this frame are unknown: empty them.
    for (let k = Math.max(this.end, last - W, firstColumn - W); k < Math.min(firstColumn, last); k++) {
      const slot = k % W;
      for (const plane of this.planes) for (let r = 0; r < this.rows; r++) plane[r * W + slot] = NaN;
    }
    const from = Math.max(firstColumn, last - W);
    for (let p = 0; p < this.planes.length; p++) {
      const plane = this.planes[p]!;
      const src = payloads[p]!;
      for (let r = 0; r < this.rows; r++) {
        for (let k = from; k < last; k++) plane[r * W + (k % W)] = src[r * columns + (k - firstColumn)]!;
      }
    }
    if (last > this.end) {
      this.end = last;
      this.newestTime = time;
    }
    this.step = step;
  }

  /** The value of plane `p`, row `r` at absolute column `k` (NaN outside the ring). */
  at(p: number, r: number, k: number): number {
    if (k < this.end - this.width || k >= this.end || k < 0) return NaN;
    return this.planes[p]![r * this.width + (k % this.width)]!;
  }
}

/**
 * uPlot data for min/max traces, stacked: x holds each column's time twice; series `r` holds, per
 * column, min then max (or max then min on odd columns, so the line zig-zags through every bar),
 * offset to `-(r · spacing)` around the channel's window mean; an empty column is `null` (uPlot's
 * gap). With `scales`, row `r` is first scaled so that `scales[r]` µV span one lane (`spacing`). Writes into the given arrays (reused between redraws; lengths set to 2 · width) and
 * returns the number of points.
 */
export function stackTraces(store: ColumnStore, spacing: number, x: number[], ys: (number | null)[][], scales?: Float64Array): number {
  const W = store.width;
  const first = store.end - W;
  const n = 2 * W;
  x.length = n;
  for (let j = 0; j < W; j++) {
    const t = (first + j) * store.step;
    x[2 * j] = t;
    x[2 * j + 1] = t;
  }
  for (let r = 0; r < store.rows && r < ys.length; r++) {
    let sum = 0;
    let count = 0;
    for (let j = 0; j < W; j++) {
      const lo = store.at(0, r, first + j);
      const hi = store.at(1, r, first + j);
      if (lo === lo && hi === hi) {
        sum += (lo + hi) / 2;
        count++;
      }
    }
    // Per-channel scale: `scales[r]` µV fill one lane of `spacing`.
    const gain = scales ? spacing / scales[r]! : 1;
    const mean = count > 0 ? sum / count : 0;
    const offset = -r * spacing - mean * gain;
    const y = ys[r]!;
    y.length = n;
    for (let j = 0; j < W; j++) {
      const lo = store.at(0, r, first + j);
      const hi = store.at(1, r, first + j);
      if (lo !== lo || hi !== hi) {
        y[2 * j] = null;
        y[2 * j + 1] = null;
        continue;
      }
      const even = j % 2 === 0;
      y[2 * j] = (even ? lo : hi) * gain + offset;
      y[2 * j + 1] = (even ? hi : lo) * gain + offset;
    }
  }
  return n;
}

/** Peak-to-peak range (max − min) of row `r` over the store's window (0 when empty). */
export function windowRange(store: ColumnStore, r: number): number {
  const first = store.end - store.width;
  let lo = Infinity;
  let hi = -Infinity;
  for (let j = 0; j < store.width; j++) {
    const a = store.at(0, r, first + j);
    const b = store.at(1, r, first + j);
    if (a < lo) lo = a;
    if (b > hi) hi = b;
  }
  return hi > lo ? hi - lo : 0;
}

const NICE_STEPS = [1, 2, 5, 10] as const;

/** The smallest of 1, 2, 5 × 10^k (≥ `min`) not below `v`. */
export function niceCeil(v: number, min = 1): number {
  if (!(v > min)) return min;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of NICE_STEPS) if (m * p >= v) return m * p;
  return 10 * p;
}
