/**
 * The session's state as the dashboard shows it — typed, never free text, so a replay can never
 * read "Live" and a device that is away never shows as streaming:
 *
 * - `waiting`: no sample yet;
 * - `live`: a device (or simulator) streaming now;
 * - `replay`: a recording played back, with its position, length and speed;
 * - `device-lost`: the serial device went away and the driver is reconnecting (attempt N);
 * - `ended`: the session is over.
 *
 * {@link sessionStateOf} decides the state from what a session knows (pure, no session types);
 * {@link describeSessionState} words it for the page's banner and /metrics readers. Shared by the
 * publisher (Node) and the page (browser): no dependencies.
 */

export const SESSION_STATES = ['waiting', 'live', 'replay', 'device-lost', 'ended'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/** Where a replay stands. */
export interface ReplayPosition {
  /** Stream time reached, s. */
  positionS: number;
  /** The recording's length, s. */
  durationS: number;
  /** Multiple of real time, or `max` (as fast as the consumers take it). */
  speed: number | 'max';
}

/** A serial device that is away: the driver's reconnection attempt under way. */
export interface DeviceLinkLost {
  /** Reconnection attempt under way (1, 2, …). */
  attempt: number;
  /** Why the link was lost (the system's words). */
  reason: string;
  /** How long it has been away, s. */
  lostForS: number;
}

/** The typed state fields of a session status (`DashboardSessionStatus` extends this). */
export interface SessionStateFields {
  state: SessionState;
  /** Present when `state` is `replay` (and kept at `ended` after a replay). */
  replay?: ReplayPosition;
  /** Present when `state` is `device-lost`. */
  link?: DeviceLinkLost;
}

/** What a session knows about itself, for {@link sessionStateOf}. */
export interface SessionFacts {
  /** The session has ended. */
  ended: boolean;
  /** The first block has arrived. */
  started: boolean;
  /** A replay's position (undefined for a device). */
  replay?: ReplayPosition | undefined;
  /** A serial device's link, in the drivers' own shape (DeviceLinkState); undefined: never lost. */
  link?: { state: 'connected' } | { state: 'lost'; reason: string; attempt: number; sinceMs: number } | undefined;
  /** Host time now (ms, same clock as the link's `sinceMs`). */
  nowMs: number;
}

/** The typed state of a session from what it knows: ended, then device lost, then waiting, then replay or live. */
export function sessionStateOf(facts: SessionFacts): SessionStateFields {
  const replay = facts.replay ? { replay: { ...facts.replay } } : {};
  if (facts.ended) return { state: 'ended', ...replay };
  const link = facts.link;
  if (link?.state === 'lost') {
    return { state: 'device-lost', link: { attempt: link.attempt, reason: link.reason, lostForS: Math.max(0, (facts.nowMs - link.sinceMs) / 1000) } };
  }
  if (!facts.started) return { state: 'waiting', ...replay };
  return facts.replay ? { state: 'replay', ...replay } : { state: 'live' };
}

/** `12.3 / 120.0 s at 10x` (or `at max speed`). */
export function describeReplayPosition(r: ReplayPosition): string {
  const speed = r.speed === 'max' ? 'max speed' : `${Number.isInteger(r.speed) ? r.speed : r.speed.toFixed(2)}x`;
  return `${r.positionS.toFixed(1)} / ${r.durationS.toFixed(1)} s at ${speed}`;
}

/** How the page colours a state: `ok` green, `replay` blue (never mistaken for live), `bad` red, `wait` grey. */
export type SessionStateKind = 'ok' | 'replay' | 'bad' | 'wait';

/**
 * The state in words, as the banner says it, and its colour: "Live", "Replay 12.3 / 120.0 s at
 * 10x", "device lost — reconnecting (attempt 3)", "Waiting for data", "Session ended" (a replay's
 * end says where it ended).
 */
export function describeSessionState(s: SessionStateFields): { text: string; kind: SessionStateKind } {
  switch (s.state) {
    case 'live':
      return { text: 'Live', kind: 'ok' };
    case 'replay':
      return { text: s.replay ? `Replay ${describeReplayPosition(s.replay)}` : 'Replay', kind: 'replay' };
    case 'device-lost':
      return { text: `device lost — reconnecting (attempt ${s.link?.attempt ?? '?'})`, kind: 'bad' };
    case 'waiting':
      return { text: s.replay ? 'Replay: waiting for data' : 'Waiting for data', kind: 'wait' };
    case 'ended':
      return { text: s.replay ? `Replay ended at ${describeReplayPosition(s.replay)}` : 'Session ended', kind: 'bad' };
  }
}
