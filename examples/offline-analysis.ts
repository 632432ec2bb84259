/**
 * Offline analysis of a recording: EEG motor imagery (an EDF+ file, or a recording directory)
 * band-passed to 8–30 Hz, mu and beta band power per channel, averaged per cue
 * (the recording's annotations: T0 rest, T1 left fist, T2 right fist), and exported to BDF+.
 *
 *   node offline-analysis.js FILE.edf|RECORDING-DIR [out.bdf]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import type { SampleBlock } from 'neurostream';
import { bandPower, bandpass } from 'neurostream/acquisition';
import { type ImportedRecording, type Recording, isRecordingDir, openRecording, readEdf, writeEdf } from 'neurostream/recordings';

const input = process.argv[2];
if (!input) {
  console.error('usage: offline-analysis FILE.edf|RECORDING-DIR [out.bdf]');
  process.exit(2);
}
const out = process.argv[3] ?? join(mkdtempSync(join(tmpdir(), 'neurostream-example-')), 'analysis.bdf');

const source: ImportedRecording | Recording = isRecordingDir(input) ? openRecording(input) : readEdf(input);
const blocks: Iterable<SampleBlock> = 'manifest' in source ? source.blocks() : source.streams[0]!.blocks();

const frames = await lastValueFrom(
  from(blocks).pipe(
    bandpass({ lowHz: 8, highHz: 30, order: 4 }),
    bandPower({ bands: [{ name: 'mu', loHz: 8, hiHz: 13 }, { name: 'beta', loHz: 13, hiHz: 30 }], windowS: 1, stepS: 0.5 }),
    toArray(),
  ),
);

// The cue in force at each frame's window: the latest annotation before it.
const markers = ('manifest' in source ? source.markers() : source.markers).filter((m) => m.type === 'annotation');
const sums = new Map<string, { n: number; mu: number }>();
for (const frame of frames) {
  const cue = markers.filter((m) => m.sample <= frame.t0).at(-1)?.value;
  if (typeof cue !== 'string') continue;
  const mu = frame.names.reduce((s, name, i) => (name.startsWith('mu:') ? s + frame.values[i]! : s), 0);
  const entry = sums.get(cue) ?? { n: 0, mu: 0 };
  entry.n++;
  entry.mu += mu;
  sums.set(cue, entry);
}
for (const [cue, { n, mu }] of [...sums].sort()) console.log(`${cue}: ${n} windows, mean mu power ${(mu / n).toFixed(1)} µV² (sum over channels)`);

const written = writeEdf(out, source, { format: 'bdf' });
console.log(`${frames.length} band-power frames; wrote ${out}: ${written.records} records, ${written.annotations} annotations`);
