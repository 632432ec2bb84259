/**
 * The dashboard server's options, their defaults and their validation. Defaults are the safe
 * ones: loopback only, random tokens, small messages, few of them, bounded per-client buffers.
 */
import { statSync } from 'node:fs';
import { InvalidOptionError } from '../../core/errors.js';
import { checkInteger, checkNumber, checkString } from '../../core/validate.js';
import { generateToken, isLoopbackHost } from './access-tokens.js';
import type { StaticMount } from './static-files.js';

export interface DashboardServerOptions {
  /** Address to bind; default 127.0.0.1. Anything beyond loopback needs both tokens given. */
  host?: string;
  /** TCP port; default 8787; 0 picks a free one. */
  port?: number;
  /** Token that grants the viewer role; default a random 32-byte hex string. */
  viewerToken?: string;
  /** Token that grants the operator role; default a random 32-byte hex string. */
  operatorToken?: string;
  /** Browser origins allowed besides the server's own (e.g. `https://lab.example.org`). */
  allowedOrigins?: string[];
  /** Directory whose files are served over HTTP at `/` (shorthand for one mount at `/`). */
  staticDir?: string;
  /** Directories served under URL prefixes (`/vendor/uplot/`); nothing but /healthz is served without any. */
  mounts?: StaticMount[];
  /** Largest client message in bytes; larger closes the connection with 1009. Default 16 KiB. */
  maxMessageBytes?: number;
  /** Client messages per second (token bucket, burst of the same size); default 20. */
  maxMessagesPerSecond?: number;
  /** Unsent bytes a client may hold before frames for it are skipped; default 1 MiB. */
  maxBufferedBytes?: number;
}

export interface ResolvedDashboardOptions {
  readonly host: string;
  readonly port: number;
  readonly viewerToken: string;
  readonly operatorToken: string;
  readonly allowedOrigins: readonly string[];
  readonly mounts: readonly StaticMount[];
  readonly maxMessageBytes: number;
  readonly maxMessagesPerSecond: number;
  readonly maxBufferedBytes: number;
}

export const DASHBOARD_DEFAULTS = {
  host: '127.0.0.1',
  port: 8787,
  maxMessageBytes: 16 * 1024,
  maxMessagesPerSecond: 20,
  maxBufferedBytes: 1024 * 1024,
} as const;

function checkToken(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length < 16 || /\s/.test(value)) {
    // Never echo a token back: describe its shape only.
    const shown = typeof value === 'string' ? `a string of ${value.length} characters` : value;
    throw new InvalidOptionError(name, 'a token of at least 16 non-space characters', shown);
  }
  return value;
}

function normaliseOrigin(value: unknown, index: number): string {
  const name = `allowedOrigins[${index}]`;
  checkString('option', name, value, { nonEmpty: true });
  let origin: string;
  try {
    origin = new URL(value as string).origin;
  } catch {
    throw new InvalidOptionError(name, 'an origin such as https://host:port', value);
  }
  if (origin === 'null') throw new InvalidOptionError(name, 'an http(s) origin such as https://host:port', value);
  return origin;
}

function checkDirectory(name: string, value: unknown): string {
  const dir = checkString('option', name, value, { nonEmpty: true });
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new InvalidOptionError(name, 'an existing directory', dir);
  return dir;
}

export function resolveDashboardOptions(options: DashboardServerOptions = {}): ResolvedDashboardOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError('options', 'an object', options);
  }
  const host = checkString('option', '--host', options.host ?? DASHBOARD_DEFAULTS.host, { nonEmpty: true });
  const port = checkInteger('option', 'port', options.port ?? DASHBOARD_DEFAULTS.port, { min: 0, max: 65535 });
  const givenViewer = checkToken('viewerToken', options.viewerToken);
  const givenOperator = checkToken('operatorToken', options.operatorToken);
  if (!isLoopbackHost(host) && (givenViewer === undefined || givenOperator === undefined)) {
    throw new InvalidOptionError(
      '--host',
      'a loopback address (127.0.0.1, ::1, localhost) unless both viewerToken and operatorToken are given',
      host,
    );
  }
  if (givenViewer !== undefined && givenViewer === givenOperator) {
    throw new InvalidOptionError('operatorToken', 'a token different from viewerToken', 'the same token');
  }
  const allowed = options.allowedOrigins ?? [];
  if (!Array.isArray(allowed)) throw new InvalidOptionError('allowedOrigins', 'an array of origins', allowed);
  const allowedOrigins = allowed.map((o, i) => normaliseOrigin(o, i));
  const mounts: StaticMount[] = [];
  if (options.staticDir !== undefined) mounts.push({ urlPrefix: '/', dir: checkDirectory('staticDir', options.staticDir) });
  const givenMounts = options.mounts ?? [];
  if (!Array.isArray(givenMounts)) throw new InvalidOptionError('mounts', 'an array of { urlPrefix, dir }', givenMounts);
  givenMounts.forEach((mount, i) => {
    const prefix = checkString('option', `mounts[${i}].urlPrefix`, mount?.urlPrefix, { nonEmpty: true });
    if (!prefix.startsWith('/') || !prefix.endsWith('/') || prefix.includes('..')) {
      throw new InvalidOptionError(`mounts[${i}].urlPrefix`, 'a URL path that starts and ends with / (e.g. /vendor/uplot/)', prefix);
    }
    if (mounts.some((m) => m.urlPrefix === prefix)) throw new InvalidOptionError(`mounts[${i}].urlPrefix`, 'a prefix mounted once', prefix);
    mounts.push({ urlPrefix: prefix, dir: checkDirectory(`mounts[${i}].dir`, mount.dir) });
  });
  const maxMessageBytes = checkInteger('option', 'maxMessageBytes', options.maxMessageBytes ?? DASHBOARD_DEFAULTS.maxMessageBytes, {
    min: 64,
    max: 16 * 1024 * 1024,
  });
  const maxMessagesPerSecond = checkNumber(
    'option',
    'maxMessagesPerSecond',
    options.maxMessagesPerSecond ?? DASHBOARD_DEFAULTS.maxMessagesPerSecond,
    { min: 0, exclusiveMin: true, max: 10_000 },
  );
  const maxBufferedBytes = checkInteger(
    'option',
    'maxBufferedBytes',
    options.maxBufferedBytes ?? DASHBOARD_DEFAULTS.maxBufferedBytes,
    { min: 0, max: 1024 * 1024 * 1024 },
  );
  return {
    host,
    port,
    viewerToken: givenViewer ?? generateToken(),
    operatorToken: givenOperator ?? generateToken(),
    allowedOrigins,
    mounts,
    maxMessageBytes,
    maxMessagesPerSecond,
    maxBufferedBytes,
  };
}
