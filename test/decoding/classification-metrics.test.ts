import { describe, expect, test } from 'vitest';
import {
  accuracy,
  chanceLevel,
  cohensKappa,
  confusionMatrix,
  itrBitsPerMinute,
  itrBitsPerTrial,
} from '../../decoding/evaluation/classification-metrics.js';

describe('classification metrics', () => {
  const truth = ['a', 'a', 'a', 'b', 'b', 'c'];
  test('accuracy and the confusion matrix (rows true, columns predicted)', () => {
    const predicted = ['a', 'b', 'a', 'b', 'a', 'c'];
    expect(accuracy(truth, predicted)).toBeCloseTo(4 / 6, 12);
    const m = confusionMatrix(truth, predicted, ['a', 'b', 'c']);
    expect(Array.from(m.counts)).toEqual([2, 1, 0, 1, 1, 0, 0, 0, 1]);
    expect(() => accuracy(truth, predicted.slice(1))).toThrow(/predicted labels: expected 6 labels/);
    expect(() => confusionMatrix(truth, predicted, ['a', 'b'])).toThrow(/labels\[5\]: expected one of a, b/);
  });

  test("Cohen's κ: 1 when perfect, ≈ 0 at chance, a worked example", () => {
    expect(cohensKappa(confusionMatrix(truth, truth, ['a', 'b', 'c']))).toBe(1);
    // Predictions independent of the truth.
    let s = 1;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    const t: string[] = [];
    const p: string[] = [];
    for (let i = 0; i < 20000; i++) {
      t.push(rand() < 0.6 ? 'x' : 'y');
      p.push(rand() < 0.5 ? 'x' : 'y');
    }
    expect(Math.abs(cohensKappa(confusionMatrix(t, p, ['x', 'y'])))).toBeLessThan(0.02);
    // [[20, 5], [10, 15]]: p_o = 0.7, p_e = (25·30 + 25·20)/50² = 0.5, κ = 0.4
    const m = { classes: ['x', 'y'], counts: Int32Array.from([20, 5, 10, 15]) };
    expect(cohensKappa(m)).toBeCloseTo(0.4, 12);
  });

  test("chance level: the majority share (MNE's max(p, 1 − p), p = mean(labels == labels[0]))", () => {
    const labels = [...Array(21).fill('T1'), ...Array(24).fill('T2')] as string[];
    expect(chanceLevel(labels)).toBeCloseTo(0.5333333333, 9);
    expect(chanceLevel(['a', 'b', 'b', 'c'])).toBe(0.5);
  });

  test('Wolpaw ITR', () => {
    // N = 2, P = 0.9: 1 + 0.9 log2 0.9 + 0.1 log2 0.1 = 0.5310044064
    expect(itrBitsPerTrial(2, 0.9)).toBeCloseTo(0.5310044064, 9);
    expect(itrBitsPerTrial(4, 1)).toBe(2);
    expect(itrBitsPerTrial(4, 0.25)).toBe(0);
    expect(itrBitsPerTrial(2, 0.3)).toBe(0);
    // N = 4, P = 0.7: 2 + 0.7 log2 0.7 + 0.3 log2 0.1 = 0.6426
    expect(itrBitsPerTrial(4, 0.7)).toBeCloseTo(2 + 0.7 * Math.log2(0.7) + 0.3 * Math.log2(0.1), 12);
    expect(itrBitsPerMinute(2, 0.9, 4)).toBeCloseTo(0.5310044064 * 15, 8);
    expect(() => itrBitsPerMinute(2, 0.9, 0)).toThrow(/trialS: expected a finite number > 0/);
    expect(() => itrBitsPerTrial(1, 0.9)).toThrow(/classCount/);
  });
});
