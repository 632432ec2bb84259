/**
 * A scripted session: a simulated Utah array → band-pass → common average → spike features →
 * a Kalman decoder calibrated on the first half → intents for the second half, with the raw
 * blocks recorded and the dashboard serving the session while it runs.
 *
 *   node scripted-session.js [recording-dir] [seconds]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectable, filter, from, lastValueFrom, map, share, skip, take, tap, toArray } from 'rxjs';
import { bandpass, commonAverage, spikeFeatures } from 'neurostream/acquisition';
import { startDashboard } from 'neurostream/dashboard';
import { KINEMATICS_NAMES, KinematicsTruth, calibrate, decode } from 'neurostream/decoding';
import { simulate } from 'neurostream/devices';
import { openRecording, record } from 'neurostream/recordings';

const dir = process.argv[2] ?? join(mkdtempSync(join(tmpdir(), 'neurostream-example-')), 'session');
const seconds = Number(process.argv[3] ?? 6);
const RATE_HZ = 10_000;
const BIN_MS = 20;
const halfBins = Math.round((seconds * 1000) / BIN_MS / 2);

// The device, recorded as it streams. Connectable: every consumer subscribes before it starts.
const blocks$ = connectable(simulate({ kind: 'intracortical', channels: 16, rateHz: RATE_HZ, seed: 7, durationS: seconds, fast: true }).pipe(record(dir)));

// The task's truth (the simulated cursor's kinematics markers ride on the blocks).
const truth = new KinematicsTruth();
const features$ = blocks$.pipe(
  tap((block) => truth.observe(block.markers)),
  bandpass({ lowHz: 300, highHz: 3000, order: 4 }),
  commonAverage(),
  spikeFeatures({ binMs: BIN_MS }),
  share(),
);

// spikeFeatures gives [tc:<ch>…, sbp:<ch>…]: the first 16 values are spike counts, the rate heatmap.
const dashboard = await startDashboard({ port: 0, label: 'scripted session', blocks: blocks$, features: features$, binMs: BIN_MS, rateChannels: 16 });
console.log(`dashboard: ${dashboard.viewerUrl}`);

// First half: frames with the kinematics at the end of their bin. Second half: kept to decode.
const binSamples = (BIN_MS / 1000) * RATE_HZ;
const training = lastValueFrom(
  features$.pipe(
    take(halfBins),
    map((frame) => ({ frame, target: truth.before(frame.t0 + binSamples) })),
    filter((row): row is { frame: typeof row.frame; target: readonly number[] } => row.target !== undefined),
    toArray(),
  ),
);
const held = lastValueFrom(features$.pipe(skip(halfBins), toArray()));
blocks$.connect();

const rows = await training;
const decoder = await calibrate({
  decoder: 'kalman',
  features: rows.map((r) => r.frame),
  targets: rows.map((r) => r.target),
  targetNames: KINEMATICS_NAMES,
});
const intents = await lastValueFrom(from(await held).pipe(decode(decoder), toArray()));
await dashboard.close();

const recording = openRecording(dir);
console.log(`calibrated ${decoder.name} on ${rows.length} bins; decoded ${intents.length} bins (${intents[0]?.values.length ?? 0} values each)`);
console.log(`recorded ${recording.manifest.streams[0]!.endSample} samples × ${recording.info.channelNames.length} channels in ${dir} (${recording.manifest.status})`);
