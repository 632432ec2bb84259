/**
 * RecordingError — writing a recording failed (disk full, slow or gone, permission). The message
 * names the file, what was being done and the operating system's reason; `reason` keeps the
 * system error code (`ENOSPC`, `EACCES`, …) for callers that react to it.
 */
import { ErrorCode, NeurostreamError } from '../core/index.js';

export class RecordingError extends NeurostreamError {
  readonly reason: string | undefined;

  constructor(message: string, reason?: string, options?: { cause?: unknown }) {
    super(ErrorCode.RecordingFailure, message, options);
    this.reason = reason;
  }

  /** Wraps a system error met while `doing` something to a recording file. */
  static from(error: unknown, doing: string): RecordingError {
    if (error instanceof RecordingError) return error;
    const code = (error as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' ? code : undefined;
    const text = error instanceof Error ? error.message : String(error);
    const hint = reason === 'ENOSPC' ? ' — the disk is full' : reason === 'EACCES' || reason === 'EPERM' ? ' — no permission' : '';
    return new RecordingError(`recording failed ${doing}: ${text}${hint}`, reason, { cause: error });
  }
}
