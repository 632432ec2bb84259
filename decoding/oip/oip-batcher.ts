/**
 * Dynamic batching for `neurostream serve`, as Triton's dynamic batcher: infer requests for one
 * model wait in one queue; a batch is formed when `maxBatch` requests are waiting or the oldest
 * has waited `maxDelayMs`, and run while the next one gathers (one batch at a time per model). At
 * most `maxQueue` requests wait; one more is refused at once with a {@link QueueFullError} (the
 * server answers 503, as Triton does when its queue is full) rather than waiting without bound.
 *
 * Each request carries its own session's recurrent state (`<x>_in` inputs, `<x>_out` outputs), so
 * a batch is a set of rows, one per session, and a row's state is only ever its request's:
 * - a model with a symbolic batch dimension on every input and output (the data first, a state
 *   anywhere: a GRU exported with `batch: 'symbolic'` has `hidden_in` [layers, batch, H]) is run
 *   once per batch on the rows stacked along each tensor's batch axis ([n, F] → [n, D], the
 *   states [layers, n, H]), row r of every output going back to request r;
 * - a model whose batch dimension is fixed at 1 — the Kalman filter's `state_in` [1, N], the
 *   GRU exported as `neurostream export` writes it, [layers, 1, H] — is run row by row within the
 *   batch, in the queue's order: the batcher then bounds the queue and orders the work, but the
 *   model's compute is not shared across rows.
 * Either way each row's outputs are those of running the request alone, bit for bit (the tests
 * prove it for both paths).
 */
import { InvalidOptionError } from '../../core/errors.js';
import { checkInteger } from '../../core/validate.js';
import type { OnnxDecoder } from '../onnx/onnx-decoder.js';

export type Tensors = ReadonlyMap<string, { data: Float32Array; shape: readonly number[] }>;
export type TensorsOut = Map<string, { data: Float32Array; shape: number[] }>;

/** The dynamic batcher's settings (`serve --max-batch --max-delay-ms --max-queue`). */
export interface BatchOptions {
  /** Most requests run as one batch (≥ 1). */
  maxBatch: number;
  /** Longest a request waits for others to join its batch, ms (0: only those already queued). */
  maxDelayMs: number;
  /** Most requests waiting (not yet running) per model; one more is refused (default 256). */
  maxQueue?: number;
}

/** The queue of a model is full: the request is refused, not queued (HTTP 503). */
export class QueueFullError extends Error {
  readonly code = 'OIP_QUEUE_FULL';
}

interface Pending {
  inputs: Tensors;
  since: number;
  resolve: (out: TensorsOut) => void;
  reject: (error: unknown) => void;
}

/** Checks batch settings, naming the flag that is wrong. */
export function checkBatchOptions(options: BatchOptions): Required<BatchOptions> {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('batch', 'an object { maxBatch, maxDelayMs, maxQueue? }', options);
  return {
    maxBatch: checkInteger('option', '--max-batch', options.maxBatch, { min: 1, max: 4096 }),
    maxDelayMs: checkInteger('option', '--max-delay-ms', options.maxDelayMs, { min: 0, max: 10_000 }),
    maxQueue: checkInteger('option', '--max-queue', options.maxQueue ?? 256, { min: 1, max: 1_000_000 }),
  };
}

/**
 * Where each tensor of `model` has its batch: every input and output must have exactly one
 * symbolic dimension (the data input's and output's first, a state's anywhere: the GRU's
 * `hidden_in` [layers, batch, H]), a state output at its input's place. Undefined when the model
 * cannot run many rows in one call (a batch dimension fixed at 1).
 */
export function batchAxes(model: OnnxDecoder): Map<string, number> | undefined {
  const { inputs, outputs } = model.signature();
  const axes = new Map<string, number>();
  for (const t of [...inputs, ...outputs]) {
    const at = t.shape.indexOf(-1);
    if (at < 0 || t.shape.indexOf(-1, at + 1) >= 0) return undefined;
    axes.set(t.name, at);
  }
  if (axes.get(model.inputTensor) !== 0 || axes.get(model.outputTensor) !== 0) return undefined;
  for (const name of model.stateNames) {
    if (axes.get(name) !== axes.get(name.slice(0, -'_in'.length) + '_out')) return undefined;
  }
  return axes;
}

/** True when `model` can run n rows in one call (see {@link batchAxes}). */
export function stacksRows(model: OnnxDecoder): boolean {
  return batchAxes(model) !== undefined;
}

const product = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Rows of one tensor (each with 1 at `axis` of `rowShape`) stacked along `axis`. */
function stack(rows: readonly Float32Array[], rowShape: readonly number[], axis: number): Float32Array {
  const outer = product(rowShape.slice(0, axis));
  const inner = product(rowShape.slice(axis + 1));
  const n = rows.length;
  const out = new Float32Array(outer * n * inner);
  rows.forEach((row, r) => {
    for (let o = 0; o < outer; o++) out.set(row.subarray(o * inner, (o + 1) * inner), (o * n + r) * inner);
  });
  return out;
}

/** Row `r` of a tensor of `shape` stacked along `axis` (n rows). */
function row(data: Float32Array, shape: readonly number[], axis: number, r: number): { data: Float32Array; shape: number[] } {
  const n = shape[axis]!;
  const outer = product(shape.slice(0, axis));
  const inner = product(shape.slice(axis + 1));
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) out.set(data.subarray((o * n + r) * inner, (o * n + r + 1) * inner), o * inner);
  return { data: out, shape: shape.map((d, i) => (i === axis ? 1 : d)) };
}

/** One model's dynamic batcher. */
export class ModelBatcher {
  private readonly settings: Required<BatchOptions>;
  /** Each tensor's batch axis when rows can be stacked; undefined when they run one by one. */
  private readonly axes: Map<string, number> | undefined;
  /** Each model input's shape for one row (1 on its batch axis). */
  private readonly rowShapes = new Map<string, number[]>();
  private queue: Pending[] = [];
  private running = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Batches run and their sizes, for the server's report. */
  readonly stats = { batches: 0, rows: 0, largest: 0, refused: 0 };

  constructor(
    private readonly name: string,
    private readonly model: OnnxDecoder,
    options: BatchOptions,
  ) {
    this.settings = checkBatchOptions(options);
    this.axes = batchAxes(model);
    if (this.axes) for (const t of model.signature().inputs) this.rowShapes.set(t.name, t.shape.map((d) => (d === -1 ? 1 : d)));
  }

  /** How the model's rows are run: `stacked` (one call per batch) or `per-row` (batch dimension fixed at 1). */
  get mode(): 'stacked' | 'per-row' {
    return this.axes ? 'stacked' : 'per-row';
  }

  /** Requests waiting now. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Queues one request; resolves with its outputs when its batch has run. */
  infer(inputs: Tensors): Promise<TensorsOut> {
    if (this.queue.length >= this.settings.maxQueue) {
      this.stats.refused++;
      return Promise.reject(
        new QueueFullError(`model "${this.name}" is busy: its queue holds ${this.queue.length} requests, the limit (--max-queue ${this.settings.maxQueue}); retry later`),
      );
    }
    return new Promise<TensorsOut>((resolve, reject) => {
      this.queue.push({ inputs, since: performance.now(), resolve, reject });
      this.schedule();
    });
  }

  /** Runs a batch now if one is due, else waits for the oldest request's deadline. */
  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    const waited = performance.now() - this.queue[0]!.since;
    if (this.queue.length >= this.settings.maxBatch || waited >= this.settings.maxDelayMs) {
      clearTimeout(this.timer);
      this.timer = undefined;
      // Requests that arrive in this turn of the event loop still join when there is no delay.
      if (this.settings.maxDelayMs === 0 && this.queue.length < this.settings.maxBatch) {
        this.running = true;
        setImmediate(() => void this.runBatch());
      } else {
        this.running = true;
        void this.runBatch();
      }
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, Math.max(0, this.settings.maxDelayMs - waited));
    }
  }

  private async runBatch(): Promise<void> {
    const batch = this.queue.splice(0, this.settings.maxBatch);
    this.stats.batches++;
    this.stats.rows += batch.length;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
    try {
      if (this.axes && batch.length > 1) await this.runStacked(batch, this.axes);
      else {
        for (const p of batch) {
          try {
            p.resolve(await this.model.run(p.inputs));
          } catch (error) {
            p.reject(error);
          }
        }
      }
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  /** True when `inputs` are exactly one row of every model input. */
  private isRow(inputs: Tensors): boolean {
    if (inputs.size !== this.rowShapes.size) return false;
    for (const [name, shape] of this.rowShapes) {
      const t = inputs.get(name);
      if (!t || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]) || t.data.length !== product(shape)) return false;
    }
    return true;
  }

  /** One call on the rows stacked along each tensor's batch axis; a request that is not one row runs alone. */
  private async runStacked(batch: Pending[], axes: Map<string, number>): Promise<void> {
    const rows = batch.filter((p) => this.isRow(p.inputs));
    for (const p of batch) {
      if (rows.includes(p)) continue;
      try {
        p.resolve(await this.model.run(p.inputs));
      } catch (error) {
        p.reject(error);
      }
    }
    if (rows.length === 0) return;
    const feeds = new Map<string, { data: Float32Array; shape: number[] }>();
    for (const [name, shape] of this.rowShapes) {
      const axis = axes.get(name)!;
      feeds.set(name, { data: stack(rows.map((p) => p.inputs.get(name)!.data), shape, axis), shape: shape.map((d, i) => (i === axis ? rows.length : d)) });
    }
    let out: TensorsOut;
    try {
      out = await this.model.run(feeds);
    } catch (error) {
      for (const p of rows) p.reject(error);
      return;
    }
    rows.forEach((p, r) => {
      const each: TensorsOut = new Map();
      for (const [name, t] of out) each.set(name, row(t.data, t.shape, axes.get(name)!, r));
      p.resolve(each);
    });
  }
}
