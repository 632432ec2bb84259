/**
 * Reads a file front to back in fixed-size chunks through one reused buffer: bounded memory
 * whatever the file's size. Each yielded chunk is a view of that buffer, valid only until the
 * next one is requested — parse it, copy what you keep. Stopping early (break, return, throw)
 * closes the file.
 */
import { closeSync, openSync, readSync } from 'node:fs';

/** Default chunk: 1 MiB. */
export const FILE_CHUNK_BYTES = 1 << 20;

export function* fileChunks(path: string, chunkBytes = FILE_CHUNK_BYTES): Generator<Uint8Array, void, undefined> {
  const fd = openSync(path, 'r');
  try {
    const buffer = new Uint8Array(chunkBytes);
    let position = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, chunkBytes, position);
      if (n === 0) return;
      position += n;
      yield buffer.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}
