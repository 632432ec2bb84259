/**
 * Z-scoring fitted on training rows only (so no statistic of a test fold leaks into a model):
 * mean and population standard deviation (ddof 0, as scikit-learn's StandardScaler) per feature.
 * A feature constant over the training rows gets std 1 — it standardises to 0 and contributes
 * nothing, instead of dividing by zero.
 */
import { InvalidDataError, InvalidOptionError } from '../../core/index.js';
import type { Standardizer } from '../models.js';

/** Fits on all `n` rows of X [n × F], or on the rows listed in `rows`. */
export function fitStandardizer(X: Float64Array, n: number, F: number, rows?: ArrayLike<number>): Standardizer {
  if (X.length !== n * F) throw new InvalidDataError('standardizer X', `${n} × ${F} = ${n * F} values`, X);
  const count = rows ? rows.length : n;
  if (count < 1) throw new InvalidOptionError('standardizer rows', 'at least one training row', count);
  const mean = new Float64Array(F);
  const std = new Float64Array(F);
  for (let i = 0; i < count; i++) {
    const r = rows ? rows[i]! : i;
    if (!(r >= 0 && r < n)) throw new InvalidOptionError('standardizer rows', `row indices in [0, ${n})`, r);
    const o = r * F;
    for (let f = 0; f < F; f++) mean[f] = mean[f]! + X[o + f]!;
  }
  for (let f = 0; f < F; f++) mean[f] = mean[f]! / count;
  // two-pass variance (about the mean) for accuracy
  for (let i = 0; i < count; i++) {
    const o = (rows ? rows[i]! : i) * F;
    for (let f = 0; f < F; f++) {
      const d = X[o + f]! - mean[f]!;
      std[f] = std[f]! + d * d;
    }
  }
  for (let f = 0; f < F; f++) {
    if (!Number.isFinite(mean[f]!) || !Number.isFinite(std[f]!)) throw new InvalidDataError(`standardizer feature ${f}`, 'finite values', mean[f]);
    const s = Math.sqrt(std[f]! / count);
    // a (numerically) constant feature: std 1
    std[f] = s > 1e-12 * Math.max(1, Math.abs(mean[f]!)) ? s : 1;
  }
  return { mean, std };
}

/** (X − mean) / std for every row of X [n × F], into a new array (or `out`). */
export function applyStandardizer(s: Standardizer, X: Float64Array, n: number, F: number, out = new Float64Array(n * F)): Float64Array {
  if (s.mean.length !== F) throw new InvalidDataError('standardizer mean', `${F} values`, s.mean);
  for (let r = 0; r < n; r++) {
    const o = r * F;
    for (let f = 0; f < F; f++) out[o + f] = (X[o + f]! - s.mean[f]!) / s.std[f]!;
  }
  return out;
}

/**
 * Checks the training data every calibration takes: X [n × F], Y [n × D], finite, names matching.
 * (Shared by the ridge and Kalman calibrations.)
 */
export function checkTrainingData(
  X: Float64Array,
  Y: Float64Array,
  n: number,
  F: number,
  D: number,
  featureNames: readonly string[],
  targetNames: readonly string[],
  minRows: number,
): void {
  if (!Number.isInteger(F) || F < 1) throw new InvalidDataError('calibration F', 'a positive number of features', F);
  if (!Number.isInteger(D) || D < 1) throw new InvalidDataError('calibration D', 'a positive number of targets', D);
  if (!Number.isInteger(n) || n < minRows) throw new InvalidDataError('calibration n', `at least ${minRows} training rows`, n);
  if (X.length !== n * F) throw new InvalidDataError('calibration X', `${n} × ${F} = ${n * F} values`, X);
  if (Y.length !== n * D) throw new InvalidDataError('calibration Y', `${n} × ${D} = ${n * D} values`, Y);
  if (featureNames.length !== F) throw new InvalidOptionError('featureNames', `${F} names`, featureNames);
  if (targetNames.length !== D) throw new InvalidOptionError('targetNames', `${D} names`, targetNames);
  for (let i = 0; i < X.length; i++) {
    if (!Number.isFinite(X[i]!)) throw new InvalidDataError(`calibration X row ${Math.floor(i / F)}, feature "${featureNames[i % F]}"`, 'a finite number', X[i]);
  }
  for (let i = 0; i < Y.length; i++) {
    if (!Number.isFinite(Y[i]!)) throw new InvalidDataError(`calibration Y row ${Math.floor(i / D)}, target "${targetNames[i % D]}"`, 'a finite number', Y[i]);
  }
}

/**
 * For each of n rows, the first row of its contiguous run. `runStarts` lists the rows where a new
 * run begins (training rows gathered from both sides of a test fold form two runs): lags and
 * transitions never cross a run's start. Default: one run.
 */
export function runFirstRows(n: number, runStarts: readonly number[] = [0]): Int32Array {
  const starts = new Set<number>([0]);
  for (const s of runStarts) {
    if (!Number.isInteger(s) || s < 0 || s >= Math.max(n, 1)) throw new InvalidOptionError('runStarts', `row indices in [0, ${n})`, s);
    starts.add(s);
  }
  const first = new Int32Array(n);
  let current = 0;
  for (let r = 0; r < n; r++) {
    if (starts.has(r)) current = r;
    first[r] = current;
  }
  return first;
}
