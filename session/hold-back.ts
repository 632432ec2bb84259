/**
 * Replay's backpressure, in one place. An offline source (a replay) has no deadline: before each
 * block it asks whether any of its lossless consumers — the recorder, the decoder — is behind, and
 * waits while one is. A live source never asks (its consumers drop loudly instead).
 */
export class HoldBack {
  private readonly consumers: { name: string; busy: () => boolean }[] = [];

  /** A lossless consumer and how it says it is behind. */
  add(name: string, busy: () => boolean): void {
    this.consumers.push({ name, busy });
  }

  /** Whether the source should wait now. */
  busy(): boolean {
    return this.consumers.some((c) => c.busy());
  }

  /** The consumers behind now (for a status line). */
  waitingFor(): string[] {
    return this.consumers.filter((c) => c.busy()).map((c) => c.name);
  }
}

/** Bins a decoder may hold before an offline source waits for it. */
export const MAX_DECODER_BACKLOG = 64;
