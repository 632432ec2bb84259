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
    reference.fill(0, 0, length);
    for (let k = 0; k < goods.length; k++) {
      const base = goods[k]! * length;
      for (let i = 0; i < length; i++) reference[i]! += input[base + i]!;
    }
    const inv = 1 / goods.length;
    for (let i = 0; i < length; i++) reference[i]! *= inv;
    const all = layout.members[g]!;
    for (let k = 0; k < all.length; k++) {
      const base = all[k]! * length;
      for (let i = 0; i < length; i++) output[base + i] = input[base + i]! - reference[i]!;
    }
  }
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
      for (let k = 0; k < n; k++) scratch[k] = input[goods[k]! * length + i]!;
      const median = n % 2 === 1 ? select(scratch, n, n >> 1) : (select(scratch, n, (n >> 1) - 1) + select(scratch, n, n >> 1)) / 2;
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
