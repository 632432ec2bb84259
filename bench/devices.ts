/**
 * Device benchmarks: parse throughput of the Cyton and frame-protocol parsers (MB/s, in memory),
 * and the frame protocol at 256 ch × 30 kHz in 1 ms frames over a real pseudo-terminal (emulator
 * in another process → socat → frameSource), which must lose nothing.
 * Run: `npm run bench:devices` (writes bench/results/devices.json; needs socat).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StreamHealth } from '../acquisition/health/stream-health.js';
import { hostNowMs } from '../core/index.js';
import { frameSource } from '../devices/drivers/frame-source.js';
import { writeCytonPacket } from '../devices/protocols/cyton/cyton-encoder.js';
import { CytonParser } from '../devices/protocols/cyton/cyton-parser.js';
import { FrameFormat } from '../devices/protocols/frame/frame-constants.js';
import { FrameEncoder } from '../devices/protocols/frame/frame-encoder.js';
import { FrameParser, decodeFrame } from '../devices/protocols/frame/frame-parser.js';
import type { FrameParserStats } from '../devices/protocols/frame/frame-parser.js';
import { type BenchOptions, benchEnvironment, finish, isMain, progress, resultPath } from './report.js';

export async function runDevicesBench(options: BenchOptions): Promise<object> {
  const log = progress(options);

  function throughput(name: string, bytes: Uint8Array, chunk: number, push: (b: Uint8Array) => void, seconds = 2) {
    const start = performance.now();
    let total = 0;
    while (performance.now() - start < seconds * 1000) {
      for (let at = 0; at < bytes.length; at += chunk) push(bytes.subarray(at, at + chunk));
      total += bytes.length;
    }
    const mbPerS = total / 1e6 / ((performance.now() - start) / 1000);
    log(`${name.padEnd(58)} ${mbPerS.toFixed(0).padStart(6)} MB/s\n`);
    return { name, chunkBytes: chunk, mbPerSecond: Math.round(mbPerS) };
  }

  // Cyton: 100 000 packets in 4 KB reads.
  const cytonBytes = new Uint8Array(33 * 100_000);
  for (let k = 0; k < 100_000; k++) writeCytonPacket(cytonBytes, 33 * k, { counter: k, counts: [k, -k, 3 * k, 0, 1, 2, 3, 4] });
  const cyton = new CytonParser({ onSample: () => {} });
  const parse = [throughput('cyton parser (8 ch, 4 KiB reads)', cytonBytes, 4096, (b) => cyton.push(b))];

  // Frame protocol: 256 ch × 30 scans int16 (1 ms at 30 kHz), 64 KB reads; with and without decoding to µV.
  const enc = new FrameEncoder({ format: FrameFormat.Int16, channels: 256, sampleRateHz: 30000, scaleUv: 0.195 });
  const frameLength = enc.frameBytes(30);
  const frames = 200;
  const frameBytes = new Uint8Array(frameLength * frames);
  const data = Float32Array.from({ length: 256 * 30 }, (_, i) => ((i * 37) % 400) - 200);
  for (let k = 0; k < frames; k++) enc.write(frameBytes, k * frameLength, data, 30, 0, 30, k, BigInt(k * 1000));
  const out = new Float32Array(256 * 30);
  const framesOnly = new FrameParser({ onFrame: () => {} });
  parse.push(throughput('frame parser, CRC-32C checked (256 ch int16, 64 KiB reads)', frameBytes, 65536, (b) => framesOnly.push(b)));
  const framesDecoded = new FrameParser({ onFrame: (f) => decodeFrame(f, out, 30, 0) });
  parse.push(throughput('frame parser + decode to µV', frameBytes, 65536, (b) => framesDecoded.push(b)));

  // Over a pty: the emulator in its own process, the driver here.
  async function overPty(seconds: number) {
    const cli = fileURLToPath(new URL('../cli/main.js', import.meta.url));
    const link = join(tmpdir(), `ns-bench-${process.pid}`);
    const emulator = spawn(process.execPath, [cli, 'emulate', '--protocol', 'frame', '--channels', '256', '--rate', '30000', '--format', 'int16', '--frame-ms', '1', '--link', link], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    for (let i = 0; i < 500 && !existsSync(link); i++) await new Promise((r) => setTimeout(r, 10));
    const health = new StreamHealth(30000);
    let stats: FrameParserStats | undefined;
    let gaps = 0;
    let blocks = 0;
    let firstFrameAt = NaN;
    await new Promise<void>((resolve, reject) => {
      const sub = frameSource({ port: link, onParser: (s) => (stats = s) }).subscribe({
        next: (b) => {
          if (Number.isNaN(firstFrameAt)) firstFrameAt = hostNowMs();
          health.observe(b, hostNowMs());
          blocks++;
          gaps += b.gap?.missing ?? 0;
          if (hostNowMs() - firstFrameAt > seconds * 1000) {
            sub.unsubscribe();
            resolve();
          }
        },
        error: reject,
      });
    });
    const h = health.snapshot(hostNowMs());
    emulator.kill('SIGINT');
    await new Promise((r) => emulator.once('exit', r));
    const result = {
      name: 'frame protocol over a pty: 256 ch × 30 kHz int16, 1 ms frames',
      seconds,
      frames: blocks,
      samplesPerChannel: h.samples,
      lostSamples: gaps,
      crcErrors: stats?.crcErrors ?? 0,
      skippedBytes: stats?.skippedBytes ?? 0,
      megabytesPerSecond: Number(((blocks * frameLength) / 1e6 / seconds).toFixed(1)),
      maxLagMs: Number(h.maxLagMs.toFixed(1)),
    };
    log(
      `${result.name}: ${result.frames} frames in ${seconds} s (${result.megabytesPerSecond} MB/s), ` +
        `${result.lostSamples} samples lost, ${result.crcErrors} CRC errors, max lag ${result.maxLagMs} ms\n`,
    );
    return result;
  }

  const pty = await overPty(Number(process.env.BENCH_SECONDS ?? 10));
  const path = resultPath('devices');
  return finish(path, { benchmark: 'devices', environment: benchEnvironment(), parse, pty }, options);

}

if (isMain(import.meta.url)) await runDevicesBench({ json: process.argv.includes('--json') });
