/**
 * FrameDevice's loop (`loopS`): the first frames simulated once and played over and over — every
 * frame parses with a good CRC, sequence numbers and timestamps keep counting, and the samples are
 * the live device's first `loopS` seconds, repeated.
 */
import { describe, expect, it } from 'vitest';
import { FrameDevice } from '../../../devices/emulators/frame-device.js';
import { FrameFormat } from '../../../devices/protocols/frame/frame-constants.js';
import { decodeFrame, FrameParser } from '../../../devices/protocols/frame/frame-parser.js';

const C = 8;
const SCANS = 30;

/** Every frame `device` sends in its first second, decoded: sequence, timestamp and µV samples. */
function firstSecond(loopS?: number): { sequence: number; timestampUs: bigint; data: Float32Array }[] {
  const frames: { sequence: number; timestampUs: bigint; data: Float32Array }[] = [];
  const parser = new FrameParser({
    onFrame: (f) => {
      const data = new Float32Array(C * SCANS);
      decodeFrame(f, data, SCANS, 0);
      frames.push({ sequence: f.sequence, timestampUs: f.timestampUs, data });
    },
  });
  const device = new FrameDevice({ channels: C, sampleRateHz: 30000, format: FrameFormat.Int16, frameScans: SCANS, seed: 3, send: (b) => parser.push(b), ...(loopS !== undefined ? { loopS } : {}) });
  for (let t = 0; t <= 1000; t += 7) device.advanceTo(t);
  expect(parser.stats.crcErrors).toBe(0);
  return frames;
}

describe('FrameDevice loop', () => {
  it('plays the first loopS seconds again and again, the clock counting on, every CRC good', () => {
    const live = firstSecond();
    const looped = firstSecond(0.01); // 10 frames of 30 scans
    expect(looped.length).toBe(live.length);
    expect(looped.length).toBeGreaterThan(990);
    looped.forEach((f, k) => {
      expect(f.sequence).toBe(k);
      expect(f.timestampUs).toBe(live[k]!.timestampUs);
      expect(Array.from(f.data)).toEqual(Array.from(live[k % 10]!.data));
    });
    expect(Array.from(looped[10]!.data)).not.toEqual(Array.from(live[10]!.data));
  });

  it('rejects a loop it cannot make', () => {
    expect(() => new FrameDevice({ channels: C, sampleRateHz: 30000, format: FrameFormat.Int16, frameScans: SCANS, send: () => {}, loopS: 0 })).toThrow(
      'loopS: expected a finite number from 0.01 to 60, got 0',
    );
  });
});
