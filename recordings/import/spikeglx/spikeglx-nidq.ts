/**
 * Channels of a SpikeGLX nidq stream (an NI-DAQ card, or a Whisper multiplexer on it), scaled as
 * SpikeGLX's metadata guide and readSGLX.py's GainCorrectNI say:
 *
 *   V per count = niAiRangeMax / niMaxInt / gain     (niMaxInt 32768 when absent)
 *
 * Channel types from the acquired channel number and `acqMnMaXaDw` (MN, MA, XA, XD in that
 * order): MN (multiplexed neural, gain niMNGain) → kind extracellular, µV; MA (multiplexed
 * auxiliary, gain niMAGain) and XA (non-multiplexed analog, gain 1) → kind aux, V; XD (16
 * digital lines per word) → kind aux, unit count, scale 1 (the word as a signed int16).
 */
import type { SpikeGlxMeta } from './spikeglx-meta.js';
import { bitsOfMaxInt, type SpikeGlxChannel, type SpikeGlxChannelType } from './spikeglx-channel-map.js';
import { describeScales } from './spikeglx-imec.js';

export interface NidqLayout {
  readonly channels: SpikeGlxChannel[];
  readonly notes: string[];
}

export function nidqChannels(meta: SpikeGlxMeta, saved: readonly number[]): NidqLayout {
  const notes: string[] = [];
  const [mn, ma, xa, xd] = meta.integers('acqMnMaXaDw', 4, 'the acquired MN, MA, XA and digital-word channel counts, e.g. 192,64,0,1') as [number, number, number, number];
  const acquired = mn + ma + xa + xd;
  const beyond = saved.find((c) => c >= acquired);
  if (beyond !== undefined) {
    throw meta.error('snsSaveChanSubset', `acquired channel numbers below ${acquired} (acqMnMaXaDw=${mn},${ma},${xa},${xd})`, `channel ${beyond}`);
  }
  const typeOf = (c: number): SpikeGlxChannelType => (c < mn ? 'MN' : c < mn + ma ? 'MA' : c < mn + ma + xa ? 'XA' : 'XD');
  const types = saved.map(typeOf);
  const rangeV = meta.number('niAiRangeMax', 'the ADC input range in V (niAiRangeMax, e.g. 5)', { positive: true });
  const maxInt = meta.has('niMaxInt') ? meta.integer('niMaxInt', 'the largest count of the ADC (32768)', 2) : 32768;
  if (!meta.has('niMaxInt')) notes.push('no niMaxInt: 32768, the 16-bit NI-DAQ value of the SpikeGLX metadata guide');
  const bits = bitsOfMaxInt(meta, 'niMaxInt', maxInt);
  const mnGain = types.includes('MN') ? meta.number('niMNGain', 'the gain of the MN channels (a positive number)', { positive: true }) : NaN;
  const maGain = types.includes('MA') ? meta.number('niMAGain', 'the gain of the MA channels (a positive number)', { positive: true }) : NaN;
  const index = { MN: 0, MA: mn, XA: mn + ma, XD: mn + ma + xa } as Record<SpikeGlxChannelType, number>;
  const channels = saved.map((c, i): SpikeGlxChannel => {
    const type = types[i]!;
    const name = `${type}${c - index[type]}`;
    if (type === 'XD') return { acquired: c, type, name, kind: 'aux', unit: 'count', scale: 1, bits: 16, gain: 1 };
    if (type === 'MN') return { acquired: c, type, name, kind: 'extracellular', unit: 'uV', scale: (rangeV / maxInt / mnGain) * 1e6, bits, gain: mnGain };
    const gain = type === 'MA' ? maGain : 1;
    return { acquired: c, type, name, kind: 'aux', unit: 'V', scale: rangeV / maxInt / gain, bits, gain };
  });
  notes.push(`scale: V per count = niAiRangeMax ${rangeV} V / niMaxInt ${maxInt} / gain (SpikeGLX metadata guide; readSGLX.py), MN channels in µV: ${describeScales(channels)}`);
  return { channels, notes };
}
