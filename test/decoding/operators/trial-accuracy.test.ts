import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { map } from 'rxjs';
import { trialAccuracy, type DecodedTrial } from '../../../decoding/operators/trial-accuracy.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const FS = 250;
/** A trial decided `decided` (the larger output) for a cue of `label`, ending at sample `sample`. */
const trial = (decided: 'left' | 'right', label: string, sample: number): DecodedTrial => ({
  values: decided === 'left' ? [0.9, 0.1] : [0.2, 0.8],
  label,
  bin: Math.floor((sample * 1000) / FS / 20),
  sample,
});

describe('trialAccuracy', () => {
  it('scores each trial against its cue: the running accuracy of the last trials, with chance and window', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const trials = cold('a-b-c-d|', {
        a: trial('left', 'left', 1000),
        b: trial('left', 'right', 2000),
        c: trial('right', 'right', 3000),
        d: trial('right', 'left', 4000),
      });
      // A window of 2 trials: the oldest falls out.
      const scored = trials.pipe(
        trialAccuracy({ classes: ['left', 'right'], sampleRateHz: FS, trials: 2 }),
        map((s) => [s.hit, s.validation.value, s.validation.trials, s.validation.windowS, s.correct, s.decoded, s.validation.chance]),
      );
      expectObservable(scored).toBe('a-b-c-d|', {
        a: [true, 1, 1, 0, 1, 1, 0.5],
        b: [false, 0.5, 2, 4, 1, 2, 0.5],
        c: [true, 0.5, 2, 4, 2, 3, 0.5],
        d: [false, 0.5, 2, 4, 2, 4, 0.5],
      });
    });
  });

  it('starts each subscription from no trials', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const trials = cold('a-b|', { a: trial('left', 'right', 1000), b: trial('left', 'left', 2000) });
      const accuracy = trials.pipe(
        trialAccuracy({ classes: ['left', 'right'], sampleRateHz: FS }),
        map((s) => s.validation.value),
      );
      expectObservable(accuracy).toBe('a-b|', { a: 0, b: 0.5 });
      expectObservable(accuracy).toBe('a-b|', { a: 0, b: 0.5 });
    });
  });

  it('refuses fewer than two classes', () => {
    expect(() => trialAccuracy({ classes: ['left'], sampleRateHz: FS })).toThrow('trialAccuracy classes');
  });
});
