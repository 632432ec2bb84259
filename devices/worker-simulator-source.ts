/**
 * `workerSimulatorSource` — like `simulatorSource`, but the simulator runs in a worker thread, on
 * the machine's other core, so that generating 1024 channels at 30 kHz takes no time from the
 * thread that filters, decodes and records. Blocks arrive by transfer (no copy); `hostTime` is
 * when the block reached this thread's event loop.
 *
 * Cold: each subscription starts its own worker and stops it on unsubscribe. Errors in the worker
 * (a bad spec) arrive as the stream's error, with the original code.
 */
import { Worker } from 'node:worker_threads';
import { Observable } from 'rxjs';
import {
  type Marker,
  type SampleBlock,
  type StreamInfo,
  type StreamInfoInit,
  ErrorCode,
  NeurostreamError,
  createSampleBlock,
  createStreamInfo,
  hostNowMs,
} from '../core/index.js';
import { checkPacing, type SimulatorSourceOptions } from './simulator-source.js';
import type { SimulatorWorkerData, SimulatorWorkerMessage } from './simulator-worker.js';
import type { SimulatorSpec } from './simulators/simulator-spec.js';

const WORKER_URL = new URL('./simulator-worker.js', import.meta.url);

export interface WorkerSimulatorSourceOptions extends Omit<SimulatorSourceOptions, 'sliceMs'> {
  /** Called once with the stream's info, before the first block. */
  onInfo?: (info: StreamInfo) => void;
}

export function workerSimulatorSource(spec: SimulatorSpec, options: WorkerSimulatorSourceOptions): Observable<SampleBlock> {
  const { pacing, blockSamples, durationSamples } = checkPacing(options);

  return new Observable<SampleBlock>((subscriber) => {
    const control = new Int32Array(new SharedArrayBuffer(8));
    const data: SimulatorWorkerData = { spec, pacing, blockSamples, durationSamples, control };
    const worker = new Worker(WORKER_URL, { workerData: data });
    let info: StreamInfo | undefined;

    worker.on('message', (message: SimulatorWorkerMessage) => {
      if (subscriber.closed) return;
      switch (message.type) {
        case 'info':
          info = createStreamInfo(message.info as StreamInfoInit);
          options.onInfo?.(info);
          break;
        case 'block': {
          Atomics.add(control, 1, 1);
          Atomics.notify(control, 1);
          subscriber.next(
            createSampleBlock({
              info: info!,
              first: message.first,
              length: message.length,
              data: message.data,
              hostTime: hostNowMs(),
              ...(message.markers ? { markers: message.markers as Marker[] } : {}),
            }),
          );
          break;
        }
        case 'done':
          subscriber.complete();
          break;
        case 'error':
          subscriber.error(new SimulatorWorkerError(message.message, message.code));
          break;
      }
    });
    worker.on('error', (error) => subscriber.error(error));
    worker.on('exit', (code) => {
      if (!subscriber.closed && code !== 0) subscriber.error(new SimulatorWorkerError(`simulator worker exited with code ${code}`));
    });

    return () => {
      Atomics.store(control, 0, 1);
      Atomics.notify(control, 0);
      // Let it finish its current block and exit on its own; terminate if it does not.
      const timer = setTimeout(() => void worker.terminate(), 1000);
      timer.unref();
      worker.once('exit', () => clearTimeout(timer));
    };
  });
}

/** An error raised inside the simulator worker, with its original code where it had one. */
export class SimulatorWorkerError extends NeurostreamError {
  constructor(message: string, code?: string) {
    const known = Object.values(ErrorCode).find((c) => c === code);
    super(known ?? ErrorCode.DeviceFailure, message);
  }
}
