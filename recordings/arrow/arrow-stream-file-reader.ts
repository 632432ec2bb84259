/**
 * ArrowStreamFileReader — reads an Arrow IPC stream file message by message from a file
 * descriptor, with bounded memory: each record batch's body is read once, into its own buffer,
 * and its fixed-width columns are handed out as typed-array views of that buffer (no copies; the
 * channel columns of a signals batch written by neurostream are contiguous, so a whole batch is
 * one channel-major Float32Array).
 *
 * A stream cut short (a session killed outright, a disk that filled up) ends at its last complete
 * message: `truncatedBytes` says how many bytes after it were ignored, and `endOfStream` stays false
 * (a stream closed properly ends with the end-of-stream marker, a cut at a message boundary does
 * not). A file that is not an
 * Arrow stream, or whose messages contradict themselves, is an InvalidDataError naming the file
 * and the byte offset.
 */
import { closeSync, fstatSync, openSync, read, readFileSync, readSync } from 'node:fs';
import { Message, MessageHeader, RecordBatchReader, type RecordBatch, type Schema } from 'apache-arrow';
import { InvalidDataError } from '../../core/index.js';
import { decodeCounts } from './signal-columns.js';

/** The metadata of a record batch message (Arrow's own decoded form). */
interface BatchMetadata {
  readonly length: number;
  readonly nodes: readonly { readonly length: number; readonly nullCount: number }[];
  readonly buffers: readonly { readonly offset: number; readonly length: number }[];
  readonly compression?: unknown;
}

export interface ArrowBatch {
  /** Rows in the batch. */
  readonly length: number;
  readonly metadata: BatchMetadata;
  /** The batch's body: every column buffer lies inside it (8-byte aligned). */
  readonly body: Uint8Array;
  /** File offset where the message starts and where it ends. */
  readonly start: number;
  readonly end: number;
}

const CONTINUATION = 0xffffffff;
/** Metadata flatbuffers larger than this are not a neurostream recording (4096 channels ≈ 1 MB). */
const MAX_METADATA_BYTES = 64 * 1024 * 1024;
const MAX_BODY_BYTES = 2 ** 31;

export class ArrowStreamFileReader {
  readonly schema: Schema;
  private readonly fd: number;
  private readonly size: number;
  private position = 0;
  private truncated = 0;
  private ended = false;
  private sawEndOfStream = false;
  private readonly prefix = Buffer.alloc(8);
  /** With `reuseBodies`: the two body buffers taken in turn (the batch being used, the one being read). */
  private readonly ring: (ArrayBuffer | undefined)[] | undefined;
  private turn = 0;

  /**
   * `reuseBodies`: bodies are read into two buffers taken in turn, so a batch's
   * memory (and every view of it) is overwritten by the read of the batch after next — for a
   * reader that is done with each batch before it asks for the one after the next.
   */
  constructor(readonly path: string, options: { reuseBodies?: boolean } = {}) {
    this.ring = options.reuseBodies ? [undefined, undefined] : undefined;
    try {
      this.fd = openSync(path, 'r');
    } catch (error) {
      throw new InvalidDataError(path, 'a readable Arrow IPC stream file', (error as Error).message);
    }
    try {
      const stat = fstatSync(this.fd);
      if (!stat.isFile()) throw new InvalidDataError(path, 'a readable Arrow IPC stream file', stat.isDirectory() ? 'a directory' : 'not a regular file');
      this.size = stat.size;
      const first = this.readMessage();
      if (!first || first.message.headerType !== MessageHeader.Schema) {
        throw new InvalidDataError(`${path} at byte 0`, 'an Arrow IPC stream starting with a schema message', first ? `message type ${first.message.headerType}` : 'an empty or cut-short file');
      }
      this.schema = first.message.header() as Schema;
    } catch (error) {
      closeSync(this.fd);
      throw error;
    }
  }

  /** Bytes after the last complete message that were ignored (a stream cut short); 0 otherwise. */
  get truncatedBytes(): number {
    return this.truncated;
  }

  /**
   * True once the end-of-stream marker was read. A stream cut short — also one cut exactly at a
   * message boundary, which leaves `truncatedBytes` 0 — ends without it.
   */
  get endOfStream(): boolean {
    return this.sawEndOfStream;
  }

  /** File offset after the last message read. */
  get offset(): number {
    return this.position;
  }

  /** The next record batch, or null at the end of the stream (or of what was written of it). */
  nextBatch(): ArrowBatch | null {
    for (;;) {
      const start = this.position;
      const next = this.readMessage();
      if (!next) return null;
      const batch = this.batchOf(start, next);
      if (batch) return batch;
    }
  }

  /**
   * As `nextBatch`, but the body — nearly all the bytes — is read by the thread pool, so the
   * caller's thread can process the previous batch meanwhile (read-ahead). One call at a time:
   * await it before the next (and before `close`).
   */
  async nextBatchAsync(): Promise<ArrowBatch | null> {
    for (;;) {
      const start = this.position;
      const next = this.readMessage(true, true);
      if (!next) return null;
      if (next.body.length > 0 && !(await this.readBodyAsync(next.body))) {
        this.end(start);
        return null;
      }
      const batch = this.batchOf(start, next);
      if (batch) return batch;
    }
  }

  private readBodyAsync(body: Uint8Array): Promise<boolean> {
    const at = this.position;
    this.position += body.length; // reserved: no other read runs meanwhile
    return new Promise((resolve, reject) => {
      let done = 0;
      const step = (): void =>
        read(this.fd, body, done, body.length - done, at + done, (error, n) => {
          if (error) return reject(new InvalidDataError(`${this.path} at byte ${at + done}`, 'a readable file', error.message));
          if (n === 0) return resolve(false);
          done += n;
          if (done < body.length) step();
          else resolve(true);
        });
      step();
    });
  }

  /** A record batch message as an ArrowBatch; null for a dictionary batch (skipped: neurostream's files use none). */
  private batchOf(start: number, { message, body }: { message: Message; body: Uint8Array }): ArrowBatch | null {
    if (message.headerType === MessageHeader.RecordBatch) {
      const metadata = message.header() as unknown as BatchMetadata;
      if (metadata.compression) throw new InvalidDataError(`${this.path} at byte ${start}`, 'an uncompressed record batch', 'a compressed one');
      return { length: metadata.length, metadata, body, start, end: this.position };
    }
    if (message.headerType !== MessageHeader.DictionaryBatch) {
      throw new InvalidDataError(`${this.path} at byte ${start}`, 'a record batch message', `message type ${message.headerType}`);
    }
    return null;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
  }

  /**
   * Steps over the next record batch without reading its body (to find where the complete
   * messages end); false at the end of what was written.
   */
  skipBatch(): boolean {
    for (;;) {
      const next = this.readMessage(false);
      if (!next) return false;
      if (next.message.headerType === MessageHeader.RecordBatch) return true;
    }
  }

  /**
   * Steps over every remaining record batch without reading bodies and returns their rows: what
   * the file holds, cheaply (a recording's check against its manifest).
   */
  countRows(): number {
    let rows = 0;
    for (;;) {
      const next = this.readMessage(false);
      if (!next) return rows;
      if (next.message.headerType === MessageHeader.RecordBatch) rows += (next.message.header() as unknown as BatchMetadata).length;
    }
  }

  /** The next message; its body read (`readBody`), or only allocated for the caller to fill (`deferBody`). */
  private readMessage(readBody = true, deferBody = false): { message: Message; body: Uint8Array } | null {
    if (this.ended) return null;
    const start = this.position;
    if (!this.readExactly(this.prefix, 4)) return this.end(start);
    let metadataLength = this.prefix.readInt32LE(0);
    let headerBytes = 4;
    if (this.prefix.readUInt32LE(0) === CONTINUATION) {
      if (!this.readExactly(this.prefix, 4)) return this.end(start);
      metadataLength = this.prefix.readInt32LE(0);
      headerBytes = 8;
    }
    if (metadataLength === 0) {
      this.ended = true; // end-of-stream marker
      this.sawEndOfStream = true;
      return null;
    }
    if (metadataLength < 0 || metadataLength > MAX_METADATA_BYTES) {
      throw new InvalidDataError(`${this.path} at byte ${start}`, `an Arrow message length from 1 to ${MAX_METADATA_BYTES}`, metadataLength);
    }
    if (start + headerBytes + metadataLength > this.size) return this.end(start);
    const metadata = Buffer.allocUnsafe(metadataLength);
    if (!this.readExactly(metadata, metadataLength)) return this.end(start);
    let message: Message;
    try {
      message = Message.decode(metadata);
    } catch (error) {
      throw new InvalidDataError(`${this.path} at byte ${start}`, 'an Arrow message', `undecodable metadata (${(error as Error).message})`);
    }
    const bodyLength = message.bodyLength;
    if (!Number.isSafeInteger(bodyLength) || bodyLength < 0 || bodyLength > MAX_BODY_BYTES) {
      throw new InvalidDataError(`${this.path} at byte ${start}`, 'an Arrow message body length', bodyLength);
    }
    if (this.position + bodyLength > this.size) return this.end(start);
    if (!readBody) {
      this.position += bodyLength;
      return { message, body: new Uint8Array(0) };
    }
    // Its own, 8-byte-aligned buffer: columns are views of it and outlive the next read (unless
    // the reader takes its two buffers in turn, for a reader done with each batch in time).
    // Only record batches take a turn of the ring: a skipped message (a dictionary batch) must not
    // move the next batch into the buffer of the one still being used.
    const reused = this.ring !== undefined && message.headerType === MessageHeader.RecordBatch;
    const body = new Uint8Array(reused ? this.ringBuffer(bodyLength) : Buffer.allocUnsafeSlow(bodyLength).buffer, 0, bodyLength);
    if (deferBody) return { message, body };
    if (!this.readExactly(body, bodyLength)) return this.end(start);
    return { message, body };
  }

  private ringBuffer(bytes: number): ArrayBuffer {
    const ring = this.ring!;
    const k = this.turn;
    this.turn = 1 - k;
    if (!ring[k] || ring[k]!.byteLength < bytes) ring[k] = Buffer.allocUnsafeSlow(bytes).buffer;
    return ring[k]!;
  }

  /** The stream stops at `start`: everything after it is a message cut short. */
  private end(start: number): null {
    this.truncated = this.size - start;
    this.position = start;
    this.ended = true;
    return null;
  }

  private readExactly(target: Uint8Array, length: number): boolean {
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, target, done, length - done, this.position);
      if (n === 0) return false;
      done += n;
      this.position += n;
    }
    return true;
  }
}

/**
 * The data buffer of primitive column `column` (0-based among the schema's fields) as a view of
 * the batch body. Primitive columns have two buffers (validity, data); a column with nulls or of
 * a nested type is not handled here.
 */
function dataRegion(batch: ArrowBatch, column: number, path: string): { offset: number; length: number } {
  const node = batch.metadata.nodes[column];
  const region = batch.metadata.buffers[2 * column + 1];
  if (!node || !region) throw new InvalidDataError(`${path} column ${column}`, 'a column present in the batch', 'a missing column');
  if (node.nullCount !== 0) throw new InvalidDataError(`${path} column ${column}`, 'no null values', `${node.nullCount} nulls`);
  if (region.offset + region.length > batch.body.byteLength) {
    throw new InvalidDataError(`${path} column ${column}`, `a buffer inside the ${batch.body.byteLength}-byte body`, `${region.offset}+${region.length}`);
  }
  return region;
}

/** An 8-byte column of a batch as a typed array: a view of the body, or a copy when unaligned. */
function column64<T extends BigInt64Array | Float64Array>(batch: ArrowBatch, column: number, path: string, type: 'int64' | 'float64', make: (buffer: ArrayBufferLike, offset: number, length: number) => T): T {
  const region = dataRegion(batch, column, path);
  if (region.length < batch.length * 8) throw new InvalidDataError(`${path} column ${column}`, `${batch.length} ${type} values`, `${region.length} bytes`);
  const offset = batch.body.byteOffset + region.offset;
  if (offset % 8 === 0) return make(batch.body.buffer, offset, batch.length);
  return make(batch.body.slice(region.offset, region.offset + batch.length * 8).buffer, 0, batch.length);
}

/** Column `column` of a batch as Int64 values. */
export function int64Column(batch: ArrowBatch, column: number, path: string): BigInt64Array {
  return column64(batch, column, path, 'int64', (buffer, offset, length) => new BigInt64Array(buffer, offset, length));
}

/** Column `column` of a batch as Float64 values. */
export function float64Column(batch: ArrowBatch, column: number, path: string): Float64Array {
  return column64(batch, column, path, 'float64', (buffer, offset, length) => new Float64Array(buffer, offset, length));
}

/**
 * Columns `first … first+count−1` (float32) as one channel-major Float32Array: a view of the body
 * when they lie back to back (as neurostream writes them), else a copy.
 */
export function float32Columns(batch: ArrowBatch, first: number, count: number, path: string): Float32Array {
  const n = batch.length;
  const regions = [];
  let contiguous = true;
  for (let k = 0; k < count; k++) {
    const region = dataRegion(batch, first + k, path);
    if (region.length < n * 4) throw new InvalidDataError(`${path} column ${first + k}`, `${n} float32 values`, `${region.length} bytes`);
    if (k > 0 && region.offset !== regions[k - 1]!.offset + n * 4) contiguous = false;
    regions.push(region);
  }
  if (count === 0) return new Float32Array(0);
  const offset = batch.body.byteOffset + regions[0]!.offset;
  if (contiguous && offset % 4 === 0) return new Float32Array(batch.body.buffer, offset, count * n);
  const out = new Float32Array(count * n);
  const bytes = new Uint8Array(out.buffer);
  regions.forEach((region, k) => bytes.set(batch.body.subarray(region.offset, region.offset + n * 4), k * n * 4));
  return out;
}

/** How a signals channel column is stored: float32 values, or integer counts × `scale`. */
export interface SignalColumn {
  readonly type: 'float32' | 'int16' | 'int32';
  /** The channel's unit per count (integer columns; 1 for float32). */
  readonly scale: number;
}

/**
 * Columns `first … first+count−1` of a signals batch as one channel-major Float32Array of the
 * channels' values: float32 columns as they are (a view when they lie back to back, as version 1
 * writes them), integer columns as `Math.fround(count × scale)` — the float32 values recorded.
 * `memory` gives the decoded values' buffer (at least `bytes` long; default a new one).
 */
export function signalColumns(batch: ArrowBatch, first: number, columns: readonly SignalColumn[], path: string, memory?: (bytes: number) => ArrayBuffer): Float32Array {
  if (columns.every((c) => c.type === 'float32')) return float32Columns(batch, first, columns.length, path);
  const n = batch.length;
  // Every value is written below: no need for zeroed memory (half the page touching of a calloc).
  const bytesOut = columns.length * n * 4;
  const out = new Float32Array(memory ? memory(bytesOut) : Buffer.allocUnsafeSlow(bytesOut).buffer, 0, columns.length * n);
  const bytes = new Uint8Array(out.buffer);
  columns.forEach((column, k) => {
    const region = dataRegion(batch, first + k, path);
    const width = column.type === 'int16' ? 2 : 4;
    if (region.length < n * width) throw new InvalidDataError(`${path} column ${first + k}`, `${n} ${column.type} values`, `${region.length} bytes`);
    const offset = batch.body.byteOffset + region.offset;
    if (column.type === 'float32') {
      bytes.set(batch.body.subarray(region.offset, region.offset + n * 4), k * n * 4);
      return;
    }
    const aligned = offset % width === 0;
    const source = aligned ? batch.body.buffer : batch.body.slice(region.offset, region.offset + n * width).buffer;
    const at = aligned ? offset : 0;
    const counts = column.type === 'int16' ? new Int16Array(source, at, n) : new Int32Array(source, at, n);
    decodeCounts(counts, n, column.scale, out.subarray(k * n, (k + 1) * n));
  });
  return out;
}

/** Every complete batch of a (small) stream file decoded by Arrow JS, for columns of any type. */
export function readArrowBatches(path: string): { schema: Schema; batches: RecordBatch[]; truncatedBytes: number } {
  const reader = new ArrowStreamFileReader(path);
  let complete: Uint8Array;
  try {
    while (reader.skipBatch()) {
      // walk to the end of the last complete message
    }
    complete = readFileSync(path).subarray(0, reader.offset);
  } finally {
    reader.close();
  }
  const batches = [...RecordBatchReader.from(complete)];
  return { schema: reader.schema, batches, truncatedBytes: reader.truncatedBytes };
}
