/**
 * The banner puts the session's typed state first: a replay says Replay (blue) even when degraded
 * or broken, a device that is away says so in red whatever the tiles find.
 */
import { describe, expect, it } from 'vitest';
import { expectedRateHz, sessionBanner } from '../../../dashboard/page/session-banner.js';

const replay = { state: 'replay' as const, replay: { positionS: 5, durationS: 60, speed: 10 } };
const fine = { degraded: false };

describe('sessionBanner', () => {
  it('never says Live for a replay', () => {
    expect(sessionBanner(replay, fine, { recording: false, paused: false })).toEqual({ kind: 'replay', text: 'Replay 5.0 / 60.0 s at 10x' });
    expect(sessionBanner(replay, { degraded: true }, { recording: false, paused: false })).toEqual({ kind: 'warn', text: 'Replay 5.0 / 60.0 s at 10x · degraded' });
    expect(sessionBanner(replay, { failure: 'DECODER FAILED', degraded: false }, { recording: true, paused: true })).toEqual({ kind: 'bad', text: 'Replay 5.0 / 60.0 s at 10x · DECODER FAILED · REC · PAUSED' });
  });

  it('says the device is lost, in red, rather than what the tiles found', () => {
    const lost = { state: 'device-lost' as const, link: { attempt: 2, reason: 'gone', lostForS: 1 } };
    expect(sessionBanner(lost, { failure: 'SIGNAL PROBLEM', degraded: true }, { recording: false, paused: false })).toEqual({ kind: 'bad', text: 'device lost — reconnecting (attempt 2)' });
  });

  it('keeps Live, Live degraded and the failures for a live session', () => {
    expect(sessionBanner({ state: 'live' }, fine, { recording: true, paused: false })).toEqual({ kind: 'ok', text: 'Live · REC' });
    expect(sessionBanner({ state: 'live' }, { degraded: true }, { recording: false, paused: false }).text).toBe('Live, degraded');
    expect(sessionBanner({ state: 'live' }, { failure: 'RECORDING FAILED', degraded: false }, { recording: false, paused: false })).toEqual({ kind: 'bad', text: 'RECORDING FAILED' });
  });
});

describe('expectedRateHz', () => {
  it('is the stream rate × a replay\'s speed (a 10x replay at 2500 Hz of 250 Hz is on time), unknown at max speed', () => {
    expect(expectedRateHz(replay, 250)).toBe(2500);
    expect(expectedRateHz({ ...replay, replay: { ...replay.replay, speed: 'max' } }, 250)).toBeNaN();
    expect(expectedRateHz({ state: 'live' }, 250)).toBe(250);
    expect(expectedRateHz(undefined, 250)).toBe(250);
  });
});
