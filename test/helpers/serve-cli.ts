import { runCli, type CliResult } from './cli.js';

/**
 * `neurostream serve ARGS --port PORT` in a child process until `stop()` (SIGINT); `url` resolves
 * with the server's base URL once it prints that it is ready (or with a text saying how it exited).
 */
export function serveCli(args: string[], options: { port?: number; env?: Record<string, string> } = {}): { url: Promise<string>; stop: () => void; result: Promise<CliResult> } {
  let stop: () => void = () => {};
  let found: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => (found = resolve));
  const result = runCli(['serve', ...args, '--port', String(options.port ?? 0)], {
    timeoutMs: 120_000,
    ...(options.env ? { env: options.env } : {}),
    onStdout: (text, child) => {
      stop = () => child.kill('SIGINT');
      const m = /ready: (http:\/\/\S+)\/v2\/health\/ready/.exec(text);
      if (m) found(m[1]!);
    },
  });
  void result.then((r) => found(`(serve exited ${r.code}: ${r.stderr})`));
  return { url, stop: () => stop(), result };
}
