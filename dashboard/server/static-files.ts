/**
 * Serves files from mounted directories over HTTP: GET/HEAD only, no path escapes the directory (by
 * `..`, encoded `..` or symlink) and anything outside it is simply "not found".
 */
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';

export const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': String(body.length),
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * The file under `root` that a URL path names (`/` and directories → `index.html`), or undefined
 * when it does not exist or would lie outside `root`.
 */
export async function resolveStaticFile(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const realRoot = await realpath(root).catch(() => undefined);
  if (realRoot === undefined) return undefined;
  let candidate = resolve(realRoot, `.${decoded.startsWith('/') ? '' : '/'}${decoded}`);
  if (!inside(realRoot, candidate)) return undefined;
  try {
    if ((await stat(candidate)).isDirectory()) candidate = resolve(candidate, 'index.html');
    const real = await realpath(candidate);
    if (!inside(realRoot, real)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

/** A directory served under a URL prefix (`/vendor/uplot/` → `node_modules/uplot/dist`). */
export interface StaticMount {
  /** Starts and ends with `/`; `/` serves the directory at the root. */
  readonly urlPrefix: string;
  readonly dir: string;
}

/** The mount a URL path falls under (longest prefix wins) and the path inside it. */
export function mountFor(mounts: readonly StaticMount[], pathname: string): { dir: string; path: string } | undefined {
  let best: StaticMount | undefined;
  for (const mount of mounts) {
    if (pathname.startsWith(mount.urlPrefix) && (best === undefined || mount.urlPrefix.length > best.urlPrefix.length)) best = mount;
  }
  return best && { dir: best.dir, path: `/${pathname.slice(best.urlPrefix.length)}` };
}

/** Answers one request from the mounted directories (404 for anything outside them). */
export async function serveStatic(mounts: readonly StaticMount[], req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendText(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
    return;
  }
  const pathname = (req.url ?? '/').split('?', 1)[0] ?? '/';
  const target = mountFor(mounts, pathname);
  const file = target === undefined ? undefined : await resolveStaticFile(target.dir, target.path);
  if (file === undefined) {
    sendText(res, 404, 'not found\n');
    return;
  }
  const info = await stat(file);
  res.writeHead(200, {
    'Content-Type': contentTypeFor(file),
    'Content-Length': String(info.size),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}
