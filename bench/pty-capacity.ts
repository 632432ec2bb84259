/**
 * What a socat pseudo-terminal pair carries on this machine, through node-serialport at both ends
 * (as the emulator writes and frameSource reads): bytes written as fast as the pair accepts them
 * (64 KiB writes, waiting for drain) for `seconds`, bytes read at the other end per second. The
 * pipeline benchmark reports it beside what each channel count needs, so a loss at the pty is told
 * apart from a loss in the pipeline.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { hostNowMs } from '../core/index.js';
import { startPtyPair } from '../devices/emulators/pty-pair.js';

export interface PtyCapacity {
  /** Bytes per second read at the far end, MB/s (10⁶ bytes). */
  readMBPerS: number;
  seconds: number;
  /** Mean bytes per read (the tty layer hands out at most ~4 KiB at a time). */
  meanReadBytes: number;
}

function open(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const port = new SerialPort({ path, baudRate: 921600 }, (error) => (error ? reject(error) : resolve(port)));
  });
}

export async function measurePtyCapacity(seconds: number): Promise<PtyCapacity> {
  const pair = await startPtyPair(join(tmpdir(), `ns-bench-pty-capacity-${process.pid}`));
  const writer = await open(pair.inner);
  const reader = await open(pair.link);
  let bytes = 0;
  let reads = 0;
  let counting = false;
  reader.on('data', (chunk: Buffer) => {
    if (!counting) return;
    bytes += chunk.length;
    reads++;
  });
  const chunk = Buffer.alloc(64 * 1024, 0x55);
  let writing = true;
  const pump = (async () => {
    while (writing) {
      if (!writer.write(chunk)) await new Promise<void>((resolve) => writer.once('drain', () => resolve()));
    }
  })();
  await new Promise((r) => setTimeout(r, 500)); // the pair's buffers fill first
  counting = true;
  const start = hostNowMs();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  counting = false;
  const elapsedS = (hostNowMs() - start) / 1000;
  writing = false;
  await Promise.race([pump, new Promise((r) => setTimeout(r, 1000))]);
  await Promise.all([writer, reader].map((p) => new Promise<void>((resolve) => p.close(() => resolve()))));
  await pair.stop();
  return { readMBPerS: bytes / elapsedS / 1e6, seconds: elapsedS, meanReadBytes: reads > 0 ? bytes / reads : 0 };
}
