/**
 * The page's banner: the session's typed state (session-state.ts) first, then the worst of what
 * matters to a clinician. A replay always says "Replay" with its position and speed (blue, never
 * green "Live"); a device that is away says "device lost — reconnecting (attempt N)" in red,
 * whatever the other tiles show. Pure: the health panel draws what it returns.
 */
import { describeSessionState, type SessionStateFields } from '../protocol/session-state.js';

export type BannerKind = 'ok' | 'warn' | 'bad' | 'wait' | 'replay';

/** What the other tiles found: something broken (and what), or degraded. */
export interface BannerProblems {
  /** The worst failure, in capitals (e.g. "RECORDING FAILED", "SIGNAL PROBLEM"); absent: none. */
  failure?: string;
  degraded: boolean;
}

/** The banner's colour and text for a session state and the problems the tiles found. */
export function sessionBanner(status: SessionStateFields, problems: BannerProblems, flags: { recording: boolean; paused: boolean }): { kind: BannerKind; text: string } {
  const { text, kind } = describeSessionState(status);
  let out: { kind: BannerKind; text: string };
  if (status.state === 'live' || status.state === 'replay') {
    if (problems.failure) out = { kind: 'bad', text: status.state === 'replay' ? `${text} · ${problems.failure}` : problems.failure };
    else if (problems.degraded) out = { kind: 'warn', text: status.state === 'replay' ? `${text} · degraded` : 'Live, degraded' };
    else out = { kind, text };
  } else {
    out = { kind, text };
  }
  return { kind: out.kind, text: `${out.text}${flags.recording ? ' · REC' : ''}${flags.paused ? ' · PAUSED' : ''}` };
}

/** The rate a replay should achieve (its speed × the stream's rate); the stream's rate for a device; NaN at `max` speed (anything goes). */
export function expectedRateHz(status: SessionStateFields | undefined, sampleRateHz: number): number {
  const speed = status?.state === 'replay' ? status.replay?.speed : undefined;
  if (speed === 'max') return NaN;
  return typeof speed === 'number' ? speed * sampleRateHz : sampleRateHz;
}
