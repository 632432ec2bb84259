import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built CLI (npm test builds it first). */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `neurostream ARGS`; `onStdout` sees output as it arrives and may act on the child (e.g.
 * send SIGINT once the session is live). Killed after `timeoutMs`.
 */
export function runCli(
  args: readonly string[],
  options: {
    timeoutMs?: number;
    onStdout?: (text: string, child: ReturnType<typeof spawn>) => void;
    cwd?: string;
    env?: Record<string, string>;
    /** Shell commands run before the CLI in the same process (e.g. `ulimit -f 3000;`). */
    shellPrefix?: string;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const [command, argv] = options.shellPrefix
      ? ['bash', ['-c', `${options.shellPrefix} exec "$0" "$@"`, process.execPath, CLI, ...args]]
      : [process.execPath, [CLI, ...args]];
    const child = spawn(command, argv, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.cwd ? { cwd: options.cwd } : {}),
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(stdout, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
