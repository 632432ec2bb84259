/**
 * Worker-thread entry of `workerSimulatorSource`: generates blocks on its own core and posts them
 * (transferring the sample buffers) to the thread that subscribed.
 *
 * The loop never returns to this thread's event loop while it runs: it sleeps until the next block
 * is due with Atomics.wait on a shared control word, and the owner stops it by setting that word.
 * (Yielding to the event loop between blocks measurably slows the generator in V8.)
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSimulator, type SimulatorSpec } from './simulators/simulator-spec.js';
import type { Pacing } from './simulator-source.js';

export interface SimulatorWorkerData {
  spec: SimulatorSpec;
  pacing: Pacing;
  blockSamples: number;
  /** Infinity: until stopped. */
  durationSamples: number;
  /**
   * Int32Array over a SharedArrayBuffer: [0] ≠ 0 asks the worker to stop; [1] counts the blocks
   * the owner has taken (so `fast` pacing never runs more than MAX_IN_FLIGHT blocks ahead).
   */
  control: Int32Array;
}

export type SimulatorWorkerMessage =
  | { type: 'info'; info: unknown }
  | { type: 'block'; first: number; length: number; data: Float32Array; markers?: unknown[] }
  | { type: 'done' }
  | { type: 'error'; message: string; code?: string };

const STOP = 0;
const TAKEN = 1;
/** Blocks the worker may have sent but the owner not yet taken, in `fast` pacing. */
export const MAX_IN_FLIGHT = 256;

function run(port: NonNullable<typeof parentPort>, data: SimulatorWorkerData): void {
  const { pacing, blockSamples, durationSamples, control } = data;
  const device = createSimulator(data.spec);
  port.postMessage({ type: 'info', info: device.info } satisfies SimulatorWorkerMessage);
  const fs = device.info.sampleRateHz;
  const t0 = performance.now();
  let sent = 0;
  while (Atomics.load(control, STOP) === 0 && device.position < durationSamples) {
    if (pacing === 'fast') {
      const taken = Atomics.load(control, TAKEN);
      if (sent - taken >= MAX_IN_FLIGHT) {
        // The owner is behind: wait for it rather than queue without bound.
        Atomics.wait(control, TAKEN, taken, 50);
        continue;
      }
    }
    const length = Math.min(blockSamples, durationSamples - device.position);
    if (pacing === 'realtime') {
      const dueMs = t0 + ((device.position + length) * 1000) / fs;
      const waitMs = dueMs - performance.now();
      if (waitMs > 0) {
        Atomics.wait(control, STOP, 0, waitMs);
        continue;
      }
    }
    const block = device.read(length, 0);
    const message: SimulatorWorkerMessage = {
      type: 'block',
      first: block.first,
      length: block.length,
      data: block.data,
      ...(block.markers ? { markers: [...block.markers] } : {}),
    };
    port.postMessage(message, [block.data.buffer as ArrayBuffer]);
    sent++;
  }
  port.postMessage({ type: 'done' } satisfies SimulatorWorkerMessage);
}

if (parentPort) {
  try {
    run(parentPort, workerData as SimulatorWorkerData);
  } catch (error) {
    const e = error as { message?: string; code?: string };
    parentPort.postMessage({
      type: 'error',
      message: e.message ?? String(error),
      ...(e.code ? { code: e.code } : {}),
    } satisfies SimulatorWorkerMessage);
  }
}
