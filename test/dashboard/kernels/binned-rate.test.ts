import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../../../core/errors.js';
import { createFeatureFrame } from '../../../core/feature-frame.js';
import { BinnedRate } from '../../../dashboard/kernels/binned-rate.js';
import { thrown } from '../../helpers/thrown.js';


const names = Object.freeze(['tc:a', 'tc:b', 'sbp:a', 'sbp:b']);
const frame = (bin: number, a: number, b: number) =>
  createFeatureFrame({ bin, t0: bin * 600, values: Float32Array.from([a, b, 99, 99]), names, hostTime: 0 });

describe('BinnedRate', () => {
  it('turns crossing counts per bin into rates (Hz), channel-major, oldest first', () => {
    const r = new BinnedRate({ channels: 2, binSeconds: 0.02, columns: 4 });
    r.pushFrame(frame(0, 1, 0));
    r.pushFrame(frame(1, 2, 3));
    const out = new Float32Array(8);
    expect(r.copyWindow(out)).toBe(1);
    expect(Array.from(out)).toEqual([NaN, NaN, 50, 100, NaN, NaN, 0, 150].map(Math.fround));
    expect(r.newestColumnTime).toBeCloseTo(0.02, 12);
  });

  it('marks skipped bins empty and wraps around', () => {
    const r = new BinnedRate({ channels: 2, binSeconds: 0.5, columns: 3 });
    for (let bin = 0; bin < 5; bin++) r.pushFrame(frame(bin, bin, 10 * bin));
    r.pushFrame(frame(6, 1, 1)); // bin 5 missing
    const out = new Float32Array(6);
    expect(r.copyWindow(out)).toBe(6);
    expect(Array.from(out)).toEqual([8, NaN, 2, 80, NaN, 2]);
    r.push(100, Float32Array.from([3, 4]));
    r.copyWindow(out);
    expect(Array.from(out)).toEqual([NaN, NaN, 6, NaN, NaN, 8]);
    const delta = new Float32Array(2);
    r.copyColumns(100, 1, delta);
    expect(Array.from(delta)).toEqual([6, 8]);
  });

  it('rejects bins out of order and frames whose values are not crossing counts', () => {
    const r = new BinnedRate({ channels: 2, binSeconds: 0.02, columns: 4 });
    r.pushFrame(frame(3, 1, 1));
    const e = thrown(() => r.pushFrame(frame(3, 1, 1)));
    expect((e as InvalidDataError).field).toBe('FeatureFrame.bin');
    const wrong = createFeatureFrame({ bin: 9, t0: 0, values: new Float32Array(2), names: ['sbp:a', 'sbp:b'], hostTime: 0 });
    const e2 = thrown(() => r.pushFrame(wrong));
    expect(e2).toBeInstanceOf(InvalidDataError);
    expect((e2 as InvalidDataError).field).toBe('FeatureFrame.names[0]');
  });
});
