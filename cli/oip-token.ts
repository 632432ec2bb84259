/**
 * The token `run --oip` sends to a model server that requires one (`neurostream serve` beyond
 * loopback): named by `--oip-token-env NAME` (an environment variable holding it) or given in a
 * session file's URL (`url: http://:TOKEN@host:8000`, or `decoder.tokenEnv`). Never the token
 * itself on the command line, where `ps` shows it to every user of the machine: `--oip-token`
 * and credentials in a typed `--oip` URL are refused.
 */
import { Option } from 'commander';
import { InvalidOptionError } from '../core/index.js';

/** Refuses an `--oip` URL typed with credentials in it (they would be the token, visible in `ps`). */
export function refuseTypedUrlCredentials(url: string | undefined): void {
  if (url === undefined) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return; // the decoder says what is wrong with it
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new InvalidOptionError('--oip', 'a URL without credentials on the command line (ps shows it to every user): put the token in an environment variable and name it with --oip-token-env NAME, or use a session file', `${parsed.protocol}//…@${parsed.host}`);
  }
}

/** `--oip-token`: hidden, and refused with the way to do it instead (the token is never echoed). */
export function oipTokenOption(): Option {
  return new Option('--oip-token <token>').hideHelp().argParser(() => {
    throw new InvalidOptionError('--oip-token', 'the token in an environment variable named by --oip-token-env NAME (a token on the command line is shown by ps to every user)', 'a token on the command line');
  });
}
