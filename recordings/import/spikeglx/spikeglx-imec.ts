/**
 * Channels of a SpikeGLX imec (Neuropixels) stream — an `.ap.bin`, an `.lf.bin`, or a 3A file
 * holding both — with SpikeGLX's own scaling (metadata guide "Metadata_30", readSGLX.py's
 * Int2Volts / ChanGainsIM, SpikeGLX's IMROTbl classes):
 *
 *   µV per count = imAiRangeMax / imMaxInt / gain × 1e6
 *
 *   - imAiRangeMax (V): always written by SpikeGLX; required.
 *   - imMaxInt: as written; when absent (older metas), the probe type's own value: 512 for
 *     NP1.0-like probes (readSGLX.py's default), 8192 for types 21/24 (NP2.0 prototypes), 2048
 *     for the commercial NP2.0 types 2003/2004/2013/2014/2020 (SpikeGLX's IMROTbl_T2003, _T2013,
 *     _T2020base); any other type without it is refused.
 *   - gain per channel: probe types {0, 1020, 1030, 1100, 1120–1123, 1200, 1300} (NP1.0-like) —
 *     from `~imroTbl`, one entry per acquired channel `(ch bank ref apGain lfGain apFilter)`: AP
 *     channel c has field 3 of entry c, LF channel c field 4; type 1110 (UHD) — the table's header
 *     `(1110,mode,ref,apGain,lfGain,apFilter)`; every other type has one fixed AP gain:
 *     `imChan0apGain` when the meta has it (SpikeGLX writes it since 2023), else 80 for 21/24 and
 *     100 for 2003/2004/2013/2014/2020. Those probes have no LF band.
 *
 * Channel types come from the acquired channel number and `acqApLfSy` (A AP, L LF, S sync
 * channels, in that order): AP → kind extracellular, µV; LF → extracellular, µV; SY → the
 * status/sync word, kind aux, unit count, scale 1 (its 16 bits as a signed int16).
 */
import type { SpikeGlxMeta } from './spikeglx-meta.js';
import { bitsOfMaxInt, type SpikeGlxChannel, type SpikeGlxChannelType } from './spikeglx-channel-map.js';

/** Probe types whose `~imroTbl` entries carry an AP and an LF gain per channel (fields 3 and 4). */
export const NP1_LIKE_PROBE_TYPES: readonly number[] = [0, 1020, 1030, 1100, 1120, 1121, 1122, 1123, 1200, 1300];

/** Probe types with one fixed gain, and the values SpikeGLX's IMROTbl classes give them. */
export const FIXED_GAIN_PROBE_TYPES: Readonly<Record<number, { readonly apGain: number; readonly maxInt: number }>> = {
  21: { apGain: 80, maxInt: 8192 },
  24: { apGain: 80, maxInt: 8192 },
  2003: { apGain: 100, maxInt: 2048 },
  2004: { apGain: 100, maxInt: 2048 },
  2013: { apGain: 100, maxInt: 2048 },
  2014: { apGain: 100, maxInt: 2048 },
  2020: { apGain: 100, maxInt: 2048 },
};

const UHD_PROGRAMMABLE = 1110;

export interface ImecLayout {
  readonly channels: SpikeGlxChannel[];
  readonly probeType: number;
  readonly notes: string[];
}

/** The saved channels of an imec meta with their types, gains and scales (names added by the caller). */
export function imecChannels(meta: SpikeGlxMeta, saved: readonly number[]): ImecLayout {
  const notes: string[] = [];
  const [nAp, nLf, nSy] = meta.integers('acqApLfSy', 3, 'the acquired AP, LF and sync channel counts, e.g. 384,384,1') as [number, number, number];
  const acquired = nAp + nLf + nSy;
  const typeOf = (channel: number): SpikeGlxChannelType => (channel < nAp ? 'AP' : channel < nAp + nLf ? 'LF' : 'SY');
  const beyond = saved.find((c) => c >= acquired);
  if (beyond !== undefined) {
    throw meta.error('snsSaveChanSubset', `acquired channel numbers below ${acquired} (acqApLfSy=${nAp},${nLf},${nSy})`, `channel ${beyond}`);
  }
  const probeType = meta.has('imDatPrb_type') ? meta.integer('imDatPrb_type', 'the probe type (0 for NP1.0, 21, 24, 2003, 2013 …)') : 0;
  if (!meta.has('imDatPrb_type')) notes.push('no imDatPrb_type: probe type 0 (NP1.0 / 3A), as readSGLX.py assumes');
  const rangeV = meta.number('imAiRangeMax', 'the ADC input range in V (imAiRangeMax, e.g. 0.6)', { positive: true });
  const fixed = FIXED_GAIN_PROBE_TYPES[probeType];
  const np1Like = NP1_LIKE_PROBE_TYPES.includes(probeType);
  let maxInt: number;
  if (meta.has('imMaxInt')) maxInt = meta.integer('imMaxInt', 'the largest count of the ADC (512, 2048, 8192 …)', 2);
  else if (np1Like || probeType === UHD_PROGRAMMABLE) maxInt = 512;
  else if (fixed) maxInt = fixed.maxInt;
  else throw meta.error('imMaxInt', `the largest count of the ADC (probe type ${probeType} has no default that neurostream knows)`, undefined);
  if (!meta.has('imMaxInt')) notes.push(`no imMaxInt: ${maxInt}, SpikeGLX's value for probe type ${probeType}`);
  const bits = bitsOfMaxInt(meta, 'imMaxInt', maxInt);

  const gains = imecGains(meta, probeType, nAp, nLf, notes);
  const channels = saved.map((acquiredChannel): SpikeGlxChannel => {
    const type = typeOf(acquiredChannel);
    if (type === 'SY') return { acquired: acquiredChannel, type, name: `SY${acquiredChannel - nAp - nLf}`, kind: 'aux', unit: 'count', scale: 1, bits: 16, gain: 1 };
    const gain = type === 'AP' ? gains.ap(acquiredChannel) : gains.lf(acquiredChannel - nAp);
    const index = type === 'AP' ? acquiredChannel : acquiredChannel - nAp;
    return { acquired: acquiredChannel, type, name: `${type}${index}`, kind: 'extracellular', unit: 'uV', scale: (rangeV / maxInt / gain) * 1e6, bits, gain };
  });
  notes.push(`scale: µV per count = imAiRangeMax ${rangeV} V / imMaxInt ${maxInt} / gain × 1e6 (SpikeGLX metadata guide; readSGLX.py): ${describeScales(channels)}`);
  return { channels, probeType, notes };
}

interface Gains {
  ap(channel: number): number;
  lf(channel: number): number;
}

function imecGains(meta: SpikeGlxMeta, probeType: number, nAp: number, nLf: number, notes: string[]): Gains {
  const key = '~imroTbl';
  if (NP1_LIKE_PROBE_TYPES.includes(probeType)) {
    const expected = `a header (type,channels) then ${nAp} entries (channel bank reference apGain lfGain apFilter), one per acquired channel in order (probe type ${probeType})`;
    const text = meta.string(key, expected);
    const groups = text.match(/\([^()]*\)/g) ?? [];
    const entries = groups.slice(1).map((g) => g.slice(1, -1).trim().split(/\s+/).map(Number));
    if (entries.length !== nAp) throw meta.error(key, expected, `${entries.length} entries`);
    entries.forEach((fields, c) => {
      if (fields.length < 5 || fields.some((v) => !Number.isFinite(v)) || fields[0] !== c || !(fields[3]! > 0) || !(fields[4]! > 0)) {
        throw meta.error(key, `${expected}; entry ${c}: channel ${c}, gains > 0`, groups[c + 1]);
      }
    });
    return { ap: (c) => entries[c]![3]!, lf: (c) => entries[c]![4]! };
  }
  if (probeType === UHD_PROGRAMMABLE) {
    const expected = 'a header (1110,columnMode,reference,apGain,lfGain,apFilter) then the bank entries';
    const header = /^\(([^()]*)\)/.exec(meta.string(key, expected))?.[1]?.split(',').map((s) => Number(s.trim()));
    if (!header || header.length < 5 || header[0] !== UHD_PROGRAMMABLE || !(header[3]! > 0) || !(header[4]! > 0)) throw meta.error(key, expected, meta.get(key)!.slice(0, 60));
    return { ap: () => header[3]!, lf: () => header[4]! };
  }
  // One gain for every channel: imChan0apGain, else the type's fixed gain.
  const fixed = FIXED_GAIN_PROBE_TYPES[probeType];
  let apGain: number;
  if (meta.has('imChan0apGain')) apGain = meta.number('imChan0apGain', 'the AP gain (a positive number)', { positive: true });
  else if (fixed) {
    apGain = fixed.apGain;
    notes.push(`no imChan0apGain: AP gain ${apGain}, SpikeGLX's fixed gain for probe type ${probeType}`);
  } else {
    throw meta.error('imChan0apGain', `the AP gain (probe type ${probeType} has no per-channel gains in ~imroTbl and no fixed gain that neurostream knows)`, undefined);
  }
  const lfGain = (): number => {
    if (meta.has('imChan0lfGain')) return meta.number('imChan0lfGain', 'the LF gain (a positive number)', { positive: true });
    throw meta.error('imChan0lfGain', `the LF gain (probe type ${probeType} has LF channels in acqApLfSy but no per-channel gains in ~imroTbl)`, undefined);
  };
  const lf = nLf > 0 ? lfGain() : NaN;
  return { ap: () => apGain, lf: () => lf };
}

/** `AP gain 500 → 2.34375 µV (384 ch); LF gain 250 → 4.6875 µV (384 ch); SY0 word, scale 1`. */
export function describeScales(channels: readonly SpikeGlxChannel[]): string {
  const groups = new Map<string, { count: number; scale: number; unit: string }>();
  const words: string[] = [];
  for (const c of channels) {
    if (c.unit === 'count') {
      words.push(c.name);
      continue;
    }
    const key = `${c.type} gain ${c.gain}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { count: 1, scale: c.scale, unit: c.unit === 'uV' ? 'µV' : c.unit });
  }
  const parts = [...groups].map(([key, g]) => `${key} → ${Number(g.scale.toPrecision(12))} ${g.unit} per count (${g.count} ch)`);
  if (words.length > 0) parts.push(`${words.join(', ')}: digital word${words.length > 1 ? 's' : ''}, scale 1`);
  return parts.join('; ');
}
