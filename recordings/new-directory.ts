/**
 * The check every recording destination gets before anything is written: a directory that does
 * not exist yet or is empty. Recordings are never overwritten; an existing file in the way is one
 * clear error, not a system error from deep inside.
 */
import { readdirSync, statSync } from 'node:fs';
import { InvalidOptionError } from '../core/index.js';

const EXPECTED = 'a new or empty directory (recordings are never overwritten)';

export function checkNewDirectory(dir: string, option: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return;
    throw new InvalidOptionError(`${option} ${dir}`, EXPECTED, (error as Error).message);
  }
  if (!isDirectory) throw new InvalidOptionError(`${option} ${dir}`, EXPECTED, 'an existing file');
  if (readdirSync(dir).length > 0) throw new InvalidOptionError(`${option} ${dir}`, EXPECTED, 'a directory with files in it');
}
