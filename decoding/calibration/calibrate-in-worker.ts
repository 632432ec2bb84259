/**
 * Runs a continuous decoder's calibration in a worker thread (calibration-worker.ts) and
 * resolves with the model; the caller's thread stays free for acquisition meanwhile.
 */
import { Worker } from 'node:worker_threads';
import { ErrorCode, NeurostreamError } from '../../core/index.js';
import type { KalmanModel, RidgeModel } from '../models.js';
import type { CalibrationReply, ContinuousCalibrationRequest } from './calibration-worker.js';

const WORKER_URL = new URL('./calibration-worker.js', import.meta.url);

export class CalibrationError extends NeurostreamError {
  constructor(message: string) {
    super(ErrorCode.InvalidData, `calibration failed: ${message}`);
  }
}

/** Fits in a worker; aborting `signal` terminates the worker at once (a session that stops mid-fit). */
export function calibrateInWorker(request: ContinuousCalibrationRequest, signal?: AbortSignal): Promise<KalmanModel | RidgeModel> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new CalibrationError('aborted'));
      return;
    }
    const worker = new Worker(WORKER_URL);
    let settled = false;
    signal?.addEventListener(
      'abort',
      () => {
        if (settled) return;
        settled = true;
        void worker.terminate();
        reject(new CalibrationError('aborted'));
      },
      { once: true },
    );
    worker.once('message', (reply: CalibrationReply) => {
      if (settled) return;
      settled = true;
      if (reply.ok) resolve(reply.model);
      else reject(new CalibrationError(reply.message));
    });
    worker.once('error', (error) => {
      if (settled) return;
      settled = true;
      reject(new CalibrationError(error.message));
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new CalibrationError(`the calibration worker exited with code ${code}`));
    });
    worker.postMessage(request, [request.X.buffer as ArrayBuffer, request.Y.buffer as ArrayBuffer]);
  });
}
