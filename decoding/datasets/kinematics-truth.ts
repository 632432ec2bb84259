/**
 * The truth a task provides for continuous decoding: the intracortical simulator's `kinematics`
 * markers (`[x, y, vx, vy]`, cm and cm/s, every 10 ms). `KinematicsTruth` answers, for a feature
 * bin, the latest kinematics before the bin's end — fed markers in sample order, it keeps only
 * what later bins can still ask for.
 */
import type { Marker } from '../../core/index.js';

export const KINEMATICS_MARKER = 'kinematics';
/** The entries of a kinematics marker's value, in order. */
export const KINEMATICS_NAMES = ['pos_x', 'pos_y', 'vel_x', 'vel_y'] as const;
/** The units of a kinematics marker's entries, in the order of {@link KINEMATICS_NAMES} (the centre-out task's cm and cm/s). */
export const KINEMATICS_UNITS = ['cm', 'cm', 'cm/s', 'cm/s'] as const;

export class KinematicsTruth {
  private readonly queue: Marker[] = [];
  private latest: readonly number[] | undefined;

  /** Markers in sample order (others than kinematics are ignored). */
  observe(markers: readonly Marker[] | undefined): void {
    if (!markers) return;
    for (const m of markers) {
      if (m.type === KINEMATICS_MARKER && Array.isArray(m.value) && m.value.length >= KINEMATICS_NAMES.length) this.queue.push(m);
    }
  }

  /** The kinematics in force just before `endSample` (undefined before the first marker). */
  before(endSample: number): readonly number[] | undefined {
    const q = this.queue;
    let i = 0;
    while (i < q.length && q[i]!.sample < endSample) i++;
    if (i > 0) {
      this.latest = q[i - 1]!.value as readonly number[];
      q.splice(0, i);
    }
    return this.latest;
  }
}
