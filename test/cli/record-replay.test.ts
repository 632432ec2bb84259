import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArrowStreamFileReader } from '../../recordings/arrow/arrow-stream-file-reader.js';
import { openRecording, type Recording } from '../../recordings/recording-reader.js';
import { readManifest } from '../../recordings/session-manifest.js';
import { runCli } from '../helpers/cli.js';
import { smallDisk } from '../helpers/small-disk.js';

const RATE = 30_000;

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-record-'));
}

function samplesIn(dir: string): number {
  let n = 0;
  for (const block of openRecording(dir).blocks({ markers: false })) n += block.length;
  return n;
}

/** The last `blocks N` figure of the status lines (1 ms blocks: N ms of samples produced). */
function lastBlocks(stdout: string): number {
  const all = [...stdout.matchAll(/blocks (\d+)/g)];
  return Number(all.at(-1)?.[1] ?? 0);
}

/** Asserts that two recordings hold the same samples, every value bit for bit, at the same indices. */
/**
 * Every sample of `b` equals `a`'s, bit for bit, channel by channel, whatever the files' batch
 * boundaries (the recorder cuts batches by time, so two recordings of one stream may batch it
 * differently).
 */
function expectSameSignals(a: Recording, b: Recording): void {
  const left = a.blocks({ markers: false })[Symbol.iterator]();
  const right = b.blocks({ markers: false })[Symbol.iterator]();
  let x = left.next();
  let y = right.next();
  let xi = 0; // samples of x's block already compared
  let yi = 0;
  let samples = 0;
  while (!x.done && !y.done) {
    const bx = x.value;
    const by = y.value;
    expect(by.first + yi, 'the same sample index').toBe(bx.first + xi);
    const n = Math.min(bx.length - xi, by.length - yi);
    const channels = bx.info.channelNames.length;
    for (let c = 0; c < channels; c++) {
      const u = bx.data.subarray(c * bx.length + xi, c * bx.length + xi + n);
      const v = by.data.subarray(c * by.length + yi, c * by.length + yi + n);
      const same = Buffer.from(u.buffer, u.byteOffset, u.byteLength).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
      if (!same) expect(same, `channel ${c}, samples ${bx.first + xi}…${bx.first + xi + n} differ`).toBe(true);
    }
    samples += n;
    xi += n;
    yi += n;
    if (xi === bx.length) {
      x = left.next();
      xi = 0;
    }
    if (yi === by.length) {
      y = right.next();
      yi = 0;
    }
  }
  expect([x.done, y.done], 'both end together').toEqual([true, true]);
  expect(samples).toBe(a.manifest.streams[0]!.samples);
}

describe('neurostream run --record / replay', () => {
  it('records a live session and replays it into features and intents identical bit for bit', async () => {
    const root = tempDir();
    const live = join(root, 'live');
    // 6 s: spike thresholds settle (1 s), the Kalman filter calibrates on the next 2 s, then decodes live.
    const r = await runCli(['run', '--channels', '32', '--duration', '6', '--calibrate-s', '2', '--record', live], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/recorded 180000 samples\/ch, [\d.]+ MB to /);
    expect(r.stdout).toMatch(/decoder kalman \(js\): R² /);
    const manifest = readManifest(live);
    expect(manifest.status).toBe('complete');
    expect(manifest.pipeline).toEqual({ dsp: true, mainsHz: 60, decoder: 'kalman', calibrateS: 2 });
    expect(manifest.decoder).toMatchObject({ name: 'kalman', provider: 'js', features: 64 });
    expect(samplesIn(live)).toBe(6 * RATE);
    const liveRecording = openRecording(live);
    const liveFeatures = liveRecording.features();
    expect(liveFeatures.length).toBe(300); // 20 ms bins over 6 s
    const liveIntents = liveRecording.intents();
    expect(liveIntents.length).toBe(150); // every bin after the 3 s of settling and calibration
    expect(liveIntents[0]!.bin).toBe(150);
    expect(liveIntents[0]!.values.length).toBe(4); // pos_x, pos_y, vel_x, vel_y
    expect(liveRecording.markers().some((m) => m.type === 'kinematics')).toBe(true);
    // Online validation: the running R² against the task's truth, once a second of decoding.
    const validation = liveRecording.markers().filter((m) => m.type === 'decoder-r2');
    expect(validation.map((m) => m.sample)).toEqual([200, 250, 300].map((bin) => bin * 600 - 1)); // the last sample of bins 199, 249, 299
    // Recomputed here from the recording alone: each marker is 1 − ΣSS_res/ΣSS_tot over vel_x and
    // vel_y of every intent so far (all within the 500-bin window), against the latest kinematics
    // marker before the end of the intent's bin.
    const kinematics = liveRecording.markers().filter((m) => m.type === 'kinematics');
    const binEnd = new Map(liveFeatures.map((f) => [f.bin, f.t0 + 600]));
    const truthOf = (bin: number): number[] => kinematics.filter((m) => m.sample < binEnd.get(bin)!).at(-1)!.value as number[];
    const pooledR2 = (upToBin: number): number => {
      const scored = liveIntents.filter((i) => i.bin <= upToBin);
      let residual = 0;
      let total = 0;
      for (const d of [2, 3]) {
        const truth = scored.map((i) => truthOf(i.bin)[d]!);
        const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
        scored.forEach((i, k) => {
          residual += (truth[k]! - i.values[d]!) ** 2;
          total += (truth[k]! - mean) ** 2;
        });
      }
      return 1 - residual / total;
    };
    for (const m of validation) expect(m.value as number).toBeCloseTo(pooledR2((m.sample + 1) / 600 - 1), 6);

    const replayed = join(root, 'replayed');
    const p = await runCli(['replay', live, '--speed', 'max', '--record', replayed], { timeoutMs: 60_000 });
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(p.stdout).toMatch(/stopped \(end of recording\)/);
    const again = openRecording(replayed);
    const features = again.features();
    expect(features.length).toBe(liveFeatures.length);
    features.forEach((frame, i) => {
      const original = liveFeatures[i]!;
      expect([frame.bin, frame.t0]).toEqual([original.bin, original.t0]);
      expect(Buffer.from(frame.values.buffer).equals(Buffer.from(original.values.buffer))).toBe(true);
    });
    const intents = again.intents();
    expect(intents.map((i) => i.bin)).toEqual(liveIntents.map((i) => i.bin));
    intents.forEach((intent, i) => expect(Buffer.from(intent.values.buffer).equals(Buffer.from(liveIntents[i]!.values.buffer))).toBe(true));
    expect(again.markers()).toEqual(liveRecording.markers());
    expect(samplesIn(replayed)).toBe(6 * RATE);
  }, 120_000);

  it('re-records every sample of a 256-channel session bit for bit, at max speed and paced: the replay waits for the disk', async () => {
    // 10 s of 256 ch × 30 kHz (310 MB): more than the recorder may queue, so a replay that does
    // not wait for the recorder's disk outruns it.
    const root = tempDir();
    try {
      const source = join(root, 'source');
      const made = await runCli(['run', '--channels', '256', '--fast', '--duration', '10', '--no-dsp', '--no-dashboard', '--status-interval', '60', '--record', source], { timeoutMs: 120_000 });
      expect(made.code, made.stderr).toBe(0);
      const original = openRecording(source);
      expect(original.manifest.streams[0]!.samples).toBe(10 * RATE);
      for (const speed of ['max', '10']) {
        const again = join(root, `again-${speed}`);
        const r = await runCli(['replay', source, '--speed', speed, '--no-dashboard', '--status-interval', '60', '--record', again], { timeoutMs: 120_000 });
        expect(r.stderr).toBe(''); // no "recording cannot keep up"
        expect(r.code).toBe(0);
        expect(r.stdout).toContain(`recorded ${10 * RATE} samples/ch`);
        const copy = openRecording(again);
        expect(copy.manifest.status).toBe('complete');
        expect(copy.manifest.streams[0]!.gaps).toEqual([]);
        expect(copy.manifest.notes).toEqual([]);
        expectSameSignals(original, copy);
        rmSync(again, { recursive: true });
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);

  it('paces a replay at the requested speed', async () => {
    const root = tempDir();
    const live = join(root, 'eeg');
    expect((await runCli(['run', '--device', 'eeg', '--fast', '--duration', '4', '--record', live])).code).toBe(0);
    const started = performance.now();
    const r = await runCli(['replay', live, '--speed', '4', '--no-dsp']);
    const seconds = (performance.now() - started) / 1000;
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/stopped \(end of recording\) after (0\.9|1\.0)\d s: 1000 samples\/ch/);
    expect(seconds).toBeGreaterThan(0.95);
  }, 60_000);

  it('leaves a session killed outright readable up to its last flush (≤ 1 s)', async () => {
    const dir = join(tempDir(), 'killed');
    let producedMs = 0;
    const r = await runCli(['run', '--channels', '64', '--status-interval', '0.1', '--record', dir], {
      timeoutMs: 60_000,
      onStdout: (text, child) => {
        producedMs = lastBlocks(text);
        if (producedMs >= 3000 && !child.killed) child.kill('SIGKILL');
      },
    });
    expect(r.signal).toBe('SIGKILL');
    const recording = openRecording(dir);
    expect(recording.manifest.status).toBe('recording');
    const samples = samplesIn(dir);
    // Everything up to the last flush is there: at most ~1 s (plus one status interval) lost.
    expect(samples).toBeGreaterThanOrEqual((producedMs - 1000 - 300) * (RATE / 1000));
    expect(samples).toBeLessThanOrEqual((producedMs + 300) * (RATE / 1000));
    expect(recording.features().length).toBeGreaterThan(0);
    expect(recording.notes.join('\n')).toMatch(/still recording/);
  }, 60_000);

  it('finalises every file on SIGINT', async () => {
    const dir = join(tempDir(), 'interrupted');
    const r = await runCli(['run', '--channels', '16', '--status-interval', '0.1', '--record', dir], {
      timeoutMs: 60_000,
      onStdout: (text, child) => {
        if (lastBlocks(text) >= 1000 && !child.killed) child.kill('SIGINT');
      },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/recorded \d+ samples\/ch/);
    const manifest = readManifest(dir);
    expect(manifest.status).toBe('complete');
    const signals = readFileSync(join(dir, 'signals.arrows'));
    expect([...signals.subarray(signals.length - 8)]).toEqual([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]); // end-of-stream marker
    expect(samplesIn(dir)).toBe(manifest.streams[0]!.samples);
  }, 60_000);

  it('keeps acquiring when the disk refuses, says so loudly, exits non-zero and keeps what it wrote', async () => {
    const dir = join(tempDir(), 'full');
    // A 10 MB file-size limit stands in for a full disk: writes beyond it fail with EFBIG.
    const r = await runCli(['run', '--channels', '64', '--duration', '3', '--record', dir], {
      shellPrefix: "trap '' XFSZ; ulimit -f 10000;",
      timeoutMs: 60_000,
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/stopped \(duration reached\) after (2\.9|3\.0)\d s: 90000 samples\/ch/); // acquisition went on
    expect(r.stderr).toMatch(/WARNING: recording failed writing .*signals\.arrows.*EFBIG/);
    expect(r.stderr).toMatch(/RECORDING INCOMPLETE in .*full/);
    const manifest = readManifest(dir);
    expect(manifest.status).toBe('failed');
    expect(manifest.error).toMatch(/EFBIG/);
    const signals = readFileSync(join(dir, 'signals.arrows'));
    expect(signals.length).toBeLessThanOrEqual(10000 * 1024);
    // Cut back to the last complete batch and ended right there: no hole, no partial batch.
    expect([...signals.subarray(signals.length - 8)]).toEqual([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    const reader = new ArrowStreamFileReader(join(dir, 'signals.arrows'));
    while (reader.nextBatch()) {
      // to the end
    }
    expect([reader.offset, reader.truncatedBytes]).toEqual([signals.length, 0]); // read through the end-of-stream marker
    reader.close();
    const samples = samplesIn(dir);
    expect(samples).toBeGreaterThan(0);
    expect(samples % 15_000).toBe(0); // whole 500 ms batches, nothing half-written
  }, 60_000);

  it('counts in the manifest and the summary only what the full disk holds (a real small tmpfs)', async () => {
    // 64 ch × 30 kHz of int16 counts is 4.1 MB/s: an 8 MB disk fills in the second second (a
    // partly written batch is cut); a 1 MB disk cannot take the first 500 ms batch (2 MB) at all.
    for (const [sizeBytes, expectSome] of [[8_000_000, true], [1_000_000, false]] as const) {
      const disk = smallDisk(sizeBytes);
      try {
        const dir = join(disk.dir, 'rec');
        const r = await runCli(['run', '--channels', '64', '--duration', '3', '--no-dashboard', '--record', dir], { shellPrefix: disk.shellPrefix, timeoutMs: 60_000 });
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(/RECORDING INCOMPLETE in .*rec: recording failed/);
        const rows = samplesIn(dir);
        let end = 0;
        for (const block of openRecording(dir).blocks({ markers: false })) end = block.first + block.length;
        if (expectSome) expect(rows).toBeGreaterThan(0);
        else expect(rows).toBe(0);
        expect(rows).toBeLessThan(90_000);
        const manifest = readManifest(dir);
        expect(manifest.status).toBe('failed');
        expect([manifest.streams[0]!.samples, manifest.streams[0]!.endSample]).toEqual([rows, end]);
        expect(r.stderr).toContain(`kept ${rows} samples/ch`);
      } finally {
        disk.release();
      }
    }
  }, 120_000);

  it('writes batches of 500 ms however slowly the session flushes (only the last may be shorter)', async () => {
    const dir = join(tempDir(), 'batches');
    expect((await runCli(['run', '--channels', '4', '--duration', '3.3', '--record', dir])).code).toBe(0);
    const reader = new ArrowStreamFileReader(join(dir, 'signals.arrows'));
    const lengths: number[] = [];
    for (let b = reader.nextBatch(); b; b = reader.nextBatch()) lengths.push(b.length);
    reader.close();
    expect(lengths.slice(0, -1).every((n) => n === 15_000)).toBe(true);
    expect(lengths.reduce((a, b) => a + b, 0)).toBe(99_000);
  });

  it('refuses to record over an existing recording before starting the device', async () => {
    const dir = join(tempDir(), 'existing');
    expect((await runCli(['run', '--device', 'eeg', '--fast', '--duration', '1', '--record', dir])).code).toBe(0);
    const before = readFileSync(join(dir, 'signals.arrows'));
    const r = await runCli(['run', '--device', 'eeg', '--fast', '--duration', '1', '--record', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--record .*existing: expected a new or empty directory/);
    expect(readFileSync(join(dir, 'signals.arrows')).equals(before)).toBe(true);
    const file = join(dir, 'signals.arrows');
    const onFile = await runCli(['run', '--device', 'eeg', '--fast', '--duration', '1', '--record', file]);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toMatch(/--record .*signals\.arrows: expected a new or empty directory \(recordings are never overwritten\), got "an existing file"/);
  });

  it('refuses a --record directory it cannot create or write, before the device starts (exit 2, one line)', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'a-file'), 'not a directory');
    // Places that refuse even root: procfs (a recursive mkdir there retries forever), sysfs, a parent that is a file.
    for (const [dir, reason] of [
      ['/proc/neurostream-test/rec', /ENOENT/],
      ['/sys/neurostream-test/rec', /EPERM/],
      [join(root, 'a-file', 'rec'), /ENOTDIR/],
    ] as const) {
      const r = await runCli(['run', '--device', 'eeg', '--fast', '--duration', '1', '--no-dashboard', '--record', dir], { timeoutMs: 30_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^neurostream: --record \S+: expected a (directory this process can create and write into|new or empty directory \(recordings are never overwritten\)), got /);
      expect(r.stderr).toContain(`--record ${dir}: `);
      expect(r.stderr).toMatch(reason);
      expect(r.stdout).not.toMatch(/stopped/); // no session ran
    }
    // Where it can: the parents are made, and no probe is left in the recording.
    const nested = join(root, 'new', 'parents', 'rec');
    const ok = await runCli(['run', '--device', 'eeg', '--fast', '--duration', '1', '--no-dashboard', '--record', nested], { timeoutMs: 30_000 });
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(nested).sort()).toEqual(['markers.arrows', 'session.json', 'signals.arrows']);
  }, 120_000);

  it('ends at a second SIGTERM even while the recording cannot be finalised (its writer stuck in a system call), saying what was left', async () => {
    const dir = join(tempDir(), 'stuck');
    let stage = 0;
    let secondAt = 0;
    // A FIFO where the writer puts the next manifest: opening it blocks the recorder's worker (no reader, ever).
    const r = await runCli(['run', '--channels', '16', '--no-dashboard', '--status-interval', '0.1', '--record', dir], {
      timeoutMs: 30_000,
      onStdout: (text, child) => {
        if (stage === 0 && lastBlocks(text) >= 1000) {
          stage = 1;
          execFileSync('mkfifo', [join(dir, 'session.json.tmp')]);
          setTimeout(() => child.kill('SIGTERM'), 2000); // the next flush is stuck by then
        } else if (stage === 1 && /stopped \(SIGTERM\)/.test(text)) {
          stage = 2;
          setTimeout(() => {
            secondAt = performance.now();
            child.kill('SIGTERM');
          }, 1000);
        }
      },
    });
    expect(stage).toBe(2);
    expect(secondAt).toBeGreaterThan(0);
    expect(r.signal).toBe('SIGTERM'); // ended by the second signal itself, not killed by the test's timeout
    expect(r.stderr).toMatch(/SIGTERM again: exiting now; the recording in \S*stuck was not finalised \(readable up to its last flush/);
    // What was flushed before the writer got stuck is readable.
    expect(samplesIn(dir)).toBeGreaterThan(0);
  }, 60_000);

  it('says what is wrong with a directory that is not a recording', async () => {
    const r = await runCli(['replay', tempDir()]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/session\.json: expected a neurostream recording manifest \(JSON\), got "no such file/);
    const bad = await runCli(['replay', tempDir(), '--speed', 'fast']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--speed: expected a positive multiple of real time/);
  });
});
