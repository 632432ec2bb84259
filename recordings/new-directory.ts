/**
 * The checks every recording destination gets before anything is written: a directory that does
 * not exist yet or is empty, and — before a session starts — one this process can really create
 * and write into. Recordings are never overwritten; an existing file in the way, or a place that
 * refuses to be written, is one clear error, not a system error from deep inside (nor a session
 * that runs unrecorded).
 *
 * Directories are made one level at a time (`makeDirectory`), never with a recursive mkdir:
 * Node's recursive mkdir retries forever where a parent exists but refuses a child (`/proc/…`).
 */
import { mkdirSync, readdirSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InvalidOptionError } from '../core/index.js';

const EXPECTED = 'a new or empty directory (recordings are never overwritten)';

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function checkNewDirectory(dir: string, option: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw new InvalidOptionError(`${option} ${dir}`, EXPECTED, (error as Error).message);
  }
  if (!isDirectory) throw new InvalidOptionError(`${option} ${dir}`, EXPECTED, 'an existing file');
  if (readdirSync(dir).length > 0) throw new InvalidOptionError(`${option} ${dir}`, EXPECTED, 'a directory with files in it');
}

/**
 * Creates `dir` and its missing parents, one `mkdir` per level: at most one attempt per path
 * component, so a file system that refuses (a read-only mount, `/proc`, a parent that is a file)
 * fails at once with the system's error. Returns the directories it created, outermost first.
 */
export function makeDirectory(dir: string): string[] {
  const missing: string[] = [];
  for (let at = resolve(dir); ; ) {
    try {
      statSync(at);
      break; // exists (a file in the way makes the mkdir below fail with ENOTDIR or EEXIST)
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    missing.push(at);
    const parent = dirname(at);
    if (parent === at) break; // the root
    at = parent;
  }
  const created: string[] = [];
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
      created.push(path);
    } catch (error) {
      // Made meanwhile by someone else: fine if it is a directory.
      if (!(errorCode(error) === 'EEXIST' && statSync(path).isDirectory())) throw error;
    }
  }
  return created;
}

/**
 * `checkNewDirectory`, then proves the directory can be made and written: creates it (and its
 * parents), writes and removes a probe file, and removes again what it created — so a session is
 * refused before it starts rather than running unrecorded. Throws an InvalidOptionError (exit 2).
 */
export function checkRecordingDestination(dir: string, option: string): void {
  checkNewDirectory(dir, option);
  let created: string[] = [];
  const probe = join(dir, `.neurostream-write-check-${process.pid}`);
  try {
    created = makeDirectory(dir);
    writeFileSync(probe, 'neurostream write check\n', { flag: 'wx' });
    rmSync(probe);
  } catch (error) {
    try {
      rmSync(probe, { force: true });
    } catch {
      // it was never written
    }
    throw new InvalidOptionError(`${option} ${dir}`, 'a directory this process can create and write into', (error as Error).message);
  } finally {
    for (const path of created.reverse()) {
      try {
        rmdirSync(path);
      } catch {
        // left behind empty: a later recording may still use it
      }
    }
  }
}
