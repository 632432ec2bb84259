/**
 * The CLI's structured log (pino), written to stderr so that a command's own output on stdout
 * stays clean. Level from `--log-level` (default `warn`).
 */
import { pino, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel): Logger {
  return pino({ name: 'neurostream', level }, pino.destination({ fd: 2, sync: true }));
}
