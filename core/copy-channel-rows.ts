/**
 * copyChannelRows — copies `count` consecutive samples of every channel between two channel-major
 * buffers of different row strides: channel c's sample i is at `source[c * sourceStride +
 * sourceStart + i]` and lands at `target[c * targetStride + targetStart + i]`. The one copy behind
 * batching blocks for Arrow (SignalBatcher), staging samples and blocks (BlockAssembler) and
 * cutting batches into blocks on replay, and the parallel chain's shared ring. No allocation: short
 * runs (1 ms device blocks) in a plain loop, longer ones as `set` of a view, rows back to back on
 * both sides as one `set`.
 */
export function copyChannelRows(
  source: Float32Array,
  sourceStride: number,
  sourceStart: number,
  target: Float32Array,
  targetStride: number,
  targetStart: number,
  channels: number,
  count: number,
): void {
  if (sourceStride === count && targetStride === count) {
    // Rows back to back on both sides: one copy.
    target.set(source.subarray(sourceStart, sourceStart + channels * count), targetStart);
    return;
  }
  for (let c = 0; c < channels; c++) {
    const from = c * sourceStride + sourceStart;
    const to = c * targetStride + targetStart;
    if (count <= 64) for (let i = 0; i < count; i++) target[to + i] = source[from + i]!;
    else target.set(source.subarray(from, from + count), to);
  }
}
