/**
 * RecordingWriter — writes a recording directory synchronously: the main stream's samples to
 * `signals.arrows` in batches of `batchMs` of samples, markers, feature frames and intents to
 * their own files (created when the first one arrives), and `session.json`. Used as it is by
 * `convert` (offline) and inside the live Recorder's worker thread (where blocking on the disk
 * costs acquisition nothing).
 *
 * Every flush writes whole record batches, then the manifest: a process killed outright leaves
 * every file readable up to its last flush. A write failure (disk full …) stops the writer: the
 * files are cut back to their last complete batch, the manifest says `failed` and why, and
 * `failure` holds the RecordingError; nothing already written is touched.
 */
import { join } from 'node:path';
import type { Schema } from 'apache-arrow';
import {
  InvalidOptionError,
  SOFTWARE_VERSION,
  blockEnd,
  hostNowMs,
  utcNowIso,
  type FeatureFrame,
  type Intent,
  type Marker,
  type SampleBlock,
  type StreamInfo,
} from '../core/index.js';
import { ArrowStreamFileWriter } from './arrow/arrow-stream-file-writer.js';
import {
  RECORDING_FORMAT_VERSION,
  featuresBatch,
  featuresSchema,
  intentColumnNames,
  intentsBatch,
  intentsSchema,
  markersBatch,
  markersSchema,
  signalsBatch,
  signalsSchema,
} from './arrow/recording-schemas.js';
import { RecordingError } from './recording-error.js';
import {
  FEATURES_FILE,
  INTENTS_FILE,
  MARKERS_FILE,
  SIGNALS_FILE,
  writeManifest,
  writeManifestInPlace,
  type RecordedGap,
  type RecordedStream,
  type RecordingStatus,
  type SessionManifest,
} from './session-manifest.js';
import { checkNewDirectory, makeDirectory } from './new-directory.js';
import { SignalBatcher } from './signal-batcher.js';
import { encodeCounts, signalColumnTypes, type SignalColumnType } from './arrow/signal-columns.js';

export interface RecordingWriterOptions {
  /** The main stream (its rate sets the batch size). */
  info: StreamInfo;
  /** Milliseconds of samples per record batch (100 to 10 000; default 500). */
  batchMs?: number;
  sessionId?: string;
  pipeline?: Record<string, unknown>;
  source?: { path: string; format: string };
  notes?: readonly string[];
  /** Call fsync at every flush (survives power loss; default false: a kill loses nothing anyway). */
  fsync?: boolean;
}

export const DEFAULT_BATCH_MS = 500;

/** Totals a writer reports. */
export interface RecordingProgress {
  readonly samples: number;
  readonly bytes: number;
  readonly batches: number;
  readonly markers: number;
  readonly features: number;
  readonly intents: number;
}

/**
 * One sample stream's file, batcher and bookkeeping. What the manifest says (`samples`,
 * `endSample`, `gaps`) counts only rows durably in the file: it moves when a batch was written
 * whole, never when a block is merely appended to the batcher.
 */
class StreamFile {
  readonly schema: Schema;
  readonly file: ArrowStreamFileWriter;
  readonly batcher: SignalBatcher;
  /** How each channel is stored, and the count buffers of the integer ones (capacity rows each). */
  private readonly types: SignalColumnType[];
  private readonly counts: (Int16Array | Int32Array | undefined)[];
  private readonly columns: (Float32Array | Int16Array | Int32Array)[];
  /** Gaps before rows that are in the file. */
  readonly gaps: RecordedGap[] = [];
  /** Rows in the file, and one past the last sample index in it. */
  samples = 0;
  endSample = 0;
  /** Gaps met in blocks appended but not written yet. */
  private pendingGaps: RecordedGap[] = [];
  /** Blocks appended so far (for order and gap checks): whether any, and one past the last sample. */
  private appendedAny = false;
  private appendedEnd = 0;

  constructor(
    readonly info: StreamInfo,
    readonly name: string,
    dir: string,
    batchMs: number,
  ) {
    const capacity = Math.max(1, Math.ceil((batchMs / 1000) * info.sampleRateHz));
    this.batcher = new SignalBatcher(info, capacity + (capacity % 2)); // even: columns stay back to back
    this.types = signalColumnTypes(info);
    this.counts = this.types.map((t) => (t === 'int16' ? new Int16Array(this.batcher.capacity) : t === 'int32' ? new Int32Array(this.batcher.capacity) : undefined));
    this.columns = new Array(this.types.length);
    this.schema = signalsSchema(info, this.types);
    this.file = new ArrowStreamFileWriter(join(dir, name), this.schema);
  }

  /** Bookkeeping for a block about to be appended: order and gaps. */
  admit(block: SampleBlock): void {
    if (block.info.channelNames.length !== this.info.channelNames.length) {
      throw new InvalidOptionError(`block for ${this.name}`, `${this.info.channelNames.length} channels (as the recording)`, block.info.channelNames.length);
    }
    if (!this.appendedAny) return; // a recording may start anywhere on the stream's clock
    if (block.first < this.appendedEnd) {
      throw new InvalidOptionError(`block for ${this.name} first sample`, `at least ${this.appendedEnd} (blocks in order)`, block.first);
    }
    if (block.first > this.appendedEnd) {
      const missing = block.first - this.appendedEnd;
      const cause = block.gap && block.gap.missing === missing ? 'device' : 'recorder';
      this.pendingGaps.push({ sample: block.first, missing, cause });
    }
  }

  /** A block was appended whole. */
  appended(block: SampleBlock): void {
    this.appendedAny = true;
    this.appendedEnd = blockEnd(block);
  }

  /** Writes the rows gathered as one record batch; only then are they counted. Throws if the file refuses. */
  flush(): void {
    if (this.batcher.length === 0) return;
    const { samples, data, length } = this.batcher.take();
    for (let c = 0; c < this.types.length; c++) {
      const values = data.subarray(c * length, (c + 1) * length);
      const counts = this.counts[c];
      if (!counts) {
        this.columns[c] = values;
        continue;
      }
      const bad = encodeCounts(values, length, this.info.adcScale[c]!, counts);
      if (bad >= 0) {
        // The stream promised exact ADC counts (StreamInfo.exactCounts) and broke the promise:
        // nothing of this batch is written; what the file holds stays.
        throw new RecordingError(
          `recording failed writing ${this.name}: channel ${this.info.channelNames[c]} at sample ${Number(samples[bad]!)}: expected a whole number of ${this.info.adcScale[c]} ${this.info.units[c]} counts fitting ${this.types[c]} (the stream declares exact ADC counts), got ${values[bad]} ${this.info.units[c]} — a source that changes values must not pass on exactCounts`,
          'EXACT_COUNTS',
        );
      }
      this.columns[c] = counts;
    }
    this.file.writeBatch(signalsBatch(this.schema, samples, this.columns, length));
    this.samples += length;
    this.endSample = Number(samples[length - 1]!) + 1;
    if (this.pendingGaps.length > 0) {
      const end = this.endSample;
      this.gaps.push(...this.pendingGaps.filter((g) => g.sample < end));
      this.pendingGaps = this.pendingGaps.filter((g) => g.sample >= end);
    }
  }

  recorded(): RecordedStream {
    return { file: this.name, info: this.info, samples: this.samples, endSample: this.endSample, gaps: [...this.gaps] };
  }
}

/** File name of an extra stream (files whose signals have several rates): `signals-<rate>hz.arrows`. */
export function extraStreamFile(info: StreamInfo): string {
  return `signals-${String(info.sampleRateHz).replace('.', 'p')}hz.arrows`;
}

export class RecordingWriter {
  readonly dir: string;
  readonly info: StreamInfo;
  private readonly createdAt = utcNowIso();
  private readonly sessionId: string;
  private readonly options: RecordingWriterOptions;
  private readonly batchMs: number;
  private readonly streams: StreamFile[];
  private markers: { file: ArrowStreamFileWriter; schema: Schema; pending: Marker[] } | undefined;
  private features: { file: ArrowStreamFileWriter; schema: Schema; pending: FeatureFrame[] } | undefined;
  private intents: { file: ArrowStreamFileWriter; schema: Schema; pending: Intent[] } | undefined;
  private readonly notes: string[];
  private decoder: Record<string, unknown> | undefined;
  private counts = { markers: 0, features: 0, intents: 0 };
  private status: RecordingStatus = 'recording';
  private lastFlush = hostNowMs();
  private failure: RecordingError | undefined;

  /** Creates `dir` (which must not exist or be empty) and its files. */
  constructor(dir: string, options: RecordingWriterOptions) {
    const batchMs = options.batchMs ?? DEFAULT_BATCH_MS;
    if (!(batchMs >= 100 && batchMs <= 10_000)) throw new InvalidOptionError('batchMs', 'from 100 to 10000 ms', batchMs);
    checkNewDirectory(dir, 'recording directory');
    try {
      makeDirectory(dir);
    } catch (error) {
      throw RecordingError.from(error, `creating ${dir}`);
    }
    this.dir = dir;
    this.info = options.info;
    this.options = options;
    this.sessionId = options.sessionId ?? `${options.info.id}-${this.createdAt.replace(/[-:.]/g, '')}`;
    this.notes = [...(options.notes ?? [])];
    this.batchMs = batchMs;
    this.streams = [new StreamFile(options.info, SIGNALS_FILE, dir, batchMs)];
    this.writeManifestNow();
  }

  get failed(): RecordingError | undefined {
    return this.failure;
  }

  get progress(): RecordingProgress {
    const bytes = this.files().reduce((sum, f) => sum + f.committedBytes, 0);
    const main = this.streams[0]!;
    return { samples: main.samples, bytes, batches: main.file.batches, ...this.counts };
  }

  /**
   * Adds a second (third …) sample stream — an imported file's signals at another rate — written
   * to `file` (default `signals-<rate>hz.arrows`). Its blocks go to `writeBlock` like the main stream's.
   */
  addStream(info: StreamInfo, file?: string): void {
    const name = file ?? extraStreamFile(info);
    if (this.streams.some((s) => s.name === name || s.info === info)) throw new InvalidOptionError('recording stream', file ? 'a file name no other stream has' : 'one stream per sample rate', file ?? info.sampleRateHz);
    this.streams.push(new StreamFile(info, name, this.dir, this.batchMs));
  }

  /**
   * Appends a block of stream `stream` (0, the main one, by default; 1… in the order of
   * `addStream`), with its markers; flushes when a batch is full. Blocks of a stream come in
   * sample order.
   */
  writeBlock(block: SampleBlock, stream = 0): void {
    if (this.failure) return;
    const target = this.streams[stream];
    if (!target) throw new InvalidOptionError('recording stream', `0 to ${this.streams.length - 1}`, stream);
    this.append(target, block);
  }

  private append(stream: StreamFile, block: SampleBlock): void {
    stream.admit(block);
    if (block.markers && stream === this.streams[0]) this.writeMarkers(block.markers);
    let offset = 0;
    while (offset < block.length) {
      offset += stream.batcher.append(block, offset, block.length - offset);
      if (stream.batcher.full) {
        if (stream === this.streams[0]) this.flush();
        else this.guard(() => stream.flush());
      }
      if (this.failure) return;
    }
    stream.appended(block);
  }

  writeMarkers(markers: readonly Marker[]): void {
    if (this.failure || markers.length === 0) return;
    if (!this.markers) {
      const schema = markersSchema(this.info);
      const file = this.open(MARKERS_FILE, schema);
      if (!file) return;
      this.markers = { schema, file, pending: [] };
    }
    this.markers.pending.push(...markers);
  }

  writeFeatures(frame: FeatureFrame): void {
    if (this.failure) return;
    if (!this.features) {
      const schema = featuresSchema(this.info, frame.names);
      const file = this.open(FEATURES_FILE, schema);
      if (!file) return;
      this.features = { schema, file, pending: [] };
    }
    this.features.pending.push(frame);
  }

  writeIntent(intent: Intent): void {
    if (this.failure) return;
    if (!this.intents) {
      const schema = intentsSchema(this.info, intent.kind, intentColumnNames(intent));
      const file = this.open(INTENTS_FILE, schema);
      if (!file) return;
      this.intents = { schema, file, pending: [] };
    }
    this.intents.pending.push(intent);
  }

  /** Flushes when nothing was flushed for `ms` (a slow stream still reaches the disk in time). */
  flushIfOlderThan(ms: number): void {
    if (hostNowMs() - this.lastFlush >= ms) this.flush();
  }

  /** Stops the recording as failed (e.g. its input broke): what was written is kept and ended properly. */
  abort(reason: string): void {
    if (this.status !== 'recording') return;
    this.guard(() => {
      for (const stream of this.streams) stream.flush();
    });
    if (!this.failure) this.stop(new RecordingError(`recording stopped: ${reason}`));
  }

  /** Adds a remark to the manifest (kept with the recording). */
  note(text: string): void {
    this.notes.push(text);
  }

  /** Records which decoder ran (name, provider …) in the manifest. */
  setDecoder(decoder: Record<string, unknown>): void {
    this.decoder = decoder;
  }

  /** Writes everything gathered so far as record batches, then the manifest. */
  flush(): void {
    if (this.failure) return;
    this.lastFlush = hostNowMs();
    this.guard(() => {
      for (const stream of this.streams) stream.flush();
      this.flushEvents();
      if (this.options.fsync) for (const file of this.files()) file.sync();
      this.writeManifestNow();
    });
  }

  /** Writes the markers, feature frames and intents gathered; each is counted once its batch is in the file. */
  private flushEvents(): void {
    this.flushMarkers();
    this.flushFeatures();
    this.flushIntents();
  }

  private flushMarkers(): void {
    if (!this.markers || this.markers.pending.length === 0) return;
    this.markers.file.writeBatch(markersBatch(this.markers.schema, this.markers.pending));
    this.counts.markers += this.markers.pending.length;
    this.markers.pending = [];
  }

  private flushFeatures(): void {
    if (!this.features || this.features.pending.length === 0) return;
    this.features.file.writeBatch(featuresBatch(this.features.schema, this.features.pending));
    this.counts.features += this.features.pending.length;
    this.features.pending = [];
  }

  private flushIntents(): void {
    if (!this.intents || this.intents.pending.length === 0) return;
    this.intents.file.writeBatch(intentsBatch(this.intents.schema, this.intents.pending));
    this.counts.intents += this.intents.pending.length;
    this.intents.pending = [];
  }

  /** Runs a write; a failure stops the recording (files kept up to their last complete batch). */
  private guard(write: () => void): void {
    try {
      write();
    } catch (error) {
      this.stop(RecordingError.from(error, `writing ${this.dir}`));
    }
  }

  /** Flushes, ends every file and writes the final manifest. Idempotent; returns the failure if any. */
  close(): RecordingError | undefined {
    if (this.status !== 'recording') return this.failure;
    this.flush();
    for (const file of this.files()) file.close();
    const failed = this.files().find((f) => f.failed)?.failed;
    if (failed && !this.failure) this.failure = failed;
    this.status = this.failure ? 'failed' : 'complete';
    this.writeManifestQuietly();
    return this.failure;
  }

  private files(): ArrowStreamFileWriter[] {
    return [...this.streams.map((s) => s.file), this.markers?.file, this.features?.file, this.intents?.file].filter((f): f is ArrowStreamFileWriter => f !== undefined);
  }

  /** Creates a file lazily; a failure stops the recording (undefined then) rather than escaping. */
  private open(name: string, schema: Schema): ArrowStreamFileWriter | undefined {
    try {
      return new ArrowStreamFileWriter(join(this.dir, name), schema);
    } catch (error) {
      this.stop(RecordingError.from(error, `creating ${join(this.dir, name)}`));
      return undefined;
    }
  }

  private stop(error: RecordingError): void {
    this.failure = error;
    this.status = 'failed';
    // Keep what is still in memory where the files can take it (a failed file refuses, and keeps its own).
    const writes = [...this.streams.map((stream) => () => stream.flush()), () => this.flushMarkers(), () => this.flushFeatures(), () => this.flushIntents()];
    for (const write of writes) {
      try {
        write();
      } catch {
        // that file is one that failed (or the disk is full): it keeps what it had
      }
    }
    for (const file of this.files()) file.close();
    this.writeManifestQuietly();
  }

  private manifest(): SessionManifest {
    return {
      format: 'neurostream-recording',
      formatVersion: RECORDING_FORMAT_VERSION,
      sessionId: this.sessionId,
      softwareVersion: SOFTWARE_VERSION,
      createdAt: this.createdAt,
      updatedAt: utcNowIso(),
      status: this.status,
      streams: this.streams.map((s) => s.recorded()),
      files: {
        ...(this.markers ? { markers: MARKERS_FILE } : {}),
        ...(this.features ? { features: FEATURES_FILE } : {}),
        ...(this.intents ? { intents: INTENTS_FILE } : {}),
      },
      ...(this.options.pipeline ? { pipeline: this.options.pipeline } : {}),
      ...(this.options.source ? { source: this.options.source } : {}),
      ...(this.decoder ? { decoder: this.decoder } : {}),
      notes: this.notes,
      ...(this.failure ? { error: this.failure.message } : {}),
    };
  }

  private writeManifestNow(): void {
    writeManifest(this.dir, this.manifest());
  }

  /**
   * After a failure the disk may still refuse a new file: then the manifest is rewritten in place
   * (truncating it frees the blocks it needs). The Arrow files hold the samples either way.
   */
  private writeManifestQuietly(): void {
    try {
      this.writeManifestNow();
    } catch {
      try {
        writeManifestInPlace(this.dir, this.manifest());
      } catch {
        // the manifest stays as last written
      }
    }
  }
}
