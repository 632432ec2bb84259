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

  /** Current cursor state. */
  x = 0;
  y = 0;
  vx = 0;
  vy = 0;

  private phase: Phase = 'hold';
  private phaseLeftS: number;
  private fromX = 0;
  private fromY = 0;
  private toX = 0;
  private toY = 0;
  private reachDurationS = 0;
  private reachElapsedS = 0;
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
    this.phaseLeftS = this.holdS;
  }

  /**
   * Advances the task by `dtS` seconds. Events passed during the step are appended to `events`
   * in order (an event at the very start of a step belongs to that step). Velocity is the
   * instantaneous velocity at the end of the step.
   */
  step(dtS: number, events: TaskEvent[]): void {
    let left = dtS;
    while (left > 0) {
      const used = Math.min(left, this.phaseLeftS);
      this.phaseLeftS -= used;
      left -= used;
      if (this.phase === 'reach') {
        this.reachElapsedS += used;
        this.updateReach();
      }
      if (this.phaseLeftS <= 1e-12) this.nextPhase(events);
    }
  }

  private updateReach(): void {
    const T = this.reachDurationS;
    const tau = Math.min(1, this.reachElapsedS / T);
    const tau2 = tau * tau;
    const s = tau2 * tau * (10 - 15 * tau + 6 * tau2);
    const ds = (30 * tau2 * (1 - 2 * tau + tau2)) / T;
    const dx = this.toX - this.fromX;
    const dy = this.toY - this.fromY;
    this.x = this.fromX + dx * s;
    this.y = this.fromY + dy * s;
    this.vx = dx * ds;
    this.vy = dy * ds;
  }

  private nextPhase(events: TaskEvent[]): void {
    switch (this.phase) {
      case 'hold': {
        // A new target appears: peripheral after the centre, the centre after a peripheral one.
        this.fromX = this.x;
        this.fromY = this.y;
        if (this.atCentre) {
          if (this.order.length === 0) this.order = this.shuffledTargets();
          const k = this.order.pop()!;
          const angle = (2 * Math.PI * k) / this.targetCount;
          this.toX = round6(this.radiusCm * Math.cos(angle));
          this.toY = round6(this.radiusCm * Math.sin(angle));
        } else {
          this.toX = 0;
          this.toY = 0;
        }
        this.atCentre = !this.atCentre;
        events.push({ type: 'target_on', target: [this.toX, this.toY] });
        this.phase = 'reaction';
        this.phaseLeftS = this.random.between(this.reactionS[0], this.reactionS[1]);
        break;
      }
      case 'reaction':
        events.push({ type: 'movement_onset', target: [this.toX, this.toY] });
        this.phase = 'reach';
        this.reachDurationS = this.random.between(this.reachS[0], this.reachS[1]);
        this.reachElapsedS = 0;
        this.phaseLeftS = this.reachDurationS;
        break;
      case 'reach':
        this.x = this.toX;
        this.y = this.toY;
        this.vx = 0;
        this.vy = 0;
        events.push({ type: 'target_reached', target: [this.toX, this.toY] });
        this.phase = 'hold';
        this.phaseLeftS = this.holdS;
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
