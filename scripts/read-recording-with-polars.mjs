#!/usr/bin/env node
/**
 * Reads every Arrow file of a recording directory with Polars (a Rust implementation of Arrow,
 * independent of the Arrow JS that wrote them) and prints shapes, column types and the first rows:
 * a check that the format is readable without neurostream.
 *
 *   npm install --no-save nodejs-polars@0.26.1 nodejs-polars-linux-x64-gnu@0.26.1
 *   node scripts/read-recording-with-polars.mjs DIR
 *
 * (Not a dependency: nodejs-polars 0.26.1 lists platform packages that were never published, which
 * breaks `npm ci`.) Polars needs whole messages: for a session killed mid-write, first copy its
 * complete batches with `neurostream convert DIR REPAIRED`.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node scripts/read-recording-with-polars.mjs DIR\n');
  process.exit(2);
}
const pl = createRequire(import.meta.url)('nodejs-polars');
for (const file of readdirSync(dir).filter((f) => f.endsWith('.arrows')).sort()) {
  const frame = pl.readIPCStream(readFileSync(join(dir, file)));
  process.stdout.write(`${file}: ${frame.height} rows × ${frame.width} columns; ${frame.columns.slice(0, 4).map((c, i) => `${c}: ${frame.dtypes[i]}`).join(', ')}${frame.width > 4 ? ', …' : ''}\n`);
  process.stdout.write(`${frame.select(...frame.columns.slice(0, Math.min(4, frame.width))).head(3).toString()}\n`);
}
