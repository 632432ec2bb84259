/**
 * The signal-quality kernel's two loops: the one for two sections per band-pass (the designs it
 * makes, coefficients and filter state in locals) gives the same bits as the loop for any number
 * of sections — run here on the same designs with an identity section appended (y = 1·x + 0, exact) —
 * over random signals, channel counts, rows, block sizes, window lengths and gaps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSignalQualityState, pushSignalQuality, type SignalQualityState } from '../../../acquisition/kernels/signal-quality.js';

/** The same state with an identity section after each band-pass: the kernel takes its general loop. */
function withIdentitySection(state: SignalQualityState): SignalQualityState {
  const identity = [1, 0, 0, 0, 0];
  const extend = (sos: Float64Array): Float64Array => Float64Array.from([...sos, ...identity]);
  return { ...state, bandSos: extend(state.bandSos), mainsSos: extend(state.mainsSos), bandZ: new Float64Array(state.channels * 6), mainsZ: new Float64Array(state.channels * 6) };
}

const bits = (a: Float64Array | Uint8Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

describe('signal-quality kernel', () => {
  it('gives the same bits in its two-section loop as in its general loop', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.integer({ min: -1, max: 11 }),
        fc.boolean(),
        (channels, extraRows, lengths, seed, gapBlock, flatRuns) => {
          const options = { sampleRateHz: 1000, mainsHz: 50 as const, fullScale: Array.from({ length: channels }, (_, c) => (c === 0 ? 0 : 400)), windowS: 0.25, flatS: 0.05 };
          const fast = createSignalQualityState(options);
          const general = withIdentitySection(createSignalQualityState(options));
          expect(fast.bandSos.length).toBe(10);
          expect(general.bandSos.length).toBe(15);
          // Analysed rows picked out of a wider block, in a shuffled order.
          const rowCount = channels + extraRows;
          const rows = Int32Array.from({ length: channels }, (_, c) => (c * 7 + seed) % rowCount).map((r, c, all) => (all.indexOf(r) === c ? r : -1));
          for (let c = 0, free = 0; c < channels; c++) {
            if (rows[c] !== -1) continue;
            while (rows.includes(free)) free++;
            rows[c] = free;
          }
          let s = seed >>> 0;
          const random = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
          const seen: string[][] = [[], []];
          const onWindow = (k: number) => (st: SignalQualityState) => seen[k]!.push(bits(st.status) + bits(st.peakFraction) + bits(st.flatSeconds) + bits(st.lineNoiseDb));
          let first = 0;
          lengths.forEach((length, b) => {
            const data = new Float32Array(rowCount * length);
            for (let i = 0; i < data.length; i++) {
              // Noise, a 50 Hz hum, a DC offset, and stretches held constant (flat) on some rows.
              const t = (first + (i % length)) / 1000;
              data[i] = flatRuns && (i / length) % 2 < 1 && (i % length) % 97 < 60 ? 3 : 300 * (random() - 0.5) + 80 * Math.sin(2 * Math.PI * 50 * t) + 25;
            }
            const gap = b === gapBlock;
            if (gap) first += 13;
            pushSignalQuality(fast, data, length, first, gap, onWindow(0), rows);
            pushSignalQuality(general, data, length, first, gap, onWindow(1), rows);
            first += length;
          });
          expect(seen[0]).toEqual(seen[1]);
          for (const field of ['peak', 'flatRun', 'last', 'bandPower', 'mainsPower'] as const) expect(bits(fast[field]), field).toBe(bits(general[field]));
          expect(fast.count).toBe(general.count);
        },
      ),
      { numRuns: 200 },
    );
  });
});
