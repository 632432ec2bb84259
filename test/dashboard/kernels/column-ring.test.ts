import { describe, expect, it } from 'vitest';
import { InvalidDataError, InvalidOptionError } from '../../../core/errors.js';
import { ColumnRing } from '../../../dashboard/kernels/column-ring.js';
import { thrown } from '../../helpers/thrown.js';

describe('ColumnRing', () => {
  it('keeps the latest columns by absolute index, channel-major, NaN where nothing was pushed', () => {
    const ring = new ColumnRing(2, 3);
    ring.push(0, [1, 10]);
    ring.push(1, [2, 20]);
    const out = new Float32Array(6);
    ring.copyColumns(-1, 3, out);
    expect(Array.from(out)).toEqual([NaN, 1, 2, NaN, 10, 20]);
    ring.push(4, [5, 50]); // 2 and 3 skipped: empty
    ring.copyColumns(2, 3, out);
    expect(Array.from(out)).toEqual([NaN, NaN, 5, NaN, NaN, 50]);
    expect(ring.endColumn).toBe(5);
  });

  it('reads values at an offset and wraps without mixing old columns in', () => {
    const ring = new ColumnRing(1, 4);
    for (let k = 0; k < 11; k++) ring.push(k, [0, 0, k], 2);
    const out = new Float32Array(4);
    ring.copyColumns(7, 4, out);
    expect(Array.from(out)).toEqual([7, 8, 9, 10]);
    ring.push(100, [0, 0, 1], 2);
    ring.copyColumns(97, 4, out);
    expect(Array.from(out)).toEqual([NaN, NaN, NaN, 1]);
  });

  it('refuses columns out of order, outside the window, and short arrays', () => {
    const ring = new ColumnRing(2, 3);
    ring.push(5, [1, 1]);
    expect(thrown(() => ring.push(5, [1, 1]))).toBeInstanceOf(InvalidDataError);
    expect(thrown(() => ring.push(6, [1]))).toBeInstanceOf(InvalidDataError);
    expect(thrown(() => ring.copyColumns(2, 2, new Float32Array(4)))).toBeInstanceOf(InvalidOptionError);
    expect(thrown(() => ring.copyColumns(5, 2, new Float32Array(4)))).toBeInstanceOf(InvalidOptionError);
    expect(thrown(() => ring.copyColumns(3, 3, new Float32Array(4)))).toBeInstanceOf(InvalidOptionError);
    expect(thrown(() => new ColumnRing(0, 3))).toBeInstanceOf(InvalidOptionError);
  });
});
