/**
 * Metrics for discrete (classification) decoders.
 *
 *   - accuracy: the share of predictions equal to the true label.
 *   - confusionMatrix: counts[i·K + j] = trials of true class i predicted as class j.
 *   - chanceLevel: the majority class's share of the labels given — what always guessing the most
 *     frequent class scores. MNE's CSP example computes `p = np.mean(labels == labels[0])`,
 *     `max(p, 1 − p)` over all the epochs' labels (0.533 on EEGMMIDB S001 runs 6/10/14: 24 of 45);
 *     for two classes that is exactly this majority share.
 *   - cohensKappa: (p_o − p_e) / (1 − p_e), p_o the observed agreement, p_e = Σ_k (row_k · col_k)/n²
 *     the agreement expected from the marginals (1 for perfect, ≈ 0 at chance, < 0 below; 1 when
 *     p_e = 1 and the predictions agree).
 *   - ITR (Wolpaw et al. 2002): with N classes and accuracy P,
 *       B = log2 N + P log2 P + (1 − P) log2((1 − P)/(N − 1))  bits/trial,
 *     B = log2 N at P = 1, and 0 at or below chance (P ≤ 1/N: the formula assumes better than
 *     chance); bits/min = B · 60 / trialS, trialS the seconds one selection takes.
 */
import { InvalidDataError, InvalidOptionError, checkInteger, checkNumber } from '../../core/index.js';

function checkPair(truth: readonly string[], predicted: readonly string[]): void {
  if (truth.length !== predicted.length) throw new InvalidDataError('predicted labels', `${truth.length} labels, as many as the true labels`, predicted);
  if (truth.length === 0) throw new InvalidDataError('labels', 'at least one trial', truth);
}

export function accuracy(truth: readonly string[], predicted: readonly string[]): number {
  checkPair(truth, predicted);
  let hits = 0;
  for (let i = 0; i < truth.length; i++) if (truth[i] === predicted[i]) hits++;
  return hits / truth.length;
}

export interface ConfusionMatrix {
  readonly classes: readonly string[];
  /** [K × K] row-major: row = true class, column = predicted class. */
  readonly counts: Int32Array;
}

export function confusionMatrix(truth: readonly string[], predicted: readonly string[], classes: readonly string[]): ConfusionMatrix {
  checkPair(truth, predicted);
  const K = classes.length;
  if (K < 1) throw new InvalidOptionError('classes', 'at least one class', classes);
  const counts = new Int32Array(K * K);
  for (let n = 0; n < truth.length; n++) {
    const i = classes.indexOf(truth[n]!);
    const j = classes.indexOf(predicted[n]!);
    if (i < 0) throw new InvalidDataError(`labels[${n}]`, `one of ${classes.join(', ')}`, truth[n]);
    if (j < 0) throw new InvalidDataError(`predicted[${n}]`, `one of ${classes.join(', ')}`, predicted[n]);
    counts[i * K + j]!++;
  }
  return { classes: [...classes], counts };
}

/** Sum of confusion matrices over the same classes (e.g. over cross-validation splits). */
export function addConfusion(a: ConfusionMatrix, b: ConfusionMatrix): ConfusionMatrix {
  if (a.classes.length !== b.classes.length || a.classes.some((c, i) => c !== b.classes[i])) {
    throw new InvalidDataError('confusion classes', a.classes.join(', '), b.classes.join(', '));
  }
  return { classes: a.classes, counts: Int32Array.from(a.counts, (v, i) => v + b.counts[i]!) };
}

export function cohensKappa(confusion: ConfusionMatrix): number {
  const K = confusion.classes.length;
  let n = 0;
  let agree = 0;
  const rows = new Float64Array(K);
  const cols = new Float64Array(K);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < K; j++) {
      const v = confusion.counts[i * K + j]!;
      n += v;
      rows[i] = rows[i]! + v;
      cols[j] = cols[j]! + v;
      if (i === j) agree += v;
    }
  }
  if (n === 0) throw new InvalidDataError('confusion matrix', 'at least one trial', 0);
  const po = agree / n;
  let pe = 0;
  for (let k = 0; k < K; k++) pe += (rows[k]! * cols[k]!) / (n * n);
  if (pe === 1) return po === 1 ? 1 : 0;
  return (po - pe) / (1 - pe);
}

/** The majority class's share of `labels` (MNE's example: max(p, 1 − p), p = mean(labels == labels[0])). */
export function chanceLevel(labels: readonly string[]): number {
  if (labels.length === 0) throw new InvalidDataError('labels', 'at least one trial', labels);
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  return Math.max(...counts.values()) / labels.length;
}

/** Wolpaw information-transfer rate, bits per trial. */
export function itrBitsPerTrial(classCount: number, p: number): number {
  const N = checkInteger('option', 'classCount', classCount, { min: 2 });
  checkNumber('option', 'accuracy', p, { min: 0, max: 1 });
  if (p <= 1 / N) return 0;
  if (p === 1) return Math.log2(N);
  return Math.log2(N) + p * Math.log2(p) + (1 - p) * Math.log2((1 - p) / (N - 1));
}

/** Wolpaw information-transfer rate, bits per minute, one trial every `trialS` seconds. */
export function itrBitsPerMinute(classCount: number, p: number, trialS: number): number {
  checkNumber('option', 'trialS', trialS, { min: 0, exclusiveMin: true });
  return (itrBitsPerTrial(classCount, p) * 60) / trialS;
}
