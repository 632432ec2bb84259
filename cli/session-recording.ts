/**
 * The recordings of one session: at most one Recorder at a time, started by `--record` when the
 * stream starts or by an operator on the dashboard, stopped by the operator or at the end. Every
 * recording finished (or failed) is kept for the closing summary, so that a failure early in a
 * session is still reported (exit code 1) after later recordings succeeded.
 */
import { join, resolve } from 'node:path';
import type { FeatureFrame, Intent, Marker, SampleBlock, StreamInfo } from '../core/index.js';
import { checkNewDirectory } from '../recordings/new-directory.js';
import { Recorder, type RecorderEvent, type RecorderStatus } from '../recordings/recorder.js';

export interface SessionRecordingOptions {
  /** The processing the session runs on a stream of `info` (the manifest's `pipeline`). */
  pipeline: (info: StreamInfo) => Record<string, unknown>;
  onEvent: (event: RecorderEvent, dir: string) => void;
}

/** A recording that could not start or that failed: reported at the end, exit code 1. */
export interface RecordingFailure {
  dir: string;
  message: string;
}

export class SessionRecording {
  private recorder: Recorder | undefined;
  private readonly closing: Promise<RecorderStatus>[] = [];
  private readonly failures: RecordingFailure[] = [];
  private decoder: Record<string, unknown> | undefined;
  /** Recordings whose recorder reported a failure while running. */
  private readonly failedDirs = new Set<string>();

  constructor(private readonly options: SessionRecordingOptions) {}

  get active(): Recorder | undefined {
    return this.recorder;
  }

  /** Starts recording into `dir` (new or empty); throws when it cannot. */
  start(dir: string, info: StreamInfo): Recorder {
    if (this.recorder) throw new Error(`already recording to ${this.recorder.dir}: stop it first`);
    const recorder = new Recorder(dir, info, {
      pipeline: { ...this.options.pipeline(info) },
      onEvent: (event) => {
        if (event.type === 'failed') this.failedDirs.add(dir);
        this.options.onEvent(event, dir);
      },
    });
    this.recorder = recorder;
    if (this.decoder) recorder.setDecoder(this.decoder);
    return recorder;
  }

  /** A recording the session was asked for (`--record`) that could not start: the session ends with exit code 1. */
  failedToStart(dir: string, message: string): void {
    this.failures.push({ dir, message });
  }

  /** Stops the current recording; resolves with its final status (undefined when none runs). */
  async stop(): Promise<RecorderStatus | undefined> {
    const recorder = this.recorder;
    if (!recorder) return undefined;
    this.recorder = undefined;
    const closed = recorder.close();
    this.closing.push(closed);
    return closed;
  }

  /** Stops whatever runs; resolves with every recording's final status and the failures. */
  async finish(): Promise<{ statuses: (RecorderStatus & { incomplete: boolean })[]; failures: RecordingFailure[] }> {
    await this.stop();
    const statuses = await Promise.all(this.closing);
    return {
      statuses: statuses.map((status) => ({ ...status, incomplete: status.state === 'failed' || this.failedDirs.has(status.dir) })),
      failures: [...this.failures],
    };
  }

  writeBlock(block: SampleBlock): void {
    this.recorder?.writeBlock(block);
  }

  writeFeatures(frame: FeatureFrame): void {
    this.recorder?.writeFeatures(frame);
  }

  writeIntent(intent: Intent): void {
    this.recorder?.writeIntent(intent);
  }

  writeMarkers(markers: readonly Marker[]): void {
    this.recorder?.writeMarkers(markers);
  }

  /** The decoder that runs (kept for recordings started later). */
  setDecoder(decoder: Record<string, unknown>): void {
    this.decoder = decoder;
    this.recorder?.setDecoder(decoder);
  }

  status(): RecorderStatus | undefined {
    return this.recorder?.status();
  }
}

/** A new directory under `parent` named after the UTC time, e.g. `session-20261125T190501Z`. */
export function timestampedDirectory(parent: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  for (let k = 0; ; k++) {
    const dir = resolve(join(parent, `session-${stamp}${k === 0 ? '' : `-${k + 1}`}`));
    try {
      checkNewDirectory(dir, '--recordings-dir');
      return dir;
    } catch (error) {
      if (k >= 99) throw error;
    }
  }
}
