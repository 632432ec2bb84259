#!/usr/bin/env node
/**
 * Reads every Arrow file of a recording directory with Polars (a Rust implementation of Arrow,
 * independent of the Arrow JS that wrote them) and prints shapes, column types and the first rows:
 * a check that the format is readable without neurostream. Integer signal columns (format
 * version 2) are counts: their first values are also printed in the channel's unit, count × the
 * scale (`adcScale` of the stream in session.json, the same number as the field's `scale`).
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
const manifest = JSON.parse(readFileSync(join(dir, 'session.json'), 'utf8'));
for (const file of readdirSync(dir).filter((f) => f.endsWith('.arrows')).sort()) {
  const frame = pl.readIPCStream(readFileSync(join(dir, file)));
  process.stdout.write(`${file}: ${frame.height} rows × ${frame.width} columns; ${frame.columns.slice(0, 4).map((c, i) => `${c}: ${frame.dtypes[i]}`).join(', ')}${frame.width > 4 ? ', …' : ''}\n`);
  process.stdout.write(`${frame.select(...frame.columns.slice(0, Math.min(4, frame.width))).head(3).toString()}\n`);
  const stream = manifest.streams.find((s) => s.file === file);
  if (!stream) continue;
  const integer = stream.info.channelNames.map((name, c) => [name, c]).filter(([name]) => String(frame.getColumn(name).dtype).includes('Int'));
  for (const [name, c] of integer.slice(0, 4)) {
    const scale = stream.info.adcScale[c];
    const values = frame.getColumn(name).head(3).cast(pl.Float64).toArray().map((k) => Math.fround(k * scale));
    process.stdout.write(`  ${name}: ${frame.getColumn(name).dtype} counts × ${scale} ${stream.info.units[c]} = ${values.join(', ')} …\n`);
  }
}
