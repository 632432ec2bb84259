/**
 * A centre-out-and-back cursor task, the standard paradigm of intracortical cursor BCIs.
 *
 * The cursor rests at the centre; a peripheral target appears (`target_on`), after a reaction
 * time the cursor reaches it along a minimum-jerk path (`movement_onset`), holds
 * (`target_reached`), then the centre target appears and the cursor returns the same way.
 * Peripheral targets are drawn in shuffled blocks of `targetCount`, so directions stay balanced.
 *
 * Units: positions in cm, velocities in cm/s, times in seconds. The task is advanced in fixed
 * steps by its owner; it draws all its randomness from its own generator, so the path depends
 * only on the seed.
 */
import { checkInteger, checkInterval, checkNumber } from '../../core/index.js';
import type { Random } from './random.js';

export interface CentreOutTaskOptions {
  /** Peripheral targets, evenly spaced on a circle. Default 8. */
  targetCount?: number;
  /** Distance from centre to each peripheral target, cm. Default 10. */
  radiusCm?: number;
  /** Hold at each target before the next appears, s. Default 0.5. */
  holdS?: number;
  /** Delay from target onset to movement onset, s: uniform in this range. Default [0.2, 0.35]. */
  reactionS?: readonly [number, number];
  /** Movement duration, s: uniform in this range. Default [0.6, 0.9]. */
  reachS?: readonly [number, number];
}

/** A task event, reported when the task passes it. `target` is `[x, y]` in cm. */
export interface TaskEvent {
  readonly type: 'target_on' | 'movement_onset' | 'target_reached';
  readonly target: readonly [number, number];
}

type Phase = 'hold' | 'reaction' | 'reach';

const enum Slot {
  X,
  Y,
  Vx,
  Vy,
  PhaseLeftS,
  FromX,
  FromY,
  ToX,
  ToY,
  ReachDurationS,
  ReachElapsedS,
  Count,
}

export class CentreOutTask {
  readonly targetCount: number;
  readonly radiusCm: number;
  readonly holdS: number;
  readonly reactionS: readonly [number, number];
  readonly reachS: readonly [number, number];
  /**
   * The highest speed any reach can reach (a minimum-jerk reach of `radiusCm` in the shortest
   * duration peaks at 1.875 × distance / duration). Tuning curves are normalised by it.
   */
  readonly maxSpeedCmS: number;

  /**
   * Numeric state in one Float64Array: plain number fields that start as small integers and later
   * hold fractions change V8's object layout mid-run and send the simulator's hot loop into
   * repeated deoptimisation.
   */
  private readonly s = new Float64Array(Slot.Count);
  private phase: Phase = 'hold';
  private atCentre = true;
  private order: number[] = [];
  private readonly random: Random;

  constructor(random: Random, options: CentreOutTaskOptions = {}) {
    this.random = random;
    this.targetCount = checkInteger('option', 'task.targetCount', options.targetCount ?? 8, { min: 1, max: 64 });
    this.radiusCm = checkNumber('option', 'task.radiusCm', options.radiusCm ?? 10, { min: 0, exclusiveMin: true });
    this.holdS = checkNumber('option', 'task.holdS', options.holdS ?? 0.5, { min: 0 });
    this.reactionS = checkInterval('option', 'task.reactionS', options.reactionS ?? [0.2, 0.35], 0);
    this.reachS = checkInterval('option', 'task.reachS', options.reachS ?? [0.6, 0.9], 0.05);
    this.maxSpeedCmS = (1.875 * this.radiusCm) / this.reachS[0];
    this.s[Slot.PhaseLeftS] = this.holdS;
  }

  /** Cursor position, cm. */
  get x(): number {
    return this.s[Slot.X]!;
  }
  get y(): number {
    return this.s[Slot.Y]!;
  }
  /** Cursor velocity, cm/s. */
  get vx(): number {
    return this.s[Slot.Vx]!;
  }
  get vy(): number {
    return this.s[Slot.Vy]!;
  }

  /**
   * Advances the task by `dtS` seconds. Events passed during the step are appended to `events`
   * in order (an event at the very start of a step belongs to that step). Velocity is the
   * instantaneous velocity at the end of the step.
   */
  step(dtS: number, events: TaskEvent[]): void {
    const s = this.s;
    let left = dtS;
    while (left > 0) {
      const used = Math.min(left, s[Slot.PhaseLeftS]!);
      s[Slot.PhaseLeftS]! -= used;
      left -= used;
      if (this.phase === 'reach') {
        s[Slot.ReachElapsedS]! += used;
        this.updateReach();
      }
      if (s[Slot.PhaseLeftS]! <= 1e-12) this.nextPhase(events);
    }
  }

  private updateReach(): void {
    const s = this.s;
    const T = s[Slot.ReachDurationS]!;
    const tau = Math.min(1, s[Slot.ReachElapsedS]! / T);
    const tau2 = tau * tau;
    const along = tau2 * tau * (10 - 15 * tau + 6 * tau2);
    const ds = (30 * tau2 * (1 - 2 * tau + tau2)) / T;
    const dx = s[Slot.ToX]! - s[Slot.FromX]!;
    const dy = s[Slot.ToY]! - s[Slot.FromY]!;
    s[Slot.X] = s[Slot.FromX]! + dx * along;
    s[Slot.Y] = s[Slot.FromY]! + dy * along;
    s[Slot.Vx] = dx * ds;
    s[Slot.Vy] = dy * ds;
  }

  private nextPhase(events: TaskEvent[]): void {
    const s = this.s;
    switch (this.phase) {
      case 'hold': {
        // A new target appears: peripheral after the centre, the centre after a peripheral one.
        s[Slot.FromX] = s[Slot.X]!;
        s[Slot.FromY] = s[Slot.Y]!;
        if (this.atCentre) {
          if (this.order.length === 0) this.order = this.shuffledTargets();
          const k = this.order.pop()!;
          const angle = (2 * Math.PI * k) / this.targetCount;
          s[Slot.ToX] = round6(this.radiusCm * Math.cos(angle));
          s[Slot.ToY] = round6(this.radiusCm * Math.sin(angle));
        } else {
          s[Slot.ToX] = 0;
          s[Slot.ToY] = 0;
        }
        this.atCentre = !this.atCentre;
        events.push({ type: 'target_on', target: [s[Slot.ToX]!, s[Slot.ToY]!] });
        this.phase = 'reaction';
        s[Slot.PhaseLeftS] = this.random.between(this.reactionS[0], this.reactionS[1]);
        break;
      }
      case 'reaction':
        events.push({ type: 'movement_onset', target: [s[Slot.ToX]!, s[Slot.ToY]!] });
        this.phase = 'reach';
        s[Slot.ReachDurationS] = this.random.between(this.reachS[0], this.reachS[1]);
        s[Slot.ReachElapsedS] = 0;
        s[Slot.PhaseLeftS] = s[Slot.ReachDurationS]!;
        break;
      case 'reach':
        s[Slot.X] = s[Slot.ToX]!;
        s[Slot.Y] = s[Slot.ToY]!;
        s[Slot.Vx] = 0;
        s[Slot.Vy] = 0;
        events.push({ type: 'target_reached', target: [s[Slot.ToX]!, s[Slot.ToY]!] });
        this.phase = 'hold';
        s[Slot.PhaseLeftS] = this.holdS;
        break;
    }
  }

  private shuffledTargets(): number[] {
    const order = Array.from({ length: this.targetCount }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.random.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order;
  }
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}
