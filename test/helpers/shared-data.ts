/**
 * Where the project's shared real recordings are: `../shared/data` beside the project root (as
 * in development and CI), or beside the repository a fresh clone was made from (a newcomer's
 * clone in a temporary folder), or wherever NEUROSTREAM_SHARED_DATA points. The data are
 * referenced, never copied into the project.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function candidates(): string[] {
  const list: string[] = [];
  if (process.env.NEUROSTREAM_SHARED_DATA) list.push(process.env.NEUROSTREAM_SHARED_DATA);
  list.push(join(root, '..', 'shared', 'data'));
  try {
    const origin = execFileSync('git', ['-C', root, 'remote', 'get-url', 'origin'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (origin.startsWith('/')) list.push(join(origin, '..', 'shared', 'data'));
  } catch {
    // not a clone of a local repository
  }
  return list;
}

/** URL of a file or folder under shared/data (with a trailing slash for folders). */
export function sharedData(path: string): URL {
  const base = candidates().find((dir) => existsSync(dir));
  if (!base) {
    throw new Error(`the shared recordings were not found (looked in ${candidates().join(', ')}); set NEUROSTREAM_SHARED_DATA to the shared/data folder`);
  }
  return pathToFileURL(join(base, path) + (path.endsWith('/') ? '/' : ''));
}
