/**
 * Dynamic batching for `neurostream serve`, as Triton's dynamic batcher: infer requests for one
 * model wait in one queue; a batch is formed when `maxBatch` requests are waiting or the oldest
 * has waited `maxDelayMs`, and run while the next one gathers (one batch at a time per model). At
 * most `maxQueue` requests wait; one more is refused at once with a {@link QueueFullError} (the
 * server answers 503, as Triton does when its queue is full) rather than waiting without bound.
 *
 * Each request carries its own session's recurrent state (`<x>_in` inputs, `<x>_out` outputs), so
 * a batch is a set of rows, one per session, and a row's state is only ever its request's:
 * - a model with a symbolic batch dimension on its data input and output and no state inputs is
 *   run once per batch on the rows stacked ([n, F] → [n, D]);
 * - a model whose batch dimension is fixed at 1 — every recurrent model neurostream exports (the
 *   GRU's `hidden_in` [layers, 1, H], the Kalman filter's `state_in` [1, N]) — is run row by row
 *   within the batch, in the queue's order: the batcher then bounds the queue and orders the
 *   work, but the model's compute is not shared across rows.
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

/** True when `model` can run n rows in one call: symbolic batch dimension, no recurrent state. */
export function stacksRows(model: OnnxDecoder): boolean {
  if (model.stateNames.length > 0) return false;
  const { inputs, outputs } = model.signature();
  const data = inputs.find((t) => t.name === model.inputTensor);
  const out = outputs.find((t) => t.name === model.outputTensor);
  return data?.shape[0] === -1 && out?.shape[0] === -1 && inputs.length === 1;
}

/** One model's dynamic batcher. */
export class ModelBatcher {
  private readonly settings: Required<BatchOptions>;
  private readonly stacked: boolean;
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
    this.stacked = stacksRows(model);
  }

  /** How the model's rows are run: `stacked` (one call per batch) or `per-row` (batch dimension fixed at 1). */
  get mode(): 'stacked' | 'per-row' {
    return this.stacked ? 'stacked' : 'per-row';
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
      if (this.stacked && batch.length > 1) await this.runStacked(batch);
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

  /** One call on the rows stacked; a request that is not one row of the model's shape runs alone. */
  private async runStacked(batch: Pending[]): Promise<void> {
    const name = this.model.inputTensor;
    const width = this.model.inputShape.reduce((a, b) => a * b, 1);
    const rows = batch.filter((p) => p.inputs.size === 1 && p.inputs.get(name)?.shape[0] === 1 && p.inputs.get(name)?.data.length === width);
    for (const p of batch) {
      if (rows.includes(p)) continue;
      try {
        p.resolve(await this.model.run(p.inputs));
      } catch (error) {
        p.reject(error);
      }
    }
    if (rows.length === 0) return;
    const stacked = new Float32Array(rows.length * width);
    rows.forEach((p, i) => stacked.set(p.inputs.get(name)!.data, i * width));
    let out: TensorsOut;
    try {
      out = await this.model.run(new Map([[name, { data: stacked, shape: [rows.length, ...this.model.inputShape] }]]));
    } catch (error) {
      for (const p of rows) p.reject(error);
      return;
    }
    rows.forEach((p, i) => {
      const each: TensorsOut = new Map();
      for (const [key, t] of out) {
        const per = t.data.length / rows.length;
        each.set(key, { data: t.data.slice(i * per, (i + 1) * per), shape: [1, ...t.shape.slice(1)] });
      }
      p.resolve(each);
    });
  }
}
