/**
 * Reading a recording directory: the manifest, the main stream's blocks (lazily, one record
 * batch at a time, bounded memory), markers, feature frames and intents. Files cut short (a
 * session killed outright) are read up to their last complete batch and say so in `notes`; the
 * Arrow files, not the manifest, are the truth about what was recorded.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataType, type Schema } from 'apache-arrow';
import {
  ErrorCode,
  InvalidDataError,
  NeurostreamError,
  createFeatureFrame,
  createIntent,
  createMarker,
  createSampleBlock,
  createStreamInfo,
  hostNowMs,
  type FeatureFrame,
  type Intent,
  type IntentKind,
  type Marker,
  type MarkerValue,
  type SampleBlock,
  type StreamInfo,
} from '../core/index.js';
import {
  ArrowStreamFileReader,
  float32Columns,
  float64Column,
  int64Column,
  readArrowBatches,
  signalColumns,
  type ArrowBatch,
  type SignalColumn,
} from './arrow/arrow-stream-file-reader.js';
import { METADATA_INTENT_KIND, METADATA_SCALE, METADATA_STREAM_INFO } from './arrow/recording-schemas.js';
import { copyChannelRows } from '../core/copy-channel-rows.js';
import { readManifest, type RecordedStream, type SessionManifest } from './session-manifest.js';

export interface ReadBlocksOptions {
  /** Which stream (index into `streams`; default 0, the main one). */
  stream?: number;
  /** Split batches into blocks of at most this many samples (default: one block per batch). */
  maxBlockSamples?: number;
  /** Attach markers to the blocks they fall in (default true for the main stream). */
  markers?: boolean;
  /**
   * Reuse the memory of blocks already yielded (`blocks` and `blocksAhead`): a block's data is
   * then valid only until the iterator is asked for the next block — a consumer that keeps data
   * must copy it. No allocation per batch: no page faults and no garbage collections for them.
   */
  reuseMemory?: boolean;
}

export interface Recording {
  readonly dir: string;
  readonly manifest: SessionManifest;
  /** The main stream's StreamInfo (as recorded in signals.arrows). */
  readonly info: StreamInfo;
  /** Every stream's StreamInfo (as recorded in its file), in `streams` order: the ones its blocks carry. */
  readonly streamInfos: readonly StreamInfo[];
  /**
   * How every stream's channels are stored, in `streams` order: float32, or (format version 2)
   * int16/int32 counts with their scale. Blocks hold float32 values either way.
   */
  readonly storage: readonly (readonly SignalColumn[])[];
  readonly streams: readonly RecordedStream[];
  /**
   * Blocks in sample order, `gap` set where the sample index jumps; re-readable. Markers (main
   * stream) ride on the block holding their sample; those in a gap or outside the recorded
   * samples cannot, and are counted in `notes`.
   */
  blocks(options?: ReadBlocksOptions): Iterable<SampleBlock>;
  /**
   * The same blocks as `blocks`, read ahead: while the consumer processes one record batch, the
   * next one is read by the thread pool (for consumers that can wait: replay at full speed).
   */
  blocksAhead(options?: ReadBlocksOptions): AsyncIterable<SampleBlock>;
  /** Every marker, sorted by sample (file order kept for equal samples: late ones were appended). */
  markers(): Marker[];
  features(): FeatureFrame[];
  intents(): Intent[];
  /** The feature frames read batch by batch as they are iterated (bounded memory; `features()` is all of them). */
  streamFeatures(): Iterable<FeatureFrame>;
  /** The intents read batch by batch as they are iterated (bounded memory; `intents()` is all of them). */
  streamIntents(): Iterable<Intent>;
  /** What reading found (files cut short, markers without samples …), in words. Filled as files are read. */
  readonly notes: string[];
  /** Files holding less than session.json says was written (opened with `allowTruncated`); empty when whole. */
  readonly truncation: readonly TruncatedFile[];
}

/** A file of a recording cut short after session.json described it (a partial copy, a damaged disk). */
export interface TruncatedFile {
  /** The file's path. */
  readonly path: string;
  /** Samples session.json says the file holds, and what it holds (signal files). */
  readonly manifestSamples?: number;
  readonly fileSamples?: number;
  /** Bytes of a message cut short at its end. */
  readonly cutBytes: number;
  /** The finding in words, starting `TRUNCATED:`. */
  readonly text: string;
}

export interface OpenRecordingOptions {
  /**
   * Read a recording whose files hold less than session.json says (each such file is in
   * `truncation` and `notes`) instead of refusing it with a TruncatedRecordingError.
   */
  allowTruncated?: boolean;
}

/** A recording whose files hold less than its session.json says: refused unless `allowTruncated`. */
export class TruncatedRecordingError extends NeurostreamError {
  readonly truncation: readonly TruncatedFile[];

  constructor(truncation: readonly TruncatedFile[]) {
    const more = truncation.length > 1 ? ` (and ${truncation.length - 1} more file${truncation.length > 2 ? 's' : ''} cut short)` : '';
    super(ErrorCode.InvalidData, `${truncation[0]!.text}${more}; --allow-truncated reads what is there`);
    this.truncation = truncation;
  }
}

/**
 * Opens a recording directory written by neurostream (or any tool following docs/recording-format.md).
 * Each signal file's rows are counted (message headers only) against session.json, and every
 * file of a finalised recording checked for its end-of-stream marker (a cut, even one between two
 * messages, leaves none): a recording holding less than its
 * manifest says is a TruncatedRecordingError unless `options.allowTruncated`.
 */
export function openRecording(dir: string, options: OpenRecordingOptions = {}): Recording {
  const manifest = readManifest(dir);
  if (manifest.streams.length === 0) throw new InvalidDataError(join(dir, 'session.json'), 'at least one stream', 'none');
  const notes: string[] = [];
  const truncation: TruncatedFile[] = [];
  const complete = manifest.status === 'complete';
  const cutText =
    manifest.status === 'failed'
      ? `when the recording failed${manifest.error ? ` (${manifest.error})` : ''}, or since: session.json counted samples the file does not hold`
      : `after ${complete ? 'the session had closed it and written session.json' : 'session.json last described it'} — a partial copy or a damaged disk?`;
  /** A file of a complete recording that ends without the end-of-stream marker. */
  const withoutEnd = (path: string, cutBytes: number): TruncatedFile => {
    const how =
      cutBytes > 0
        ? `the file ends in ${cutBytes} bytes of a batch cut short: its last rows were lost`
        : 'the file ends without the Arrow end-of-stream marker, after a complete batch: the batches after it were lost';
    return { path, cutBytes, text: `TRUNCATED: ${path}: session.json says the recording is complete, but ${how} when the file was cut ${cutText}` };
  };
  const storage: SignalColumn[][] = [];
  const streamInfos = manifest.streams.map((stream) => {
    const path = join(dir, stream.file);
    const reader = new ArrowStreamFileReader(path);
    try {
      const info = checkSignalsSchema(path, reader.schema, stream.info);
      storage.push(signalLayout(path, reader.schema));
      const held = reader.countRows();
      if (held < stream.samples) {
        const cut = reader.truncatedBytes > 0 ? `, ending in ${reader.truncatedBytes} bytes of a batch cut short` : '';
        const text = `TRUNCATED: ${path}: session.json (${manifest.status}) says ${stream.samples} samples, the file holds ${held}${cut}; ${stream.samples - held} samples were lost when the file was cut ${cutText}`;
        truncation.push({ path, manifestSamples: stream.samples, fileSamples: held, cutBytes: reader.truncatedBytes, text });
      } else if (complete && !reader.endOfStream) {
        truncation.push(withoutEnd(path, reader.truncatedBytes));
      }
      return info;
    } finally {
      reader.close();
    }
  });
  if (complete) {
    // A finalised recording closed every file with Arrow's end-of-stream marker: a file without it
    // was cut since — in a message (bytes of a batch cut short) or cleanly between two messages
    // (whole batches gone, nothing to show for it but the missing marker).
    for (const file of [manifest.files.markers, manifest.files.features, manifest.files.intents]) {
      if (!file) continue;
      const path = join(dir, file);
      const reader = new ArrowStreamFileReader(path);
      try {
        reader.countRows();
        if (!reader.endOfStream) truncation.push(withoutEnd(path, reader.truncatedBytes));
      } finally {
        reader.close();
      }
    }
  }
  if (truncation.length > 0 && !options.allowTruncated) throw new TruncatedRecordingError(truncation);
  notes.push(...truncation.map((t) => t.text));
  const noteTruncated = (path: string, bytes: number, what: string): void => {
    if (bytes > 0) {
      const why = complete ? cutText : 'the session ended without closing the file';
      const text = `${path}: the last ${bytes} bytes are a batch cut short (${why}); ${what}`;
      if (!notes.includes(text)) notes.push(text);
    }
  };
  if (manifest.status === 'recording') {
    notes.push('session.json says the session was still recording: it ended without finalising its files (killed?); everything up to the last flush is read');
  }

  const markers = (): Marker[] => {
    const file = manifest.files.markers;
    if (!file) return [];
    const path = join(dir, file);
    const { batches, truncatedBytes } = readArrowBatches(path);
    noteTruncated(path, truncatedBytes, 'markers read up to the last complete batch');
    const out: Marker[] = [];
    for (const batch of batches) {
      const sample = batch.getChild('sample');
      const duration = batch.getChild('duration');
      const type = batch.getChild('type');
      const number = batch.getChild('value_number');
      const text = batch.getChild('value_text');
      const vector = batch.getChild('value_vector');
      if (!sample || !type || !number || !text || !vector) {
        throw new InvalidDataError(`${path} columns`, 'sample, duration, type, value_number, value_text, value_vector', batch.schema.fields.map((f) => f.name).join(', '));
      }
      for (let i = 0; i < batch.numRows; i++) {
        const n = number.get(i) as number | null;
        const t = text.get(i) as string | null;
        const v = vector.get(i) as { toArray(): Float64Array } | null;
        const value: MarkerValue | null = n !== null ? n : t !== null ? t : v !== null ? Array.from(v.toArray()) : null;
        if (value === null) throw new InvalidDataError(`${path} row ${out.length} value`, 'one of value_number, value_text, value_vector', null);
        const d = duration?.get(i) as bigint | null | undefined;
        out.push(createMarker(Number(sample.get(i) as bigint), String(type.get(i)), value, d === null || d === undefined ? undefined : Number(d)));
      }
    }
    // Markers written outside blocks (operator markers …) may come after later samples' markers.
    return out.map((m, i) => ({ m, i })).sort((a, b) => a.m.sample - b.m.sample || a.i - b.i).map((x) => x.m);
  };

  function* streamFeatures(): Generator<FeatureFrame> {
    const file = manifest.files.features;
    if (!file) return;
    const path = join(dir, file);
    const reader = new ArrowStreamFileReader(path);
    try {
      const names = reader.schema.fields.slice(3).map((f) => f.name);
      for (let batch = reader.nextBatch(); batch; batch = reader.nextBatch()) {
        const bins = int64Column(batch, 0, path);
        const t0 = int64Column(batch, 1, path);
        const hostTime = float64Column(batch, 2, path);
        const values = float32Columns(batch, 3, names.length, path);
        const n = batch.length;
        for (let i = 0; i < n; i++) {
          const row = new Float32Array(names.length);
          for (let f = 0; f < names.length; f++) row[f] = values[f * n + i]!;
          yield createFeatureFrame({ bin: Number(bins[i]!), t0: Number(t0[i]!), hostTime: hostTime[i]!, values: row, names });
        }
      }
      noteTruncated(path, reader.truncatedBytes, 'features read up to the last complete batch');
    } finally {
      reader.close();
    }
  }
  const features = (): FeatureFrame[] => [...streamFeatures()];

  function* streamIntents(): Generator<Intent> {
    const file = manifest.files.intents;
    if (!file) return;
    const path = join(dir, file);
    const reader = new ArrowStreamFileReader(path);
    try {
      const kind = (reader.schema.metadata.get(METADATA_INTENT_KIND) ?? 'continuous') as IntentKind;
      const names = reader.schema.fields.slice(1, -3).map((f) => f.name);
      const labelled = kind === 'discrete' || !names.every((name, i) => name === `value_${i}`);
      for (let batch = reader.nextBatch(); batch; batch = reader.nextBatch()) {
        const n = batch.length;
        const bins = int64Column(batch, 0, path);
        const values = float32Columns(batch, 1, names.length, path);
        const k = names.length;
        const acquisition = float64Column(batch, k + 1, path);
        const featuresMs = float64Column(batch, k + 2, path);
        const decode = float64Column(batch, k + 3, path);
        for (let i = 0; i < n; i++) {
          const row = new Float32Array(k);
          for (let f = 0; f < k; f++) row[f] = values[f * n + i]!;
          yield createIntent({
            bin: Number(bins[i]!),
            kind,
            values: row,
            ...(labelled ? { labels: names } : {}),
            latency: { acquisitionMs: acquisition[i]!, featuresMs: featuresMs[i]!, decodeMs: decode[i]! },
          });
        }
      }
      noteTruncated(path, reader.truncatedBytes, 'intents read up to the last complete batch');
    } finally {
      reader.close();
    }
  }
  const intents = (): Intent[] => [...streamIntents()];

  /**
   * What reading one stream's blocks needs, batch by batch: the file, and `blocksOf(batch)` —
   * the batch cut into blocks (at sample jumps and `maxBlockSamples`), gaps and markers set.
   * `finish()` notes what was cut short or left unplaced; `close()` closes the file.
   */
  function streamBlocks(options: ReadBlocksOptions): { reader: ArrowStreamFileReader; blocksOf(batch: ArrowBatch): SampleBlock[]; finish(): void } {
    const index = options.stream ?? 0;
    const stream = manifest.streams[index];
    const info = streamInfos[index];
    if (!stream || !info) throw new InvalidDataError(`${dir} stream ${index}`, `a stream from 0 to ${manifest.streams.length - 1}`, index);
    const maxBlock = options.maxBlockSamples ?? Number.POSITIVE_INFINITY;
    const pending = (options.markers ?? index === 0) ? markers() : [];
    let nextMarker = 0;
    let unplaced = 0;
    const path = join(dir, stream.file);
    const reader = new ArrowStreamFileReader(path, { reuseBodies: options.reuseMemory === true });
    const C = info.channelNames.length;
    let decoded: ArrayBuffer | undefined; // reuseMemory: one batch's decoded values at a time
    let expected = -1;
    const layout = storage[index]!; // checked when the recording was opened
    const blocksOf = (batch: ArrowBatch): SampleBlock[] => {
      const n = batch.length;
      const out: SampleBlock[] = [];
      if (n === 0) return out;
      const words = sampleWords(batch, path);
      const data = signalColumns(batch, 1, layout, path, options.reuseMemory ? (bytes) => (decoded && decoded.byteLength >= bytes ? decoded : (decoded = Buffer.allocUnsafeSlow(bytes).buffer)) : undefined);
      let start = 0;
      while (start < n) {
        const first = words[2 * start + 1]! * 4294967296 + words[2 * start]!;
        let end = start + 1;
        const limit = Math.min(n, start + maxBlock);
        while (end < limit && words[2 * end + 1]! * 4294967296 + words[2 * end]! === first + (end - start)) end++;
        const length = end - start;
        if (expected >= 0 && first < expected) {
          throw new InvalidDataError(`${path} sample column at sample ${first}`, `increasing sample indices (≥ ${expected})`, first);
        }
        const block: { info: StreamInfo; first: number; length: number; data: Float32Array; hostTime: number; gap?: { missing: number }; markers?: Marker[] } = {
          info,
          first,
          length,
          data: length === n ? data : sliceRows(data, n, start, length, C),
          hostTime: hostNowMs(),
        };
        if (expected >= 0 && first > expected) block.gap = { missing: first - expected };
        if (nextMarker < pending.length) {
          while (nextMarker < pending.length && pending[nextMarker]!.sample < first) {
            nextMarker++; // in a gap or before the first sample: no block to ride on
            unplaced++;
          }
          const from = nextMarker;
          while (nextMarker < pending.length && pending[nextMarker]!.sample < first + length) nextMarker++;
          if (nextMarker > from) block.markers = pending.slice(from, nextMarker);
        }
        out.push(createSampleBlock(block));
        expected = first + length;
        start = end;
      }
      return out;
    };
    const finish = (): void => {
      noteTruncated(path, reader.truncatedBytes, `samples read up to ${Math.max(expected, 0)}`);
      unplaced += pending.length - nextMarker;
      if (unplaced > 0) {
        const text = `${unplaced} markers fall in gaps or outside the recorded samples: markers() has them, the blocks do not`;
        if (!notes.includes(text)) notes.push(text);
      }
    };
    return { reader, blocksOf, finish };
  }

  function* blocks(options: ReadBlocksOptions = {}): Iterable<SampleBlock> {
    const { reader, blocksOf, finish } = streamBlocks(options);
    try {
      for (let batch = reader.nextBatch(); batch; batch = reader.nextBatch()) yield* blocksOf(batch);
      finish();
    } finally {
      reader.close();
    }
  }

  async function* blocksAhead(options: ReadBlocksOptions = {}): AsyncIterable<SampleBlock> {
    const { reader, blocksOf, finish } = streamBlocks(options);
    let next: Promise<ArrowBatch | null> | undefined = reader.nextBatchAsync();
    next.catch(() => {}); // awaited below; not an unhandled rejection while the consumer works
    try {
      for (;;) {
        const batch: ArrowBatch | null = await next;
        next = undefined;
        if (!batch) break;
        next = reader.nextBatchAsync(); // read the next batch while this one is processed
        next.catch(() => {});
        yield* blocksOf(batch);
      }
      finish();
    } finally {
      if (next) await next.catch(() => {}); // a read in flight finishes before the file closes
      reader.close();
    }
  }

  return { dir, manifest, info: streamInfos[0]!, streamInfos, storage, streams: manifest.streams, blocks, blocksAhead, markers, features, intents, streamFeatures, streamIntents, notes, truncation };
}

/** The sample column as little-endian 32-bit word pairs (no BigInt per row). */
function sampleWords(batch: ArrowBatch, path: string): Uint32Array {
  const column = int64Column(batch, 0, path);
  return new Uint32Array(column.buffer, column.byteOffset, column.length * 2);
}

/** Rows `[start, start + length)` of a channel-major array of `rows` rows, as a new channel-major array. */
function sliceRows(data: Float32Array, rows: number, start: number, length: number, channels: number): Float32Array {
  const out = new Float32Array(channels * length);
  copyChannelRows(data, rows, start, out, length, 0, channels, length);
  return out;
}

/** The StreamInfo in a signals file's schema, checked against the manifest and the columns. */
function checkSignalsSchema(path: string, schema: Schema, expected: StreamInfo): StreamInfo {
  const raw = schema.metadata.get(METADATA_STREAM_INFO);
  let info: StreamInfo;
  try {
    info = raw ? createStreamInfo(JSON.parse(raw)) : expected;
  } catch (error) {
    throw new InvalidDataError(`${path} schema metadata ${METADATA_STREAM_INFO}`, 'a StreamInfo as JSON', (error as Error).message);
  }
  const names = schema.fields.map((f) => f.name);
  if (names[0] !== 'sample' || names.length !== info.channelNames.length + 1) {
    throw new InvalidDataError(`${path} columns`, `sample + ${info.channelNames.length} channel columns`, `${names.length} columns starting ${JSON.stringify(names[0])}`);
  }
  info.channelNames.forEach((name, c) => {
    if (names[c + 1] !== name) throw new InvalidDataError(`${path} column ${c + 1}`, `channel ${JSON.stringify(name)}`, names[c + 1]);
  });
  if (info.channelNames.length !== expected.channelNames.length || info.sampleRateHz !== expected.sampleRateHz) {
    throw new InvalidDataError(`${path} StreamInfo`, `${expected.channelNames.length} channels at ${expected.sampleRateHz} Hz (as session.json)`, `${info.channelNames.length} at ${info.sampleRateHz} Hz`);
  }
  return info;
}

/**
 * How each channel column of a signals file is stored: float32 (version 1 and 2), or int16/int32
 * counts with a positive `scale` in the field metadata (version 2).
 */
function signalLayout(path: string, schema: Schema): SignalColumn[] {
  return schema.fields.slice(1).map((field, c) => {
    const type = field.type as DataType;
    if (DataType.isFloat(type) && type.precision === 1) return { type: 'float32', scale: 1 } as const;
    if (DataType.isInt(type) && type.isSigned && (type.bitWidth === 16 || type.bitWidth === 32)) {
      const raw = field.metadata.get(METADATA_SCALE);
      const scale = raw === undefined ? NaN : Number(raw);
      if (!(scale > 0 && Number.isFinite(scale))) {
        throw new InvalidDataError(`${path} column ${c + 1} (${field.name}) field metadata ${METADATA_SCALE}`, `the ${field.type} counts' unit per count, a positive number`, raw ?? 'none');
      }
      return { type: type.bitWidth === 16 ? 'int16' : 'int32', scale } as const;
    }
    throw new InvalidDataError(`${path} column ${c + 1} (${field.name})`, 'float32, or int16/int32 counts with a scale', String(field.type));
  });
}

/** True when `dir` looks like a recording directory. */
export function isRecordingDir(dir: string): boolean {
  return existsSync(join(dir, 'session.json'));
}
