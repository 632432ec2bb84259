/**
 * The recordings of one session: at most one Recorder at a time, started by `--record` when the
 * stream starts or by an operator on the dashboard, stopped by the operator or at the end. Every
 * recording finished (or failed) is kept for the closing summary, so that a failure early in a
 * session is still reported (exit code 1) after later recordings succeeded.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidOptionError, type FeatureFrame, type Intent, type Marker, type SampleBlock, type StreamInfo } from '../core/index.js';
import { makeDirectory } from '../recordings/new-directory.js';
import { Recorder, type RecorderEvent, type RecorderStatus } from '../recordings/index.js';

export interface SessionRecordingOptions {
  /** The processing the session runs on a stream of `info` (the manifest's `pipeline`). */
  pipeline: (info: StreamInfo) => Record<string, unknown>;
  onEvent: (event: RecorderEvent, dir: string) => void;
  /**
   * An offline source (replay): the recorders never drop, and the source waits while `busy()`
   * (see RecorderOptions.lossless). A live session leaves it off: the recorder drops loudly instead.
   */
  lossless?: boolean;
}

/** A recording that could not start or that failed: reported at the end, exit code 1. */
export interface RecordingFailure {
  dir: string;
  message: string;
}

/** One recording stopped or stopping: its final status once the worker is done, and whether it failed on the way. */
interface Closing {
  readonly dir: string;
  readonly closed: Promise<RecorderStatus>;
  readonly failed: () => boolean;
  done: boolean;
}

export class SessionRecording {
  private recorder: { recorder: Recorder; failed: () => boolean } | undefined;
  private readonly closing: Closing[] = [];
  private readonly failures: RecordingFailure[] = [];
  private decoder: Record<string, unknown> | undefined;

  constructor(private readonly options: SessionRecordingOptions) {}

  get active(): Recorder | undefined {
    return this.recorder?.recorder;
  }

  /** Starts recording into `dir` (new or empty); throws when it cannot. */
  start(dir: string, info: StreamInfo): Recorder {
    if (this.recorder) throw new Error(`already recording to ${this.recorder.recorder.dir}: stop it first`);
    // A failure is this recorder's own: another recording (even one in a directory of the same name) is not marked by it.
    let failed = false;
    const recorder = new Recorder(dir, info, {
      pipeline: { ...this.options.pipeline(info) },
      ...(this.options.lossless ? { lossless: true } : {}),
      onEvent: (event) => {
        if (event.type === 'failed') failed = true;
        this.options.onEvent(event, dir);
      },
    });
    this.recorder = { recorder, failed: () => failed };
    if (this.decoder) recorder.setDecoder(this.decoder);
    return recorder;
  }

  /** A recording the session was asked for (`--record`) that could not start: the session ends with exit code 1. */
  failedToStart(dir: string, message: string): void {
    this.failures.push({ dir, message });
  }

  /** Stops the current recording; resolves with its final status (undefined when none runs). */
  async stop(): Promise<RecorderStatus | undefined> {
    const current = this.recorder;
    if (!current) return undefined;
    this.recorder = undefined;
    const entry: Closing = { dir: current.recorder.dir, closed: current.recorder.close(), failed: current.failed, done: false };
    void entry.closed.then(() => (entry.done = true));
    this.closing.push(entry);
    return entry.closed;
  }

  /** Stops whatever runs; resolves with every recording's final status and the failures. */
  async finish(): Promise<{ statuses: (RecorderStatus & { incomplete: boolean })[]; failures: RecordingFailure[] }> {
    await this.stop();
    const statuses = await Promise.all(this.closing.map(async (entry) => ({ status: await entry.closed, failed: entry.failed() })));
    return {
      statuses: statuses.map(({ status, failed }) => ({ ...status, incomplete: status.state === 'failed' || failed })),
      failures: [...this.failures],
    };
  }

  /** Directories of recordings not finalised yet (running, or their files still being closed). */
  unfinished(): string[] {
    return [...this.closing.filter((entry) => !entry.done).map((entry) => entry.dir), ...(this.recorder ? [this.recorder.recorder.dir] : [])];
  }

  /** Whether a lossless recorder has more queued than it should: an offline source waits meanwhile. */
  busy(): boolean {
    return this.recorder?.recorder.busy() ?? false;
  }

  writeBlock(block: SampleBlock): void {
    this.recorder?.recorder.writeBlock(block);
  }

  writeFeatures(frame: FeatureFrame): void {
    this.recorder?.recorder.writeFeatures(frame);
  }

  writeIntent(intent: Intent): void {
    this.recorder?.recorder.writeIntent(intent);
  }

  writeMarkers(markers: readonly Marker[]): void {
    this.recorder?.recorder.writeMarkers(markers);
  }

  /** The decoder that runs (kept for recordings started later). */
  setDecoder(decoder: Record<string, unknown>): void {
    this.decoder = decoder;
    this.recorder?.recorder.setDecoder(decoder);
  }

  status(): RecorderStatus | undefined {
    return this.recorder?.recorder.status();
  }
}

/**
 * Creates and returns a new directory under `parent` named after the UTC time to the millisecond,
 * e.g. `session-20261125T190501.123Z` (`-2`, `-3` … when that name is taken). The directory is
 * claimed by creating it (an atomic mkdir), so two recordings started within the same
 * millisecond, or a name taken meanwhile by anyone, still get directories of their own.
 */
export function timestampedDirectory(parent: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '');
  try {
    makeDirectory(parent);
  } catch (error) {
    throw new InvalidOptionError(`--recordings-dir ${parent}`, 'a directory this process can create and write into', (error as Error).message);
  }
  for (let k = 0; k < MAX_NAME_TRIES; k++) {
    const dir = resolve(join(parent, `session-${stamp}${k === 0 ? '' : `-${k + 1}`}`));
    try {
      mkdirSync(dir); // not recursive: fails if the name exists
      return dir;
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') {
        throw new InvalidOptionError(`--recordings-dir ${parent}`, 'a directory this process can create and write into', (error as Error).message);
      }
    }
  }
  throw new InvalidOptionError(`--recordings-dir ${parent}`, `a free name for a new recording (tried ${MAX_NAME_TRIES})`, `session-${stamp} to session-${stamp}-${MAX_NAME_TRIES} all taken`);
}

/** Names tried for one timestamp before giving up. */
const MAX_NAME_TRIES = 100;
