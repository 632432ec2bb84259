/** The protocol-100 archive codec (liblsl's EOS portable archive): byte layout and incremental decoding. */
import { describe, expect, it } from 'vitest';
import { encodeArchivePreamble, encodeArchiveSamples, LslArchiveDecoder } from '../../../devices/lsl/portable-archive.js';
import { DEDUCED_TIMESTAMP } from '../../../devices/lsl/sample-codec.js';
import { thrown } from '../../helpers/thrown.js';

describe('LSL portable archive (data protocol 100)', () => {
  it('writes integers as a signed size byte and the significant little-endian bytes, floats as their bit patterns', () => {
    const one = (format: 'int32' | 'float32' | 'int8', v: number) => [...encodeArchiveSamples({ format, channelCount: 1 }, [DEDUCED_TIMESTAMP], [v])];
    expect(one('int32', 0)).toEqual([1, 1, 0]);
    expect(one('int32', 128)).toEqual([1, 1, 1, 0x80]);
    expect(one('int32', -129)).toEqual([1, 1, 0xff, 0x7f]);
    expect(one('int32', 65536)).toEqual([1, 1, 3, 0, 0, 1]);
    expect(one('int8', -1)).toEqual([1, 1, 0xff, 0xff]);
    expect(one('float32', 1)).toEqual([1, 1, 4, 0, 0, 0x80, 0x3f]);
    expect([...encodeArchivePreamble('ab')]).toEqual([127, 1, 9, 1, 2, 0x61, 0x62]);
    // the first sample of an archive carries the two-byte class-tracking field
    expect([...encodeArchiveSamples({ format: 'int8', channelCount: 1 }, [DEDUCED_TIMESTAMP], [5], true)]).toEqual([0, 0, 1, 1, 1, 5]);
  });

  for (const format of ['float32', 'double64', 'int8', 'int16', 'int32', 'int64', 'string'] as const) {
    it(`${format}: what it encodes decodes back fed one byte at a time, deduced timestamps filled in`, () => {
      const n = 3;
      const ts = [10.5, DEDUCED_TIMESTAMP, 10.75, DEDUCED_TIMESTAMP];
      const values =
        format === 'string'
          ? Array.from({ length: 4 * n }, (_, k) => `s${k}${'é'.repeat(k)}${'x'.repeat(k * 40)}`)
          : Array.from({ length: 4 * n }, (_, k) => (format === 'int8' ? k * 20 - 120 : format === 'float32' ? Math.fround(k * 1.5 - 7.25) : format === 'int64' ? (k - 6) * 2 ** 45 + k : format === 'int16' ? k * 5000 - 30000 : format === 'int32' ? (k - 6) * 300_000_000 : k * 1e-300 - 3.5));
      const bytes = new Uint8Array([...encodeArchivePreamble('<info/>'), ...encodeArchiveSamples({ format, channelCount: n }, ts, values, true)]);
      const d = new LslArchiveDecoder({ format, channelCount: n, nominalSrateHz: 4 });
      const got: { ts: number[]; v: (number | string)[] } = { ts: [], v: [] };
      for (let i = 0; i < bytes.length; i++) {
        const b = d.push(bytes.subarray(i, i + 1));
        got.ts.push(...b.timestamps);
        got.v.push(...(format === 'string' ? b.strings : b.values));
      }
      expect(d.shortinfo).toBe('<info/>');
      expect(d.pendingBytes).toBe(0);
      expect(got.ts).toEqual([10.5, 10.75, 10.75, 11]);
      expect(got.v).toEqual(values);
    });
  }

  it('a wrong magic byte or an oversized integer is one clear error', () => {
    expect((thrown(() => new LslArchiveDecoder({ format: 'int8', channelCount: 1, nominalSrateHz: 0, what: 'feed X' }).push(new Uint8Array([1, 2, 3]))) as Error).message).toBe(
      'feed X archive header: expected the magic byte 127, got 1',
    );
    const d = new LslArchiveDecoder({ format: 'int16', channelCount: 1, nominalSrateHz: 0, what: 'feed X' });
    const bad = new Uint8Array([...encodeArchivePreamble('i'), 0, 0, 1, 1, 4, 1, 2, 3, 4]);
    expect((thrown(() => d.push(bad)) as Error).message).toBe('feed X sample 0 channel 0: expected at most 2 bytes, got 4');
  });
});
