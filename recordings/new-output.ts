/**
 * The rule every command that writes a file follows (`filter`, `convert` to EDF/BDF,
 * `calibrate`, `bench decoders`): the output is a new path in a directory that exists and can be
 * written; nothing existing is overwritten — an input least of all. Checked before any work is
 * done (one clear error line, exit 2); written with O_EXCL, so a file that appears meanwhile is
 * not clobbered either; a write that fails part-way (disk full) leaves no half-written file.
 * A recording directory made by `run --record` may also be an existing empty one, and is proved
 * writable by a probe file before the session starts (`checkRecordingDestination`, new-directory.ts).
 */
import { accessSync, constants, lstatSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidOptionError } from '../core/index.js';
import { RecordingError } from './recording-error.js';

const NEW_FILE = 'a new file (nothing is overwritten)';

/** System reasons that are the user's path, not a failure of the machine: a usage error (exit 2). */
const USAGE_REASONS = new Set(['EEXIST', 'ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS', 'ENAMETOOLONG', 'ELOOP']);

/**
 * Refuses `path` as an output unless it does not exist yet (not even as a dangling link) and its
 * directory exists and can be written. `option` names the argument in the message (`OUT`, `--out`).
 */
export function checkNewFile(path: string, option: string): void {
  let existing: string | undefined;
  try {
    const stat = lstatSync(path);
    existing = stat.isDirectory() ? 'an existing directory' : stat.isSymbolicLink() ? 'an existing link' : 'an existing file';
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOTDIR') throw new InvalidOptionError(`${option} ${path}`, `${NEW_FILE} in a directory`, `a path through a file (${dirname(path)})`);
    if (code !== 'ENOENT') throw new InvalidOptionError(`${option} ${path}`, NEW_FILE, `${code ?? (error as Error).message}`);
  }
  if (existing) throw new InvalidOptionError(`${option} ${path}`, NEW_FILE, existing);
  checkExistingWritableDirectory(dirname(resolve(path)), `${option} ${path}`);
}

/** Refuses a directory that is missing, not a directory, or not writable by this process. */
export function checkExistingWritableDirectory(dir: string, name: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new InvalidOptionError(name, 'a path in an existing directory', code === 'ENOENT' || code === 'ENOTDIR' ? `no directory ${dir}` : `${dir} (${code ?? (error as Error).message})`);
  }
  if (!isDirectory) throw new InvalidOptionError(name, 'a path in an existing directory', `${dir}, which is a file`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new InvalidOptionError(name, 'a directory this user can write to', `${dir} (no permission, or read-only)`);
  }
}

/**
 * Writes `data` to the new file `path` (O_EXCL: never an existing one). A path problem is a usage
 * error naming `option`; a failure of the machine (disk full, I/O) is a RecordingError, and the
 * part written is removed.
 */
export function writeNewFile(path: string, data: string | Uint8Array, option: string): void {
  try {
    writeFileSync(path, data, { flag: 'wx' });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'EEXIST') removeQuietly(path); // ours: a file cut short by a full disk
    if (code !== undefined && USAGE_REASONS.has(code)) {
      const why = code === 'EEXIST' ? 'an existing file' : code === 'EACCES' || code === 'EPERM' ? 'no permission (EACCES)' : code === 'EROFS' ? 'a read-only file system (EROFS)' : `a path where no file can be made (${code})`;
      throw new InvalidOptionError(`${option} ${path}`, code === 'EEXIST' ? NEW_FILE : `${NEW_FILE} in a directory this user can write to`, why);
    }
    throw RecordingError.from(error, `writing ${path} (nothing of it is kept)`);
  }
}

/** Removes a file this process created (cleanup after a failure); silent when it is gone. */
export function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // nothing to clean up, or nothing we may remove
  }
}

/**
 * Refuses `dir` as a new output directory unless nothing exists there yet and the nearest
 * directory above it that exists can be written (the missing ones are then created).
 */
export function checkNewOutputDirectory(dir: string, option: string): void {
  try {
    const stat = lstatSync(dir);
    throw new InvalidOptionError(`${option} ${dir}`, 'a path that does not exist yet (nothing is overwritten)', stat.isDirectory() ? 'an existing directory' : 'an existing file');
  } catch (error) {
    if (error instanceof InvalidOptionError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'ENOTDIR') throw new InvalidOptionError(`${option} ${dir}`, 'a new directory', `a path through a file`);
    if (code !== 'ENOENT') throw new InvalidOptionError(`${option} ${dir}`, 'a new directory', code ?? (error as Error).message);
  }
  let parent = dirname(resolve(dir));
  while (!lexists(parent) && dirname(parent) !== parent) parent = dirname(parent);
  checkExistingWritableDirectory(parent, `${option} ${dir}`);
}

function lexists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
