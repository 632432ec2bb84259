/**
 * The CLI's output boundary: everything written to stdout and stderr passes through
 * `printable`, so a text read from a file (an EDF label, an OpenBCI header, a session id, a
 * marker text, an error message quoting any of them) cannot clear the screen or retitle the
 * window. The CLI's own cursor controls (the status line's `\r…ESC[K`, the progress bar) are
 * the only raw writes, through `writeTerminalControl` and `rawTerminalStream`.
 */
import { StringDecoder } from 'node:string_decoder';
import { printable } from '../core/index.js';

type Write = NodeJS.WriteStream['write'];

const originals = new WeakMap<NodeJS.WriteStream, Write>();

function isTextEncoding(encoding: unknown): boolean {
  return encoding === undefined || typeof encoding === 'function' || encoding === 'utf8' || encoding === 'utf-8';
}

/** Makes every later `stream.write` (strings and UTF-8 bytes) print control characters as visible escapes. */
export function guardTerminalOutput(stream: NodeJS.WriteStream): void {
  if (originals.has(stream)) return;
  const original = stream.write.bind(stream) as Write;
  originals.set(stream, original);
  const decoder = new StringDecoder('utf8');
  const guarded = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    let text: string | undefined;
    if (typeof chunk === 'string' && isTextEncoding(encoding)) text = chunk;
    else if (chunk instanceof Uint8Array) text = decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (text === undefined) return (original as (...args: unknown[]) => boolean)(chunk, encoding, callback);
    const done = typeof encoding === 'function' ? encoding : callback;
    return (original as (...args: unknown[]) => boolean)(printable(text), 'utf8', done);
  };
  stream.write = guarded as Write;
}

/** Writes the CLI's own terminal control sequence (e.g. `\r`, `ESC[K`) past the guard. */
export function writeTerminalControl(stream: NodeJS.WriteStream, control: string): void {
  (originals.get(stream) ?? stream.write.bind(stream))(control);
}

/**
 * A view of `stream` whose `write` passes the guard, for a library that draws with control
 * sequences (cli-progress); what it is given to print must be `printable` already.
 */
export function rawTerminalStream(stream: NodeJS.WriteStream): NodeJS.WriteStream {
  return new Proxy(stream, {
    get(target, property) {
      if (property === 'write') return originals.get(target) ?? target.write.bind(target);
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
