import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from './cli.js';

export interface RunningEmulator {
  link: string;
  child: ChildProcess;
  output: () => string;
  /** Stops it (SIGINT) and resolves with everything it printed. */
  stop: () => Promise<string>;
}

let counter = 0;

/** Starts `neurostream emulate ARGS --link <tmp>` and waits until its device exists. */
export async function startEmulator(args: readonly string[]): Promise<RunningEmulator> {
  const link = join(tmpdir(), `ns-test-${process.pid}-${++counter}`);
  const child = spawn(process.execPath, [CLI, 'emulate', ...args, '--link', link], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (out += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (out += t));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`emulator did not start: ${out}`)), 10_000);
    const check = setInterval(() => {
      if (out.includes('emulating ')) {
        clearInterval(check);
        clearTimeout(timer);
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(check);
        clearTimeout(timer);
        reject(new Error(`emulator exited: ${out}`));
      }
    }, 10);
  });
  return {
    link,
    child,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
      return out;
    },
  };
}
