/**
 * SessionRecording: the recordings of one session. A failure is its own recording's, never
 * another's — even when two recordings were given the same directory.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSampleBlock } from '../../core/index.js';
import { readManifest } from '../../recordings/session-manifest.js';
import type { RecorderEvent } from '../../recordings/recorder.js';
import { SessionRecording, timestampedDirectory } from '../../session/session-recording.js';
import { testStreamInfo } from '../helpers/stream-info.js';

const info = testStreamInfo({ channelNames: ['a', 'b'], sampleRateHz: 1000 });

describe('SessionRecording', () => {
  it('reports a failed recording as incomplete without marking another recording of the same directory', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'ns-session-recording-')), 'same');
    const events: [string, RecorderEvent['type']][] = [];
    const recording = new SessionRecording({ pipeline: () => ({}), onEvent: (event, d) => events.push([d, event.type]) });
    // Stop and start again before the first recorder's worker has made the directory: both pass
    // the check; whichever worker creates the files first records, the other finds them and fails.
    const block = createSampleBlock({ info, first: 0, length: 10, data: new Float32Array(20), hostTime: 0 });
    recording.start(dir, info).writeBlock(block);
    void recording.stop();
    recording.start(dir, info).writeBlock(block);
    const { statuses } = await recording.finish();
    expect(statuses.map((s) => [s.dir, s.state, s.incomplete]).sort()).toEqual([
      [dir, 'closed', false],
      [dir, 'failed', true],
    ]);
    expect(statuses.find((s) => !s.incomplete)!.samplesWritten).toBe(10);
    expect(events).toEqual([[dir, 'failed']]);
    expect(readManifest(dir).status).toBe('complete');
    expect(recording.unfinished()).toEqual([]);
  });

  it('claims a new directory for every dashboard recording, however close together', () => {
    const parent = join(mkdtempSync(join(tmpdir(), 'ns-session-recording-')), 'recordings');
    const now = new Date('2026-11-25T19:05:01.123Z');
    const dirs = Array.from({ length: 5 }, () => timestampedDirectory(parent, now));
    expect(dirs.map((d) => d.slice(parent.length + 1))).toEqual([
      'session-20261125T190501.123Z',
      'session-20261125T190501.123Z-2',
      'session-20261125T190501.123Z-3',
      'session-20261125T190501.123Z-4',
      'session-20261125T190501.123Z-5',
    ]);
  });
});
