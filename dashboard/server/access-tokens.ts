/**
 * Dashboard access tokens: generation, timing-safe role lookup and the loopback test that decides
 * whether a caller must supply its own tokens.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export type DashboardRole = 'viewer' | 'operator';

/** A fresh random token: 32 bytes as 64 hex characters. */
export function generateToken(): string {
  return randomBytes(32).toString('hex');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * The role a presented token grants, or undefined. Both tokens are always compared, over
 * fixed-length digests, so neither the length nor the matching token leaks through timing.
 */
export function roleForToken(
  presented: string | null | undefined,
  tokens: { viewer: string; operator: string },
): DashboardRole | undefined {
  if (typeof presented !== 'string' || presented.length === 0) return undefined;
  const given = digest(presented);
  const isOperator = timingSafeEqual(given, digest(tokens.operator));
  const isViewer = timingSafeEqual(given, digest(tokens.viewer));
  if (isOperator) return 'operator';
  if (isViewer) return 'viewer';
  return undefined;
}

/** True for addresses only this machine can reach (shared with `neurostream serve`). */
export { isLoopbackHost } from '../../core/bearer-auth.js';

/** The host as it appears in a URL (IPv6 literals in brackets). */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}
