/**
 * Where the dashboard page's files are, as server mounts: the page (HTML, CSS and its compiled
 * modules) at `/`, the modules it imports under `/dashboard/` and `/core/`, and uPlot from the
 * installed `uplot` package under `/vendor/uplot/` — all local, so the page works offline.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../core/errors.js';
import type { StaticMount } from './static-files.js';

export function dashboardPageMounts(): StaticMount[] {
  // This module is dist/dashboard/server/page-mounts.js: dist is two levels up.
  const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const page = join(dist, 'dashboard', 'page');
  if (!existsSync(join(page, 'index.html'))) {
    throw new UsageError(`dashboard: the page is not built: ${join(page, 'index.html')} is missing (run npm run build)`);
  }
  const uplot = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
  return [
    { urlPrefix: '/', dir: page },
    { urlPrefix: '/dashboard/', dir: join(dist, 'dashboard') },
    { urlPrefix: '/core/', dir: join(dist, 'core') },
    { urlPrefix: '/vendor/uplot/', dir: uplot },
  ];
}
