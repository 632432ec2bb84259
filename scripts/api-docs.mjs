#!/usr/bin/env node
// `npm run docs:api [-- typedoc flags]` — the API reference (docs/api/html/, not committed) from the
// TSDoc of the six entry points (typedoc.json). TypeDoc needs the TypeScript 5/6 compiler API, which
// the TypeScript 7 that builds the project does not ship: it runs from tools/api-docs/, installed
// there (from its lockfile) the first time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tool = join(root, 'tools', 'api-docs');
const typedoc = join(tool, 'node_modules', 'typedoc', 'bin', 'typedoc');
const run = (command, args, cwd) => {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
if (!existsSync(typedoc)) run('npm', ['ci', '--no-audit', '--no-fund', '--silent'], tool);
run(process.execPath, [typedoc, ...process.argv.slice(2)], root);
