/**
 * Latency thresholds from the stream's own time scales: a 250 Hz EEG headset (a sample every
 * 4 ms) is not amber at 2 ms; a decoder on 20 ms bins is amber above half a bin and red above
 * one; the stages have words.
 */
import { describe, expect, it } from 'vitest';
import { LATENCY_STAGES } from '../../../dashboard/protocol/dashboard-frames.js';
import { latencyBudget, latencyKind, latencyStageWords } from '../../../dashboard/protocol/latency-budget.js';

describe('latencyBudget', () => {
  it('gives a 250 Hz stream of one-sample blocks 8 ms before amber and 40 ms before red: 2 ms is fine', () => {
    const eeg = latencyBudget({ sampleRateHz: 250, blockSamples: 1 });
    expect(eeg).toEqual({ stage: 'block', warnMs: 8, badMs: 40, basis: '2 / 10 blocks of 4.0 ms' });
    expect(latencyKind(2, eeg)).toBe('ok');
    expect(latencyKind(9, eeg)).toBe('warn');
    expect(latencyKind(41, eeg)).toBe('bad');
  });

  it('keeps 30 kHz in 1 ms blocks amber above 2 ms, and scales with the block', () => {
    expect(latencyBudget({ sampleRateHz: 30_000, blockSamples: 30 })).toMatchObject({ warnMs: 2, badMs: 10 });
    expect(latencyBudget({ sampleRateHz: 160, blockSamples: 16 })).toMatchObject({ warnMs: 200, badMs: 1000 });
    // Never below the event loop's resolution, whatever the block.
    expect(latencyBudget({ sampleRateHz: 30_000, blockSamples: 1 })).toMatchObject({ warnMs: 1, badMs: 5 });
  });

  it('with a decoder: amber above half a bin, red above a bin, end to end', () => {
    const b = latencyBudget({ sampleRateHz: 30_000, blockSamples: 30, binS: 0.02 });
    expect(b).toEqual({ stage: 'end-to-end', warnMs: 10, badMs: 20, basis: 'half / one 20 ms bin' });
    expect(latencyKind(undefined, b)).toBe('');
    expect(latencyKind(NaN, b)).toBe('');
  });
});

describe('latencyStageWords', () => {
  it('has words for every stage the histogram carries', () => {
    for (const stage of LATENCY_STAGES) expect(latencyStageWords(stage)).not.toMatch(/Ms$/);
    expect(latencyStageWords('totalMs')).toBe('end to end (last byte to decoded intent)');
    expect(latencyStageWords('decodeMs')).toBe('decode');
  });
});
