/**
 * Seeded pseudo-random numbers for the simulators.
 *
 * - `xoshiro128**` (Blackman & Vigna) over 32-bit integers: fast in V8 (Math.imul, no BigInt),
 *   period 2^128 − 1, good statistical quality for simulation.
 * - Standard normal deviates by the Ziggurat method (Marsaglia & Tsang 2000, 128 layers), the
 *   method MATLAB and NumPy use: one table look-up and one multiply for ~99% of draws.
 *
 * Every simulator keeps one `Random` per independent source (a channel's noise, a unit's spike
 * train, the task), so that the samples a source produces do not depend on how the stream is
 * cut into blocks. State is four uint32 words; `split()` derives independent generators.
 */

const ZIGGURAT_LAYERS = 128;
const ZIGGURAT_R = 3.442619855899;
const ZIGGURAT_V = 9.91256303526217e-3;
const TWO_POW_31 = 2147483648;
const TWO_POW_32 = 4294967296;

/** Ziggurat tables (Marsaglia & Tsang 2000), computed once at module load. */
const kn = new Uint32Array(ZIGGURAT_LAYERS);
const wn = new Float64Array(ZIGGURAT_LAYERS);
const fn = new Float64Array(ZIGGURAT_LAYERS);
{
  let dn = ZIGGURAT_R;
  let tn = dn;
  const q = ZIGGURAT_V / Math.exp(-0.5 * dn * dn);
  kn[0] = Math.floor((dn / q) * TWO_POW_31);
  kn[1] = 0;
  wn[0] = q / TWO_POW_31;
  wn[ZIGGURAT_LAYERS - 1] = dn / TWO_POW_31;
  fn[0] = 1;
  fn[ZIGGURAT_LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = ZIGGURAT_LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(ZIGGURAT_V / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = Math.floor((dn / tn) * TWO_POW_31);
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / TWO_POW_31;
  }
}

/** SplitMix32-style mixing of a seed into well-spread state words. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

export class Random {
  /** xoshiro128 state; an Int32Array keeps V8's field representation stable across instances. */
  private readonly s = new Int32Array(4);

  /**
   * @param seed any finite number; equal seeds give equal sequences.
   * @param stream an optional second key, so that (seed, stream) pairs give independent sequences.
   */
  constructor(seed: number, stream = 0) {
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    const s = this.s;
    s[0] = mix32(lo ^ 0x6a09e667);
    s[1] = mix32(hi ^ 0xbb67ae85 ^ mix32(stream));
    s[2] = mix32(s[0] ^ (stream >>> 0) ^ 0x3c6ef372);
    s[3] = mix32(s[1] ^ 0xa54ff53a);
    if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
    // Discard the first outputs: they still correlate with the seed words.
    for (let i = 0; i < 8; i++) this.nextUint32();
  }

  /** An independent generator derived from this one's seed and a stream number. */
  static derive(seed: number, stream: number): Random {
    return new Random(seed, stream);
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]!;
    const s3 = s[3]!;
    const x = Math.imul(s1, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ (s1 << 9);
    s[3] = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** Uniform on [0, 1). */
  uniform(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform on [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer on [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Exponential with mean 1. */
  exponential(): number {
    return -Math.log(1 - this.uniform());
  }

  /** Standard normal (mean 0, SD 1) by the Ziggurat method. */
  normal(): number {
    const hz = this.nextUint32() | 0;
    const iz = hz & (ZIGGURAT_LAYERS - 1);
    const abs = hz < 0 ? -hz : hz;
    return abs < kn[iz]! ? hz * wn[iz]! : this.slowNormal(hz, iz);
  }

  /**
   * Adds `sd` × N(0, 1) to `out[offset .. offset + count)`. The hot loop of the simulators:
   * state is held in locals for the whole run, nothing is allocated.
   */
  addNormal(out: Float32Array, offset: number, count: number, sd: number): void {
    const s = this.s;
    let s0 = s[0]!;
    let s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    const end = offset + count;
    for (let i = offset; i < end; i++) {
      // Inlined xoshiro128** step.
      const x = Math.imul(s1, 5);
      const hz = Math.imul((x << 7) | (x >>> 25), 9);
      const t = s1 << 9;
      const n2 = s2 ^ s0;
      const n3 = s3 ^ s1;
      s1 = s1 ^ n2;
      s0 = s0 ^ n3;
      s2 = n2 ^ t;
      s3 = (n3 << 11) | (n3 >>> 21);
      const iz = hz & (ZIGGURAT_LAYERS - 1);
      const abs = hz < 0 ? -hz : hz;
      if (abs < kn[iz]!) {
        out[i]! += sd * hz * wn[iz]!;
      } else {
        // Rare slow path (≈1%): hand the state back, draw the full way, take it again.
        s[0] = s0;
        s[1] = s1;
        s[2] = s2;
        s[3] = s3;
        out[i]! += sd * this.slowNormal(hz, iz);
        s0 = s[0]!;
        s1 = s[1]!;
        s2 = s[2]!;
        s3 = s[3]!;
      }
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
  }

  /** The rejection branch of `normal()` for a first draw that missed the fast path. */
  private slowNormal(hz: number, iz: number): number {
    const x = hz * wn[iz]!;
    if (iz === 0) {
      let xt: number;
      let y: number;
      do {
        xt = -Math.log(1 - this.uniform()) / ZIGGURAT_R;
        y = -Math.log(1 - this.uniform());
      } while (y + y < xt * xt);
      return hz > 0 ? ZIGGURAT_R + xt : -ZIGGURAT_R - xt;
    }
    if (fn[iz]! + this.uniform() * (fn[iz - 1]! - fn[iz]!) < Math.exp(-0.5 * x * x)) return x;
    return this.normal();
  }
}
