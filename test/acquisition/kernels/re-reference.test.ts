import { describe, expect, it } from 'vitest';
import { commonAverageReference, commonMedianReference, createReferenceLayout } from '../../../acquisition/kernels/re-reference.js';

describe('re-referencing kernels', () => {
  // 4 channels × 3 samples: channels 0–2 in group 0 (channel 2 bad), channel 3 untouched (aux).
  const layout = createReferenceLayout([0, 0, 0, -1], [1, 1, 0, 1]);
  const x = Float32Array.from([1, 2, 3, 3, 4, 5, 100, 100, 100, 7, 8, 9]);

  it('subtracts the mean of the good channels of each group, from every channel of the group', () => {
    const y = new Float32Array(12);
    commonAverageReference(layout, x, y, 3, new Float64Array(3));
    // Reference per sample: mean(ch0, ch1) = 2, 3, 4 (ch2 is bad and ignored).
    expect([...y]).toEqual([-1, -1, -1, 1, 1, 1, 98, 97, 96, 7, 8, 9]);
  });

  it('subtracts the median, which one wild channel cannot move', () => {
    const wild = createReferenceLayout([0, 0, 0, 0], [1, 1, 1, 1]);
    const z = Float32Array.from([1, 1, 2, 2, 3, 3, 1000, -1000]);
    const y = new Float32Array(8);
    commonMedianReference(wild, z, y, 2, new Float64Array(4));
    // Sample 0: median of 1, 2, 3, 1000 = 2.5; sample 1: median of 1, 2, 3, −1000 = 1.5.
    expect([...y]).toEqual([-1.5, -0.5, -0.5, 0.5, 0.5, 1.5, 997.5, -1001.5]);
  });

  it('refuses a group whose channels are all bad', () => {
    expect(() => createReferenceLayout([0, 0, 1], [0, 0, 1])).toThrow('reference group 0: expected at least one good channel, got "2 channels, all marked bad"');
  });
});
