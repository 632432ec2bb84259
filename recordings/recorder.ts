/**
 * Recorder — records a live session without ever making acquisition wait. The acquisition thread
 * only copies each block (the original may be shared by other stages) and posts it to a worker
 * thread that owns the RecordingWriter (recorder-worker.ts): batching, Arrow encoding and the
 * disk all happen there.
 *
 * Backpressure: the bytes posted but not yet taken by the worker are counted. Live (the
 * default), if they exceed `maxQueueBytes` (a disk too slow for the data rate), new blocks are
 * not posted — they are dropped from the recording, counted, and reported through `onEvent` —
 * until the queue drains to half; the recording then shows the hole as a gap caused by the
 * recorder. Offline (`lossless`: a replay, whose source has no deadline), nothing is ever
 * dropped: every block is posted, and `busy()` tells the source to wait while more than half of
 * `maxQueueBytes` is queued. If the disk fails (full, gone), the worker keeps every complete
 * batch and says why; acquisition goes on.
 */
import { Worker } from 'node:worker_threads';
import { channelCount, type FeatureFrame, type Intent, type Marker, type SampleBlock, type StreamInfo } from '../core/index.js';
import { BlockAssembler, type StagedChunk } from '../core/block-assembler.js';
import { checkNewDirectory } from './new-directory.js';
import type { RecorderCommand, RecorderProgressMessage, RecorderRecycleMessage, RecorderWorkerData } from './recorder-worker.js';
import type { RecordingWriterOptions } from './recording-writer.js';

const WORKER_URL = new URL('./recorder-worker.js', import.meta.url);
/** Seconds of samples per chunk posted to the worker. */
const STAGE_S = 0.01;
/** A partly filled chunk is posted at the latest after this long (a stalled or slow stream). */
const STAGE_FLUSH_MS = 250;

export interface RecorderOptions extends Omit<RecordingWriterOptions, 'info'> {
  /** Most bytes waiting for the worker before blocks are dropped (default: 5 s of data, at least 64 MB). */
  maxQueueBytes?: number;
  /** Wall-clock flush interval, so slow streams are on disk within it too (default 1000 ms). */
  flushIntervalMs?: number;
  /**
   * Never drop (an offline source that waits on `busy()`): the queue is bounded by the source
   * waiting, not by dropping. Default false: a live device never waits, the recorder drops loudly.
   */
  lossless?: boolean;
  /** Told about overflow, recovery and failure, once each time it happens. */
  onEvent?: (event: RecorderEvent) => void;
}

export type RecorderEvent =
  | { type: 'overflow'; message: string }
  | { type: 'resumed'; message: string; droppedSamples: number }
  | { type: 'failed'; message: string; reason?: string };

export type RecorderState = 'starting' | 'recording' | 'overflow' | 'failed' | 'closed';

export interface RecorderStatus {
  readonly state: RecorderState;
  readonly dir: string;
  /** Bytes on disk (complete batches) and samples written, as of the worker's last report. */
  readonly bytesWritten: number;
  readonly samplesWritten: number;
  /** Bytes posted to the worker and not yet taken. */
  readonly queuedBytes: number;
  /** Samples the recorder had to drop because the disk could not keep up. */
  readonly droppedSamples: number;
  readonly error?: string;
}

export class Recorder {
  private readonly worker: Worker;
  private readonly maxQueueBytes: number;
  private readonly lossless: boolean;
  private readonly onEvent: (event: RecorderEvent) => void;
  private state: RecorderState = 'starting';
  private posted = 0;
  private consumed = 0;
  private bytesWritten = 0;
  private samplesWritten = 0;
  private dropped = 0;
  private featureNamesSent = false;
  private readonly stager: BlockAssembler;
  private readonly stageTimer: ReturnType<typeof setInterval>;
  private closing = false;
  private error: string | undefined;
  private readonly closed: Promise<RecorderStatus>;

  /** Starts recording `info`'s stream into `dir` (a new or empty directory). */
  constructor(
    readonly dir: string,
    readonly info: StreamInfo,
    options: RecorderOptions = {},
  ) {
    checkNewDirectory(dir, 'recording directory');
    const bytesPerSecond = channelCount(info) * info.sampleRateHz * 4;
    this.maxQueueBytes = options.maxQueueBytes ?? Math.max(64 * 1024 * 1024, 5 * bytesPerSecond);
    this.lossless = options.lossless === true;
    this.onEvent = options.onEvent ?? (() => {});
    const { maxQueueBytes: _q, flushIntervalMs, onEvent: _e, lossless: _l, ...writer } = options;
    const workerData: RecorderWorkerData = { dir, info, writer, flushIntervalMs: flushIntervalMs ?? 1000, progressMs: 200 };
    this.worker = new Worker(WORKER_URL, { workerData });
    // Blocks cross to the worker in reused chunks of ~10 ms of samples.
    this.stager = new BlockAssembler(info, Math.max(1, Math.round(info.sampleRateHz * STAGE_S)), { chunks: (chunk) => this.postChunk(chunk) }, { hostTime: 'arrival' });
    // A stalled device leaves a partly filled chunk: post it so it reaches the disk within the flush interval.
    this.stageTimer = setInterval(() => {
      if (this.accepting()) this.stager.flush();
    }, STAGE_FLUSH_MS);
    this.stageTimer.unref();
    this.closed = new Promise<RecorderStatus>((resolve) => {
      this.worker.on('message', (message: RecorderProgressMessage | RecorderRecycleMessage) => {
        if (message.t === 'recycle') {
          this.stager.recycle(message.data);
          this.consumed = Math.max(this.consumed, message.consumed); // a waiting source learns of the drain at once
        } else this.onProgress(message);
      });
      this.worker.on('error', (error) => this.fail(`recorder worker crashed: ${error.message}`));
      this.worker.on('exit', () => {
        clearInterval(this.stageTimer);
        if (this.state !== 'failed') this.state = 'closed';
        resolve(this.status());
      });
    });
  }

  status(): RecorderStatus {
    return {
      state: this.state,
      dir: this.dir,
      bytesWritten: this.bytesWritten,
      samplesWritten: this.samplesWritten,
      queuedBytes: this.posted - this.consumed,
      droppedSamples: this.dropped,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  /**
   * Whether a lossless recorder has more than half of `maxQueueBytes` waiting for its worker: an
   * offline source waits while this is true. Always false for a live recorder (it drops instead)
   * and for one that failed or is closing (nothing more will be taken).
   */
  busy(): boolean {
    return this.lossless && this.accepting() && this.posted - this.consumed > this.maxQueueBytes / 2;
  }

  /** Records a block of the stream (copied into a staging chunk; the block itself is not touched). */
  writeBlock(block: SampleBlock): void {
    if (!this.accepting()) return;
    if (!this.admit(block.data.byteLength)) {
      this.dropped += block.length;
      if (block.markers) this.writeMarkers(block.markers); // events are kept even when samples cannot be
      return;
    }
    this.stager.push(block);
  }

  private postChunk(chunk: StagedChunk): void {
    const command: RecorderCommand = {
      t: 'chunk',
      first: chunk.first,
      length: chunk.length,
      capacity: chunk.capacity,
      data: chunk.data,
      hostTime: chunk.hostTime,
      bytes: chunk.length * this.stager.channels * 4,
      ...(chunk.missing ? { missing: chunk.missing } : {}),
      ...(chunk.markers ? { markers: chunk.markers } : {}),
    };
    this.worker.postMessage(command, [chunk.data.buffer]);
  }

  writeFeatures(frame: FeatureFrame): void {
    if (!this.accepting()) return;
    const bytes = frame.values.byteLength + 64;
    if (!this.admit(bytes)) return;
    // The names go once (the first frame): every frame of a stream has the same ones.
    const names = this.featureNamesSent ? undefined : [...frame.names];
    this.featureNamesSent = true;
    const values = frame.values.slice();
    this.worker.postMessage(
      { t: 'features', bin: frame.bin, t0: frame.t0, hostTime: frame.hostTime, values, bytes, ...(names ? { names } : {}) } satisfies RecorderCommand,
      [values.buffer],
    );
  }

  writeIntent(intent: Intent): void {
    if (!this.accepting()) return;
    const bytes = intent.values.byteLength + 64;
    if (!this.admit(bytes)) return;
    this.worker.postMessage({ t: 'intent', intent, bytes } satisfies RecorderCommand);
  }

  /** Markers not carried by blocks (operator markers, …). Never dropped for backpressure. */
  writeMarkers(markers: readonly Marker[]): void {
    if (!this.accepting() || markers.length === 0) return;
    this.posted += 64 * markers.length;
    this.worker.postMessage({ t: 'markers', markers: [...markers], bytes: 64 * markers.length } satisfies RecorderCommand);
  }

  note(text: string): void {
    if (this.accepting()) this.worker.postMessage({ t: 'note', text } satisfies RecorderCommand);
  }

  setDecoder(decoder: Record<string, unknown>): void {
    if (this.accepting()) this.worker.postMessage({ t: 'decoder', decoder } satisfies RecorderCommand);
  }

  /** Flushes and finalises every file; resolves with the final status once the worker is done. */
  close(): Promise<RecorderStatus> {
    if (this.accepting()) {
      clearInterval(this.stageTimer);
      this.stager.flush();
      if (this.dropped > 0) this.note(`the recorder dropped ${this.dropped} samples because the disk could not keep up (recorded as gaps)`);
      this.closing = true; // from here on nothing more is posted
      this.worker.postMessage({ t: 'close' } satisfies RecorderCommand);
    }
    return this.closed;
  }

  private accepting(): boolean {
    return !this.closing && (this.state === 'starting' || this.state === 'recording' || this.state === 'overflow');
  }

  /** Whether `bytes` more may be queued (always, when lossless); switches in and out of overflow loudly. */
  private admit(bytes: number): boolean {
    if (this.lossless) {
      this.posted += bytes;
      return true;
    }
    const queued = this.posted - this.consumed;
    if (this.state === 'overflow') {
      if (queued > this.maxQueueBytes / 2) return false;
      this.state = 'recording';
      this.onEvent({
        type: 'resumed',
        message: `recording resumed; ${this.dropped} samples were dropped while the disk could not keep up (recorded as a gap)`,
        droppedSamples: this.dropped,
      });
    } else if (queued + bytes > this.maxQueueBytes) {
      this.state = 'overflow';
      this.onEvent({
        type: 'overflow',
        message: `recording cannot keep up: ${(queued / 1e6).toFixed(0)} MB waiting for the disk in ${this.dir}; dropping samples from the recording (acquisition continues)`,
      });
      return false;
    }
    this.posted += bytes;
    return true;
  }

  private onProgress(message: RecorderProgressMessage): void {
    this.consumed = message.consumed;
    this.bytesWritten = message.bytesWritten;
    this.samplesWritten = message.samples;
    if (message.t === 'started' && this.state === 'starting') this.state = 'recording';
    if (message.t === 'failed') this.fail(message.error ?? 'recording failed', message.reason);
  }

  private fail(message: string, reason?: string): void {
    if (this.state === 'failed') return;
    this.state = 'failed';
    this.error = message;
    this.onEvent({ type: 'failed', message, ...(reason ? { reason } : {}) });
    // The worker has closed its files; let it finish (it exits once its port closes).
    this.worker.postMessage({ t: 'close' } satisfies RecorderCommand);
  }
}
