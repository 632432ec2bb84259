/**
 * The bearer token a model server requires, read from the environment variable a session names
 * (`--oip-token-env NAME`, a session file's `decoder.tokenEnv`): never the token itself in a
 * description, where `ps` or a shared file would show it.
 */
import { InvalidOptionError } from '../core/index.js';

/** The token in the environment variable `name`; refuses a name that is not set, or empty. */
export function oipTokenFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidOptionError('--oip-token-env', 'the name of an environment variable (letters, digits, _)', name);
  const token = env[name];
  if (token === undefined || token === '') throw new InvalidOptionError('--oip-token-env', `an environment variable that holds the token (${name} is ${token === undefined ? 'not set' : 'empty'})`, name);
  return token;
}

