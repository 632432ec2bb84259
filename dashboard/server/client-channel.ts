/**
 * One connected dashboard client: its role, its counters and a send that never waits. When the
 * client's socket already holds more than `maxBufferedBytes` unsent, frames for it are skipped and
 * counted instead of queued, so a slow browser costs itself frames and costs nobody else anything.
 */
import type { WebSocket } from 'ws';
import type { DashboardRole } from './access-tokens.js';

/** What may be sent: bytes go as one binary frame; anything else as JSON text. */
export type DashboardFrame = Uint8Array | object;

/** An already-encoded frame, so a broadcast serialises once for every client. */
export interface EncodedFrame {
  readonly data: Uint8Array | string;
  readonly binary: boolean;
}

export function encodeFrame(frame: DashboardFrame): EncodedFrame {
  if (frame instanceof Uint8Array) return { data: frame, binary: true };
  return { data: JSON.stringify(frame), binary: false };
}

export interface DashboardClientStats {
  readonly id: number;
  readonly role: DashboardRole;
  /** `address:port` of the peer. */
  readonly remote: string;
  /** Frames handed to the socket. */
  readonly sent: number;
  /** Frames dropped because the client was behind (bufferedAmount over the limit) or closing. */
  readonly skipped: number;
  /** Bytes accepted for this client and not yet written to the network. */
  readonly bufferedAmount: number;
}

/** A dashboard page (`/ws`) or a stream API subscriber (`/stream`). */
export type ClientKind = 'dashboard' | 'stream';

/** What a stream API subscriber may ask for (`/stream?topics=features,intents`). */
export const STREAM_TOPICS = ['features', 'intents', 'markers', 'health'] as const;
export type StreamTopic = (typeof STREAM_TOPICS)[number];

/** A client as seen by command handlers and connection listeners. */
export interface DashboardClient {
  readonly id: number;
  readonly kind: ClientKind;
  /** Stream API subscribers: the topics asked for (empty for dashboard pages). */
  readonly topics: ReadonlySet<StreamTopic>;
  readonly role: DashboardRole;
  readonly remote: string;
  /** Sends one frame unless the client is behind; true when it was handed to the socket. */
  send(frame: DashboardFrame): boolean;
  /** Open and keeping up (bufferedAmount within the limit): a frame sent now would not be skipped. */
  ready(): boolean;
  /** False once the socket has closed. */
  readonly open: boolean;
  /** Counts a frame the publisher did not even build because the client was behind. */
  countSkipped(): void;
  stats(): DashboardClientStats;
}

export class ClientChannel implements DashboardClient {
  private sentCount = 0;
  private skippedCount = 0;

  constructor(
    readonly id: number,
    readonly role: DashboardRole,
    readonly remote: string,
    readonly socket: WebSocket,
    private readonly maxBufferedBytes: number,
    readonly kind: ClientKind = 'dashboard',
    readonly topics: ReadonlySet<StreamTopic> = new Set(),
  ) {}

  send(frame: DashboardFrame): boolean {
    return this.sendEncoded(encodeFrame(frame));
  }

  ready(): boolean {
    const ws = this.socket;
    return ws.readyState === ws.OPEN && ws.bufferedAmount <= this.maxBufferedBytes;
  }

  get open(): boolean {
    return this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING;
  }

  countSkipped(): void {
    this.skippedCount += 1;
  }

  sendEncoded(frame: EncodedFrame): boolean {
    const ws = this.socket;
    if (ws.readyState !== ws.OPEN || ws.bufferedAmount > this.maxBufferedBytes) {
      this.skippedCount += 1;
      return false;
    }
    ws.send(frame.data, { binary: frame.binary });
    this.sentCount += 1;
    return true;
  }

  stats(): DashboardClientStats {
    return {
      id: this.id,
      role: this.role,
      remote: this.remote,
      sent: this.sentCount,
      skipped: this.skippedCount,
      bufferedAmount: this.socket.bufferedAmount,
    };
  }
}
