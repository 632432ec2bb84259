import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyChannelRows } from '../../core/copy-channel-rows.js';

describe('copyChannelRows', () => {
  it('copies each channel’s run between any strides and starts — rows back to back, short or long runs — touching nothing else', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 150 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 40 }),
        fc.boolean(),
        (channels, count, sourceExtra, targetExtra, packed) => {
          // Packed: both strides equal the run (rows back to back); else each row has room to spare.
          const sourceStride = packed ? count : count + sourceExtra;
          const targetStride = packed ? count : count + targetExtra;
          const sourceStart = sourceExtra;
          const targetStart = targetExtra;
          const source = Float32Array.from({ length: channels * sourceStride + sourceStart + 3 }, (_, i) => i + 0.5);
          const target = new Float32Array(channels * targetStride + targetStart + 3).fill(-1);
          const want = Float32Array.from(target);
          for (let c = 0; c < channels; c++) for (let i = 0; i < count; i++) want[c * targetStride + targetStart + i] = source[c * sourceStride + sourceStart + i]!;
          copyChannelRows(source, sourceStride, sourceStart, target, targetStride, targetStart, channels, count);
          expect(Array.from(target)).toEqual(Array.from(want));
        },
      ),
      { numRuns: 300 },
    );
  });
});
