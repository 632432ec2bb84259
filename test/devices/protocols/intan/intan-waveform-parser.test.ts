import { describe, expect, it } from 'vitest';
import { INTAN_WAVEFORM_MAGIC, intanBlockBytes } from '../../../../devices/protocols/intan/intan-constants.js';
import { IntanWaveformParser } from '../../../../devices/protocols/intan/intan-waveform-parser.js';

/** RHX-layout blocks: magic, then 128 × (int32 timestamp, `words` × uint16). */
function blocks(n: number, words: number, firstTimestamp = 0): Uint8Array {
  const size = intanBlockBytes(words);
  const out = new Uint8Array(n * size);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < n; b++) {
    let p = b * size;
    dv.setUint32(p, INTAN_WAVEFORM_MAGIC, true);
    p += 4;
    for (let f = 0; f < 128; f++) {
      const t = firstTimestamp + b * 128 + f;
      dv.setInt32(p, t, true);
      p += 4;
      for (let w = 0; w < words; w++, p += 2) dv.setUint16(p, (t * 7 + w * 1000) & 0xffff, true);
    }
  }
  return out;
}

function collect(words: number) {
  const got: { t0: number; t127: number; v: number[] }[] = [];
  const parser = new IntanWaveformParser({
    words,
    onBlock: (b) => got.push({ t0: b.timestamps[0]!, t127: b.timestamps[127]!, v: [b.values[0]!, b.values[words - 1]!, b.values[127 * words]!] }),
  });
  return { parser, got };
}

describe('IntanWaveformParser', () => {
  it('decodes RHX blocks: little-endian magic, timestamps and uint16 words', () => {
    const { parser, got } = collect(3);
    parser.push(blocks(2, 3, 1000));
    expect(got).toEqual([
      { t0: 1000, t127: 1127, v: [7000 & 0xffff, (7000 + 2000) & 0xffff, (1127 * 7) & 0xffff] },
      { t0: 1128, t127: 1255, v: [(1128 * 7) & 0xffff, (1128 * 7 + 2000) & 0xffff, (1255 * 7) & 0xffff] },
    ]);
    expect(parser.stats).toEqual({ blocks: 2, skippedBytes: 0, magicMismatches: 0 });
  });

  it('gives the same blocks for any split', () => {
    const bytes = blocks(2, 2);
    const whole = collect(2);
    whole.parser.push(bytes);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const split = collect(2);
      split.parser.push(bytes.subarray(0, cut));
      split.parser.push(bytes.subarray(cut));
      expect(split.got).toEqual(whole.got);
    }
  });

  it('counts a missing magic number and resynchronises on the next block', () => {
    const bytes = blocks(3, 2);
    const size = intanBlockBytes(2);
    const damaged = new Uint8Array(bytes.length + 5);
    damaged.set(bytes.subarray(0, size), 0);
    damaged.set([1, 2, 3, 4, 5], size); // junk between blocks
    damaged.set(bytes.subarray(size), size + 5);
    const { parser, got } = collect(2);
    parser.push(damaged);
    expect(got.map((b) => b.t0)).toEqual([0, 128, 256]);
    expect(parser.stats).toEqual({ blocks: 3, skippedBytes: 5, magicMismatches: 1 });
  });
});
