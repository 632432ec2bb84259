/**
 * ArrowStreamFileWriter — one Arrow IPC *stream* file, written batch by batch with our own
 * system calls: Arrow JS assembles each batch's messages (schema once, then one record batch per
 * call) into a sink that only collects the byte views, and we hand them to `writev` in one call.
 * The views point into the batch's own column arrays, so nothing is copied on the way.
 *
 * Durability contract: after `writeBatch` returns, the batch is in the operating system's file
 * cache (a process killed outright loses nothing that was written). `committedBytes` is the end
 * of the last complete message. If a write fails (disk full, file gone), the file is cut back to
 * `committedBytes` and closed with the end-of-stream marker when possible, so every reader still
 * sees every complete batch; the writer then refuses further batches with a RecordingError.
 */
import { closeSync, ftruncateSync, fsyncSync, openSync, writeSync, writevSync } from 'node:fs';
import { AsyncByteQueue, RecordBatchStreamWriter, type RecordBatch, type Schema } from 'apache-arrow';
import { RecordingError } from '../recording-error.js';

/** The end-of-stream marker of the IPC stream format: continuation, then a zero length. */
export const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** An Arrow byte sink that only collects the views it is given (no copies, no async queue). */
class CollectingSink extends AsyncByteQueue {
  readonly chunks: Uint8Array[] = [];
  override write(value: Uint8Array): void {
    if (value.byteLength > 0) this.chunks.push(value);
  }
}

export class ArrowStreamFileWriter {
  private readonly fd: number;
  private readonly sink = new CollectingSink();
  private readonly writer = new RecordBatchStreamWriter();
  private committed = 0;
  private failure: RecordingError | undefined;
  private closed = false;
  private batchCount = 0;

  /** Creates `path` (never overwrites an existing file) and writes the schema message. */
  constructor(
    readonly path: string,
    schema: Schema,
  ) {
    try {
      this.fd = openSync(path, 'wx');
    } catch (error) {
      throw RecordingError.from(error, `creating ${path}`);
    }
    try {
      this.writer.reset(this.sink, schema);
      this.drain();
    } catch (error) {
      closeQuietly(this.fd);
      throw RecordingError.from(error, `writing the schema of ${path}`);
    }
  }

  /** Bytes of complete messages on disk. */
  get committedBytes(): number {
    return this.committed;
  }

  get batches(): number {
    return this.batchCount;
  }

  /** The failure that stopped this writer, if one did. */
  get failed(): RecordingError | undefined {
    return this.failure;
  }

  /** Appends one record batch; throws a RecordingError (and keeps the file readable) on failure. */
  writeBatch(batch: RecordBatch): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new RecordingError(`${this.path} is closed`);
    this.writer.write(batch);
    this.drain();
    this.batchCount++;
  }

  /** Asks the operating system to put the file on the disk (survives power loss, not just a kill). */
  sync(): void {
    if (this.failure || this.closed) return;
    try {
      fsyncSync(this.fd);
    } catch (error) {
      this.fail(error, 'syncing');
    }
  }

  /** Ends the stream with the end-of-stream marker and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (!this.failure) {
        writeAt(this.fd, END_OF_STREAM, this.committed);
        this.committed += END_OF_STREAM.byteLength;
      }
    } catch (error) {
      this.fail(error, 'closing');
    } finally {
      closeQuietly(this.fd);
    }
  }

  private drain(): void {
    const chunks = this.sink.chunks;
    if (chunks.length === 0) return;
    let bytes = 0;
    for (const chunk of chunks) bytes += chunk.byteLength;
    try {
      writeAll(this.fd, chunks);
      this.committed += bytes;
    } catch (error) {
      this.fail(error, 'writing');
    } finally {
      chunks.length = 0;
    }
    if (this.failure) throw this.failure;
  }

  /** Cuts the file back to its last complete message, ends it properly if it can, and remembers why. */
  private fail(error: unknown, doing: string): void {
    this.failure = RecordingError.from(error, `${doing} ${this.path} (kept ${this.committed} bytes of complete batches)`);
    try {
      ftruncateSync(this.fd, this.committed);
      writeAt(this.fd, END_OF_STREAM, this.committed); // at the cut, not where a partial write left the file position
    } catch {
      // The file may be gone or the disk still full: readers stop at the last complete message anyway.
    }
  }
}

/**
 * Writes that moved no byte in a row before the file is given up on: a file system that keeps
 * accepting nothing (without an error) would otherwise be retried forever.
 */
const MAX_EMPTY_WRITES = 3;

/** The error for a file that accepts no more bytes (it says how far the write got). */
function noProgress(done: number, total: number): Error {
  return Object.assign(new Error(`the file system accepted no bytes (${MAX_EMPTY_WRITES} writes in a row) after ${done} of ${total} bytes`), { code: 'EIO' });
}

/** writev until every byte is written (writev may write less than asked; a bounded number of empty writes). */
function writeAll(fd: number, chunks: readonly Uint8Array[]): void {
  let pending = chunks.slice();
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  let done = 0;
  let empty = 0;
  while (pending.length > 0) {
    let written = pending.length === 1 ? writeSync(fd, pending[0]!) : writevSync(fd, pending);
    if (written === 0) {
      if (++empty >= MAX_EMPTY_WRITES) throw noProgress(done, total);
      continue;
    }
    empty = 0;
    done += written;
    let i = 0;
    while (i < pending.length && written >= pending[i]!.byteLength) {
      written -= pending[i]!.byteLength;
      i++;
    }
    pending = pending.slice(i);
    if (written > 0 && pending.length > 0) pending[0] = pending[0]!.subarray(written);
  }
}

/** Writes `bytes` at file offset `position`. */
function writeAt(fd: number, bytes: Uint8Array, position: number): void {
  let done = 0;
  let empty = 0;
  while (done < bytes.byteLength) {
    const written = writeSync(fd, bytes, done, bytes.byteLength - done, position + done);
    if (written === 0 && ++empty >= MAX_EMPTY_WRITES) throw noProgress(done, bytes.byteLength);
    if (written > 0) empty = 0;
    done += written;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed or gone
  }
}
