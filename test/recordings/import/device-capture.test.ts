import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type SampleBlock, InvalidDataError } from '../../../core/index.js';
import { CytonBoard } from '../../../devices/emulators/cyton-board.js';
import { FRAME_DEVICE_SCALE_UV, FrameDevice } from '../../../devices/emulators/frame-device.js';
import { countsFromMicrovolts, writeCytonPacket } from '../../../devices/protocols/cyton/cyton-encoder.js';
import { FrameFormat } from '../../../devices/protocols/frame/frame-constants.js';
import { FrameEncoder } from '../../../devices/protocols/frame/frame-encoder.js';
import { IntracorticalSimulator } from '../../../devices/simulators/intracortical-simulator.js';
import { readDeviceCapture } from '../../../recordings/import/device-capture.js';

const tmp = mkdtempSync(join(tmpdir(), 'device-capture-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let tmpCount = 0;
function tmpFile(bytes: Uint8Array): string {
  const path = join(tmp, `capture-${++tmpCount}.bin`);
  writeFileSync(path, bytes);
  return path;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Index of the first difference between two arrays, −1 if equal (faster than deep equality). */
function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return -2;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/** Samples by stream index: channel c of sample i (NaN where a gap left none). */
function byIndex(blocks: readonly SampleBlock[], total: number, channels: number): Float32Array[] {
  const out = Array.from({ length: channels }, () => new Float32Array(total).fill(NaN));
  for (const b of blocks) for (let c = 0; c < channels; c++) out[c]!.set(b.data.subarray(c * b.length, (c + 1) * b.length), b.first);
  return out;
}

const UV_PER_COUNT_24 = 4.5e6 / 24 / (2 ** 23 - 1);
const G_PER_COUNT = 0.002 / 16;
const BANNER = 'OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$';

/** Deterministic counts over the whole 24-bit range, negatives included. */
const countsOf = (k: number): number[] => Array.from({ length: 8 }, (_, c) => ((k * 7919 + c * 104729 + 4_000_000) % 16_777_216) - 8_388_608);
const accelOf = (k: number): [number, number, number] => (k % 10 === 0 ? [k + 1, -k - 1, 1000] : [0, 0, 0]);

describe('readDeviceCapture: Cyton', () => {
  // 2000 packets (counter k & 0xFF). Lost: 100–102 (3), 500 (1), 600–899 (300 ≥ 256: the counter
  // shows 44), 1998 (so the last packet follows a jump). Packet 1200 corrupted (stop byte), bytes
  // of junk (with a false header) before packet 700. The banner and a text reply lead the capture.
  const N = 2000;
  const lost = new Set<number>([100, 101, 102, 500, ...Array.from({ length: 300 }, (_, i) => 600 + i), 1998]);
  const parts: Uint8Array[] = [new TextEncoder().encode(BANNER), new TextEncoder().encode('Success: Channel set for 3$$$')];
  for (let k = 0; k < N; k++) {
    if (k === 700) parts.push(Uint8Array.of(0xa0, 0x12, 0xc0, 0x00, 0xa0, 0x55, 0x41));
    if (lost.has(k)) continue;
    const p = new Uint8Array(33);
    writeCytonPacket(p, 0, { counter: k & 0xff, counts: countsOf(k), accel: accelOf(k) });
    if (k === 1200) p[32] = 0x00;
    parts.push(p);
  }
  const path = tmpFile(concat(parts));

  it('decodes every packet to µV and g, with the live driver gaps', () => {
    const rec = readDeviceCapture(path, { protocol: 'cyton', startTime: '2026-01-01T00:00:00.000Z' });
    expect(rec.format).toBe('cyton capture');
    const s = rec.streams[0]!;
    expect(s.info.sampleRateHz).toBe(250);
    expect(s.info.channelNames).toEqual(['EXG1', 'EXG2', 'EXG3', 'EXG4', 'EXG5', 'EXG6', 'EXG7', 'EXG8', 'AccelX', 'AccelY', 'AccelZ']);
    expect(s.info.channelKinds.slice(8)).toEqual(['accel', 'accel', 'accel']);
    expect(s.info.adcScale[0]).toBe(UV_PER_COUNT_24);
    expect(s.info.device).toEqual({ name: 'cyton', model: 'OpenBCI Cyton', serial: '' });
    expect(s.info.startTime).toBe('2026-01-01T00:00:00.000Z');

    // Where each received packet lands: packet k at k, except after the 300-packet loss, which the
    // 8-bit counter reads as 44 (300 − 256): packets from 900 on land at k − 256.
    const received = Array.from({ length: N }, (_, k) => k).filter((k) => !lost.has(k) && k !== 1200);
    const at = (k: number): number => (k >= 900 ? k - 256 : k);
    expect(s.totalSamples).toBe(N - 256);
    const blocks = [...s.blocks()];
    expect(blocks.map((b) => b.gap && [b.first, b.gap.missing]).filter(Boolean)).toEqual([
      [103, 3], // the first sample after the gap: packet 103
      [501, 1],
      [644, 44], // packet 900
      [1201 - 256, 1],
      [1999 - 256, 1],
    ]);
    expect(blocks.reduce((n, b) => n + b.length, 0)).toBe(received.length);
    expect(blocks.every((b) => b.length <= 250)).toBe(true);
    const data = byIndex(blocks, s.totalSamples, 11);
    const want = Array.from({ length: 11 }, () => new Float32Array(s.totalSamples).fill(NaN));
    let accel = [0, 0, 0];
    for (const k of received) {
      const counts = countsOf(k);
      for (let c = 0; c < 8; c++) want[c]![at(k)] = counts[c]! * UV_PER_COUNT_24;
      const a = accelOf(k);
      if (a.some((v) => v !== 0)) accel = a.map((v) => v * G_PER_COUNT);
      for (let j = 0; j < 3; j++) want[8 + j]![at(k)] = accel[j]!;
    }
    for (let c = 0; c < 11; c++) expect(firstMismatch(data[c]!, want[c]!)).toBe(-1);
    expect(data[0]![1999 - 256]).toBe(Math.fround(countsOf(1999)[0]! * UV_PER_COUNT_24)); // the last packet, after a jump

    const notes = rec.notes.join('\n');
    expect(notes).toMatch(/board banner in the capture: Cyton/);
    expect(notes).toMatch(/1694 packets; 50 samples lost by the packet counter \(49 packets lost, 1 received corrupt; counted modulo 256/);
    expect(notes).toMatch(/bytes outside packets skipped/);
    expect(notes).toMatch(/board text repl/);
    expect(notes).toMatch(/gains not in the capture: 24/);
  });

  it('blocks() re-reads the file: same blocks each time; gains scale the µV', () => {
    const s = readDeviceCapture(path, { protocol: 'cyton', gains: 8 }).streams[0]!;
    const a = [...s.blocks()];
    const b = [...s.blocks()];
    expect(a.length).toBe(b.length);
    expect(firstMismatch(a[3]!.data, b[3]!.data)).toBe(-1);
    expect(a[0]!.data[0]).toBe(Math.fround(countsOf(0)[0]! * (4.5e6 / 8 / (2 ** 23 - 1))));
  });

  it('never reads a garbled banner as a Daisy: two banners run together, or a flipped bit, leave an 8-channel Cyton', () => {
    const packets = concat(Array.from({ length: 20 }, (_, k) => {
      const p = new Uint8Array(33);
      writeCytonPacket(p, 0, { counter: k, counts: countsOf(k), accel: accelOf(k) });
      return p;
    }));
    const text = (t: string): Uint8Array => new TextEncoder().encode(t);
    // A `$$$` flipped to `$$%`: the first banner runs into the second — two "ADS1299 Device ID" lines.
    const runTogether = BANNER.replace(/\$\$\$$/, '$$%') + BANNER;
    const two = readDeviceCapture(tmpFile(concat([text(runTogether), packets])), { protocol: 'cyton' });
    expect(two.format).toBe('cyton capture');
    expect(two.streams[0]!.info.channelNames).toHaveLength(11);
    expect(two.notes.join('\n')).toMatch(/board banner in the capture: Cyton\b(?! \+)/);
    // One flipped bit in a line (H 0x48 → L 0x4C): not a clean banner — say so, assume the plain Cyton.
    const flipped = BANNER.replace('LIS3DH', 'LIS3DL');
    const garbled = readDeviceCapture(tmpFile(concat([text(flipped), packets])), { protocol: 'cyton' });
    expect(garbled.format).toBe('cyton capture');
    expect(garbled.streams[0]!.info.sampleRateHz).toBe(250);
    expect(garbled.notes.join('\n')).toMatch(/board banner in the capture garbled \(".*"\): a Cyton without Daisy assumed/);
  });

  it('the emulated board: Cyton + Daisy detected from its banner, 16 channels at 125 Hz, values of its simulator', () => {
    const sent: Uint8Array[] = [];
    const board = new CytonBoard({ daisy: true, seed: 7, send: (b) => sent.push(b.slice()) });
    board.receive(new TextEncoder().encode('v'), 0);
    board.receive(new TextEncoder().encode('b'), 0);
    for (let t = 10; t <= 8000; t += 10) board.advanceTo(t);
    const rec = readDeviceCapture(tmpFile(concat(sent)), { protocol: 'cyton' });
    const s = rec.streams[0]!;
    expect(rec.format).toBe('cyton+daisy capture');
    expect(s.info.sampleRateHz).toBe(125);
    expect(s.info.channelNames).toHaveLength(19);
    // 2000 packets: the first (counter 0) is unpaired, then 999 pairs + 1 unpaired odd packet.
    expect(s.totalSamples).toBe(999);
    const blocks = [...s.blocks()];
    expect(blocks.some((b) => b.gap)).toBe(false);
    const sim = CytonBoard.simulatorFor({ daisy: true, seed: 7 }).read(999, 0);
    const data = byIndex(blocks, 999, 19);
    for (let c = 0; c < 16; c++) {
      const want = Float32Array.from({ length: 999 }, (_, i) => countsFromMicrovolts(sim.data[c * 999 + i]!, 24) * UV_PER_COUNT_24);
      expect(firstMismatch(data[c]!, want)).toBe(-1);
    }
  });

  it('the emulated board with random drops: every received sample at its index, gaps = drops', () => {
    const sent: Uint8Array[] = [];
    const board = new CytonBoard({ seed: 3, dropRate: 0.05, send: (b) => sent.push(b.slice()) });
    board.receive(new TextEncoder().encode('b'), 0);
    for (let t = 10; t <= 20_000; t += 10) board.advanceTo(t);
    const rec = readDeviceCapture(tmpFile(concat(sent)), { protocol: 'cyton' });
    const s = rec.streams[0]!;
    const blocks = [...s.blocks()];
    const gaps = blocks.reduce((n, b) => n + (b.gap?.missing ?? 0), 0);
    const received = blocks.reduce((n, b) => n + b.length, 0);
    expect(board.packetsCounted).toBe(5000);
    expect(received + board.packetsDropped).toBe(5000);
    expect(s.totalSamples).toBe(received + gaps);
    expect(gaps).toBeLessThanOrEqual(board.packetsDropped); // drops after the last received packet are invisible
    expect(board.packetsDropped - gaps).toBe(5000 - s.totalSamples);
    expect(gaps).toBeGreaterThan(150);
    const sim = CytonBoard.simulatorFor({ seed: 3 }).read(s.totalSamples, 0);
    const data = byIndex(blocks, s.totalSamples, 11);
    for (const c of [0, 7]) {
      const want = Float32Array.from({ length: s.totalSamples }, (_, i) =>
        Number.isNaN(data[c]![i]!) ? NaN : countsFromMicrovolts(sim.data[c * s.totalSamples + i]!, 24) * UV_PER_COUNT_24,
      );
      expect(firstMismatch(data[c]!, want)).toBe(-1);
    }
  });
});

describe('readDeviceCapture: frame protocol', () => {
  /** `n` frames of 4 channels × 10 scans at 1000 Hz; values exactly representable at scale 0.5. */
  function frameCapture(format: FrameFormat, options: { lost?: Set<number>; corrupt?: number; junkBefore?: number; restartAt?: number } = {}) {
    const enc = new FrameEncoder({ format, channels: 4, sampleRateHz: 1000, scaleUv: 0.5 });
    const parts: Uint8Array[] = [];
    const values: Float32Array[] = [];
    for (let k = 0; k < 30; k++) {
      const data = Float32Array.from({ length: 40 }, (_, i) => (((k * 131 + i * 17) % 2000) - 1000) * 0.5);
      values.push(data);
      if (options.lost?.has(k)) continue;
      if (k === options.junkBefore) parts.push(Uint8Array.of(0xaa, 0x55, 0x4e, 0x53, 9, 9, 0xaa, 1, 2, 3));
      const out = new Uint8Array(enc.frameBytes(10));
      // Device time starts at 5 s (the device was on before the capture began).
      const deviceMs = options.restartAt !== undefined && k >= options.restartAt ? (k - options.restartAt) * 10 : 5000 + k * 10;
      enc.write(out, 0, data, 10, 0, 10, k, BigInt(deviceMs * 1000));
      if (k === options.corrupt) out[40]! ^= 0x01;
      parts.push(out);
    }
    return { bytes: concat(parts), values };
  }

  for (const format of [FrameFormat.Int16, FrameFormat.Int24, FrameFormat.Float32]) {
    it(`format ${format}: every value, gaps for lost and corrupt frames, junk skipped`, () => {
      const { bytes, values } = frameCapture(format, { lost: new Set([3, 4, 20]), corrupt: 8, junkBefore: 12 });
      const rec = readDeviceCapture(tmpFile(bytes), { protocol: 'frame', sampleRateHz: 1000, blockLength: 100 });
      expect(rec.format).toBe('frame protocol v1 capture');
      const s = rec.streams[0]!;
      expect(s.info.sampleRateHz).toBe(1000);
      expect(s.info.channelNames).toEqual(['ch0001', 'ch0002', 'ch0003', 'ch0004']);
      expect(s.info.adcScale[0]).toBe(format === FrameFormat.Float32 ? 0 : 0.5);
      expect(s.totalSamples).toBe(300);
      const blocks = [...s.blocks()];
      expect(blocks.map((b) => b.gap && [b.first, b.gap.missing]).filter(Boolean)).toEqual([
        [50, 20],
        [90, 10],
        [210, 10],
      ]);
      expect(blocks.every((b) => b.length <= 100)).toBe(true);
      const data = byIndex(blocks, 300, 4);
      for (let c = 0; c < 4; c++) {
        const want = new Float32Array(300).fill(NaN);
        // The encoder took channel-major data (channel c at c × 10); lost and corrupt frames stay NaN.
        values.forEach((v, k) => {
          if (k === 3 || k === 4 || k === 8 || k === 20) return;
          for (let j = 0; j < 10; j++) want[k * 10 + j] = v[c * 10 + j]!;
        });
        expect(firstMismatch(data[c]!, want)).toBe(-1);
      }
      const notes = rec.notes.join('\n');
      expect(notes).toMatch(/sample 0 is the device's sample 5000/);
      expect(notes).toMatch(/26 frames; 4 missing by the sequence number \(3 lost, 1 received corrupt;/);
      expect(notes).toMatch(/1 CRC errors/);
    });
  }

  it('a device restart continues without a gap, noted; a changed shape is an error', () => {
    const { bytes } = frameCapture(FrameFormat.Int16, { restartAt: 15 });
    const rec = readDeviceCapture(tmpFile(bytes), { protocol: 'frame' });
    expect(rec.streams[0]!.totalSamples).toBe(300);
    expect([...rec.streams[0]!.blocks()].some((b) => b.gap)).toBe(false);
    expect(rec.notes.join('\n')).toMatch(/the device clock went back 1 time\(s\) \(a restart\), first at sample 150/);

    const a = frameCapture(FrameFormat.Int16).bytes;
    const other = new FrameEncoder({ format: FrameFormat.Int16, channels: 2, sampleRateHz: 1000, scaleUv: 0.5 });
    const extra = new Uint8Array(other.frameBytes(10));
    other.write(extra, 0, new Float32Array(20), 10, 0, 10, 30, 5_300_000n);
    const path = tmpFile(concat([a, extra]));
    expect(() => readDeviceCapture(path, { protocol: 'frame' })).toThrow(
      `${path}: frame 31 (sequence 30): expected the stream's shape, 4 channels, int16, 1000 Hz, 0.5 µV/count, got "2 channels, int16, 1000 Hz, 0.5 µV/count"`,
    );
    expect(() => readDeviceCapture(tmpFile(a), { protocol: 'frame', sampleRateHz: 30000 })).toThrow(
      /frame headers: expected a sample rate of 30000 Hz \(sampleRateHz\), got "1000 Hz"/,
    );
  });

  it('the emulated front-end: values of its simulator, exact gaps for dropped frames', () => {
    const sent: Uint8Array[] = [];
    const device = new FrameDevice({ channels: 8, sampleRateHz: 30000, format: FrameFormat.Int16, frameScans: 30, dropRate: 0.02, seed: 5, send: (b) => sent.push(b.slice()) });
    for (let t = 0; t <= 2000; t += 5) device.advanceTo(t);
    const rec = readDeviceCapture(tmpFile(concat(sent)), { protocol: 'frame' });
    const s = rec.streams[0]!;
    const blocks = [...s.blocks()];
    const gaps = blocks.reduce((n, b) => n + (b.gap?.missing ?? 0), 0);
    expect(blocks.reduce((n, b) => n + b.length, 0) + gaps).toBe(s.totalSamples);
    expect(device.framesDropped).toBeGreaterThan(10);
    const sim = new IntracorticalSimulator({ channels: 8, sampleRateHz: 30000, seed: 5 }).read(60000, 0);
    const data = byIndex(blocks, s.totalSamples, 8);
    const scale = FRAME_DEVICE_SCALE_UV[FrameFormat.Int16];
    // Each received value is the simulator's, rounded to an int16 count × the header's float32 scale.
    for (const c of [0, 2, 7]) {
      const got = data[c]!;
      const want = Float32Array.from(got, (g, i) =>
        Number.isNaN(g) ? NaN : Math.min(32767, Math.max(-32768, Math.floor(sim.data[c * 60000 + i]! / scale + 0.5))) * Math.fround(scale),
      );
      expect(firstMismatch(got, want)).toBe(-1);
      expect(got.filter((v) => !Number.isNaN(v)).length).toBe(s.totalSamples - gaps);
    }
  });
});

describe('readDeviceCapture: bad input', () => {
  const cytonBytes = (() => {
    const out = new Uint8Array(33 * 50);
    for (let k = 0; k < 50; k++) writeCytonPacket(out, 33 * k, { counter: k, counts: countsOf(k) });
    return out;
  })();

  it('a frame capture read as Cyton, and a Cyton capture read as frames: one error saying which it is', () => {
    const frames = tmpFile(
      (() => {
        const enc = new FrameEncoder({ format: FrameFormat.Int16, channels: 2, sampleRateHz: 1000, scaleUv: 1 });
        const parts: Uint8Array[] = [];
        for (let k = 0; k < 20; k++) {
          const out = new Uint8Array(enc.frameBytes(5));
          enc.write(out, 0, new Float32Array(10), 5, 0, 5, k, BigInt(k * 5000));
          parts.push(out);
        }
        return concat(parts);
      })(),
    );
    expect(() => readDeviceCapture(frames, { protocol: 'cyton' })).toThrow(InvalidDataError);
    expect(() => readDeviceCapture(frames, { protocol: 'cyton' })).toThrow(
      `${frames} (1120 bytes read: 1120 bytes skipped, 0 candidate packets rejected): expected OpenBCI Cyton packets (33 bytes: 0xA0, counter, 8 × 24-bit samples, 6 aux bytes, stop byte 0xC0–0xCF) within the first 1120 bytes, got "20 frame-protocol frames: use protocol 'frame'"`,
    );
    const cyton = tmpFile(cytonBytes);
    expect(() => readDeviceCapture(cyton, { protocol: 'frame' })).toThrow(
      /\(1650 bytes read: 1650 bytes skipped, 0 CRC errors, 0 bad headers\): expected neurostream frame-protocol frames .* got "50 Cyton packets: use protocol 'cyton'"/,
    );
  });

  it('random bytes, an empty file, a search limit, bad options', () => {
    let x = 12345;
    const noise = Uint8Array.from({ length: 100_000 }, () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) >> 16) & 0xff);
    const path = tmpFile(noise);
    expect(() => readDeviceCapture(path, { protocol: 'cyton' })).toThrow(`${path} (100000 bytes read: 100000 bytes skipped`);
    expect(() => readDeviceCapture(path, { protocol: 'cyton' })).toThrow(/within the first 100000 bytes, got "no packet; first bytes( [0-9a-f]{2}){8}"$/);
    expect(() => readDeviceCapture(path, { protocol: 'frame' })).toThrow(/got "no frame; first bytes/);
    const empty = tmpFile(new Uint8Array(0));
    expect(() => readDeviceCapture(empty, { protocol: 'frame' })).toThrow(/got "an empty file"/);
    // Packets only after 4 KiB of noise, with searchBytes 1024: refused.
    const late = tmpFile(concat([noise.subarray(0, 4096), cytonBytes]));
    expect(() => readDeviceCapture(late, { protocol: 'cyton', searchBytes: 1024 })).toThrow(/within the first 1024 bytes/);
    expect(readDeviceCapture(late, { protocol: 'cyton' }).streams[0]!.totalSamples).toBe(50);
    expect(() => readDeviceCapture(late, { protocol: 'eeg' as never })).toThrow(/protocol: expected one of cyton, frame/);
    expect(() => readDeviceCapture(late, { protocol: 'cyton', gains: [24, 24] })).toThrow(/gains: expected one gain or 8/);
    expect(() => readDeviceCapture(late, { protocol: 'cyton', gains: 5 })).toThrow(/gains\[0\]: expected one of 1, 2, 4, 6, 8, 12, 24/);
  });
});
