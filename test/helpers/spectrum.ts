/**
 * Test helpers: spectral power at single frequencies (Goertzel over Hann-windowed segments,
 * averaged like Welch's method) and simple statistics. Deliberately independent of the code
 * under test.
 */

/** Mean power of `x` at `frequencyHz`, Welch-style: Hann segments of `segment` samples, 50% overlap. */
export function powerAt(x: ArrayLike<number>, fs: number, frequencyHz: number, segment = 1024): number {
  const w = new Float64Array(segment);
  for (let i = 0; i < segment; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (segment - 1));
  const omega = (2 * Math.PI * frequencyHz) / fs;
  const coeff = 2 * Math.cos(omega);
  let total = 0;
  let count = 0;
  for (let start = 0; start + segment <= x.length; start += segment / 2) {
    let mean = 0;
    for (let i = 0; i < segment; i++) mean += x[start + i]!;
    mean /= segment;
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < segment; i++) {
      const s0 = (x[start + i]! - mean) * w[i]! + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    total += s1 * s1 + s2 * s2 - coeff * s1 * s2;
    count++;
  }
  if (count === 0) throw new Error(`signal of ${x.length} samples is shorter than one segment (${segment})`);
  return total / count;
}

/** Mean power over a band, sampled every `stepHz`. */
export function bandPower(x: ArrayLike<number>, fs: number, loHz: number, hiHz: number, segment = 1024, stepHz = 0.5): number {
  let sum = 0;
  let n = 0;
  for (let f = loHz; f <= hiHz + 1e-9; f += stepHz) {
    sum += powerAt(x, fs, f, segment);
    n++;
  }
  return sum / n;
}

export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

export function rms(x: ArrayLike<number>): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - m) ** 2;
  return Math.sqrt(s / x.length);
}

/** Solves the least-squares problem X b ≈ y by the normal equations (small, well-conditioned). */
export function leastSquares(rows: readonly number[][], y: readonly number[]): number[] {
  const p = rows[0]!.length;
  const a = Array.from({ length: p }, () => new Array<number>(p + 1).fill(0));
  rows.forEach((r, k) => {
    for (let i = 0; i < p; i++) {
      for (let j = 0; j < p; j++) a[i]![j]! += r[i]! * r[j]!;
      a[i]![p]! += r[i]! * y[k]!;
    }
  });
  for (let i = 0; i < p; i++) {
    let pivot = i;
    for (let r = i + 1; r < p; r++) if (Math.abs(a[r]![i]!) > Math.abs(a[pivot]![i]!)) pivot = r;
    [a[i], a[pivot]] = [a[pivot]!, a[i]!];
    for (let r = 0; r < p; r++) {
      if (r === i) continue;
      const f = a[r]![i]! / a[i]![i]!;
      for (let c = i; c <= p; c++) a[r]![c]! -= f * a[i]![c]!;
    }
  }
  return a.map((row, i) => row[p]! / row[i]!);
}
