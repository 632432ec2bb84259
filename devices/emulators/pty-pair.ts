/**
 * A linked pseudo-terminal pair made by socat: two real serial devices, whatever one writes the
 * other reads. The emulator opens `inner`; users and drivers open `link` like any serial port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, NeurostreamError } from '../../core/index.js';

/** socat missing, or the pty pair not made in time. */
export class PtyError extends NeurostreamError {
  constructor(message: string) {
    super(ErrorCode.DeviceFailure, message);
  }
}

/** Two linked pseudo-terminals: the emulator opens `inner`, a driver opens `link`. */
export interface PtyPair {
  readonly link: string;
  readonly inner: string;
  /** Ends socat; both devices disappear. */
  stop(): Promise<void>;
}

/** Starts socat with a pty pair, `link` being the path a driver opens (e.g. /tmp/ttyCYTON). */
export async function startPtyPair(link: string, timeoutMs = 5000): Promise<PtyPair> {
  const inner = join(tmpdir(), `neurostream-emulator-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  let exited: string | undefined;
  let stderr = '';
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${inner}`, `pty,raw,echo=0,link=${link}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new PtyError(
          e.code === 'ENOENT' ? 'socat not found: install it (Debian/Ubuntu: apt-get install socat)' : `cannot start socat: ${e.message}`,
        ),
      ),
    ),
  );
  child.once('exit', (code, signal) => (exited = `socat exited (${signal ?? code}): ${stderr.trim()}`));
  const ready = (async () => {
    const start = Date.now();
    while (!(existsSync(inner) && existsSync(link))) {
      if (exited) throw new PtyError(exited);
      if (Date.now() - start > timeoutMs) throw new PtyError(`socat did not create ${link} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    await Promise.race([ready, spawnError]);
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    link,
    inner,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => {
          for (const p of [inner, link]) if (existsSync(p)) try { unlinkSync(p); } catch { /* already gone */ }
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
