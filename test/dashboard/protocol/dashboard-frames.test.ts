import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../../../core/errors.js';
import { MinMaxDecimator } from '../../../dashboard/kernels/min-max-decimator.js';
import {
  FLAG_RESET,
  FrameType,
  HEADER_BYTES,
  HEALTH_METRICS,
  LATENCY_STAGES,
  type DashboardFrameHeader,
  dashboardFrameBytes,
  createDashboardFrame,
  decodeDashboardFrame,
  frameBytesPerSecond,
  maxColumnsWithin,
} from '../../../dashboard/protocol/dashboard-frames.js';
import { thrown } from '../../helpers/thrown.js';


/** A frame as the server builds it: a draft whose payload views are filled in place. */
function encode(type: FrameType, h: DashboardFrameHeader, payloads: Float32Array[], out?: ArrayBuffer): Uint8Array {
  const draft = createDashboardFrame(type, h, out);
  expect(draft.payloads.length).toBe(payloads.length);
  payloads.forEach((p, k) => {
    expect(p.length).toBe(draft.payloads[k]!.length);
    draft.payloads[k]!.set(p);
  });
  return draft.bytes;
}

/** Random float32 bit patterns (NaNs with payloads, ±0, ±Infinity, subnormals included). */
function randomFloats(n: number, seed: number): Float32Array {
  const bits = new Uint32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bits[i] = x >>> 0;
  }
  return new Float32Array(bits.buffer);
}
const bitsOf = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

const header = (channels: number, columns: number, extra: Partial<DashboardFrameHeader> = {}): DashboardFrameHeader => ({
  sequence: 4_000_000_000,
  time: 1234.567891234,
  step: 1 / 60,
  firstColumn: 74_000,
  channels,
  columns,
  ...extra,
});

function expectHeader(d: ReturnType<typeof decodeDashboardFrame>, h: DashboardFrameHeader): void {
  expect(d.version).toBe(1);
  expect(d.sequence).toBe(h.sequence);
  expect(d.time).toBe(h.time);
  expect(d.step).toBe(h.step);
  expect(d.firstColumn).toBe(h.firstColumn);
  expect(d.channels).toBe(h.channels);
  expect(d.columns).toBe(h.columns);
  expect(d.flags).toBe(h.flags ?? 0);
}

describe('dashboard frames: encode → decode', () => {
  it('round-trips traces bit-exactly, as views into the buffer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 40 }), fc.integer(), fc.boolean(), (ch, cols, seed, reset) => {
        const min = randomFloats(ch * cols, seed);
        const max = randomFloats(ch * cols, seed + 1);
        const h = header(ch, cols, { flags: reset ? FLAG_RESET : 0 });
        const bytes = encode(FrameType.Traces, h, [min, max]);
        expect(bytes.byteLength).toBe(dashboardFrameBytes(FrameType.Traces, ch, cols));
        const d = decodeDashboardFrame(bytes.buffer as ArrayBuffer);
        expect(d.type).toBe(1);
        if (d.type !== 1) return;
        expectHeader(d, h);
        expect(bitsOf(d.min)).toEqual(bitsOf(min));
        expect(bitsOf(d.max)).toEqual(bitsOf(max));
        expect(d.min.buffer).toBe(bytes.buffer);
        expect(d.min.byteOffset).toBe(HEADER_BYTES);
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips rate, intent, spectrum and health frames bit-exactly', () => {
    const rates = randomFloats(6 * 9, 7);
    const r = decodeDashboardFrame(encode(FrameType.Rate, header(6, 9), [rates]));
    expect(r.type).toBe(FrameType.Rate);
    if (r.type === 2) {
      expectHeader(r, header(6, 9));
      expect(bitsOf(r.rates)).toEqual(bitsOf(rates));
    }

    const values = randomFloats(2 * 5, 8);
    const latency = randomFloats(3 * 5, 9);
    const i = decodeDashboardFrame(encode(FrameType.Intent, header(2, 5), [values, latency]));
    expect(i.type).toBe(FrameType.Intent);
    if (i.type === 3) {
      expectHeader(i, header(2, 5));
      expect(bitsOf(i.values)).toEqual(bitsOf(values));
      expect(bitsOf(i.latency)).toEqual(bitsOf(latency));
    }

    const power = randomFloats(4 * 129, 10);
    const sh = header(4, 129, { step: 0.5, firstColumn: 0 });
    const s = decodeDashboardFrame(encode(FrameType.Spectrum, sh, [power]));
    expect(s.type).toBe(FrameType.Spectrum);
    if (s.type === 4) {
      expectHeader(s, sh);
      expect(bitsOf(s.power)).toEqual(bitsOf(power));
    }

    const health = Float32Array.from(HEALTH_METRICS.map((_, k) => k * 1.5));
    const hh = header(HEALTH_METRICS.length, 1);
    const out = new ArrayBuffer(4096); // a provided, larger buffer
    const bytes = encode(FrameType.Health, hh, [health], out);
    expect(bytes.buffer).toBe(out);
    expect(bytes.byteLength).toBe(HEADER_BYTES + 4 * HEALTH_METRICS.length);
    const hd = decodeDashboardFrame(bytes);
    expect(hd.type).toBe(FrameType.Health);
    if (hd.type === 5) {
      expectHeader(hd, hh);
      expect(bitsOf(hd.values)).toEqual(bitsOf(health));
    }

    const counts = randomFloats(LATENCY_STAGES.length * 24, 11);
    const gh = header(LATENCY_STAGES.length, 24, { step: 0, firstColumn: 0 });
    const g = decodeDashboardFrame(encode(FrameType.Histogram, gh, [counts]));
    expect(g.type).toBe(FrameType.Histogram);
    if (g.type === 6) {
      expectHeader(g, gh);
      expect(bitsOf(g.counts)).toEqual(bitsOf(counts));
    }
  });

  it('writes the documented little-endian header', () => {
    const bytes = encode(FrameType.Traces, header(3, 2, { sequence: 0x01020304, firstColumn: 0x0a0b0c0d }), [new Float32Array(6), new Float32Array(6)]);
    expect(Array.from(bytes.subarray(0, 16))).toEqual([0x4e, 0x53, 0x44, 0x42, 1, 1, 0, 0, 4, 3, 2, 1, 3, 0, 2, 0]);
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    expect(v.getFloat64(16, true)).toBe(1234.567891234);
    expect(v.getFloat64(24, true)).toBe(1 / 60);
    expect(Array.from(bytes.subarray(32, 36))).toEqual([0x0d, 0x0c, 0x0b, 0x0a]);
    expect(v.getUint32(36, true)).toBe(2 * 6 * 4);
  });

  it('decodes an unaligned slice (e.g. a pooled Node Buffer) by copying once', () => {
    const frame = encode(FrameType.Rate, header(2, 3), [Float32Array.from([1, 2, 3, 4, 5, 6])]);
    const big = new Uint8Array(frame.byteLength + 3);
    big.set(frame, 1);
    const d = decodeDashboardFrame(big.subarray(1, 1 + frame.byteLength));
    expect(d.type === 2 && Array.from(d.rates)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('lets delta frames (only new columns, first column index) rebuild the server window', () => {
    const channels = 2;
    const C = 12;
    const dec = new MinMaxDecimator({ channels, sampleRateHz: 100, windowSeconds: 1.2, columns: C });
    const clientMin = new Float32Array(channels * C).fill(NaN);
    const clientMax = new Float32Array(channels * C).fill(NaN);
    let clientEnd = 0;
    let sent = 0; // columns below `sent` are complete and already sent
    const scratchMin = new Float32Array(channels * C);
    const scratchMax = new Float32Array(channels * C);
    let sequence = 0;
    let next = 0;
    const sizes = [3, 17, 1, 40, 5, 200, 9, 33];
    for (let step = 0; step < 60; step++) {
      const len = sizes[step % sizes.length]!;
      const first = step % 13 === 12 ? next + 25 : next; // a gap now and then
      const data = new Float32Array(channels * len).map((_, i) => Math.sin(first * 7 + i) * (i < len ? 1 : 3));
      dec.push(data, len, first);
      next = first + len;
      // Server: send columns [from, end); a whole window (RESET) when the client fell behind.
      const end = dec.endColumn;
      const reset = sent < end - C;
      const from = reset ? end - C : sent;
      const count = end - from;
      dec.copyColumns(from, count, scratchMin, scratchMax);
      const bytes = encode(
        FrameType.Traces,
        { sequence: sequence++, time: dec.newestColumnTime, step: dec.columnSeconds, firstColumn: from, channels, columns: count, flags: reset ? FLAG_RESET : 0 },
        [scratchMin.subarray(0, channels * count), scratchMax.subarray(0, channels * count)],
      );
      sent = dec.completeColumn;
      // Client: apply by absolute column index.
      const f = decodeDashboardFrame(bytes);
      if (f.type !== 1) throw new Error('not traces');
      if (f.flags & FLAG_RESET) {
        clientMin.fill(NaN);
        clientMax.fill(NaN);
      }
      const firstCol = f.firstColumn;
      for (let k = clientEnd; k < firstCol; k++) for (let c = 0; c < channels; c++) clientMin[c * C + (k % C)] = clientMax[c * C + (k % C)] = NaN;
      for (let j = 0; j < f.columns; j++) {
        const slot = (((firstCol + j) % C) + C) % C;
        for (let c = 0; c < channels; c++) {
          clientMin[c * C + slot] = f.min[c * f.columns + j]!;
          clientMax[c * C + slot] = f.max[c * f.columns + j]!;
        }
      }
      clientEnd = firstCol + f.columns;
      expect(f.time).toBeCloseTo((clientEnd - 1) * f.step, 9);
      // The client's ring, unrolled oldest first, equals the server's window.
      const wMin = new Float32Array(channels * C);
      const wMax = new Float32Array(channels * C);
      dec.copyWindow(wMin, wMax);
      const unrolledMin = new Float32Array(channels * C);
      const unrolledMax = new Float32Array(channels * C);
      for (let j = 0; j < C; j++) {
        const slot = (((clientEnd - C + j) % C) + C) % C;
        for (let c = 0; c < channels; c++) {
          unrolledMin[c * C + j] = clientMin[c * C + slot]!;
          unrolledMax[c * C + j] = clientMax[c * C + slot]!;
        }
      }
      expect(unrolledMin).toEqual(wMin);
      expect(unrolledMax).toEqual(wMax);
      expect(count).toBeLessThanOrEqual(C);
    }
  });
});

describe('dashboard frames: corrupt input', () => {
  const good = (): Uint8Array => encode(FrameType.Traces, header(2, 3), [new Float32Array(6), new Float32Array(6)]);
  const fieldOf = (bytes: Uint8Array | ArrayBuffer): string => {
    const e = thrown(() => decodeDashboardFrame(bytes));
    expect(e).toBeInstanceOf(InvalidDataError);
    return (e as InvalidDataError).field;
  };

  it('rejects truncated frames', () => {
    expect(fieldOf(good().subarray(0, 39))).toBe('DashboardFrame.length');
    expect(fieldOf(new ArrayBuffer(0))).toBe('DashboardFrame.length');
    const e = thrown(() => decodeDashboardFrame(good().slice(0, 60)));
    expect((e as Error).message).toBe('DashboardFrame.length: expected 88 bytes (header + payloadBytes), got 60');
  });

  it('rejects trailing bytes', () => {
    const long = new Uint8Array(good().byteLength + 4);
    long.set(good());
    expect(fieldOf(long)).toBe('DashboardFrame.length');
  });

  it('rejects a bad magic, version, type or flags, naming expected and seen', () => {
    const b = good();
    b[0] = 0x58;
    const e = thrown(() => decodeDashboardFrame(b));
    expect((e as InvalidDataError).field).toBe('DashboardFrame.magic');
    expect((e as Error).message).toBe('DashboardFrame.magic: expected "NSDB", got "XSDB"');
    const v = good();
    v[4] = 2;
    expect((thrown(() => decodeDashboardFrame(v)) as Error).message).toBe('DashboardFrame.version: expected 1, got 2');
    const t = good();
    t[5] = 9;
    expect(fieldOf(t)).toBe('DashboardFrame.type');
    const f = good();
    f[6] = 2;
    expect(fieldOf(f)).toBe('DashboardFrame.flags');
    const z = good();
    z[12] = 0;
    expect(fieldOf(z)).toBe('DashboardFrame.channels');
  });

  it('rejects lengths that do not match the header', () => {
    const p = good();
    new DataView(p.buffer).setUint32(36, 44, true);
    const e = thrown(() => decodeDashboardFrame(p));
    expect((e as InvalidDataError).field).toBe('DashboardFrame.payloadBytes');
    expect((e as Error).message).toContain('expected 48 for a traces frame of 2 channels × 3 columns, got 44');
    const c = good();
    new DataView(c.buffer).setUint16(14, 4, true); // columns 4, payload still 48
    expect(fieldOf(c)).toBe('DashboardFrame.payloadBytes');
    // A frame re-labelled as another type no longer matches its payload size.
    const t = good();
    t[5] = FrameType.Rate;
    expect(fieldOf(t)).toBe('DashboardFrame.payloadBytes');
  });
});

describe('dashboard frames: bandwidth', () => {
  it('64 channels × 600 columns of traces: 307 240 bytes a frame, ≈ 9.2 MB/s at 30 frames/s', () => {
    expect(dashboardFrameBytes(FrameType.Traces, 64, 600)).toBe(64 * 600 * 2 * 4 + HEADER_BYTES);
    const bytes = encode(FrameType.Traces, header(64, 600), [new Float32Array(64 * 600), new Float32Array(64 * 600)]);
    expect(bytes.byteLength).toBe(307_240);
    expect(frameBytesPerSecond(FrameType.Traces, 64, 600, 30)).toBe(9_217_200);
  });

  it('whole windows within 2 MB/s at 30 frames/s: at most 130 columns for 64 channels', () => {
    const n = maxColumnsWithin(FrameType.Traces, 64, 30, 2_000_000);
    expect(n).toBe(130);
    expect(frameBytesPerSecond(FrameType.Traces, 64, n, 30)).toBe(1_998_000);
    expect(frameBytesPerSecond(FrameType.Traces, 64, n + 1, 30)).toBeGreaterThan(2_000_000);
  });

  it('delta frames at 600 columns / 10 s: ≤ 3 columns a frame, ≈ 47 kB/s at 30 frames/s', () => {
    // 60 columns/s ÷ 30 frames/s = 2 new columns per frame, plus the re-sent partial column.
    expect(frameBytesPerSecond(FrameType.Traces, 64, 3, 30)).toBe(47_280);
  });
});
