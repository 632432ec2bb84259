/**
 * The session's typed state: a replay is `replay` with its position and speed (never `live`), a
 * serial device that is away is `device-lost` with the reconnection attempt, and the words the
 * page shows for each.
 */
import { describe, expect, it } from 'vitest';
import { describeSessionState, sessionStateOf } from '../../../dashboard/protocol/session-state.js';

const replay = { positionS: 12.34, durationS: 120, speed: 10 } as const;

describe('sessionStateOf', () => {
  it('says replay (with position and speed) for a replay that streams, live only for a device', () => {
    expect(sessionStateOf({ ended: false, started: true, replay, nowMs: 0 })).toEqual({ state: 'replay', replay });
    expect(sessionStateOf({ ended: false, started: true, nowMs: 0 })).toEqual({ state: 'live' });
    expect(sessionStateOf({ ended: false, started: true, link: { state: 'connected' }, nowMs: 0 })).toEqual({ state: 'live' });
  });

  it('says device-lost with the attempt and how long it has been away, before anything else but the end', () => {
    const link = { state: 'lost' as const, reason: 'port closed', attempt: 3, sinceMs: 1000 };
    expect(sessionStateOf({ ended: false, started: true, link, nowMs: 3500 })).toEqual({ state: 'device-lost', link: { attempt: 3, reason: 'port closed', lostForS: 2.5 } });
    expect(sessionStateOf({ ended: true, started: true, link, nowMs: 3500 })).toEqual({ state: 'ended' });
  });

  it('waits before the first block, and keeps a replay\'s position at the end', () => {
    expect(sessionStateOf({ ended: false, started: false, nowMs: 0 })).toEqual({ state: 'waiting' });
    expect(sessionStateOf({ ended: true, started: true, replay, nowMs: 0 })).toEqual({ state: 'ended', replay });
  });
});

describe('describeSessionState', () => {
  it('words each state and colours a replay apart from live', () => {
    expect(describeSessionState({ state: 'replay', replay })).toEqual({ text: 'Replay 12.3 / 120.0 s at 10x', kind: 'replay' });
    expect(describeSessionState({ state: 'replay', replay: { ...replay, speed: 'max' } }).text).toBe('Replay 12.3 / 120.0 s at max speed');
    expect(describeSessionState({ state: 'live' })).toEqual({ text: 'Live', kind: 'ok' });
    expect(describeSessionState({ state: 'device-lost', link: { attempt: 4, reason: 'gone', lostForS: 3 } })).toEqual({ text: 'device lost — reconnecting (attempt 4)', kind: 'bad' });
    expect(describeSessionState({ state: 'waiting' })).toEqual({ text: 'Waiting for data', kind: 'wait' });
    expect(describeSessionState({ state: 'ended', replay })).toEqual({ text: 'Replay ended at 12.3 / 120.0 s at 10x', kind: 'bad' });
    expect(describeSessionState({ state: 'ended' }).text).toBe('Session ended');
  });
});
