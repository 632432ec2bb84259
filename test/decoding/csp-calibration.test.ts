import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { InvalidOptionError } from '../../core/index.js';
import { calibrateCspLda, fitCsp } from '../../decoding/calibration/csp-calibration.js';
import { readEpochs, type EpochSet } from '../../decoding/datasets/epochs.js';
import { BuiltinDecoder } from '../../decoding/decoders/builtin-decoder.js';
import { cspFeatures } from '../../decoding/models.js';
import { sharedData } from '../helpers/shared-data.js';

/** MNE's CSP on the same epochs (test/fixtures/generate-csp-reference.py). */
const ref = JSON.parse(readFileSync(new URL('../fixtures/csp-reference.json', import.meta.url), 'utf8')) as {
  labels: string[];
  csp: { eigenvalues: number[]; filters: number[][]; features: number[][] };
};

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]! / n;
    mb += b[i]! / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe("fitCsp / calibrateCspLda against MNE's CSP on EEGMMIDB S001 (all 45 epochs)", () => {
  let set: EpochSet;
  beforeAll(() => {
    set = readEpochs(['06', '10', '14'].map((r) => sharedData(`eeg/eegmmidb/S001/S001R${r}.edf`)), { classes: ['T1', 'T2'], windowS: [1, 2], bandHz: [7, 30] });
  });

  test('the 64 generalised eigenvalues, in MNE’s order (|λ − 0.5| descending)', () => {
    const fit = fitCsp(set.epochs, set.labels, { channelNames: set.channelNames, samples: set.samples });
    expect(fit.classes).toEqual(['T1', 'T2']);
    expect(fit.eigenvalues).toHaveLength(64);
    ref.csp.eigenvalues.forEach((v, i) => expect(fit.eigenvalues[i]).toBeCloseTo(v, 6));
  });

  test('the first 4 filters equal MNE’s up to sign; their log-power features equal MNE’s', () => {
    const model = calibrateCspLda(set.epochs, set.labels, { channelNames: set.channelNames, samples: set.samples });
    expect(model.components).toBe(4);
    expect(model.filters).toHaveLength(4 * 64);
    for (let k = 0; k < 4; k++) {
      const ours = model.filters.subarray(k * 64, (k + 1) * 64);
      expect(Math.abs(correlation(ours, ref.csp.filters[k]!))).toBeGreaterThan(0.9999);
    }
    const f = new Float64Array(4);
    set.epochs.forEach((epoch, e) => {
      cspFeatures(model, epoch, f);
      for (let k = 0; k < 4; k++) expect(f[k]).toBeCloseTo(ref.csp.features[e]![k]!, 4);
    });
    for (let k = 0; k < 4; k++) {
      const column = ref.csp.features.map((row) => row[k]!);
      const ours = set.epochs.map((epoch) => (cspFeatures(model, epoch, f), f[k]!));
      expect(correlation(ours, column)).toBeGreaterThan(0.99999);
    }
  });

  test('the model runs in BuiltinDecoder on [C, T] epochs and separates its training set', () => {
    const model = calibrateCspLda(set.epochs, set.labels, { channelNames: set.channelNames, samples: set.samples });
    const decoder = new BuiltinDecoder(model);
    expect(decoder.inputShape).toEqual([64, 161]);
    expect(decoder.outputNames).toEqual(['T1', 'T2']);
    let hits = 0;
    set.epochs.forEach((epoch, e) => {
      const p = decoder.decode(epoch);
      if ((p[1]! > p[0]! ? 'T2' : 'T1') === set.labels[e]) hits++;
    });
    expect(hits / 45).toBeGreaterThan(0.9);
  });
});

describe('fitCsp on synthetic sources', () => {
  test('finds the direction whose variance differs between classes', () => {
    // 3 channels mixing 3 unit sources; source 0 has variance 9 in class a, 1 in class b.
    const mix = [
      [1, 0.5, 0.2],
      [0.3, 1, 0.4],
      [0.1, 0.2, 1],
    ];
    let seed = 3;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648 - 0.5;
    };
    const T = 200;
    const epochs: Float32Array[] = [];
    const labels: string[] = [];
    for (let e = 0; e < 40; e++) {
      const a = e % 2 === 0;
      const x = new Float32Array(3 * T);
      for (let t = 0; t < T; t++) {
        const s = [(a ? 3 : 1) * rand() * 3.46, rand() * 3.46, rand() * 3.46];
        for (let c = 0; c < 3; c++) x[c * T + t] = mix[c]![0]! * s[0]! + mix[c]![1]! * s[1]! + mix[c]![2]! * s[2]!;
      }
      epochs.push(x);
      labels.push(a ? 'a' : 'b');
    }
    const fit = fitCsp(epochs, labels, { channelNames: ['x', 'y', 'z'], samples: T });
    // λ of the source: 9 / (9 + 1) = 0.9; the others ≈ 0.5.
    expect(fit.eigenvalues[0]).toBeCloseTo(0.9, 1);
    expect(Math.abs(fit.eigenvalues[1]! - 0.5)).toBeLessThan(0.1);
    // The filter unmixes source 0: w · A is ∝ (1, 0, 0).
    const w = fit.filters.subarray(0, 3);
    const wa = [0, 1, 2].map((j) => w[0]! * mix[0]![j]! + w[1]! * mix[1]![j]! + w[2]! * mix[2]![j]!);
    expect(Math.abs(wa[1]! / wa[0]!)).toBeLessThan(0.1);
    expect(Math.abs(wa[2]! / wa[0]!)).toBeLessThan(0.1);
  });

  test('errors: one class, too many components, wrong epoch size', () => {
    const e = [new Float32Array(20), new Float32Array(20)];
    expect(() => fitCsp(e, ['a', 'a'], { channelNames: ['x', 'y'], samples: 10 })).toThrow(/classes: expected two distinct classes/);
    expect(() => calibrateCspLda(e, ['a', 'b'], { channelNames: ['x', 'y'], samples: 10, components: 3 })).toThrow(InvalidOptionError);
    expect(() => fitCsp(e, ['a', 'b'], { channelNames: ['x', 'y'], samples: 9 })).toThrow(/csp epochs\[0\]: expected a Float32Array of 2 × 9 values/);
  });
});
