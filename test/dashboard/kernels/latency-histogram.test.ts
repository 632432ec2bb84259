import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../core/errors.js';
import { LATENCY_BINS, LATENCY_EDGES_MS, LatencyHistogram, latencyBin } from '../../../dashboard/kernels/latency-histogram.js';
import { thrown } from '../../helpers/thrown.js';

describe('latency histogram', () => {
  it('bins on log-spaced edges, four a decade from 0.01 ms to 10 s, edges inclusive below', () => {
    expect(LATENCY_EDGES_MS[0]).toBeCloseTo(0.01, 15);
    expect(LATENCY_EDGES_MS[8]).toBeCloseTo(1, 12);
    expect(LATENCY_EDGES_MS[24]).toBeCloseTo(10_000, 6);
    for (let j = 0; j < LATENCY_BINS; j++) {
      expect(latencyBin(LATENCY_EDGES_MS[j]!), `edge ${j}`).toBe(j);
      expect(latencyBin(LATENCY_EDGES_MS[j + 1]! * (1 - 1e-12)), `below edge ${j + 1}`).toBe(j);
    }
    expect(latencyBin(0)).toBe(0);
    expect(latencyBin(1e9)).toBe(LATENCY_BINS - 1);
    expect(latencyBin(-1)).toBe(-1);
    expect(latencyBin(NaN)).toBe(-1);
  });

  it('counts per stage and gives exact nearest-rank percentiles of the recent values', () => {
    const h = new LatencyHistogram(2, 100);
    for (let i = 1; i <= 1000; i++) h.add(1, i / 100); // 0.01 … 10 ms
    h.add(0, 0.5);
    expect(h.total(1)).toBe(1000);
    expect(h.total(0)).toBe(1);
    // The ring holds the last 100 values: 9.01 … 10 ms.
    expect(h.percentile(1, 0.5)).toBeCloseTo(9.5, 12);
    expect(h.percentile(1, 0.99)).toBeCloseTo(9.99, 12);
    expect(h.percentile(1, 1)).toBeCloseTo(10, 12);
    expect(h.percentile(0, 0.99)).toBe(0.5);
    const counts = new Float32Array(2 * LATENCY_BINS);
    h.copyCounts(counts);
    expect(counts.subarray(LATENCY_BINS).reduce((a, b) => a + b, 0)).toBe(1000);
    expect(counts[latencyBin(0.5)]).toBe(1);
    // 1 … 10 ms (values 100 … 999 and 1000): bins 8 … 11 hold 901 of them.
    expect(counts[LATENCY_BINS + 8]! + counts[LATENCY_BINS + 9]! + counts[LATENCY_BINS + 10]! + counts[LATENCY_BINS + 11]!).toBe(900);
    expect(counts[LATENCY_BINS + 12]).toBe(1);
    expect(new LatencyHistogram(1).percentile(0, 0.5)).toBeNaN();
    expect(thrown(() => h.add(2, 1))).toBeInstanceOf(InvalidOptionError);
  });
});
