/**
 * Common-average and common-median re-referencing over channel groups (kernels).
 *
 * Layout: `group[c]` is channel c's group (≥ 0) or −1 for a channel left untouched (aux,
 * accelerometer). `good[c]` is 1 for channels that contribute to their group's reference, 0 for
 * bad channels (they are still re-referenced, but never pollute the reference). For each sample,
 * every channel of a group has the group's mean (or median) over its good channels subtracted.
 */
import { InvalidOptionError } from '../../core/index.js';

export interface ReferenceLayout {
  readonly group: Int32Array;
  readonly good: Uint8Array;
  /** Channels of each group, and the good ones among them (precomputed). */
  readonly members: readonly Int32Array[];
  readonly goodMembers: readonly Int32Array[];
}

export function createReferenceLayout(group: ArrayLike<number>, good: ArrayLike<number>): ReferenceLayout {
  if (group.length !== good.length) throw new InvalidOptionError('reference layout', `${group.length} good flags (one per channel)`, good.length);
  const groups = Math.max(-1, ...Array.from(group)) + 1;
  const members: Int32Array[] = [];
  const goodMembers: Int32Array[] = [];
  for (let g = 0; g < groups; g++) {
    const all = Array.from(group, (x, c) => (x === g ? c : -1)).filter((c) => c >= 0);
    const ok = all.filter((c) => good[c]);
    if (all.length > 0 && ok.length === 0) {
      throw new InvalidOptionError(`reference group ${g}`, 'at least one good channel', `${all.length} channels, all marked bad`);
    }
    members.push(Int32Array.from(all));
    goodMembers.push(Int32Array.from(ok));
  }
  return { group: Int32Array.from(group), good: Uint8Array.from(good), members, goodMembers };
}

/**
 * Common-average reference. `reference` is a scratch Float64Array of at least `length` values.
 * Input and output are channel-major (`channels` × `length`); output may not be input.
 */
export function commonAverageReference(
  layout: ReferenceLayout,
  input: Float32Array,
  output: Float32Array,
  length: number,
  reference: Float64Array,
): void {
  const C = layout.group.length;
  // Channels outside every group pass through.
  for (let c = 0; c < C; c++) if (layout.group[c]! < 0) output.set(input.subarray(c * length, (c + 1) * length), c * length);
  for (let g = 0; g < layout.members.length; g++) {
    const goods = layout.goodMembers[g]!;
    if (goods.length === 0) continue;
    averageOfMembers(input, length, goods, 0, length, reference, 0);
    const all = layout.members[g]!;
    for (let k = 0; k < all.length; k++) {
      const base = all[k]! * length;
      for (let i = 0; i < length; i++) output[base + i] = input[base + i]! - reference[i]!;
    }
  }
}

/**
 * The mean over `members` (channel indices) of samples [i0, i1) of a channel-major block of
 * `length` samples, into `out[at + i]`. The sum runs in the members' order, starting from 0, in
 * Float64, then is scaled by 1 / members: every caller (the operators, the fused chain, the
 * channel-parallel chain's workers, each over its own range of samples) gets the same bits.
 */
export function averageOfMembers(input: Float32Array, length: number, members: Int32Array, i0: number, i1: number, out: Float64Array, at: number): void {
  const n = members.length;
  out.fill(0, at + i0, at + i1);
  // Four channels per pass over the sums (the additions stay in the members' order).
  let k = 0;
  for (; k + 3 < n; k += 4) {
    const b0 = members[k]! * length;
    const b1 = members[k + 1]! * length;
    const b2 = members[k + 2]! * length;
    const b3 = members[k + 3]! * length;
    for (let i = i0; i < i1; i++) out[at + i] = out[at + i]! + input[b0 + i]! + input[b1 + i]! + input[b2 + i]! + input[b3 + i]!;
  }
  for (; k < n; k++) {
    const b = members[k]! * length;
    for (let i = i0; i < i1; i++) out[at + i]! += input[b + i]!;
  }
  const inv = 1 / n;
  for (let i = i0; i < i1; i++) out[at + i]! *= inv;
}

/**
 * The median over `members` of samples [i0, i1) of a channel-major block, into `out[at + i]`
 * (the mean of the two middle values for an even count). `scratch` holds at least `members.length` values.
 */
export function medianOfMembers(input: Float32Array, length: number, members: Int32Array, i0: number, i1: number, out: Float64Array, at: number, scratch: Float64Array): void {
  for (let i = i0; i < i1; i++) out[at + i] = medianOfSample(input, length, members, i, scratch);
}

/** The median of sample i over `members` (the mean of the two middle values for an even count). */
function medianOfSample(input: Float32Array, length: number, members: Int32Array, i: number, scratch: Float64Array): number {
  const n = members.length;
  for (let k = 0; k < n; k++) scratch[k] = input[members[k]! * length + i]!;
  return n % 2 === 1 ? select(scratch, n, n >> 1) : (select(scratch, n, (n >> 1) - 1) + select(scratch, n, n >> 1)) / 2;
}

/**
 * Common-median reference (robust to a few noisy channels). `scratch` must hold at least as many
 * values as the largest group's good channels.
 */
export function commonMedianReference(
  layout: ReferenceLayout,
  input: Float32Array,
  output: Float32Array,
  length: number,
  scratch: Float64Array,
): void {
  const C = layout.group.length;
  for (let c = 0; c < C; c++) if (layout.group[c]! < 0) output.set(input.subarray(c * length, (c + 1) * length), c * length);
  for (let g = 0; g < layout.members.length; g++) {
    const goods = layout.goodMembers[g]!;
    const n = goods.length;
    if (n === 0) continue;
    const all = layout.members[g]!;
    for (let i = 0; i < length; i++) {
      const median = medianOfSample(input, length, goods, i, scratch);
      for (let k = 0; k < all.length; k++) {
        const at = all[k]! * length + i;
        output[at] = input[at]! - median;
      }
    }
  }
}

/** The k-th smallest of a[0, n) (Hoare's quickselect; reorders a). */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}
