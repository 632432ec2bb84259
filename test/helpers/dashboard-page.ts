/**
 * The dashboard in real headless Chromium, for the browser tests: Debian's /usr/bin/chromium driven
 * by playwright-core (no browser is ever downloaded), a `neurostream` session with a dashboard and
 * its viewer / operator URLs, a page that collects its errors, and the page's own probe
 * (`window.__neurostream`) read and polled.
 */
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runCli, type CliResult } from './cli.js';

/** Headless, sandbox-less (containers), no GPU, nothing fetched in the background. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Where screenshots go (a CI artifact; create it before writing). */
export const RESULTS = fileURLToPath(new URL('../../test-results/', import.meta.url));

/** Launches /usr/bin/chromium headless. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
}

/** A running `neurostream` session with a dashboard. */
export interface DashboardSession {
  /** The viewer's URL (with its token). */
  viewer: string;
  /** The operator's URL (with its token). */
  operator: string;
  /** Sends SIGINT (the session ends as on Ctrl-C); its end is `done`. */
  interrupt(): void;
  /** `interrupt()`, then its end. */
  stop(): Promise<CliResult>;
  /** The session's end: exit code, stdout, stderr. */
  done: Promise<CliResult>;
  /** Its stdout so far. */
  stdout(): string;
}

/**
 * Starts `neurostream ARGS` (ARGS include `--dashboard PORT`) and resolves once it has printed its
 * viewer and operator URLs (and `readyWhen`, where given, holds on its stdout); rejects with its
 * stderr if it ends before. The process is killed after `timeoutMs`.
 */
export function dashboardSession(args: string[], { timeoutMs, readyWhen }: { timeoutMs: number; readyWhen?: (stdout: string) => boolean }): Promise<DashboardSession> {
  return new Promise((resolve, reject) => {
    let interrupt: () => void = () => {};
    let out = '';
    let found = false;
    const done = runCli(args, {
      timeoutMs,
      onStdout: (text, child) => {
        out = text;
        interrupt = () => child.kill('SIGINT');
        // Both lines come in one write, each ending in a newline (never half a URL).
        const viewer = /dashboard \(viewer\): +(\S+)\n/.exec(text);
        const operator = /dashboard \(operator\): +(\S+)\n/.exec(text);
        if (viewer && operator && !found && (readyWhen?.(text) ?? true)) {
          found = true;
          resolve({
            viewer: viewer[1]!,
            operator: operator[1]!,
            interrupt: () => interrupt(),
            stop: async () => (interrupt(), await done),
            done,
            stdout: () => out,
          });
        }
      },
    });
    void done.then((r) => {
      if (!found) reject(new Error(`the session ended before its dashboard was up: ${r.stderr}`));
    });
  });
}

/**
 * Opens `url` in a new page of `browser`; `problems` collects its uncaught errors and, unless
 * `consoleErrors` is false, its console errors (a test expects none).
 */
export async function openPage(
  browser: Browser,
  url: string,
  { viewport = { width: 1400, height: 1000 }, consoleErrors = true }: { viewport?: { width: number; height: number }; consoleErrors?: boolean } = {},
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  if (consoleErrors) {
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
  }
  await page.goto(url);
  return { page, problems };
}

/** Reads the page's probe, `window.__neurostream`, as `P` (what a test reads of it). */
export function probe<P>(page: Page): Promise<P> {
  return page.evaluate(() => (window as unknown as { __neurostream: P }).__neurostream);
}

/**
 * The probe of a test: `probe(page)` reads it (by `read`, where the test reshapes it — typed arrays
 * do not survive the trip), `until(page, check, what, timeoutMs)` polls it until `check` holds and
 * returns it, or fails after `timeoutMs` (30 s unless given: the machine may be loaded) naming
 * `what` and showing the probe (or the part of it that `show` picks).
 */
export function dashboardProbe<P>({ read = probe<P>, show = (p) => p }: { read?: (page: Page) => Promise<P>; show?: (p: P) => unknown } = {}): {
  probe: (page: Page) => Promise<P>;
  until: (page: Page, check: (p: P) => boolean, what: string, timeoutMs?: number) => Promise<P>;
} {
  return {
    probe: read,
    async until(page, check, what, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const p = await read(page);
        if (check(p)) return p;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(show(p)).slice(0, 800)}`);
        await page.waitForTimeout(100);
      }
    },
  };
}
