/**
 * Calibration off the acquisition thread: fits a built-in decoder's model from data posted by
 * calibrate-in-worker.ts and posts the model back (typed arrays transfer without copies). A
 * Kalman filter over thousands of features costs seconds of linear algebra — seconds a live
 * session must not stall for.
 */
import { parentPort } from 'node:worker_threads';
import type { KalmanModel, RidgeModel } from '../models.js';
import { calibrateKalman } from './kalman-calibration.js';
import { calibrateRidge } from './ridge-calibration.js';

export interface ContinuousCalibrationRequest {
  decoder: 'kalman' | 'ridge';
  /** [n × F] row-major */
  X: Float64Array;
  /** [n × D] row-major */
  Y: Float64Array;
  n: number;
  featureNames: string[];
  targetNames: string[];
  lags?: number;
}

export type CalibrationReply = { ok: true; model: KalmanModel | RidgeModel } | { ok: false; message: string; code?: string };

const port = parentPort!;
port.once('message', (request: ContinuousCalibrationRequest) => {
  try {
    const F = request.featureNames.length;
    const D = request.targetNames.length;
    const options = { featureNames: request.featureNames, targetNames: request.targetNames };
    const model =
      request.decoder === 'kalman'
        ? calibrateKalman(request.X, request.Y, request.n, F, D, options)
        : calibrateRidge(request.X, request.Y, request.n, F, D, { ...options, lags: request.lags ?? 0 });
    port.postMessage({ ok: true, model } satisfies CalibrationReply);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    port.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error), ...(typeof code === 'string' ? { code } : {}) } satisfies CalibrationReply);
  }
  port.close();
});
