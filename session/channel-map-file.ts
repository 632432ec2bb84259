/**
 * `--channel-map FILE`: model channel name → stream channel name, from a JSON object or a
 * two-column CSV (core/channel-names.ts parses it). Used by `run --model`, session files and `evaluate --model`.
 */
import { readFileSync } from 'node:fs';
import { InvalidOptionError, parseChannelMap, type ChannelMap } from '../core/index.js';

/** Reads and parses a channel map file; one error naming the flag and the file when it cannot be read. */
export function readChannelMapFile(path: string, flag = '--channel-map'): ChannelMap {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidOptionError(flag, 'a readable JSON or CSV file of "model name → stream name" pairs', `${path} (${(error as { code?: string }).code ?? (error as Error).message})`);
  }
  return parseChannelMap(text, `${flag} ${path}`);
}
