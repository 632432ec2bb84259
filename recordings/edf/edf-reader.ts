/**
 * readEdf — imports an EDF, EDF+C/D, BDF or BDF+C/D file as an ImportedRecording.
 *
 *   - Signals are grouped by sample rate: one ImportedStream per rate, the group with the most
 *     neural (eeg/ecog) channels first. Annotation signals are not channels.
 *   - Units and kinds follow edf-channels.ts (voltages in µV; BDF `Status` as its 16-bit trigger
 *     code). `adcScale` = |pmax − pmin|/(dmax − dmin) in the channel's unit (1 for Status);
 *     `physicalRanges` keeps each signal's physical (in the channel's unit) and digital range, so
 *     an export can write the same scaling.
 *   - Opening the file reads its header and, when it has annotation signals or trigger channels,
 *     scans every record once (in chunks of ≤ 4 MiB into one reused buffer) for TALs, record
 *     start times and trigger changes. `blocks()` reads the file again from the start, one
 *     data record per block (several consecutive records up to `maxBlockS`, default 1 s).
 *   - Record start times come from each record's time-keeping TAL. The first record's start is
 *     the sub-second offset of sample 0 (added to `startTime`); in EDF+D/BDF+D a later record that
 *     starts after the previous one ends opens a gap (`gap.missing` on its block). EDF+C and plain
 *     files are contiguous by definition (a disagreeing time-keeping TAL is noted).
 *   - Every text of every TAL (all annotation signals) becomes a Marker `{type: 'annotation',
 *     value: text, duration?}` at `round((onset − firstRecordStart) × markerClockHz)`, duration in
 *     samples when the TAL had one. Overlapping annotations are kept; order is by sample, then
 *     file order.
 *   - Trigger channels also give Markers `{type: 'trigger', value}` where the channel's value
 *     changes to a non-zero value — unless it changes on more than 1 in 8 samples (an analog
 *     channel named like a trigger), which is noted and gives no markers.
 *   - Annotation-only files (no signals) give `streams: []` and a marker clock of 10^d Hz, d the
 *     most decimals any onset or duration is written with (≤ 9), so onsets stay exact.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { basename, extname } from 'node:path';
import {
  createMarker,
  createSampleBlock,
  createStreamInfo,
  type ChannelKind,
  type ChannelUnit,
  type Marker,
  type SampleBlock,
  type StreamInfo,
} from '../../core/index.js';
import type { ImportedRecording, ImportedStream } from '../imported-recording.js';
import { decimalPlaces, parseTals } from './edf-annotations.js';
import { edfChannelKind, edfTrigger, edfUnit, isNeuralKind, type EdfTrigger } from './edf-channels.js';
import { readEdfHeader, type EdfHeader, type EdfSignalHeader } from './edf-header.js';
import { decodeMasked, decodePhysical } from './edf-samples.js';

export interface ReadEdfOptions {
  /** Most seconds of consecutive records per block (at least one record). Default 1. */
  maxBlockS?: number;
}

/** One signal as a channel of a stream. */
export interface EdfChannel {
  readonly signal: EdfSignalHeader;
  readonly name: string;
  readonly kind: ChannelKind;
  readonly unit: ChannelUnit;
  /** Physical → unit factor. */
  readonly factor: number;
  readonly adcScale: number;
  readonly trigger: EdfTrigger;
  readonly sampleRateHz: number;
}

interface Group {
  readonly sampleRateHz: number;
  readonly samplesPerRecord: number;
  readonly channels: EdfChannel[];
  /** Sample index (stream clock) of each record's first sample. */
  recordIndex: Float64Array;
}

interface RawAnnotation {
  onsetS: number;
  durationS: number | undefined;
  text: string;
}

const SCAN_CHUNK_BYTES = 4 << 20;

function readFully(fd: number, buf: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

function normaliseRate(rate: number): number {
  const rounded = Math.round(rate);
  return Math.abs(rate - rounded) < 1e-9 * Math.max(1, rate) ? rounded : rate;
}

/** ISO-8601 UTC of `ms` (whole) plus `extraS` seconds, with up to 9 decimals. */
function isoWithFraction(ms: number, extraS: number): string {
  let whole = Math.floor(extraS);
  let nanos = Math.round((extraS - whole) * 1e9);
  if (nanos >= 1e9) {
    whole += 1;
    nanos -= 1e9;
  }
  const base = new Date(ms + whole * 1000).toISOString().slice(0, 19);
  let frac = String(nanos).padStart(9, '0').replace(/0+$/, '');
  if (frac.length < 3) frac = frac.padEnd(3, '0');
  return `${base}.${frac}Z`;
}

function describeChannels(header: EdfHeader, notes: string[]): EdfChannel[] {
  const channels: EdfChannel[] = [];
  const used = new Map<string, number>();
  for (const s of header.signals) {
    if (s.isAnnotation) continue;
    if (s.samplesPerRecord === 0) {
      notes.push(`${header.file}: signal ${s.index} ${JSON.stringify(s.label)} has no samples; skipped`);
      continue;
    }
    const trigger = edfTrigger(s.label, header.bdf);
    let unit = edfUnit(s.dimension);
    let adcScale = (Math.abs(s.physicalMax - s.physicalMin) / (s.digitalMax - s.digitalMin)) * unit.factor;
    if (trigger === 'status') {
      unit = { unit: 'count', factor: 1, known: true };
      adcScale = 1;
    } else if (!unit.known) {
      notes.push(
        `${header.file}: signal ${s.index} ${JSON.stringify(s.label)} has physical dimension ${JSON.stringify(s.dimension)}, ` +
          `which neurostream has no unit for; its values are kept unscaled as unit 'count'`,
      );
    }
    let name = s.label === '' ? `signal ${s.index}` : s.label;
    const seen = used.get(name) ?? 0;
    used.set(name, seen + 1);
    if (seen > 0) {
      const renamed = `${name}-${seen}`;
      notes.push(`${header.file}: signal ${s.index} label ${JSON.stringify(name)} is repeated; renamed ${JSON.stringify(renamed)}`);
      name = renamed;
    }
    channels.push({
      signal: s,
      name,
      kind: edfChannelKind(s.label, unit, trigger),
      unit: unit.unit,
      factor: unit.factor,
      adcScale,
      trigger,
      sampleRateHz: normaliseRate(s.samplesPerRecord / header.recordDurationS),
    });
  }
  return channels;
}

function groupByRate(channels: EdfChannel[], recordCount: number): Group[] {
  const byRate = new Map<number, Group>();
  for (const ch of channels) {
    let g = byRate.get(ch.sampleRateHz);
    if (!g) {
      g = { sampleRateHz: ch.sampleRateHz, samplesPerRecord: ch.signal.samplesPerRecord, channels: [], recordIndex: new Float64Array(recordCount) };
      byRate.set(ch.sampleRateHz, g);
    }
    g.channels.push(ch);
  }
  const neural = (g: Group) => g.channels.filter((c) => isNeuralKind(c.kind)).length;
  return [...byRate.values()].sort(
    (a, b) => neural(b) - neural(a) || b.channels.length - a.channels.length || b.sampleRateHz - a.sampleRateHz,
  );
}

interface TriggerState {
  readonly channel: EdfChannel;
  readonly group: Group;
  readonly limit: number;
  previous: number;
  changes: { index: number; value: number }[];
  overflow: boolean;
}

/**
 * Reads an EDF/BDF file's header and events; its samples are read lazily by each stream's
 * `blocks()`.
 */
export function readEdf(path: string, options: ReadEdfOptions = {}): ImportedRecording {
  const maxBlockS = options.maxBlockS ?? 1;
  const header = readEdfHeader(path);
  const notes = [...header.notes];
  const { recordCount, recordDurationS, recordBytes, bytesPerSample } = header;
  const channels = describeChannels(header, notes);
  const groups = groupByRate(channels, recordCount);
  const annotationSignals = header.signals.filter((s) => s.isAnnotation);

  // Scan: record start times, annotations, trigger changes.
  const recordStartS = new Float64Array(recordCount);
  const annotations: RawAnnotation[] = [];
  let decimals = 0;
  const triggers: TriggerState[] = [];
  for (const group of groups) {
    for (const channel of group.channels) {
      if (channel.trigger === null) continue;
      const total = recordCount * group.samplesPerRecord;
      triggers.push({ channel, group, limit: Math.max(64, Math.floor(total / 8)), previous: 0, changes: [], overflow: false });
    }
  }
  let missingTimekeeping = 0;
  let disagreeing = 0;
  let overlapping = 0;
  let unterminated = 0;
  let malformed = 0;
  const maxRate = Math.max(0, ...channels.map((c) => c.sampleRateHz));
  const tolerance = maxRate > 0 ? 0.5 / maxRate : 1e-6;
  const setIndexes = (r: number) => {
    for (const g of groups) {
      if (r === 0 || header.plus !== 'D') {
        g.recordIndex[r] = r * g.samplesPerRecord;
        continue;
      }
      const previousEnd = g.recordIndex[r - 1]! + g.samplesPerRecord;
      const index = Math.round((recordStartS[r]! - recordStartS[0]!) * g.sampleRateHz);
      g.recordIndex[r] = Math.max(previousEnd, index);
    }
  };

  if (annotationSignals.length > 0 || triggers.length > 0) {
    const chunkRecords = Math.max(1, Math.floor(SCAN_CHUNK_BYTES / recordBytes));
    const buf = new Uint8Array(Math.min(chunkRecords, Math.max(1, recordCount)) * recordBytes);
    const scratch = new Float32Array(Math.max(1, ...triggers.map((t) => t.channel.signal.samplesPerRecord)));
    const fd = openSync(path, 'r');
    try {
      for (let r0 = 0; r0 < recordCount; r0 += chunkRecords) {
        const n = Math.min(chunkRecords, recordCount - r0);
        readFully(fd, buf, n * recordBytes, header.headerBytes + r0 * recordBytes);
        for (let j = 0; j < n; j++) {
          const r = r0 + j;
          const base = j * recordBytes;
          let timekeeping: number | undefined;
          annotationSignals.forEach((s, k) => {
            const start = base + s.recordOffset;
            const parsed = parseTals(buf, start, start + s.samplesPerRecord * bytesPerSample);
            unterminated += parsed.unterminated;
            malformed += parsed.malformed;
            parsed.tals.forEach((tal, t) => {
              if (k === 0 && t === 0 && tal.emptyFirst) timekeeping = tal.onsetS;
              for (const text of tal.texts) {
                annotations.push({ onsetS: tal.onsetS, durationS: tal.durationS, text });
                decimals = Math.max(decimals, decimalPlaces(tal.onsetText), decimalPlaces(tal.durationText ?? ''));
              }
            });
          });
          if (annotationSignals.length > 0 && timekeeping === undefined) missingTimekeeping++;
          if (r === 0) recordStartS[0] = timekeeping ?? 0;
          else {
            const expected = recordStartS[r - 1]! + recordDurationS;
            if (header.plus === 'D' && timekeeping !== undefined) {
              if (timekeeping < expected - tolerance) overlapping++;
              recordStartS[r] = Math.max(expected, timekeeping);
            } else {
              if (timekeeping !== undefined && Math.abs(timekeeping - expected) > tolerance) disagreeing++;
              recordStartS[r] = recordStartS[0]! + r * recordDurationS;
            }
          }
          setIndexes(r);
          for (const t of triggers) {
            if (t.overflow) continue;
            const s = t.channel.signal;
            const spr = s.samplesPerRecord;
            if (t.channel.trigger === 'status') decodeMasked(buf, base + s.recordOffset, spr, bytesPerSample, 0xffff, scratch, 0);
            else decodePhysical(buf, base + s.recordOffset, spr, bytesPerSample, s, t.channel.factor, scratch, 0);
            const first = t.group.recordIndex[r]!;
            for (let i = 0; i < spr; i++) {
              const v = scratch[i]!;
              if (v !== t.previous && v !== 0) {
                t.changes.push({ index: first + i, value: v });
                if (t.changes.length > t.limit) {
                  t.overflow = true;
                  t.changes = [];
                  break;
                }
              }
              t.previous = v;
            }
          }
        }
      }
    } finally {
      closeSync(fd);
    }
  } else {
    for (let r = 0; r < recordCount; r++) {
      recordStartS[r] = r * recordDurationS;
      setIndexes(r);
    }
  }
  if (missingTimekeeping > 0) notes.push(`${path}: ${missingTimekeeping} data records have no time-keeping TAL; assumed contiguous`);
  if (disagreeing > 0) {
    notes.push(`${path}: ${disagreeing} time-keeping TALs disagree with the record duration of this ${header.format} file; records read as contiguous`);
  }
  if (overlapping > 0) notes.push(`${path}: ${overlapping} records start before the previous one ends; read as contiguous`);
  if (unterminated > 0) notes.push(`${path}: ${unterminated} TALs lack their 0x00 terminator (tolerated)`);
  if (malformed > 0) notes.push(`${path}: skipped ${malformed} malformed TALs in the annotation signals`);

  const t0 = recordCount > 0 ? recordStartS[0]! : 0;
  const startTime = isoWithFraction(header.startMs, t0);
  const id = basename(path, extname(path)) || 'edf';
  const streams: ImportedStream[] = groups.map((g, k) => makeStream(path, header, g, k === 0 ? id : `${id}-${g.sampleRateHz}hz`, startTime, maxBlockS));

  // Markers.
  const markerClockHz = streams.length > 0 ? streams[0]!.info.sampleRateHz : 10 ** Math.min(9, decimals);
  const markers: Marker[] = [];
  let beforeStart = 0;
  for (const a of annotations) {
    let sample = Math.round((a.onsetS - t0) * markerClockHz);
    if (sample < 0) {
      beforeStart++;
      sample = 0;
    }
    const duration = a.durationS === undefined ? undefined : Math.round(a.durationS * markerClockHz);
    markers.push(createMarker(sample, 'annotation', a.text, duration));
  }
  if (beforeStart > 0) notes.push(`${path}: ${beforeStart} annotations start before the first sample; placed at sample 0`);
  for (const t of triggers) {
    const label = JSON.stringify(t.channel.name);
    if (t.overflow) {
      notes.push(`${path}: trigger channel ${label} changes value on more than 1 in 8 samples (not event codes); kept as a channel, no trigger markers`);
      continue;
    }
    const ratio = markerClockHz / t.group.sampleRateHz;
    for (const c of t.changes) markers.push(createMarker(Math.round(c.index * ratio), 'trigger', Math.round(c.value * 1e6) / 1e6));
  }
  const sorted = markers.map((m, i) => ({ m, i })).sort((a, b) => a.m.sample - b.m.sample || a.i - b.i);

  return {
    source: path,
    format: header.format,
    streams,
    markers: sorted.map((x) => x.m),
    markerClockHz,
    notes,
  };
}

function makeStream(path: string, header: EdfHeader, group: Group, id: string, startTime: string, maxBlockS: number): ImportedStream {
  const info: StreamInfo = createStreamInfo({
    id,
    device: { name: 'edf', model: header.equipment, serial: '' },
    channelNames: group.channels.map((c) => c.name),
    channelKinds: group.channels.map((c) => c.kind),
    units: group.channels.map((c) => c.unit),
    sampleRateHz: group.sampleRateHz,
    adcScale: group.channels.map((c) => c.adcScale),
    physicalRanges: group.channels.map((c) =>
      c.trigger === 'status'
        ? null // read as its 16-bit trigger code, not through the physical range
        : {
            physicalMin: c.signal.physicalMin * c.factor,
            physicalMax: c.signal.physicalMax * c.factor,
            digitalMin: c.signal.digitalMin,
            digitalMax: c.signal.digitalMax,
          },
    ),
    startTime,
  });
  const { recordCount, recordBytes, headerBytes, bytesPerSample } = header;
  const spr = group.samplesPerRecord;
  const index = group.recordIndex;
  const totalSamples = recordCount > 0 ? index[recordCount - 1]! + spr : 0;
  const maxRecords = Math.max(1, Math.floor(maxBlockS / header.recordDurationS + 1e-9));
  const channels = group.channels;

  function* blocks(): Generator<SampleBlock> {
    if (recordCount === 0) return;
    const fd = openSync(path, 'r');
    try {
      const buf = new Uint8Array(Math.min(maxRecords, recordCount) * recordBytes);
      let r = 0;
      let previousEnd = 0;
      while (r < recordCount) {
        let k = 1;
        while (k < maxRecords && r + k < recordCount && index[r + k] === index[r + k - 1]! + spr) k++;
        readFully(fd, buf, k * recordBytes, headerBytes + r * recordBytes);
        const length = k * spr;
        const data = new Float32Array(channels.length * length);
        channels.forEach((ch, c) => {
          for (let j = 0; j < k; j++) {
            const at = j * recordBytes + ch.signal.recordOffset;
            if (ch.trigger === 'status') decodeMasked(buf, at, spr, bytesPerSample, 0xffff, data, c * length + j * spr);
            else decodePhysical(buf, at, spr, bytesPerSample, ch.signal, ch.factor, data, c * length + j * spr);
          }
        });
        const first = index[r]!;
        const missing = first - previousEnd;
        yield createSampleBlock({
          info,
          first,
          length,
          data,
          hostTime: ((first + length) / group.sampleRateHz) * 1000,
          ...(missing > 0 ? { gap: { missing } } : {}),
        });
        previousEnd = first + length;
        r += k;
      }
    } finally {
      closeSync(fd);
    }
  }

  return { info, totalSamples, blocks };
}
