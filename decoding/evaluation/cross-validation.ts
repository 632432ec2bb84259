/**
 * Cross-validation splits over `n` samples (bins or epochs), as index lists.
 *   - `contiguousFolds(n, k)`: k contiguous blocks, each the test set once, no shuffling — the
 *     default for time series, where neighbouring bins are correlated (scikit-learn's KFold
 *     without shuffle: the first n % k folds are one larger).
 *   - `shuffleSplits(n, { splits, testSize, seed })`: independent random train/test splits
 *     (scikit-learn's ShuffleSplit: test = ceil(testSize·n), train = the rest), reproducible from
 *     the seed (our own generator: the same seed gives the same splits here, not numpy's).
 */
import { InvalidOptionError, checkInteger, checkNumber } from '../../core/index.js';

export interface Split {
  readonly train: Int32Array;
  readonly test: Int32Array;
}

export function contiguousFolds(n: number, k: number): Split[] {
  checkInteger('option', '--folds', k, { min: 2 });
  if (n < k) throw new InvalidOptionError('--folds', `at most the number of samples (${n})`, k);
  const splits: Split[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const test = new Int32Array(size);
    for (let i = 0; i < size; i++) test[i] = start + i;
    const train = new Int32Array(n - size);
    for (let i = 0, j = 0; i < n; i++) if (i < start || i >= start + size) train[j++] = i;
    splits.push({ train, test });
    start += size;
  }
  return splits;
}

/** mulberry32: a small, well-mixed 32-bit generator; enough for reproducible shuffles. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffleSplits(n: number, options: { splits: number; testSize: number; seed: number }): Split[] {
  checkInteger('option', '--splits', options.splits, { min: 1 });
  checkNumber('option', '--test-size', options.testSize, { min: 0, exclusiveMin: true, max: 1 });
  checkInteger('option', '--seed', options.seed, { min: 0 });
  const testCount = Math.ceil(options.testSize * n);
  if (testCount < 1 || testCount >= n) throw new InvalidOptionError('--test-size', `a fraction leaving samples to train and test (of ${n})`, options.testSize);
  const random = generator(options.seed);
  const splits: Split[] = [];
  const order = new Int32Array(n);
  for (let s = 0; s < options.splits; s++) {
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    const test = Int32Array.from(order.subarray(0, testCount)).sort();
    const train = Int32Array.from(order.subarray(testCount)).sort();
    splits.push({ train, test });
  }
  return splits;
}
