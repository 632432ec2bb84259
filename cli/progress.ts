/**
 * Progress for long jobs: a text bar for status lines (`replay`), and a cli-progress bar on
 * stderr for batch jobs (`convert`) — drawn only on a terminal; elsewhere (logs, CI) the job's
 * closing summary is enough and no control characters are written.
 */
import cliProgress from 'cli-progress';
import { printable } from '../core/index.js';
import { rawTerminalStream } from './terminal-output.js';

const WIDTH = 20;

/** A renderer of `[████████░░░░░░░░░░░░]  40%` for `value` out of `total`. */
export function progressBar(total: number): (value: number) => string {
  return (value: number): string => {
    const fraction = total > 0 ? Math.min(1, Math.max(0, value / total)) : 1;
    const filled = Math.floor(fraction * WIDTH);
    return `[${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`;
  };
}

export interface Progress {
  update(value: number): void;
  stop(): void;
}

/** A progress bar on stderr for `total` units of `label` (a no-op when stderr is not a terminal). */
export function startProgress(label: string, total: number, unit = 'samples'): Progress {
  if (!process.stderr.isTTY || total <= 0) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${printable(label)} [{bar}] {percentage}% | {value}/{total} ${printable(unit)} | eta {eta_formatted}`, stream: rawTerminalStream(process.stderr), hideCursor: true, etaBuffer: 50 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (value) => bar.update(Math.min(value, total)),
    stop: () => bar.stop(),
  };
}
