/**
 * `readXdf` — an XDF file (LabRecorder) as an ImportedRecording, for `convert` and `info`:
 *
 *   - time stamps are clock-synchronised and de-jittered as pyxdf's `load_xdf` does by default
 *     (xdf-file.ts); the recording's sample clock starts at the earliest time stamp of any stream
 *     (T0, said in the notes), each stream's samples at index round((t − T0) × rate) per
 *     de-jitter segment, consecutive within a segment: breaks and clock resets are gaps;
 *   - the chosen signal stream (`stream` by name, else the first regular-rate numeric stream with
 *     samples) is `streams[0]` (signals.arrows); every other regular-rate numeric stream is an
 *     extra stream at its own rate, in `signals-xdf-<stream id>.arrows`;
 *   - string streams become markers (type: the stream's name; one per sample and channel), and
 *     irregular numeric streams markers with the sample's values as a vector, at the chosen
 *     stream's sample nearest in time (interpolated across its gaps);
 *   - channel labels, units and types come from the header's desc (XDF meta-data conventions).
 *
 * Every value is kept or refused: with `strictValues` (convert), a value a float32 signal column
 * cannot hold exactly (int32 beyond ±2^24, double64 or int64 not exactly a float32; int64 markers
 * beyond ±2^53) is one error naming the stream, channel, sample and value. A cut file keeps what is
 * whole and its notes say TRUNCATED.
 */
import {
  type ChannelKind,
  type ChannelUnit,
  type Marker,
  type SampleBlock,
  type StreamInfo,
  InvalidDataError,
  InvalidOptionError,
  createMarker,
  createSampleBlock,
  createStreamInfo,
} from '../../../core/index.js';
import type { ImportedRecording, ImportedStream } from '../../imported-recording.js';
import { child, textAt } from '../../../core/xml.js';
import { readXdfFile, type XdfStream } from './xdf-file.js';

export interface ReadXdfImportOptions {
  /** Name of the stream to hold as the signals (default: the first regular-rate numeric stream with samples). */
  stream?: string;
  /** Refuse values a recording cannot hold exactly (convert); `info` describes the file anyway. */
  strictValues?: boolean;
}

/** What the importer knows of each XDF stream, for `info`. */
export interface XdfStreamSummary {
  id: number;
  name: string;
  type: string;
  channels: number;
  format: string;
  nominalRateHz: number;
  effectiveRateHz: number;
  samples: number;
  segments: number;
  /** Where it goes: `signals.arrows`, `signals-xdf-<id>.arrows`, `markers` or `nothing` (empty). */
  destination: string;
}

const UNIT_NAMES: Record<string, ChannelUnit> = {
  uv: 'uV', µv: 'uV', μv: 'uV', microvolt: 'uV', microvolts: 'uV',
  mv: 'mV', millivolt: 'mV', millivolts: 'mV',
  v: 'V', volt: 'V', volts: 'V',
  g: 'g',
  count: 'count', counts: 'count',
};

const KINDS: Record<string, ChannelKind> = { eeg: 'eeg', ecog: 'ecog', ieeg: 'ecog', seeg: 'ecog', extracellular: 'extracellular', accel: 'accel', acc: 'accel', accelerometer: 'accel' };

/** A string stream of 2 channels labelled `type` and `value` (what neurostream's XDF export writes): markers of those types. */
function pairs(s: XdfStream): boolean {
  const labels = child(child(s.header, 'desc'), 'channels')?.children.map((c) => textAt(c, 'label'));
  return s.channels === 2 && labels?.[0] === 'type' && labels[1] === 'value';
}

function isNumeric(s: XdfStream): boolean {
  return s.format !== 'string';
}

function signalCandidate(s: XdfStream): boolean {
  return isNumeric(s) && s.nominalRateHz > 0;
}

/** The file header's `datetime` (LabRecorder writes one) as a UTC ISO time, if it parses. */
function startTimeOf(datetime: string | undefined): string | undefined {
  if (!datetime) return undefined;
  const fixed = datetime.replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const ms = Date.parse(fixed);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** Values a float32 column holds exactly; else the first one that it does not. */
function float32Check(s: XdfStream, labels: readonly string[], where: string): void {
  const v = s.values;
  if (s.format === 'float32' || s.format === 'int8' || s.format === 'int16') return;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    const exact = typeof x === 'bigint' ? BigInt(Math.fround(Number(x))) === x : Number.isNaN(x as number) || Math.fround(x as number) === x;
    if (!exact) {
      const c = i % s.channels;
      throw new InvalidDataError(
        `${where} stream ${s.id} (${s.name}) channel ${labels[c]} sample ${(i - c) / s.channels}`,
        `a value a recording's float32 column holds exactly (the stream is ${s.format}; nothing is rounded silently)`,
        typeof x === 'bigint' ? x.toString() : x,
      );
    }
  }
}

function channelTable(s: XdfStream, notes: string[]): { names: string[]; kinds: ChannelKind[]; units: ChannelUnit[] } {
  const described = child(child(s.header, 'desc'), 'channels')?.children.filter((c) => c.name === 'channel') ?? [];
  const streamKind = KINDS[s.type.toLowerCase()] ?? 'aux';
  const names: string[] = [];
  const kinds: ChannelKind[] = [];
  const units: ChannelUnit[] = [];
  const seen = new Set<string>();
  const lost: string[] = [];
  for (let c = 0; c < s.channels; c++) {
    const d = described[c];
    let name = textAt(d, 'label') || `ch${c + 1}`;
    if (name === 'sample' || seen.has(name)) {
      const renamed = `${name}_${c + 1}`;
      notes.push(`stream ${s.id} (${s.name}) channel ${c + 1} "${name}" ${name === 'sample' ? 'is a reserved column name' : 'repeats an earlier label'}: written as "${renamed}"`);
      name = renamed;
    }
    seen.add(name);
    names.push(name);
    const typeText = (textAt(d, 'type') ?? '').toLowerCase();
    let kind = KINDS[typeText] ?? (typeText === '' ? streamKind : 'aux');
    const unitText = textAt(d, 'unit') ?? '';
    let unit = UNIT_NAMES[unitText.toLowerCase()];
    if (unit === undefined) {
      if (unitText !== '') lost.push(`${name} "${unitText}"`);
      unit = kind === 'eeg' || kind === 'ecog' || kind === 'extracellular' ? (unitText === '' ? 'uV' : 'count') : kind === 'accel' ? 'g' : 'count';
    }
    if ((kind === 'eeg' || kind === 'ecog' || kind === 'extracellular') && unit !== 'uV') kind = 'aux'; // neural channels are µV by contract; values are never rescaled
    kinds.push(kind);
    units.push(unit);
  }
  if (lost.length > 0) notes.push(`stream ${s.id} (${s.name}): units neurostream has no name for, written as "count" (the values are unchanged): ${lost.join(', ')}`);
  return { names, kinds, units };
}

/** Sample index of each de-jitter segment's first sample on a stream's own clock. */
function placeSegments(s: XdfStream, t0: number, notes: string[]): number[] {
  const firsts: number[] = [];
  let end = 0;
  s.segments.forEach(([start, stop], j) => {
    let first = Math.round((s.timeStamps[start]! - t0) * s.nominalRateHz);
    if (j > 0 && first < end) {
      notes.push(
        `stream ${s.id} (${s.name}) segment ${j + 1} starts at ${s.timeStamps[start]!.toFixed(6)} s, before the previous one ended: its samples follow on directly (no gap), in file order`,
      );
      first = end;
    }
    firsts.push(first);
    end = first + (stop - start + 1);
  });
  return firsts;
}

/** Maps a time stamp to the chosen stream's sample clock: interpolated between its samples, extrapolated at its rate outside them. */
function makeClock(s: XdfStream, firsts: number[], t0: number): (t: number) => number {
  const ts = s.timeStamps;
  const n = ts.length;
  if (n === 0) return (t) => Math.max(0, Math.round((t - t0) * s.nominalRateHz));
  const index = new Float64Array(n);
  s.segments.forEach(([start, stop], j) => {
    for (let k = start; k <= stop; k++) index[k] = firsts[j]! + (k - start);
  });
  const rate = s.nominalRateHz;
  return (t) => {
    if (t <= ts[0]!) return Math.max(0, index[0]! - Math.round((ts[0]! - t) * rate));
    if (t >= ts[n - 1]!) return index[n - 1]! + Math.round((t - ts[n - 1]!) * rate);
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (ts[mid]! <= t) lo = mid;
      else hi = mid;
    }
    const span = ts[hi]! - ts[lo]!;
    return span > 0 ? index[lo]! + Math.round(((t - ts[lo]!) / span) * (index[hi]! - index[lo]!)) : index[lo]!;
  };
}

function* streamBlocks(s: XdfStream, info: StreamInfo, firsts: number[], t0: number): Generator<SampleBlock, void, undefined> {
  const C = s.channels;
  const blockLength = Math.max(1, Math.round(s.nominalRateHz));
  let end = -1;
  for (const [j, [start, stop]] of s.segments.entries()) {
    const first = firsts[j]!;
    for (let k = start; k <= stop; k += blockLength) {
      const length = Math.min(blockLength, stop + 1 - k);
      const data = new Float32Array(C * length);
      for (let c = 0; c < C; c++) for (let i = 0; i < length; i++) data[c * length + i] = Number(s.values[(k + i) * C + c]);
      const at = first + (k - start);
      const missing = end >= 0 && at > end ? at - end : 0;
      yield createSampleBlock({ info, first: at, length, data, hostTime: (s.timeStamps[k + length - 1]! - t0) * 1000, ...(missing > 0 ? { gap: { missing } } : {}) });
      end = at + length;
    }
  }
}

/** Opens an XDF file as an ImportedRecording (see the file comment). */
export function readXdf(path: string, options: ReadXdfImportOptions = {}): ImportedRecording & { readonly xdfStreams: readonly XdfStreamSummary[] } {
  const file = readXdfFile(path);
  const notes = [...file.notes];
  const streams = file.streams;
  let main: XdfStream | undefined;
  if (options.stream !== undefined) {
    const named = streams.filter((s) => s.name === options.stream);
    const list = streams.map((s) => `"${s.name}" (${s.format}, ${s.nominalRateHz} Hz)`).join(', ');
    if (named.length !== 1) throw new InvalidOptionError('--stream', `the name of one stream of ${path}: ${list}`, named.length === 0 ? options.stream : `${options.stream}, which ${named.length} streams share`);
    main = named[0]!;
    if (!signalCandidate(main)) throw new InvalidOptionError('--stream', `a numeric stream with a regular rate (signals); the others become markers or extra signals. Streams: ${list}`, `${options.stream} (${main.format}, ${main.nominalRateHz} Hz)`);
  } else {
    main = streams.find((s) => signalCandidate(s) && s.count > 0) ?? streams.find(signalCandidate);
  }
  const withSamples = streams.filter((s) => s.count > 0);
  const t0 = withSamples.length > 0 ? Math.min(...withSamples.map((s) => s.timeStamps[0]!)) : 0;
  const startTime = startTimeOf(textAt(file.header, 'datetime'));
  if (!startTime) notes.push('the file header has no <datetime>: the start time is unknown, written as 1970-01-01T00:00:00.000Z');
  notes.push(`sample 0 is LSL time ${t0.toFixed(6)} s (the earliest time stamp, clock offsets applied and de-jittered as pyxdf's load_xdf does by default)`);

  const summaries: XdfStreamSummary[] = [];
  const imported: ImportedStream[] = [];
  let mainFirsts: number[] = [];
  const describe = (s: XdfStream, destination: string): void => {
    summaries.push({ id: s.id, name: s.name, type: s.type, channels: s.channels, format: s.format, nominalRateHz: s.nominalRateHz, effectiveRateHz: s.effectiveRateHz, samples: s.count, segments: s.segments.length, destination });
  };
  const ordered = main ? [main, ...streams.filter((s) => s !== main)] : streams;
  for (const s of ordered) {
    if (!signalCandidate(s)) continue;
    if (s.count === 0 && s !== main) {
      describe(s, 'nothing');
      continue;
    }
    const table = channelTable(s, notes);
    const where = path;
    if (options.strictValues) float32Check(s, table.names, where);
    const info = createStreamInfo({
      id: `xdf-${s.name || s.id}`,
      device: { name: 'xdf', model: s.type || 'LSL stream', serial: textAt(s.header, 'source_id') ?? '' },
      channelNames: table.names,
      channelKinds: table.kinds,
      units: table.units,
      sampleRateHz: s.nominalRateHz,
      startTime: startTime ?? '1970-01-01T00:00:00.000Z',
    });
    const firsts = placeSegments(s, t0, notes);
    if (s === main) mainFirsts = firsts;
    const file = s === main ? 'signals.arrows' : `signals-xdf-${s.id}.arrows`;
    describe(s, file);
    imported.push({ info, totalSamples: s.count === 0 ? 0 : firsts[firsts.length - 1]! + (s.segments[s.segments.length - 1]![1] - s.segments[s.segments.length - 1]![0] + 1), ...(s === main ? {} : { file }), blocks: () => streamBlocks(s, info, firsts, t0) });
    if (s.segments.length > 1) notes.push(`stream ${s.id} (${s.name}): ${s.segments.length} segments (breaks or clock resets), written with gaps between them`);
    if (s.count > 1 && Math.abs(s.effectiveRateHz - s.nominalRateHz) / s.nominalRateHz > 1e-3) {
      notes.push(`stream ${s.id} (${s.name}): effective rate ${s.effectiveRateHz.toFixed(4)} Hz differs from its nominal ${s.nominalRateHz} Hz: samples are placed at the nominal rate`);
    }
  }
  const markers: Marker[] = [];
  const clock = main ? makeClock(main, mainFirsts, t0) : (t: number) => Math.max(0, Math.round((t - t0) * 1000));
  const markerClockHz = main?.nominalRateHz ?? 1000;
  for (const s of streams) {
    if (signalCandidate(s)) continue;
    describe(s, s.count === 0 ? 'nothing' : 'markers');
    for (let k = 0; k < s.count; k++) {
      const sample = clock(s.timeStamps[k]!);
      if (s.format === 'string' && pairs(s)) {
        markers.push(createMarker(sample, (s.values as string[])[k * 2]! || s.name, (s.values as string[])[k * 2 + 1]!));
        continue;
      }
      if (s.format === 'string') {
        for (let c = 0; c < s.channels; c++) markers.push(createMarker(sample, s.channels === 1 ? s.name || `xdf-${s.id}` : `${s.name || `xdf-${s.id}`}:${c + 1}`, (s.values as string[])[k * s.channels + c]!));
        continue;
      }
      const vector: number[] = [];
      for (let c = 0; c < s.channels; c++) {
        const x = s.values[k * s.channels + c]!;
        if (typeof x === 'bigint' && BigInt(Number(x)) !== x && options.strictValues) {
          throw new InvalidDataError(`${path} stream ${s.id} (${s.name}) channel ${c + 1} sample ${k}`, 'an int64 within ±2^53 (markers hold float64)', x.toString());
        }
        vector.push(Number(x));
      }
      if (vector.some((v) => !Number.isFinite(v))) {
        notes.push(`stream ${s.id} (${s.name}) sample ${k}: a non-finite value; its marker holds the text ${JSON.stringify(vector.map(String))}`);
        markers.push(createMarker(sample, s.name || `xdf-${s.id}`, JSON.stringify(vector.map(String))));
      } else markers.push(createMarker(sample, s.name || `xdf-${s.id}`, vector));
    }
  }
  markers.sort((a, b) => a.sample - b.sample);
  for (const x of summaries) {
    notes.push(
      `XDF stream ${x.id} "${x.name}" (${x.type || 'no type'}): ${x.channels} ch ${x.format} @ ${x.nominalRateHz === 0 ? 'irregular rate' : `${x.nominalRateHz} Hz`}, ${x.samples} samples${x.nominalRateHz > 0 && x.samples > 1 ? ` (effective ${x.effectiveRateHz.toFixed(4)} Hz)` : ''} → ${x.destination}`,
    );
  }
  if (!main) notes.push('no numeric stream with a regular rate: no signals (only markers)');
  return { source: path, format: `XDF 1.0 (${streams.length} streams)`, streams: imported, markers, markerClockHz, notes, xdfStreams: summaries };
}
