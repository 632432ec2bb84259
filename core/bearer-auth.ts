/**
 * Who may call a server neurostream runs (the dashboard, `neurostream serve`): the loopback test
 * that decides whether a token is required, the `Authorization: Bearer <token>` header read with a
 * case-insensitive scheme (RFC 7235 §2.1), and a timing-safe comparison of tokens. Node-only
 * (node:crypto, node:net): imported by path, not through core/index.ts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare.toLowerCase() === 'localhost') return true;
  const family = isIP(bare);
  if (family === 4) return bare.startsWith('127.');
  if (family === 6) {
    const lower = bare.toLowerCase();
    return lower === '::1' || lower === '0:0:0:0:0:0:0:1' || lower.startsWith('::ffff:127.');
  }
  return false;
}

/**
 * The token of an `Authorization: Bearer <token>` header, or undefined for none or another scheme.
 * The scheme is case-insensitive (`bearer`, `BEARER`), as HTTP says of every auth scheme.
 */
export function bearerToken(authorization: string | readonly string[] | undefined): string | undefined {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^\s*bearer[ \t]+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * True when `presented` is `expected`, compared over fixed-length digests so that neither the
 * length nor the position of the first difference leaks through timing.
 */
export function tokenMatches(presented: string | null | undefined, expected: string): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Checks a token given to a server (from an environment variable or an option): at least 16
 * non-space characters. Returns the reason it is not acceptable, undefined when it is; never
 * the token itself, which must not be echoed.
 */
export function tokenProblem(token: string): string | undefined {
  if (token.length < 16) return `a token of ${token.length} characters`;
  if (/\s/.test(token)) return 'a token with white space in it';
  return undefined;
}
