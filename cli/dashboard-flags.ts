/** The dashboard's flags of a session command (`run`, `replay`). */
import type { Command } from 'commander';
import { DASHBOARD_DEFAULT_PORT } from '../session/index.js';
import { OPERATOR_TOKEN_ENV, VIEWER_TOKEN_ENV } from '../session/index.js';
import { integerFlag } from './parse-flag.js';

/** Adds `--dashboard [port]`, `--no-dashboard` and `--dashboard-host` to a session command. */
export function addDashboardFlags(command: Command): Command {
  return command
    .option('--dashboard <port>', `serve the live dashboard on this port (default ${DASHBOARD_DEFAULT_PORT}; 0 picks a free one)`, integerFlag('--dashboard'))
    .option('--no-dashboard', 'no dashboard')
    .option(
      '--dashboard-host <addr>',
      `address the dashboard binds (default 127.0.0.1); beyond loopback it needs ${VIEWER_TOKEN_ENV} and ${OPERATOR_TOKEN_ENV} (16+ characters each) in the environment`,
    );
}
