import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cytonPacket, writeCytonPacket } from '../../../../devices/protocols/cyton/cyton-encoder.js';
import { CytonParser, type CytonSample } from '../../../../devices/protocols/cyton/cyton-parser.js';

interface Got {
  sampleNumber: number;
  counts: number[];
  packetType: number;
  accel: number[];
  accelMask: number;
  boardTimeMs: number;
  missedBefore: number;
}

function collect(options: { daisy?: boolean; header?: number } = {}) {
  const samples: Got[] = [];
  const texts: string[] = [];
  const parser = new CytonParser({
    ...options,
    onSample: (s: CytonSample) =>
      samples.push({
        sampleNumber: s.sampleNumber,
        counts: [...s.counts],
        packetType: s.packetType,
        accel: [...s.accel],
        accelMask: s.accelMask,
        boardTimeMs: s.boardTimeMs,
        missedBefore: s.missedBefore,
      }),
    onText: (t) => texts.push(t),
  });
  return { parser, samples, texts };
}

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((h) => parseInt(h, 16)));

/** A stream of `n` packets with counters from `start`, channel values derived from the index. */
function stream(n: number, start = 0): { bytes: Uint8Array; counts: number[][] } {
  const bytes = new Uint8Array(33 * n);
  const counts: number[][] = [];
  for (let k = 0; k < n; k++) {
    const c = Array.from({ length: 8 }, (_, ch) => ((k * 7919 + ch * 104729) % 16777216) - 8388608);
    counts.push(c);
    writeCytonPacket(bytes, 33 * k, { counter: (start + k) & 0xff, counts: c, accel: k % 10 === 0 ? [k, -k, 3] : [0, 0, 0] });
  }
  return { bytes, counts };
}

describe('CytonParser: decoding', () => {
  it('decodes a byte-exact packet: 24-bit big-endian two’s complement, accelerometer int16', () => {
    const { parser, samples } = collect();
    const packet = hex('A0 05 7FFFFF 800000 FFFFFF 000001 000000 123456 EDCBAA 000100 0010 FFF0 0000 C0');
    // Out of sync at start: accepted once the next header confirms the frame.
    parser.push(packet);
    expect(samples).toHaveLength(0);
    parser.push(hex('A0'));
    expect(samples).toEqual([
      {
        sampleNumber: 5,
        counts: [8388607, -8388608, -1, 1, 0, 1193046, -1193046, 256],
        packetType: 0,
        accel: [16, -16, 0],
        accelMask: 0b111,
        boardTimeMs: -1,
        missedBefore: 0,
      },
    ]);
    expect(parser.stats).toMatchObject({ packets: 1, skippedBytes: 0, droppedPackets: 0 });
  });

  it('decodes time-stamped packets: one accelerometer axis on counters ending 7/8/9, board time in ms', () => {
    const { parser, samples } = collect();
    const aux = [0x01, 0x02, 0x00, 0x01, 0xe2, 0x40]; // axis value 258, time 123456 ms
    parser.push(cytonPacket({ counter: 17, counts: [], packetType: 4, aux }));
    parser.push(cytonPacket({ counter: 18, counts: [], packetType: 4, aux: [0, 0, 0xff, 0xff, 0xff, 0xff] }));
    parser.push(hex('A0'));
    expect(samples[0]).toMatchObject({ packetType: 4, accel: [258, 0, 0], accelMask: 0b001, boardTimeMs: 123456 });
    expect(samples[1]).toMatchObject({ accelMask: 0b010, boardTimeMs: 4294967295 });
  });

  it('accepts the wired header 0x41 when told to', () => {
    const { parser, samples } = collect({ header: 0x41 });
    const { bytes } = stream(3);
    for (let k = 0; k < 3; k++) bytes[33 * k] = 0x41;
    parser.push(bytes);
    parser.push(Uint8Array.of(0x41));
    expect(samples).toHaveLength(3);
    expect(() => new CytonParser({ header: 0x42, onSample: () => {} })).toThrow('header: expected one of 160, 65, got 66');
  });
});

describe('CytonParser: incremental', () => {
  const { bytes, counts } = stream(40);
  const whole = collect();
  whole.parser.push(bytes);
  whole.parser.push(hex('A0'));

  it('gives the same samples for the same bytes split at every offset', () => {
    expect(whole.samples).toHaveLength(40);
    whole.samples.forEach((s, k) => expect(s.counts).toEqual(counts[k]));
    for (let cut = 1; cut < bytes.length; cut++) {
      const split = collect();
      split.parser.push(bytes.subarray(0, cut));
      split.parser.push(bytes.subarray(cut));
      split.parser.push(hex('A0'));
      expect(split.samples).toEqual(whole.samples);
    }
  });

  it('gives the same samples for any chunking (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 60 }), (sizes) => {
        const p = collect();
        let at = 0;
        let k = 0;
        while (at < bytes.length) {
          const n = sizes[k++ % sizes.length]!;
          p.parser.push(bytes.subarray(at, at + n));
          at += n;
        }
        p.parser.push(hex('A0'));
        expect(p.samples).toEqual(whole.samples);
      }),
      { numRuns: 200 },
    );
  });
});

describe('CytonParser: counting and resynchronisation', () => {
  it('wraps the 8-bit counter without counting a loss, and counts lost packets exactly', () => {
    const { bytes } = stream(300, 200); // counters 200..255, 0..243
    const kept: Uint8Array[] = [];
    const removed = new Set([10, 11, 12, 100, 299 - 1]);
    for (let k = 0; k < 300; k++) if (!removed.has(k)) kept.push(bytes.subarray(33 * k, 33 * k + 33));
    const { parser, samples } = collect();
    for (const p of kept) parser.push(p);
    // The last packet follows a loss: held until the next packet (or the end) confirms its counter.
    parser.push(hex('A0'));
    expect(parser.stats.droppedPackets).toBe(4);
    parser.end();
    expect(parser.stats.droppedPackets).toBe(5);
    expect(parser.stats.droppedSamples).toBe(5);
    expect(samples.find((s) => s.sampleNumber === ((200 + 13) & 0xff))?.missedBefore).toBe(3);
    expect(samples.reduce((n, s) => n + s.missedBefore, 0)).toBe(5);
  });

  it('skips garbage between packets and counts exactly the bytes skipped', () => {
    const { bytes, counts } = stream(50);
    const garbage = Uint8Array.from({ length: 17 }, (_, i) => (i * 37 + 1) % 0x9f); // no 0xA0
    const { parser, samples } = collect();
    let inserted = 0;
    for (let k = 0; k < 50; k++) {
      if (k % 5 === 2) {
        parser.push(garbage);
        inserted += garbage.length;
      }
      parser.push(bytes.subarray(33 * k, 33 * k + 33));
    }
    parser.push(hex('A0'));
    expect(samples.map((s) => s.counts)).toEqual(counts);
    expect(parser.stats.skippedBytes).toBe(inserted);
    expect(parser.stats.droppedPackets).toBe(0);
  });

  it('recovers every packet after false headers and truncated packets, counting what it lost', () => {
    const { bytes } = stream(30);
    const { parser, samples } = collect();
    parser.push(bytes.subarray(0, 33 * 10));
    parser.push(Uint8Array.of(0xa0, 0xa0, 1, 2, 0xc0, 0xa0, 0xa0)); // false starts
    parser.push(bytes.subarray(33 * 10 + 5, 33 * 11)); // packet 10 truncated: lost
    parser.push(bytes.subarray(33 * 11));
    parser.push(hex('A0'));
    expect(samples.map((s) => s.sampleNumber)).toEqual([...Array(30).keys()].filter((k) => k !== 10));
    // Packet 10 arrived (28 of its bytes) but could not be framed: corrupt, not lost on the link.
    expect(parser.stats.droppedPackets).toBe(0);
    expect(parser.stats.corruptPackets).toBe(1);
    expect(parser.stats.droppedSamples).toBe(1);
    expect(parser.stats.skippedBytes).toBe(7 + 28);
  });

  it('never throws, never holds more than two packets, and loses only what corruption touched (property)', () => {
    const { bytes } = stream(120);
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(bytes.length - 1), kind: fc.constantFrom('flip', 'insert', 'delete'), value: fc.nat(255) }), {
          maxLength: 12,
        }),
        fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 20 }),
        (edits, sizes) => {
          const damaged = [...bytes];
          const touched = new Set<number>();
          for (const e of [...edits].sort((a, b) => b.at - a.at)) {
            touched.add(Math.floor(e.at / 33));
            if (e.kind === 'flip') damaged[e.at] = damaged[e.at]! ^ (1 << e.value % 8);
            else if (e.kind === 'insert') damaged.splice(e.at, 0, e.value);
            else damaged.splice(e.at, 1);
          }
          const input = Uint8Array.from(damaged);
          const p = collect();
          let at = 0;
          let k = 0;
          while (at < input.length) {
            const n = sizes[k++ % sizes.length]!;
            p.parser.push(input.subarray(at, at + n));
            expect(p.parser.bufferedBytes).toBeLessThanOrEqual(2 * 33);
            at += n;
          }
          p.parser.push(hex('A0'));
          // Every packet no edit touched (and not next to one: framing needs the neighbour) arrives intact.
          const got = new Set(p.samples.map((s) => s.sampleNumber));
          for (let pk = 1; pk < 119; pk++) {
            if (!touched.has(pk) && !touched.has(pk - 1) && !touched.has(pk + 1)) expect(got.has(pk)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('CytonParser: text replies', () => {
  it('hands over the banner and replies ending in $$$, also between packets', () => {
    const { parser, samples, texts } = collect();
    const enc = new TextEncoder();
    parser.push(enc.encode('OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$'));
    parser.push(enc.encode('$'));
    const { bytes } = stream(4);
    parser.push(bytes.subarray(0, 66));
    parser.push(enc.encode('Success: Channel set for 3$$$'));
    parser.push(bytes.subarray(66));
    parser.push(hex('A0'));
    expect(texts).toEqual([
      'OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\nLIS3DH Device ID: 0x33\nFirmware: v3.1.2\n',
      'Success: Channel set for 3',
    ]);
    expect(samples).toHaveLength(4);
  });

  it('keeps a bounded amount of text', () => {
    const { parser, texts } = collect();
    parser.push(new TextEncoder().encode('x'.repeat(100_000) + '$$$'));
    expect(texts[0]!.length).toBeLessThanOrEqual(4096);
  });
});

describe('CytonParser: Daisy', () => {
  /** Board packets (odd counters) carry channels 1–8, Daisy packets (even) 9–16. */
  function daisyStream(pairs: number, skip: Set<number> = new Set()) {
    const chunks: Uint8Array[] = [];
    for (let counter = 1; counter <= 2 * pairs; counter++) {
      if (skip.has(counter)) continue;
      const base = counter % 2 === 1 ? 1000 * counter : -1000 * counter;
      chunks.push(cytonPacket({ counter: counter & 0xff, counts: Array.from({ length: 8 }, (_, c) => base + c) }));
    }
    return chunks;
  }

  it('pairs each odd packet with the following even one into a 16-channel sample', () => {
    const { parser, samples } = collect({ daisy: true });
    for (const p of daisyStream(200)) parser.push(p);
    parser.push(hex('A0'));
    expect(samples).toHaveLength(200);
    expect(samples[0]!.counts).toEqual([1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, -2000, -1999, -1998, -1997, -1996, -1995, -1994, -1993]);
    expect(samples[199]!.sampleNumber).toBe(400 & 0xff);
    expect(parser.stats.droppedSamples).toBe(0);
  });

  it('drops a pair that lost either half and counts the lost 16-channel samples', () => {
    const { parser, samples } = collect({ daisy: true });
    for (const p of daisyStream(20, new Set([5, 12, 13, 14]))) parser.push(p);
    parser.push(hex('A0'));
    // Pairs (5,6), (11,12), (13,14) are incomplete.
    expect(samples).toHaveLength(17);
    expect(parser.stats.droppedSamples).toBe(3);
    expect(parser.stats.droppedPackets).toBe(4);
    expect(samples.reduce((n, s) => n + s.missedBefore, 0)).toBe(3);
  });
});

describe('CytonParser: a flipped bit in the sample counter', () => {
  /** Parses `bytes` (ending with end()) and returns the samples, their positions and the stats. */
  function parse(bytes: Uint8Array, options: { daisy?: boolean } = {}) {
    const p = collect(options);
    p.parser.push(bytes);
    p.parser.end();
    /** Sample positions on the stream's clock (what a driver builds from missedBefore). */
    const at: number[] = [];
    let next = 0;
    for (const s of p.samples) {
      next += s.missedBefore;
      at.push(next++);
    }
    return { ...p, at, end: next };
  }

  it('is one corrupt packet kept in its slot, not a gap of 64–255 samples, for every counter and bit', () => {
    const n = 12;
    const { bytes, counts } = stream(n, 250); // counters 250..255, 0..5: across the wrap
    for (let k = 1; k < n - 1; k++) {
      for (let bit = 0; bit < 8; bit++) {
        const damaged = bytes.slice();
        damaged[33 * k + 1]! ^= 1 << bit;
        const { samples, at, end, parser } = parse(damaged);
        expect(samples.map((s) => s.counts)).toEqual(counts);
        expect(at).toEqual([...Array(n).keys()]);
        expect(end).toBe(n); // the timeline is not stretched
        expect(samples[k]!.sampleNumber).toBe((250 + k) & 0xff);
        expect(parser.stats).toMatchObject({ packets: n, droppedPackets: 0, corruptPackets: 1, droppedSamples: 0 });
      }
    }
  });

  it('gives the same answer for any chunking of the damaged bytes (property)', () => {
    const { bytes } = stream(40, 100);
    const damaged = bytes.slice();
    damaged[33 * 7 + 1]! ^= 0x80;
    damaged[33 * 20 + 1]! ^= 0x04;
    const whole = parse(damaged);
    expect(whole.end).toBe(40);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 30 }), (sizes) => {
        const p = collect();
        let at = 0;
        let k = 0;
        while (at < damaged.length) {
          const n = sizes[k++ % sizes.length]!;
          p.parser.push(damaged.subarray(at, at + n));
          at += n;
        }
        p.parser.end();
        expect(p.samples).toEqual(whole.samples);
        expect(p.parser.stats).toEqual(whole.parser.stats);
      }),
      { numRuns: 100 },
    );
  });

  it('still reads a real loss as a gap: the packet after the jump follows the jumped counter', () => {
    const { bytes, counts } = stream(20);
    const kept = new Uint8Array([...bytes.subarray(0, 33 * 5), ...bytes.subarray(33 * 9)]); // packets 5–8 lost
    const { samples, at, end, parser } = parse(kept);
    expect(samples.map((s) => s.counts)).toEqual([...counts.slice(0, 5), ...counts.slice(9)]);
    expect(at).toEqual([0, 1, 2, 3, 4, ...Array.from({ length: 11 }, (_, i) => 9 + i)]);
    expect(end).toBe(20);
    expect(parser.stats).toMatchObject({ droppedPackets: 4, corruptPackets: 0, droppedSamples: 4 });
  });

  it('decides a packet held at a link loss from its own counter: a real gap then loss keeps the packet', () => {
    const { bytes, counts } = stream(10);
    // Packets 0–4, then 5–7 lost on the link, then packet 8 — and the link is lost before packet 9.
    const kept = new Uint8Array([...bytes.subarray(0, 33 * 5), ...bytes.subarray(33 * 8, 33 * 9)]);
    const p = collect();
    p.parser.push(kept);
    p.parser.push(bytes.subarray(33 * 9, 33 * 9 + 1)); // the next header: packet 8 is framed, held for its counter
    expect(p.parser.heldPackets).toBe(1);
    p.parser.resetCounter();
    expect(p.parser.heldPackets).toBe(0);
    expect(p.samples.map((s) => s.counts)).toEqual([...counts.slice(0, 5), counts[8]]);
    expect(p.samples.map((s) => s.missedBefore)).toEqual([0, 0, 0, 0, 0, 3]);
    expect(p.samples.at(-1)!.sampleNumber).toBe(8);
    expect(p.parser.stats).toMatchObject({ packets: 6, droppedPackets: 3, corruptPackets: 0, droppedSamples: 3 });
    // The counter is forgotten: the next packet starts a new sequence, no gap counted against it.
    p.parser.push(stream(2, 77).bytes);
    p.parser.end();
    expect(p.samples.slice(6).map((s) => [s.sampleNumber, s.missedBefore])).toEqual([[77, 0], [78, 0]]);
  });

  it('drops a corrupt packet whose slot is uncertain, and counts the rest of the gap as lost', () => {
    // Packet 6 lost on the link, packet 5's counter corrupt: 5 lies in slot 5 or 6 — unknown.
    const { bytes, counts } = stream(12);
    const kept = new Uint8Array([...bytes.subarray(0, 33 * 6), ...bytes.subarray(33 * 7)]);
    kept[33 * 5 + 1]! ^= 0x40;
    const { samples, at, end, parser } = parse(kept);
    expect(samples.map((s) => s.counts)).toEqual([...counts.slice(0, 5), ...counts.slice(7)]);
    expect(at).toEqual([0, 1, 2, 3, 4, 7, 8, 9, 10, 11]);
    expect(end).toBe(12);
    expect(parser.stats).toMatchObject({ droppedPackets: 1, corruptPackets: 1, droppedSamples: 2 });
  });

  it('drops a packet that has no slot between its neighbours (its counter matches neither)', () => {
    const { bytes, counts } = stream(8);
    const phantom = cytonPacket({ counter: 200, counts: [1, 2, 3, 4, 5, 6, 7, 8] });
    const input = new Uint8Array([...bytes.subarray(0, 33 * 4), ...phantom, ...bytes.subarray(33 * 4)]);
    const { samples, at, parser } = parse(input);
    expect(samples.map((s) => s.counts)).toEqual(counts);
    expect(at).toEqual([...Array(8).keys()]);
    expect(parser.stats).toMatchObject({ droppedPackets: 0, corruptPackets: 1, droppedSamples: 0 });
  });

  it('counts a packet whose header was flipped as corrupt, not lost, and leaves its slot empty', () => {
    const { bytes, counts } = stream(10);
    const damaged = bytes.slice();
    damaged[33 * 4]! ^= 0x01;
    const { samples, at, parser } = parse(damaged);
    expect(samples.map((s) => s.counts)).toEqual([...counts.slice(0, 4), ...counts.slice(5)]);
    expect(at).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 9]);
    expect(parser.stats).toMatchObject({ droppedPackets: 0, corruptPackets: 1, droppedSamples: 1 });
  });

  it('keeps Daisy pairs together when a counter bit flips (the counter decides odd or even)', () => {
    const chunks: Uint8Array[] = [];
    for (let counter = 1; counter <= 40; counter++) {
      const base = counter % 2 === 1 ? 1000 * counter : -1000 * counter;
      chunks.push(cytonPacket({ counter, counts: Array.from({ length: 8 }, (_, c) => base + c) }));
    }
    const bytes = new Uint8Array(chunks.flatMap((c) => [...c]));
    bytes[33 * 8 + 1]! ^= 0x20; // counter 9 reads 41
    bytes[33 * 13 + 1]! ^= 0x01; // counter 14 reads 15
    const { samples, at, parser } = parse(bytes, { daisy: true });
    expect(samples).toHaveLength(20);
    expect(at).toEqual([...Array(20).keys()]);
    expect(samples[4]!.counts.slice(0, 9)).toEqual([9000, 9001, 9002, 9003, 9004, 9005, 9006, 9007, -10000]);
    expect(samples[6]!.counts[8]).toBe(-14000);
    expect(parser.stats).toMatchObject({ droppedPackets: 0, corruptPackets: 2, droppedSamples: 0 });
  });
});
