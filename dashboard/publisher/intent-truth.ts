/**
 * The truth the decoder panel draws beside a continuous decoder's outputs: the task's
 * `kinematics` markers (`[x, y, vx, vy]`, cm and cm/s — the centre-out task's, which the Kalman
 * filter is calibrated on). The publisher sees them on the acquisition side, where they are
 * otherwise dropped (per-bin data, not events), and keeps the newest `capacity` in a ring of
 * typed arrays (no allocation per block); each decoded intent's bin then takes the kinematics in
 * force just before its end, as the decoder's own online validation does (`KinematicsTruth`).
 * Bins decoded in a burst after a calibration still find theirs: the ring holds 20 s of markers.
 */
import type { Marker } from '../../core/marker.js';
import { KINEMATICS_MARKER, KINEMATICS_NAMES, KINEMATICS_UNITS } from '../../decoding/datasets/kinematics-truth.js';

/** Markers kept (the simulator's kinematics come every 10 ms: 20 s). */
const DEFAULT_CAPACITY = 2048;
const ROWS = KINEMATICS_NAMES.length;

export class KinematicsRing {
  /** The truth's rows, as the hello names them. */
  readonly names: readonly string[] = KINEMATICS_NAMES;
  readonly units: readonly string[] = KINEMATICS_UNITS;
  private readonly samples: Float64Array;
  private readonly values: Float64Array;
  /** Markers written so far (the next slot is `count % capacity`). */
  private count = 0;

  constructor(private readonly capacity = DEFAULT_CAPACITY) {
    this.samples = new Float64Array(capacity);
    this.values = new Float64Array(capacity * ROWS);
  }

  /** Whether any kinematics marker has been seen. */
  get seen(): boolean {
    return this.count > 0;
  }

  /** A block's markers (others than kinematics, and malformed ones, are ignored). Returns whether any was kept. */
  observe(markers: readonly Marker[] | undefined): boolean {
    if (!markers) return false;
    let kept = false;
    for (let i = 0; i < markers.length; i++) {
      const m = markers[i]!;
      if (m.type !== KINEMATICS_MARKER) continue;
      const v = m.value as ArrayLike<number> | undefined;
      if (!v || typeof v !== 'object' || typeof v.length !== 'number' || v.length < ROWS) continue;
      const slot = this.count % this.capacity;
      this.samples[slot] = m.sample;
      for (let r = 0; r < ROWS; r++) this.values[slot * ROWS + r] = Number(v[r]);
      this.count++;
      kept = true;
    }
    return kept;
  }

  /**
   * Writes into `out[offset …]` the kinematics in force just before `endSample` (the newest marker
   * at a sample below it); NaN when the ring holds none that old. Markers come in sample order.
   */
  before(endSample: number, out: Float32Array | Float64Array, offset: number): void {
    const oldest = Math.max(0, this.count - this.capacity);
    let found = -1;
    for (let k = this.count - 1; k >= oldest; k--) {
      if (this.samples[k % this.capacity]! < endSample) {
        found = k % this.capacity;
        break;
      }
    }
    for (let r = 0; r < ROWS; r++) out[offset + r] = found < 0 ? NaN : this.values[found * ROWS + r]!;
  }
}
