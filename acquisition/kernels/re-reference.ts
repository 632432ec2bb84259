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
 * Members per partial sum of a common average: the reference of a sample is the sum, in order,
 * of the sums of each run of REFERENCE_BLOCK consecutive members (each from 0, in the members'
 * order), times 1 / members. A fixed grouping, so that threads owning whole blocks of channels
 * can each sum their own and the total has the same bits (acquisition/parallel). Eight: the
 * kernels below add a block's members in one expression.
 */
export const REFERENCE_BLOCK = 8;

/**
 * The mean over `members` (channel indices) of samples [i0, i1) of a channel-major block of
 * `length` samples, into `out[at + i]`, summed block by block as {@link REFERENCE_BLOCK} says:
 * every caller (the operators, the fused chain, the channel-parallel chain's workers) gets the
 * same bits.
 */
export function averageOfMembers(input: Float32Array, length: number, members: Int32Array, i0: number, i1: number, out: Float64Array, at: number): void {
  const n = members.length;
  out.fill(0, at + i0, at + i1);
  let k = 0;
  for (; k + REFERENCE_BLOCK <= n; k += REFERENCE_BLOCK) {
    const b0 = members[k]! * length, b1 = members[k + 1]! * length, b2 = members[k + 2]! * length, b3 = members[k + 3]! * length;
    const b4 = members[k + 4]! * length, b5 = members[k + 5]! * length, b6 = members[k + 6]! * length, b7 = members[k + 7]! * length;
    for (let i = i0; i < i1; i++) {
      out[at + i] = out[at + i]! + (0 + input[b0 + i]! + input[b1 + i]! + input[b2 + i]! + input[b3 + i]! + input[b4 + i]! + input[b5 + i]! + input[b6 + i]! + input[b7 + i]!);
    }
  }
  if (k < n) {
    for (let i = i0; i < i1; i++) {
      let sum = 0;
      for (let m = k; m < n; m++) sum += input[members[m]! * length + i]!;
      out[at + i] = out[at + i]! + sum;
    }
  }
  const inv = 1 / n;
  for (let i = i0; i < i1; i++) out[at + i]! *= inv;
}

/**
 * The sum of members[k0, k1) — one block of at most {@link REFERENCE_BLOCK} — of samples [i0, i1)
 * of a channel-major block of `length` samples, into `out[at + i]`: from 0, in the members' order,
 * in Float64, as {@link averageOfMembers} sums each block.
 */
export function sumOfMembers(input: Float32Array, length: number, members: Int32Array, k0: number, k1: number, i0: number, i1: number, out: Float64Array, at: number): void {
  if (k1 - k0 === REFERENCE_BLOCK) {
    const b0 = members[k0]! * length, b1 = members[k0 + 1]! * length, b2 = members[k0 + 2]! * length, b3 = members[k0 + 3]! * length;
    const b4 = members[k0 + 4]! * length, b5 = members[k0 + 5]! * length, b6 = members[k0 + 6]! * length, b7 = members[k0 + 7]! * length;
    for (let i = i0; i < i1; i++) {
      out[at + i] = 0 + input[b0 + i]! + input[b1 + i]! + input[b2 + i]! + input[b3 + i]! + input[b4 + i]! + input[b5 + i]! + input[b6 + i]! + input[b7 + i]!;
    }
    return;
  }
  for (let i = i0; i < i1; i++) {
    let sum = 0;
    for (let m = k0; m < k1; m++) sum += input[members[m]! * length + i]!;
    out[at + i] = sum;
  }
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
