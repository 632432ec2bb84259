import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { readEpochs, type EpochSet } from '../../decoding/datasets/epochs.js';
import { shuffleSplits, type Split } from '../../decoding/evaluation/cross-validation.js';
import { crossValidateDiscrete } from '../../decoding/evaluation/discrete-evaluation.js';
import { sharedData } from '../helpers/shared-data.js';

/** MNE's example: its scikit-learn splits and scores (test/fixtures/generate-csp-reference.py). */
const ref = JSON.parse(readFileSync(new URL('../fixtures/csp-reference.json', import.meta.url), 'utf8')) as {
  crossValidation: { splits: { train: number[]; test: number[] }[]; scores: number[]; mean: number; chance: number };
};

describe('crossValidateDiscrete: CSP + LDA on EEGMMIDB S001 runs 06/10/14 (MNE example: 0.933, chance 0.533)', () => {
  let set: EpochSet;
  beforeAll(() => {
    set = readEpochs(['06', '10', '14'].map((r) => sharedData(`eeg/eegmmidb/S001/S001R${r}.edf`)), { classes: ['T1', 'T2'], windowS: [1, 2], bandHz: [7, 30] });
  });

  test('10 shuffled 80/20 splits (seed 42): mean accuracy ≥ 0.90', () => {
    const splits = shuffleSplits(set.epochs.length, { splits: 10, testSize: 0.2, seed: 42 });
    const r = crossValidateDiscrete(set, { decoder: 'csp-lda', splits });
    expect(r.perSplit).toHaveLength(10);
    for (const s of r.perSplit) expect(s.testSize).toBe(9);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(r.chance).toBeCloseTo(ref.crossValidation.chance, 12);
    expect(r.kappa).toBeGreaterThan(0.7);
    expect(r.std).toBeLessThan(0.1);
    expect(r.trialS).toBeCloseTo(161 / 160, 12);
    expect(r.itrBitsPerTrial).toBeGreaterThan(0.5);
    expect(r.itrBitsPerMin).toBeCloseTo((r.itrBitsPerTrial * 60) / r.trialS, 9);
    const total = Array.from(r.confusion.counts).reduce((a, b) => a + b, 0);
    expect(total).toBe(90);
  });

  test("scikit-learn's own splits give MNE's score on every split", () => {
    const splits: Split[] = ref.crossValidation.splits.map((s) => ({ train: Int32Array.from(s.train), test: Int32Array.from(s.test) }));
    const r = crossValidateDiscrete(set, { decoder: 'csp-lda', splits, trialS: 8.3 });
    r.perSplit.forEach((s, i) => expect(s.accuracy).toBeCloseTo(ref.crossValidation.scores[i]!, 9));
    expect(r.accuracy).toBeCloseTo(ref.crossValidation.mean, 9);
    expect(r.itrBitsPerMin).toBeCloseTo((r.itrBitsPerTrial * 60) / 8.3, 9);
  });

  test("'lda' on per-channel log band power: better than chance, below CSP", () => {
    const splits = shuffleSplits(set.epochs.length, { splits: 10, testSize: 0.2, seed: 42 });
    const r = crossValidateDiscrete(set, { decoder: 'lda', splits });
    expect(r.accuracy).toBeGreaterThan(0.65);
    expect(r.accuracy).toBeLessThan(0.9);
  });

  test('bad splits and decoders are named', () => {
    expect(() => crossValidateDiscrete(set, { decoder: 'svm' as never, splits: [] })).toThrow(/decoder: expected one of lda, csp-lda/);
    expect(() => crossValidateDiscrete(set, { decoder: 'csp-lda', splits: [] })).toThrow(/splits: expected at least one train\/test split/);
    expect(() => crossValidateDiscrete(set, { decoder: 'csp-lda', splits: [{ train: Int32Array.of(0, 1, 45), test: Int32Array.of(2) }] })).toThrow(/splits\[0\]\.train: expected epoch indexes from 0 to 44, got 45/);
  });
});
