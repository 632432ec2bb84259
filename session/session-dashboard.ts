/**
 * The dashboard of a `run` or `replay` session: the server (page + WebSocket on one port) and the
 * publisher that streams the session to it. On by default at 127.0.0.1:8787; `--dashboard PORT`
 * picks the port (0: any free one), `--no-dashboard` turns it off, `--dashboard-host ADDR` binds
 * beyond loopback, which needs both tokens from the environment.
 */
import type { HealthSnapshot } from '../acquisition/index.js';
import { InvalidOptionError, checkInteger } from '../core/index.js';
import { DashboardPublisher, type DashboardSessionStatus } from '../dashboard/publisher/dashboard-publisher.js';
import { startDashboardServer, type DashboardServer } from '../dashboard/server/dashboard-server.js';
import { DASHBOARD_DEFAULTS } from '../dashboard/server/server-options.js';
import { dashboardPageMounts } from '../dashboard/server/page-mounts.js';
import { isLoopbackHost } from '../dashboard/server/access-tokens.js';

/** The dashboard's default port (the next free ones are tried when it is taken). */
export const DASHBOARD_DEFAULT_PORT = DASHBOARD_DEFAULTS.port;
export const VIEWER_TOKEN_ENV = 'NEUROSTREAM_VIEWER_TOKEN';
export const OPERATOR_TOKEN_ENV = 'NEUROSTREAM_OPERATOR_TOKEN';
/** Ports tried after the default one when it is taken (another session on this machine). */
const DEFAULT_PORT_TRIES = 20;

export interface DashboardFlags {
  /** true: the default port; a number: that port; false: no dashboard. */
  dashboard: boolean | number;
  dashboardHost?: string;
}

export interface SessionDashboard {
  server: DashboardServer;
  publisher: DashboardPublisher;
  /** Lines to print: where to open it. */
  describe(): string[];
  close(final: DashboardSessionStatus): Promise<void>;
}

/**
 * Starts the server (before the device, so a taken port fails fast) and the publisher. `health`:
 * the session's health (its graph's latest `health$` snapshot), which the page and `/metrics`
 * show; without it the publisher monitors the blocks it is given itself.
 */
export async function startSessionDashboard(
  flags: DashboardFlags,
  status: () => DashboardSessionStatus,
  env: NodeJS.ProcessEnv = process.env,
  health?: () => HealthSnapshot | undefined,
): Promise<SessionDashboard | undefined> {
  if (flags.dashboard === false) return undefined;
  const host = flags.dashboardHost ?? DASHBOARD_DEFAULTS.host;
  const viewerToken = env[VIEWER_TOKEN_ENV] || undefined;
  const operatorToken = env[OPERATOR_TOKEN_ENV] || undefined;
  if (!isLoopbackHost(host) && (viewerToken === undefined || operatorToken === undefined)) {
    throw new InvalidOptionError(
      '--dashboard-host',
      `a loopback address (127.0.0.1, ::1, localhost), or ${VIEWER_TOKEN_ENV} and ${OPERATOR_TOKEN_ENV} set to tokens of 16+ characters`,
      host,
    );
  }
  if (typeof flags.dashboard === 'number') checkInteger('option', '--dashboard', flags.dashboard, { min: 0, max: 65535 });
  const explicit = typeof flags.dashboard === 'number';
  const first = explicit ? (flags.dashboard as number) : DASHBOARD_DEFAULTS.port;
  const mounts = dashboardPageMounts();
  let server: DashboardServer | undefined;
  for (let k = 0; server === undefined; k++) {
    try {
      server = await startDashboardServer({
        host,
        port: first + (explicit ? 0 : k),
        mounts,
        ...(viewerToken ? { viewerToken } : {}),
        ...(operatorToken ? { operatorToken } : {}),
      });
    } catch (error) {
      const taken = error instanceof InvalidOptionError && error.option === 'port';
      if (taken && !explicit && k + 1 < DEFAULT_PORT_TRIES) continue;
      if (taken) {
        throw new InvalidOptionError('--dashboard', explicit ? 'a free port this process may bind' : `a free port (${first}…${first + k} are taken; pick one, or 0)`, explicit ? first : `${first}…${first + k}`);
      }
      if (error instanceof InvalidOptionError && error.option === 'viewerToken') throw new InvalidOptionError(VIEWER_TOKEN_ENV, 'a token of at least 16 non-space characters', 'a shorter one');
      if (error instanceof InvalidOptionError && error.option === 'operatorToken') throw new InvalidOptionError(OPERATOR_TOKEN_ENV, `a token of at least 16 non-space characters, different from ${VIEWER_TOKEN_ENV}`, 'another');
      if (error instanceof InvalidOptionError && error.option === '--host') throw new InvalidOptionError('--dashboard-host', 'an address of this machine', host);
      throw error;
    }
  }
  const publisher = new DashboardPublisher(server, { status, ...(health ? { health } : {}) });
  const s = server;
  return {
    server: s,
    publisher,
    describe: () =>
      viewerToken
        ? [`dashboard: ${s.url} (tokens from ${VIEWER_TOKEN_ENV} / ${OPERATOR_TOKEN_ENV}: open ${s.url}?token=…)`]
        : [`dashboard (viewer):   ${s.viewerUrl}`, `dashboard (operator): ${s.operatorUrl}`],
    async close(final) {
      publisher.close(final);
      await s.close();
    },
  };
}
