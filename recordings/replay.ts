/**
 * `replay(dir | recording, { speed })` — a recording's main stream as a live-like Observable of
 * SampleBlocks (replay-source.ts), from a directory or an opened Recording.
 */
import type { Observable } from 'rxjs';
import type { SampleBlock } from '../core/index.js';
import { type OpenRecordingOptions, type Recording, openRecording } from './recording-reader.js';
import { type ReplayOptions, replaySource } from './replay-source.js';

/** Options of {@link replay}: pacing (`speed`, `blockMs`), `holdBack`, `onProgress`, and how to open a directory. */
export interface ReplayStreamOptions extends Partial<ReplayOptions>, OpenRecordingOptions {}

/**
 * Replays a recording: the same blocks (values, sample indices, gaps, markers) a device would
 * have delivered, paced at `speed` × real time (default 1) or as fast as the consumer takes them
 * (`'max'`). A directory is opened (and checked) here, at the call; each subscription reads the
 * files afresh.
 *
 * @example
 * ```ts
 * replay('run-1', { speed: 'max' }).pipe(bandpass({ lowHz: 1, highHz: 40 })).subscribe(…);
 * ```
 */
export function replay(recording: string | Recording, options: ReplayStreamOptions = {}): Observable<SampleBlock> {
  const { allowTruncated, speed = 1, ...pacing } = options;
  const opened = typeof recording === 'string' ? openRecording(recording, allowTruncated !== undefined ? { allowTruncated } : {}) : recording;
  return replaySource(opened, { ...pacing, speed });
}
