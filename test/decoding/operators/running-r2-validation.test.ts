import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { from, map } from 'rxjs';
import { runningR2Validation, type R2Sample, type RunningR2Score } from '../../../decoding/operators/running-r2-validation.js';
import { r2Scores } from '../../../decoding/evaluation/regression-metrics.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Predictions off the truth by a bin-dependent error, in two dimensions. */
const sample = (bin: number): R2Sample => ({ bin, predicted: [Math.sin(bin) + 0.1 * (bin % 3), Math.cos(bin) - 0.2 * (bin % 2)], truth: [Math.sin(bin), Math.cos(bin)] });

describe('runningR2Validation', () => {
  it('reports the running R² every `everyBins` scored bins, once the window holds two', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const bins = cold('abcde|', { a: sample(0), b: sample(1), c: sample(2), d: sample(3), e: sample(4) });
      const due = bins.pipe(
        runningR2Validation({ dimensions: ['vel_x', 'vel_y'], binSamples: 20, sampleRateHz: 1000, windowBins: 3, everyBins: 2 }),
        map((s) => [s.due, s.size, s.validation.bin, s.validation.sample, s.validation.windowS]),
      );
      expectObservable(due).toBe('abcde|', {
        a: [false, 1, 0, 19, 0.02],
        b: [true, 2, 1, 39, 0.04],
        c: [false, 3, 2, 59, 0.06],
        d: [true, 3, 3, 79, 0.06],
        e: [false, 3, 4, 99, 0.06],
      });
    });
  });

  it('scores the window as an offline R² of the same bins does, per dimension and pooled', () => {
    const scores: RunningR2Score[] = [];
    from([0, 1, 2, 3].map(sample))
      .pipe(runningR2Validation({ dimensions: ['vel_x', 'vel_y'], binSamples: 20, sampleRateHz: 1000, windowBins: 3 }))
      .subscribe((s) => scores.push(s));
    // The window holds the last 3 bins (1, 2, 3): scored offline.
    const window = [1, 2, 3].map(sample);
    const truth = Float64Array.from(window.flatMap((s) => Array.from(s.truth)));
    const predicted = Float64Array.from(window.flatMap((s) => Array.from(s.predicted)));
    const offline = r2Scores(truth, predicted, 3, 2);
    const last = scores.at(-1)!;
    expect(last.validation.perDimension[0]).toBeCloseTo(offline[0]!, 12);
    expect(last.validation.perDimension[1]).toBeCloseTo(offline[1]!, 12);
    expect(last.meanR2).toBeCloseTo((offline[0]! + offline[1]!) / 2, 12);
    // Pooled: 1 − ΣSS_res / ΣSS_tot over both dimensions.
    let res = 0;
    let tot = 0;
    for (let d = 0; d < 2; d++) {
      const mean = (truth[d]! + truth[2 + d]! + truth[4 + d]!) / 3;
      for (let i = 0; i < 3; i++) {
        res += (truth[i * 2 + d]! - predicted[i * 2 + d]!) ** 2;
        tot += (truth[i * 2 + d]! - mean) ** 2;
      }
    }
    expect(last.validation.value).toBeCloseTo(1 - res / tot, 12);
    expect(last.validation.metric).toBe('r2');
    expect(last.validation.dimensions).toEqual(['vel_x', 'vel_y']);
  });
});
