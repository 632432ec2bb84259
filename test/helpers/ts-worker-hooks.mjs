/**
 * Module hooks that let Node load this repository's TypeScript sources directly: a relative
 * `./x.js` import whose file does not exist resolves to `./x.ts` (the TypeScript ESM convention),
 * and `.ts` files are stripped of their types by oxc (rolldown's transform, which vitest already
 * ships). Registered in vitest's forks by `ts-worker-register.mjs` so that worker threads started
 * by the code under test (recorder, simulator, calibration) run the sources, not a build in dist/.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'rolldown/utils';

export async function resolve(specifier, context, nextResolve) {
  if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('file:'))) {
    const url = new URL(specifier, context.parentURL);
    if (url.protocol === 'file:' && !existsSync(fileURLToPath(url))) {
      const ts = new URL(url.href.replace(/\.js$/, '.ts'));
      if (existsSync(fileURLToPath(ts))) return { url: ts.href, format: 'module', shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('.ts') && !url.includes('/node_modules/')) {
    const path = fileURLToPath(url);
    const result = transformSync(path, await readFile(path, 'utf8'), { sourcemap: true });
    if (result.errors.length > 0) throw new Error(`${path}: ${result.errors.map((e) => e.message).join('; ')}`);
    const map = result.map ? `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(result.map)).toString('base64')}\n` : '';
    return { format: 'module', source: result.code + map, shortCircuit: true };
  }
  return nextLoad(url, context);
}
