/**
 * readEpochs — cue-locked epochs for discrete (trial-wise) decoding, from EDF/BDF files or
 * neurostream recording directories, prepared as MNE-Python's motor-imagery examples prepare
 * them (`raw.filter(l, h, fir_design='firwin', skip_by_annotation='edge')`, `Epochs(...,
 * baseline=None)`, `crop(tmin, tmax)`):
 *
 *   - Each input's main stream is read whole (the selected channels, Float64 while filtering) and
 *     split at gaps into contiguous segments; every segment is band-passed on its own (as MNE
 *     filters each run of a concatenation separately: 'edge' annotations).
 *   - Band-pass (`bandHz`; none when absent): `filter: 'fir'` (default) is MNE's own firwin
 *     design, applied zero-phase (fir-bandpass.ts) — on EEGMMIDB it reproduces MNE's epochs to
 *     float precision. `filter: 'butterworth'` is the project's Butterworth (order `order`,
 *     default 4) run forward-backward (sosfiltfilt: squared magnitude, −6 dB at the band edges).
 *   - Cues: every Marker whose value (a text, or a number written as text) is one of `classes`,
 *     whatever its type (EDF+ annotations are `annotation` Markers with texts such as T0/T1/T2);
 *     other markers are ignored. A class with no cue in any input is an error.
 *   - Window `[tmin, tmax]` seconds after the cue (negative: before), as MNE: samples
 *     round(tmin·fs) … round(tmax·fs) inclusive after the cue sample, so T = round(tmax·fs) −
 *     round(tmin·fs) + 1 (161 for 1–2 s at 160 Hz). Epochs that extend past the data or across a
 *     gap are dropped and counted in `notes`.
 *   - Channels: `channels` by name (each input must have them all), else every neural channel
 *     (eeg, ecog, extracellular), else every channel. Names match after normalisation (case,
 *     trailing dots, 10-20 aliases: core/channel-names.ts), so `Fc5.` in one file is `FC5` in
 *     another, in any order. All inputs must give the same channels and sample rate (the error
 *     names the file that differs).
 *
 * Epochs are Float32Array [C × T], channel-major (the `[C, T]` input of a CSP decoder), in the
 * channels' units (µV for EEG).
 */
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  InvalidDataError,
  InvalidOptionError,
  checkInteger,
  checkInterval,
  checkOneOf,
  channelNameKey,
  matchChannels,
  type ChannelMap,
  type Marker,
  type SampleBlock,
  type StreamInfo,
} from '../../core/index.js';
import { designButterworth } from '../../acquisition/filters/butterworth.js';
import { sosFiltFilt } from '../../acquisition/filters/zero-phase.js';
import { readEdf } from '../../recordings/edf/edf-reader.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { designMneBandpass, firFilterZeroPhase } from './fir-bandpass.js';

export const EPOCH_FILTERS = ['fir', 'butterworth'] as const;
export type EpochFilter = (typeof EPOCH_FILTERS)[number];

export interface ReadEpochsOptions {
  /** Marker texts that are cues, one class each, e.g. `['T1', 'T2']`. */
  classes: readonly string[];
  /** `[tmin, tmax]` seconds after the cue, both included. */
  windowS: readonly [number, number];
  /** Band-pass `[low, high]` Hz before epoching; none when absent. */
  bandHz?: readonly [number, number];
  /** Band-pass design: MNE's firwin FIR (default) or a zero-phase Butterworth. */
  filter?: EpochFilter;
  /** Butterworth order (each direction; default 4). */
  order?: number;
  /**
   * Channels by name, in this order (matched after normalisation: core/channel-names.ts); default
   * every neural channel. The set's `channelNames` are these names.
   */
  channels?: readonly string[];
  /** `channels` name → the files' channel name, tried before the normalised match (`--channel-map`). */
  channelMap?: ChannelMap;
  /** Whose `channels` they are, for errors (e.g. `--model mi.onnx`; default `requested`). */
  channelsOwner?: string;
  /** Read recordings holding less than their session.json says (noted) instead of refusing them. */
  allowTruncated?: boolean;
}

/** Where an epoch came from. */
export interface EpochSource {
  /** The input (file or directory path). */
  readonly input: string;
  /** The cue's sample index on that input's sample clock. */
  readonly cue: number;
}

export interface EpochSet {
  /** One per epoch, [C × T] channel-major. */
  readonly epochs: Float32Array[];
  /** The class of each epoch (one of `classes`). */
  readonly labels: string[];
  readonly classes: string[];
  readonly channelNames: string[];
  /** T, samples per epoch. */
  readonly samples: number;
  readonly sampleRateHz: number;
  readonly windowS: readonly [number, number];
  /** The band-pass applied, or null. */
  readonly bandHz: readonly [number, number] | null;
  /** e.g. `fir (MNE firwin, 265 taps, −6 dB at 6–33.75 Hz)`, `butterworth order 4, zero-phase`, `none`. */
  readonly filter: string;
  /** One per epoch. */
  readonly sources: EpochSource[];
  /** What was dropped or skipped, in words. */
  readonly notes: string[];
}

interface Segment {
  first: number;
  length: number;
  /** [C × length] selected channels. */
  data: Float64Array;
}

interface Source {
  path: string;
  info: StreamInfo;
  blocks: () => Iterable<SampleBlock>;
  markers: readonly Marker[];
  /** What is wrong with the input that the caller accepted (a truncated recording). */
  warnings: readonly string[];
}

function openInput(input: string | URL, allowTruncated = false): Source {
  const path = input instanceof URL ? fileURLToPath(input) : input;
  let directory: boolean;
  try {
    directory = statSync(path).isDirectory();
  } catch {
    throw new InvalidOptionError('inputs', 'an EDF/BDF file or a recording directory that exists', path);
  }
  if (directory) {
    const recording = openRecording(path, allowTruncated ? { allowTruncated } : {});
    return { path, info: recording.info, blocks: () => recording.blocks({ markers: false }), markers: recording.markers(), warnings: recording.truncation.map((t) => t.text) };
  }
  const imported = readEdf(path);
  const stream = imported.streams[0];
  if (!stream) throw new InvalidDataError(path, 'a file with signals', 'annotations only');
  return { path, info: stream.info, blocks: () => stream.blocks(), markers: imported.markers, warnings: [] };
}

function selectChannels(source: Source, wanted: readonly string[] | undefined, map: ChannelMap | undefined, owner = 'requested'): number[] {
  const names = source.info.channelNames;
  // By name after normalisation (EEGMMIDB's `Fc5.` is a recording's `FC5`), or by the map.
  if (wanted) return matchChannels(wanted, names, { what: owner, stream: source.path, ...(map ? { map } : {}) });
  const neural = source.info.channelKinds.flatMap((kind, i) => (kind === 'eeg' || kind === 'ecog' || kind === 'extracellular' ? [i] : []));
  return neural.length > 0 ? neural : names.map((_, i) => i);
}

/** The selected channels of every block, joined into contiguous segments (split at gaps). */
function readSegments(source: Source, picks: number[]): Segment[] {
  const C = picks.length;
  const segments: Segment[] = [];
  let pending: SampleBlock[] = [];
  const flush = (): void => {
    if (pending.length === 0) return;
    const length = pending.reduce((sum, b) => sum + b.length, 0);
    const data = new Float64Array(C * length);
    let at = 0;
    for (const b of pending) {
      for (let c = 0; c < C; c++) {
        const from = picks[c]! * b.length;
        data.set(b.data.subarray(from, from + b.length), c * length + at);
      }
      at += b.length;
    }
    segments.push({ first: pending[0]!.first, length, data });
    pending = [];
  };
  let end = -1;
  for (const block of source.blocks()) {
    if (pending.length > 0 && (block.gap !== undefined || block.first !== end)) flush();
    pending.push(block);
    end = block.first + block.length;
  }
  flush();
  return segments;
}

function markerText(value: Marker['value']): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

export function readEpochs(inputs: readonly (string | URL)[], options: ReadEpochsOptions): EpochSet {
  if (!Array.isArray(inputs) || inputs.length === 0) throw new InvalidOptionError('inputs', 'at least one EDF/BDF file or recording directory', inputs);
  const classes = options.classes;
  if (!Array.isArray(classes) || classes.length === 0 || classes.some((c) => typeof c !== 'string' || c === '')) {
    throw new InvalidOptionError('classes', 'a non-empty list of marker texts', classes);
  }
  if (new Set(classes).size !== classes.length) throw new InvalidOptionError('classes', 'distinct marker texts', classes.join(', '));
  const [tmin, tmax] = checkInterval('option', 'windowS', options.windowS);
  const band = options.bandHz === undefined ? null : checkInterval('option', 'bandHz', options.bandHz, 0);
  const filter = options.filter === undefined ? 'fir' : checkOneOf('option', 'filter', options.filter, EPOCH_FILTERS);
  const order = options.order === undefined ? 4 : checkInteger('option', 'order', options.order, { min: 1, max: 16 });
  if (options.channels !== undefined && (!Array.isArray(options.channels) || options.channels.length === 0)) {
    throw new InvalidOptionError('channels', 'a non-empty list of channel names', options.channels);
  }

  const notes: string[] = [];
  const epochs: Float32Array[] = [];
  const labels: string[] = [];
  const sources: EpochSource[] = [];
  const seenTexts = new Set<string>();
  const found = new Set<string>();
  let channelNames: string[] | null = null;
  let sampleRateHz = 0;
  let filterText = 'none';
  let samples = 0;

  for (const input of inputs) {
    const source = openInput(input, options.allowTruncated);
    notes.push(...source.warnings);
    let picks = selectChannels(source, options.channels, options.channelMap, options.channelsOwner);
    if (channelNames !== null && options.channels === undefined && picks.length === channelNames.length) {
      // The first input's channels, matched by normalised name (another spelling, another order).
      const sub = picks.map((i) => source.info.channelNames[i]!);
      try {
        const first = channelNames;
        picks = matchChannels(first, sub, { what: String(inputs[0]), stream: source.path }).map((k) => picks[k]!);
      } catch {
        // refused below, naming both lists
      }
    }
    // Requested channels are named as requested (a model's names), whatever each file calls them.
    const names = options.channels ? [...options.channels] : picks.map((i) => source.info.channelNames[i]!);
    const fs = source.info.sampleRateHz;
    if (channelNames === null) {
      channelNames = names;
      sampleRateHz = fs;
      if (band && band[1] >= fs / 2) throw new InvalidOptionError('bandHz[1]', `a frequency below the Nyquist frequency (${fs / 2} Hz) of ${source.path}`, band[1]);
    } else {
      if (fs !== sampleRateHz) throw new InvalidDataError(`${source.path} sample rate`, `${sampleRateHz} Hz, as ${String(inputs[0])}`, fs);
      if (names.length !== channelNames.length || names.some((n, i) => channelNameKey(n) !== channelNameKey(channelNames![i]!))) {
        throw new InvalidDataError(`${source.path} channels`, `the channels of ${String(inputs[0])} (${channelNames.join(', ')})`, names.join(', '));
      }
    }
    const s0 = Math.round(tmin * fs);
    const s1 = Math.round(tmax * fs);
    samples = s1 - s0 + 1;
    const C = names.length;

    const cues = source.markers.flatMap((m) => {
      const text = markerText(m.value);
      if (text !== null) seenTexts.add(text);
      return text !== null && classes.includes(text) ? [{ sample: m.sample, label: text }] : [];
    });
    if (cues.length === 0) {
      notes.push(`${source.path}: no cues of ${classes.join(', ')}`);
      continue;
    }
    const segments = readSegments(source, picks);
    // Band-pass each segment on its own.
    const design = band && filter === 'fir' ? designMneBandpass(band[0], band[1], fs) : null;
    for (const seg of segments) {
      if (!band) continue;
      const out = new Float64Array(seg.data.length);
      if (design) {
        firFilterZeroPhase(design.taps, seg.data, out, C, seg.length);
        filterText = `fir (MNE firwin, Hamming, ${design.taps.length} taps, zero-phase, −6 dB at ${design.cornersHz[0]}–${design.cornersHz[1]} Hz)`;
      } else {
        const sos = designButterworth({ type: 'bandpass', order, cutoffHz: [band[0], band[1]], sampleRateHz: fs });
        try {
          sosFiltFilt(sos, seg.data, out, C, seg.length);
        } catch (error) {
          if (!(error instanceof InvalidDataError)) throw error;
          notes.push(`${source.path}: a segment of ${seg.length} samples at ${seg.first} is too short to filter; its epochs are dropped`);
          seg.length = 0;
          continue;
        }
        filterText = `butterworth order ${order}, zero-phase (forward-backward)`;
      }
      seg.data = out;
    }

    let pastData = 0;
    let acrossGap = 0;
    const lastSample = segments.length > 0 ? segments[segments.length - 1]!.first + segments[segments.length - 1]!.length : 0;
    for (const cue of cues) {
      const start = cue.sample + s0;
      const end = cue.sample + s1; // inclusive
      const seg = segments.find((s) => s.length > 0 && start >= s.first && end < s.first + s.length);
      if (!seg) {
        if (start < 0 || end >= lastSample) pastData++;
        else acrossGap++;
        continue;
      }
      const epoch = new Float32Array(C * samples);
      const offset = start - seg.first;
      for (let c = 0; c < C; c++) {
        const row = seg.data.subarray(c * seg.length + offset, c * seg.length + offset + samples);
        epoch.set(row, c * samples);
      }
      epochs.push(epoch);
      labels.push(cue.label);
      found.add(cue.label);
      sources.push({ input: source.path, cue: cue.sample });
    }
    if (pastData > 0) notes.push(`${source.path}: dropped ${pastData} epochs that extend past the data (window ${tmin}–${tmax} s)`);
    if (acrossGap > 0) notes.push(`${source.path}: dropped ${acrossGap} epochs that cross a gap`);
  }

  const missing = classes.filter((c) => !seenTexts.has(c));
  if (missing.length > 0) {
    const texts = [...seenTexts].sort();
    throw new InvalidOptionError('classes', `marker texts found in the inputs (${texts.length > 0 ? texts.slice(0, 20).join(', ') : 'none'})`, missing.join(', '));
  }
  if (epochs.length === 0) {
    throw new InvalidOptionError('windowS', `a window that fits inside the data around the cues (every epoch of ${samples} samples fell outside)`, `[${tmin}, ${tmax}]`);
  }
  const empty = classes.filter((c) => !found.has(c));
  if (empty.length > 0) notes.push(`no epochs of ${empty.join(', ')} fit inside the data`);
  return {
    epochs,
    labels,
    classes: [...classes],
    channelNames: channelNames ?? [],
    samples,
    sampleRateHz,
    windowS: [tmin, tmax],
    bandHz: band,
    filter: filterText,
    sources,
    notes,
  };
}
