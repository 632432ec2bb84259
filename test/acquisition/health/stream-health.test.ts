import { describe, expect, it } from 'vitest';
import { createSampleBlock } from '../../../core/index.js';
import { StreamHealth } from '../../../acquisition/health/stream-health.js';
import { testStreamInfo } from '../../helpers/stream-info.js';

const info = testStreamInfo({ id: 'h' });
const block = (first: number, length: number, missing?: number) =>
  createSampleBlock({ info, first, length, data: new Float32Array(length), hostTime: 0, ...(missing ? { gap: { missing } } : {}) });

describe('StreamHealth', () => {
  it('counts samples, blocks and dropped samples, and measures the achieved rate', () => {
    const h = new StreamHealth(1000);
    h.observe(block(0, 100), 100); // stream started at t = 0
    h.observe(block(100, 100), 200);
    h.observe(block(250, 100, 50), 350);
    const s = h.snapshot(350);
    expect(s.samples).toBe(300);
    expect(s.blocks).toBe(3);
    expect(s.droppedSamples).toBe(50);
    expect(s.elapsedMs).toBe(350);
    expect(s.achievedRateHz).toBeCloseTo((300 * 1000) / 350, 6);
    expect(s.lagMs).toBe(0);
    // Reading changes nothing: the same figures again.
    expect(h.snapshot(350)).toEqual(s);
    // After a roll, the achieved rate covers only the time since it.
    h.roll(350);
    h.observe(block(350, 100), 450);
    expect(h.snapshot(550).achievedRateHz).toBeCloseTo(500, 6);
  });

  it('reads without advancing the achieved-rate window: only roll() starts the next one', () => {
    const h = new StreamHealth(1000);
    h.observe(block(0, 100), 100);
    h.observe(block(100, 100), 200);
    // Two readers at different times (the status line, the dashboard) do not shorten each other's window.
    expect(h.snapshot(150).achievedRateHz).toBeCloseTo((200 * 1000) / 150, 6);
    h.observe(block(200, 200), 400);
    expect(h.snapshot(400).achievedRateHz).toBeCloseTo((400 * 1000) / 400, 6);
    h.roll(400);
    h.observe(block(400, 50), 500);
    expect(h.snapshot(500).achievedRateHz).toBeCloseTo((50 * 1000) / 100, 6);
  });

  it('keeps the lag seen at a roll in the maximum; a snapshot reports but does not keep it', () => {
    const h = new StreamHealth(1000);
    h.observe(block(0, 10), 10);
    expect(h.snapshot(40).maxLagMs).toBeCloseTo(30, 6); // 30 ms behind now
    expect(h.snapshot(20).maxLagMs).toBeCloseTo(10, 6); // nothing was kept from the read at 40
    h.roll(40);
    expect(h.snapshot(20).maxLagMs).toBeCloseTo(30, 6);
  });

  it('reports lag when samples arrive later than real time, and keeps the maximum', () => {
    const h = new StreamHealth(1000);
    h.observe(block(0, 10), 10);
    h.observe(block(10, 10), 45); // due at 20 ms, arrived at 45: 25 ms behind
    h.observe(block(20, 10), 46); // 16 ms behind
    const s = h.snapshot(46);
    expect(s.lagMs).toBeCloseTo(16, 6);
    expect(s.maxLagMs).toBeCloseTo(25, 6);
  });

  it('reports zeros before the first block and rejects a bad rate', () => {
    expect(new StreamHealth(250).snapshot(5)).toEqual({
      samples: 0, blocks: 0, droppedSamples: 0, achievedRateHz: 0, lagMs: 0, maxLagMs: 0, elapsedMs: 0,
    });
    expect(() => new StreamHealth(0)).toThrow('sampleRateHz: expected a finite number > 0, got 0');
  });
});
