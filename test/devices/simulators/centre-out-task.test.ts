import { describe, expect, it } from 'vitest';
import { CentreOutTask, type TaskEvent } from '../../../devices/simulators/centre-out-task.js';
import { Random } from '../../../devices/simulators/random.js';

function run(seconds: number, dt = 0.001) {
  const task = new CentreOutTask(new Random(3));
  const events: { t: number; e: TaskEvent }[] = [];
  const buf: TaskEvent[] = [];
  let maxSpeed = 0;
  const steps = Math.round(seconds / dt);
  for (let k = 0; k < steps; k++) {
    buf.length = 0;
    task.step(dt, buf);
    for (const e of buf) events.push({ t: (k + 1) * dt, e });
    maxSpeed = Math.max(maxSpeed, Math.hypot(task.vx, task.vy));
  }
  return { task, events, maxSpeed };
}

describe('CentreOutTask', () => {
  it('cycles target_on → movement_onset → target_reached, alternating peripheral targets and the centre', () => {
    const { events } = run(60);
    const types = events.map((x) => x.e.type);
    for (let i = 0; i < types.length; i++) {
      expect(types[i]).toBe(['target_on', 'movement_onset', 'target_reached'][i % 3]);
    }
    const targets = events.filter((x) => x.e.type === 'target_on').map((x) => x.e.target);
    targets.forEach((t, i) => {
      if (i % 2 === 1) expect(t).toEqual([0, 0]);
      else expect(Math.hypot(t[0], t[1])).toBeCloseTo(10, 5);
    });
  });

  it('draws the eight directions in balanced blocks', () => {
    const { events } = run(200);
    const peripheral = events.filter((x) => x.e.type === 'target_on' && (x.e.target[0] !== 0 || x.e.target[1] !== 0));
    const first16 = peripheral.slice(0, 16).map((x) => Math.round((Math.atan2(x.e.target[1], x.e.target[0]) * 4) / Math.PI + 8) % 8);
    expect(new Set(first16.slice(0, 8)).size).toBe(8);
    expect(new Set(first16.slice(8, 16)).size).toBe(8);
  });

  it('moves along minimum-jerk paths that end on the target, never faster than maxSpeedCmS', () => {
    const task = new CentreOutTask(new Random(9));
    const buf: TaskEvent[] = [];
    let reached = 0;
    for (let k = 0; k < 30_000; k++) {
      buf.length = 0;
      task.step(0.001, buf);
      for (const e of buf) {
        if (e.type === 'target_reached') {
          reached++;
          expect(task.x).toBeCloseTo(e.target[0], 9);
          expect(task.y).toBeCloseTo(e.target[1], 9);
        }
      }
      expect(Math.hypot(task.vx, task.vy)).toBeLessThanOrEqual(task.maxSpeedCmS + 1e-9);
    }
    expect(reached).toBeGreaterThan(10);
  });

  it('rejects bad options', () => {
    expect(() => new CentreOutTask(new Random(1), { reachS: [0.9, 0.6] })).toThrow('task.reachS[1]: expected a finite number ≥ 0.9, got 0.6');
    expect(() => new CentreOutTask(new Random(1), { targetCount: 0 })).toThrow('task.targetCount');
  });
});
