/**
 * What a session tells its user while it runs — the CLI prints it, a script may log it — and the
 * structured log it writes to.
 */

/**
 * - `model`: which execution provider a model runs on;
 * - `operator`: what an operator did on the dashboard;
 * - `warning`: something went wrong and the session goes on (a recorder overflow, a model server falling back);
 * - `note`: a fact worth knowing (a recorder resumed, a server answers again), or why the session ends (a failure).
 */
export interface SessionNotice {
  readonly kind: 'model' | 'operator' | 'warning' | 'note';
  readonly text: string;
}

export type SessionNotify = (notice: SessionNotice) => void;

/** The structured log a session writes to (pino's shape). */
export interface SessionLog {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
  debug(object: object, message: string): void;
}

/** A log that drops everything. */
export const SILENT_LOG: SessionLog = { info() {}, warn() {}, error() {}, debug() {} };
