/**
 * The layering of DESIGN.md, checked on the imports of every source file: nothing outside cli/
 * imports cli/; dashboard/ never imports a device; core/ imports no other folder; session/ knows
 * no command line; and the session commands of cli/ reach the other folders only through their
 * public entry points (index.ts).
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

/** Every relative import of a file, as a path from the repository root ('session/index.ts'). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => relative(ROOT, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
}

const files = FOLDERS.flatMap((folder) => sources(join(ROOT, folder)).map((file) => ({ folder, file: relative(ROOT, file), imports: importsOf(file) })));
const folderOf = (path: string): string => path.split('/')[0]!;

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

  it("cli/'s session commands reach the other folders only through their index.ts", () => {
    const session = ['cli/commands/run.ts', 'cli/commands/replay.ts', 'cli/session-flags.ts', 'cli/dashboard-flags.ts'];
    const offending = files
      .filter((f) => session.includes(f.file))
      .flatMap((f) => f.imports.filter((i) => folderOf(i) !== 'cli' && !/^[a-z]+\/index\.ts$/.test(i)).map((i) => `${f.file} → ${i}`));
    expect(offending).toEqual([]);
  });
});
