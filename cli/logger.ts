/**
 * The CLI's structured log (pino), written to stderr so that a command's own output on stdout
 * stays clean. Level from `--log-level` (default `warn`).
 */
import { pino, type Logger } from 'pino';
import { printable } from '../core/index.js';

export { LOG_LEVELS } from '../session/index.js';
import { LOG_LEVELS } from '../session/index.js';
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel): Logger {
  const destination = pino.destination({ fd: 2, sync: true });
  // JSON lines: C0 controls are escaped by JSON already; DEL and C1 become JSON's own \u00XX.
  return pino({ name: 'neurostream', level }, { write: (line: string) => destination.write(printable(line)) });
}
