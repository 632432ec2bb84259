/**
 * Which channels a SpikeGLX `.bin` holds, in file order, and their names.
 *
 *   - `snsSaveChanSubset`: `all` (acquired channels 0 … nSavedChans − 1) or a printer-like list of
 *     the acquired channel numbers saved (`0:383,768`: AP0–AP383 and the sync word of an NP1.0
 *     probe's AP file). The file holds them in that order, one int16 each per time point.
 *   - `~snsChanMap`: a header `(…)`, then `(NAME;ACQ:ORDER)` per saved channel — its name (`AP0`,
 *     `LF12`, `SY0`, `MN0C3`, `XD0` …), its acquired number, and its place in SpikeGLX's displays
 *     (not the file order). Without it, names follow SpikeGLX's convention from the channel type
 *     (noted by the caller).
 *
 * Errors name the file, the key, what was expected and what was seen.
 */
import type { ChannelKind, ChannelUnit } from '../../../core/index.js';
import type { SpikeGlxMeta } from './spikeglx-meta.js';

/** SpikeGLX channel types: imec AP/LF bands and sync word; nidq MN/MA/XA analog and XD digital words. */
export type SpikeGlxChannelType = 'AP' | 'LF' | 'SY' | 'MN' | 'MA' | 'XA' | 'XD';

/** One saved channel, as it will be in the StreamInfo. */
export interface SpikeGlxChannel {
  /** Acquired channel number (SpikeGLX's channel id). */
  readonly acquired: number;
  readonly type: SpikeGlxChannelType;
  readonly name: string;
  readonly kind: ChannelKind;
  readonly unit: ChannelUnit;
  /** Units per count. */
  readonly scale: number;
  /** ADC resolution behind the counts, bits. */
  readonly bits: number;
  /** The analog gain in the scale (1 for digital words). */
  readonly gain: number;
}

/** The acquired channel numbers the file holds, in file order (checked against nSavedChans). */
export function savedChannels(meta: SpikeGlxMeta, nSaved: number): number[] {
  const key = 'snsSaveChanSubset';
  const expected = `"all" or a list of acquired channel numbers like 0:383,768, ascending, ${nSaved} in all (nSavedChans)`;
  const text = meta.string(key, expected).trim();
  if (text.toLowerCase() === 'all') return Array.from({ length: nSaved }, (_, c) => c);
  const channels: number[] = [];
  for (const part of text.split(',')) {
    const range = /^\s*(\d+)\s*(?::\s*(\d+)\s*)?$/.exec(part);
    if (!range) throw meta.error(key, expected, text);
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (to < from || to - from >= 1 << 20) throw meta.error(key, expected, text);
    for (let c = from; c <= to; c++) {
      if (channels.length > 0 && c <= channels[channels.length - 1]!) throw meta.error(key, expected, text);
      channels.push(c);
    }
  }
  if (channels.length !== nSaved) throw meta.error(key, expected, `${channels.length} channels (${text.length > 40 ? `${text.slice(0, 37)}...` : text})`);
  return channels;
}

/**
 * Names of the saved channels from `~snsChanMap` (by acquired number), or null when the meta has
 * no channel map. Every saved channel must have exactly one entry, and no other channel one.
 */
export function chanMapNames(meta: SpikeGlxMeta, saved: readonly number[]): string[] | null {
  const key = '~snsChanMap';
  const text = meta.get(key);
  if (text === undefined) return null;
  const expected = `a header (…) then one (NAME;CHANNEL:ORDER) entry per saved channel (${saved.length}, those of snsSaveChanSubset)`;
  const groups = text.match(/\([^()]*\)/g) ?? [];
  if (groups.length < 1) throw meta.error(key, expected, text);
  const byChannel = new Map<number, string>();
  for (const group of groups.slice(1)) {
    const entry = /^\(([^;()]+);(\d+):(\d+)\)$/.exec(group);
    if (!entry) throw meta.error(key, expected, group);
    const channel = Number(entry[2]);
    if (byChannel.has(channel)) throw meta.error(key, `${expected}; channel ${channel} once`, group);
    byChannel.set(channel, entry[1]!.trim());
  }
  const names = saved.map((channel) => {
    const name = byChannel.get(channel);
    if (name === undefined) throw meta.error(key, `${expected}; an entry for saved channel ${channel}`, `${byChannel.size} entries, none for it`);
    return name;
  });
  if (byChannel.size !== saved.length) throw meta.error(key, expected, `${byChannel.size} entries`);
  return names;
}

/** Counts of each type among `channels`, in the order of `types`. */
export function countTypes(channels: readonly { type: SpikeGlxChannelType }[], types: readonly SpikeGlxChannelType[]): number[] {
  return types.map((t) => channels.filter((c) => c.type === t).length);
}

/** Bits of an ADC whose counts span ±maxInt (512 → 10, 8192 → 14, 32768 → 16). */
export function bitsOfMaxInt(meta: SpikeGlxMeta, key: string, maxInt: number): number {
  const bits = Math.log2(maxInt) + 1;
  if (!Number.isInteger(bits) || bits < 2 || bits > 16) throw meta.error(key, 'a power of two from 2 to 32768 (the largest count of a 16-bit channel)', maxInt);
  return bits;
}
