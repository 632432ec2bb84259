/**
 * A continuous decoding dataset from a recording: its feature bins (features.arrows) as X and, as
 * Y, the truth its task recorded — the kinematics in force at each bin's end (`kinematics`
 * markers: `pos_x, pos_y, vel_x, vel_y`). Bins before the first kinematics, and those of the
 * spike thresholds' settling second, are left out (as the live session's calibration does).
 */
import { InvalidOptionError } from '../../core/index.js';
import { openRecording } from '../../recordings/recording-reader.js';
import type { FeatureTable } from './feature-table.js';
import { KINEMATICS_NAMES, KinematicsTruth } from './kinematics-truth.js';

export interface RecordingFeaturesOptions {
  /** Targets among pos_x, pos_y, vel_x, vel_y (default vel_x, vel_y). */
  target?: readonly string[];
  /** Seconds at the start left out while spike thresholds settle (default 1). */
  settleS?: number;
  /** Read recordings holding less than their session.json says (in `notes`) instead of refusing them. */
  allowTruncated?: boolean;
}

export function readRecordingFeatures(dirs: readonly string[], options: RecordingFeaturesOptions = {}): FeatureTable & { runStarts: number[]; notes: string[] } {
  const targets = options.target && options.target.length > 0 ? [...options.target] : ['vel_x', 'vel_y'];
  const columns = targets.map((t) => {
    const index = (KINEMATICS_NAMES as readonly string[]).indexOf(t);
    if (index < 0) throw new InvalidOptionError('--target', `targets among ${KINEMATICS_NAMES.join(', ')} (a recording's kinematics)`, t);
    return index;
  });
  const rowsX: Float32Array[] = [];
  const rowsY: number[][] = [];
  const runStarts: number[] = [];
  const notes: string[] = [];
  let featureNames: readonly string[] | undefined;
  for (const dir of dirs) {
    const recording = openRecording(dir, options.allowTruncated ? { allowTruncated: true } : {});
    notes.push(...recording.truncation.map((t) => t.text));
    const frames = recording.features();
    if (frames.length === 0) throw new InvalidOptionError(`input ${dir}`, 'a recording with features (features.arrows: record a session that ran the intracortical chain)', 'no features');
    if (featureNames && (featureNames.length !== frames[0]!.names.length || featureNames.some((n, i) => n !== frames[0]!.names[i]))) {
      throw new InvalidOptionError(`input ${dir}`, `the same ${featureNames.length} features as the first input`, `${frames[0]!.names.length} features`);
    }
    featureNames = frames[0]!.names;
    const truth = new KinematicsTruth();
    truth.observe(recording.markers());
    const rate = recording.info.sampleRateHz;
    const binSamples = frames.length > 1 ? frames[1]!.t0 - frames[0]!.t0 : Math.round(0.02 * rate);
    const settleEnd = frames[0]!.t0 + Math.round((options.settleS ?? 1) * rate);
    runStarts.push(rowsX.length);
    for (const frame of frames) {
      const state = truth.before(frame.t0 + binSamples);
      if (!state || frame.t0 < settleEnd) continue;
      rowsX.push(frame.values);
      rowsY.push(columns.map((c) => state[c]!));
    }
    if (rowsX.length === runStarts.at(-1)) throw new InvalidOptionError(`input ${dir}`, 'a recording whose task recorded kinematics markers (the truth to decode)', 'none');
  }
  const F = featureNames!.length;
  const n = rowsX.length;
  const X = new Float64Array(n * F);
  const Y = new Float64Array(n * targets.length);
  rowsX.forEach((row, i) => X.set(row, i * F));
  rowsY.forEach((row, i) => Y.set(row, i * targets.length));
  return { X, Y, n, featureNames: [...featureNames!], targetNames: targets, runStarts, notes };
}
