/**
 * The layering of DESIGN.md, checked on the imports of every source file: nothing outside cli/
 * imports cli/; dashboard/ never imports a device; core/ imports no other folder; session/ knows
 * no command line; and cli/ reaches the library's folders only through their public entry points
 * (index.ts, the package's `exports`): the CLI is built on the public API and nothing else.
 * bench/ (the benchmarks, not part of the package's API) may import any internals, and cli/'s
 * `bench` command and decoder report may import bench/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FOLDERS = ['core', 'devices', 'acquisition', 'decoding', 'recordings', 'dashboard', 'session', 'cli'] as const;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : [];
  });
}

/** Every relative import in a file's text, as a path from the repository root ('session/index.ts'). */
function importsIn(file: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => relative(ROOT, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
}

const folderOf = (path: string): string => path.split('/')[0]!;
const importsOf = (file: string): string[] => importsIn(file, readFileSync(file, 'utf8'));

/** The library's folders: the package's entry points are their index.ts. */
const LIBRARY = new Set<string>(FOLDERS.filter((f) => f !== 'cli'));

/** The imports of a cli/ file that reach into a library folder past its index.ts. */
function cliInternalImports(file: string, imports: readonly string[]): string[] {
  return imports.filter((i) => LIBRARY.has(folderOf(i)) && !/^[a-z]+\/index\.ts$/.test(i)).map((i) => `${file} → ${i}`);
}

const files = FOLDERS.flatMap((folder) => sources(join(ROOT, folder)).map((file) => ({ folder, file: relative(ROOT, file), imports: importsOf(file) })));
describe('layering', () => {
  it('finds the sources it checks', () => {
    expect(files.filter((f) => f.folder === 'session').length).toBeGreaterThan(5);
    expect(files.some((f) => f.imports.includes('session/index.ts'))).toBe(true);
  });

  it('nothing outside cli/ imports cli/', () => {
    expect(files.filter((f) => f.folder !== 'cli').flatMap((f) => f.imports.filter((i) => folderOf(i) === 'cli').map((i) => `${f.file} → ${i}`))).toEqual([]);
  });

  it('dashboard/ never imports devices/', () => {
    expect(files.filter((f) => f.folder === 'dashboard').flatMap((f) => f.imports.filter((i) => folderOf(i) === 'devices').map((i) => `${f.file} → ${i}`))).toEqual([]);
  });

  it('core/ imports no other folder', () => {
    expect(files.filter((f) => f.folder === 'core').flatMap((f) => f.imports.filter((i) => folderOf(i) !== 'core').map((i) => `${f.file} → ${i}`))).toEqual([]);
  });

  it('session/ knows no command line (commander) and no terminal', () => {
    const offending = files.filter((f) => f.folder === 'session' && /from 'commander'|process\.std(out|err)/.test(readFileSync(join(ROOT, f.file), 'utf8')));
    expect(offending.map((f) => f.file)).toEqual([]);
  });

  it('cli/ reaches the other folders only through their index.ts (the public API)', () => {
    const cli = files.filter((f) => f.folder === 'cli');
    expect(cli.length).toBeGreaterThan(20);
    expect(cli.flatMap((f) => cliInternalImports(f.file, f.imports))).toEqual([]);
  });

  it('the check catches an import past an index.ts, static, dynamic or re-exported, and lets public and bench/ imports through', () => {
    const file = join(ROOT, 'cli', 'commands', 'synthetic.ts');
    const text = [
      "import { cytonSource } from '../../devices/drivers/cyton-source.js';",
      "import type { HealthSnapshot } from '../../acquisition/health/stream-health.js';",
      "export { StreamHealth } from '../../acquisition/health/stream-health.js';",
      "const { writeNewFile } = await import('../../recordings/new-output.js');",
      "import { simulate } from '../../devices/index.js';",
      "import { runDspBench } from '../../bench/dsp.js';",
      "import { choiceFlag } from '../parse-flag.js';",
    ].join('\n');
    expect(cliInternalImports('cli/commands/synthetic.ts', importsIn(file, text))).toEqual([
      'cli/commands/synthetic.ts → devices/drivers/cyton-source.ts',
      'cli/commands/synthetic.ts → acquisition/health/stream-health.ts',
      'cli/commands/synthetic.ts → acquisition/health/stream-health.ts',
      'cli/commands/synthetic.ts → recordings/new-output.ts',
    ]);
  });
});
