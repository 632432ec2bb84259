/**
 * `record(dir)` is a pass-through that finalises its recording on complete (before passing the
 * completion on), on error (kept, then the error passed on) and on unsubscribe.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat, firstValueFrom, lastValueFrom, take, throwError, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { simulate } from '../../devices/index.js';
import { openRecording, record, type RecorderStatus } from '../../recordings/index.js';

const eeg = () => simulate({ kind: 'eeg', channels: 8, seed: 5, durationS: 2, blockMs: 100, fast: true });
const fresh = () => join(mkdtempSync(join(tmpdir(), 'ns-record-')), 'rec');

describe('record(dir)', () => {
  it('passes every block on unchanged and completes once the recording is finalised', async () => {
    const dir = fresh();
    const input = await lastValueFrom(eeg().pipe(toArray()));
    const output = await lastValueFrom(eeg().pipe(record(dir), toArray()));
    expect(output.map((b) => [b.first, b.length])).toEqual(input.map((b) => [b.first, b.length]));
    expect(output.map((b) => [...b.data])).toEqual(input.map((b) => [...b.data]));
    const recording = openRecording(dir); // readable at once: the completion waited for the files
    expect(recording.manifest.status).toBe('complete');
    const samples = [...recording.blocks()];
    expect(samples.reduce((n, b) => n + b.length, 0)).toBe(500);
    expect(samples[0]!.data.subarray(0, 25)).toEqual(input[0]!.data.subarray(0, 25));
  });

  it('keeps what was recorded when the source fails, then passes the error on', async () => {
    const dir = fresh();
    let closed: RecorderStatus | undefined;
    const failing = concat(eeg().pipe(take(3)), throwError(() => new Error('device unplugged')));
    await expect(lastValueFrom(failing.pipe(record(dir, { onClose: (s) => (closed = s) })))).rejects.toThrow('device unplugged');
    expect(closed?.state).toBe('closed');
    const recording = openRecording(dir);
    expect(recording.manifest.status).toBe('complete');
    expect(recording.manifest.streams[0]!.endSample).toBe(75);
  });

  it('finalises the recording when the subscriber unsubscribes', async () => {
    const dir = fresh();
    const status = new Promise<RecorderStatus>((resolve) => {
      void firstValueFrom(eeg().pipe(record(dir, { onClose: resolve }), take(2), toArray()));
    });
    expect((await status).state).toBe('closed');
    expect(openRecording(dir).manifest.streams[0]!.endSample).toBe(50);
  });

  it('refuses a directory that is not new or empty, as the stream error naming it', async () => {
    const dir = fresh();
    await lastValueFrom(eeg().pipe(record(dir)));
    await expect(lastValueFrom(eeg().pipe(record(dir)))).rejects.toThrow(dir);
  });
});
