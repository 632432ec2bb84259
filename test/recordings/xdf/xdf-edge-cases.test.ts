import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { XdfFormat } from '../../../recordings/import/xdf/xdf-chunk-parser.js';
import {
  boundaryChunk,
  clockOffsetChunk,
  fileHeaderChunk,
  samplesChunk,
  streamFooterChunk,
  streamHeaderChunk,
  xdfBytes,
} from '../../../recordings/import/xdf/xdf-encoder.js';
import { readXdfChunks } from '../../../recordings/import/xdf/xdf-file.js';
import { expectSameAsPyxdf, pyxdfLoad } from '../../helpers/pyxdf.js';

function header(name: string, format: XdfFormat, channels: number, rateHz: number): string {
  return `<?xml version="1.0"?><info><name>${name}</name><type>test</type><channel_count>${channels}</channel_count><nominal_srate>${rateHz}</nominal_srate><channel_format>${format}</channel_format><desc/></info>`;
}

function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

function tempFile(bytes: Uint8Array): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ns-xdf-')), 'test.xdf');
  writeFileSync(path, bytes);
  return path;
}

const EXTREMES: Record<Exclude<XdfFormat, 'string'>, (k: number, c: number) => number | bigint> = {
  float32: (k, c) => Math.fround((k - 50) * 0.37 + c * 1e-3),
  double64: (k, c) => (k - 50) * 0.1234567890123 + c * 1e-9,
  int8: (k, c) => ((k * 7 + c) % 256) - 128,
  int16: (k, c) => [-32768, 32767, 0, 1234][(k + c) % 4]! ,
  int32: (k, c) => [-2147483648, 2147483647, 0, 16777217][(k + c) % 4]!,
  int64: (k, c) => [-(2n ** 63n), 2n ** 63n - 1n, 0n, 2n ** 53n + 1n][(k + c) % 4]!,
};

/** One stream per channel format: 2 channels, 120 samples at 100 Hz in three chunks (deduced and jittered stamps), clock offsets; a string marker stream. */
function everyFormat(): Uint8Array {
  const chunks = [fileHeaderChunk('<?xml version="1.0"?><info><version>1.0</version></info>')];
  const formats = Object.keys(EXTREMES) as Exclude<XdfFormat, 'string'>[];
  formats.forEach((format, id) => chunks.push(streamHeaderChunk(id + 1, header(`s-${format}`, format, 2, 100))));
  chunks.push(streamHeaderChunk(99, header('markers', 'string', 1, 0)));
  for (let part = 0; part < 3; part++) {
    formats.forEach((format, id) => {
      const stamps: (number | null)[] = [];
      const values: (number | bigint)[] = [];
      for (let k = part * 40; k < (part + 1) * 40; k++) {
        stamps.push(k % 10 === 0 ? 100 + k / 100 + ((k * 37) % 11) * 1e-4 : null);
        values.push(EXTREMES[format](k, 0), EXTREMES[format](k, 1));
      }
      chunks.push(samplesChunk(id + 1, format, 2, stamps, values));
      chunks.push(clockOffsetChunk(id + 1, 100 + part * 5, -0.25 + part * 1e-5 * (id + 1)));
    });
    chunks.push(samplesChunk(99, 'string', 1, [100.5 + part, 100.7 + part], [`cue ${part}`, 'ünïcode ✓ ' + part]));
    chunks.push(boundaryChunk());
  }
  formats.forEach((_, id) => chunks.push(streamFooterChunk(id + 1, '<?xml version="1.0"?><info><sample_count>120</sample_count></info>')));
  return xdfBytes(chunks);
}

describe('XDF reader: hand-built byte streams against pyxdf', () => {
  it('every channel format (float32, double64, int8/16/32/64, string) with extremes: the same values and time stamps as pyxdf, fed whole and 1 and 7 bytes at a time', () => {
    const bytes = everyFormat();
    const reference = pyxdfLoad(tempFile(bytes));
    expect(reference.map((s) => s.channel_format)).toEqual(['float32', 'double64', 'int8', 'int16', 'int32', 'int64', 'string']);
    for (const size of [bytes.length, 1, 7]) {
      const file = readXdfChunks('every-format.xdf', pieces(bytes, size));
      expectSameAsPyxdf(file, reference);
      const int64 = file.streams.find((s) => s.format === 'int64')!;
      expect((int64.values as BigInt64Array)[0]).toBe(-(2n ** 63n));
      expect(file.streams.find((s) => s.format === 'string')!.values).toContain('ünïcode ✓ 1');
    }
  });

  it('a clock reset (collection times going back): two clock segments, each corrected by its own fit, and a de-jitter break, as pyxdf', () => {
    const chunks = [streamHeaderChunk(1, header('eeg', 'float32', 1, 10))];
    const stamps: number[] = [];
    for (let k = 0; k < 500; k++) stamps.push(1000 + k / 10 + ((k * 13) % 7) * 1e-4);
    for (let k = 0; k < 500; k++) stamps.push(20 + k / 10 + ((k * 5) % 3) * 1e-4);
    for (let c = 0; c < 200; c++) chunks.push(samplesChunk(1, 'float32', 1, stamps.slice(c * 5, c * 5 + 5), [c, c + 1, c + 2, c + 3, c + 4]));
    for (let t = 0; t <= 50; t += 5) chunks.push(clockOffsetChunk(1, 1000 + t, -10 + t * 1e-6));
    for (let t = 0; t <= 50; t += 5) chunks.push(clockOffsetChunk(1, 20 + t, 5 - t * 1e-6));
    const bytes = xdfBytes(chunks);
    const reference = pyxdfLoad(tempFile(bytes));
    expect(reference[0]!.clock_segments).toEqual([
      [0, 499],
      [500, 999],
    ]);
    for (const size of [bytes.length, 1, 7]) {
      const file = readXdfChunks('reset.xdf', pieces(bytes, size));
      expectSameAsPyxdf(file, reference);
      expect(file.streams[0]!.segments).toEqual([
        [0, 499],
        [500, 999],
      ]);
    }
  });

  it('a file cut inside a Samples chunk keeps every whole sample before the cut and says so; fed 1 and 7 bytes at a time alike', () => {
    const value = (k: number, c: number): number => Math.fround(k * 0.5 - c);
    const chunks = [streamHeaderChunk(1, header('eeg', 'float32', 2, 100)), streamHeaderChunk(2, header('markers', 'string', 1, 0))];
    for (let part = 0; part < 3; part++) {
      const stamps = Array.from({ length: 40 }, (_, i) => 10 + (part * 40 + i) / 100);
      chunks.push(samplesChunk(2, 'string', 1, [10 + part], [`m${part}`]));
      chunks.push(samplesChunk(1, 'float32', 2, stamps, stamps.flatMap((_, i) => [value(part * 40 + i, 0), value(part * 40 + i, 1)])));
    }
    const whole = xdfBytes(chunks);
    const cut = whole.slice(0, whole.length - 40 * 17 + 20 * 17 + 5); // 5 bytes into sample 21 of the last chunk (17 bytes a sample)
    const reference = pyxdfLoad(tempFile(cut)); // pyxdf drops the cut chunk whole
    expect(reference[0]!.time_stamps.length).toBe(80);
    for (const size of [cut.length, 1, 7]) {
      const file = readXdfChunks('cut.xdf', pieces(cut, size));
      expect(file.truncation).toMatchObject({ within: 'Samples', streamId: 1, keptSamples: 20 });
      const s1 = file.streams[0]!;
      expect(s1.count).toBe(100);
      expect(Array.from(s1.values as Float32Array)).toEqual(Array.from({ length: 200 }, (_, i) => value(i >> 1, i & 1)));
      expect(Array.from(s1.rawTimeStamps).slice(0, 80)).toEqual(reference[0]!.time_stamps.slice(0, 80).map((_, i) => 10 + i / 100));
      expect(file.streams[1]!.values).toEqual(['m0', 'm1', 'm2']);
      expect(file.notes.join('\n')).toMatch(/TRUNCATED: the file ends inside a Samples chunk at byte \d+ \(\d+ of its \d+ bytes\); its 20 whole samples \(stream 1\) are kept/);
    }
  });

  it('malformed bytes are one error naming the byte and what was expected', () => {
    expect(() => readXdfChunks('bad.xdf', [new TextEncoder().encode('XDG:')])).toThrow(/bad\.xdf byte 2: expected an XDF file starting with "XDF:"/);
    const bad = xdfBytes([new Uint8Array([3, 0, 0, 0])]);
    expect(() => readXdfChunks('bad.xdf', [bad])).toThrow(/chunk at byte 4: expected a length of 1, 4 or 8 bytes/);
    const unknownStream = xdfBytes([samplesChunk(7, 'float32', 1, [1], [1])]);
    expect(() => readXdfChunks('bad.xdf', [unknownStream])).toThrow(/Samples \(stream 7\) chunk at byte 4: expected a StreamHeader/);
  });
});
