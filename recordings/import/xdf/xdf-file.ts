/**
 * readXdfFile — every stream of an XDF file with its values and its time stamps synchronised and
 * de-jittered as pyxdf's `load_xdf` returns them by default (xdf-sync.ts). The file is read in
 * 1 MiB chunks through XdfChunkParser; the streams' values are held in memory (as pyxdf does).
 *
 * A file cut inside a chunk keeps what is whole (a cut Samples chunk: its whole samples) and
 * `truncation` / `notes` say what was lost.
 */
import { textAt, type XmlElement } from '../../../core/xml.js';
import { fileChunks } from '../file-chunks.js';
import { XdfChunkParser, type XdfChunk, type XdfFormat, type XdfTruncation, type XdfValues } from './xdf-chunk-parser.js';
import { clockSync, jitterRemoval, truncateCorruptedOffsets, type Segment, type SyncStream } from './xdf-sync.js';

export interface XdfStream {
  /** The stream id of its chunks. */
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly channels: number;
  readonly format: XdfFormat;
  readonly nominalRateHz: number;
  readonly header: XmlElement;
  readonly headerXml: string;
  footer: XmlElement | undefined;
  footerXml: string | undefined;
  /** Samples read. */
  count: number;
  /** Time stamps in seconds, one per sample: synchronised and de-jittered (as pyxdf by default). */
  timeStamps: Float64Array;
  /** The time stamps as the file holds them (the deduced ones filled in). */
  rawTimeStamps: Float64Array;
  /** Values, sample-major (sample k, channel c at k × channels + c). */
  values: XdfValues;
  clockTimes: number[];
  clockValues: number[];
  /** De-jitter segments (breaks in a regular stream) and clock-reset segments, inclusive sample ranges. */
  segments: Segment[];
  clockSegments: Segment[];
  effectiveRateHz: number;
}

export interface XdfFile {
  readonly source: string;
  readonly header: XmlElement | undefined;
  readonly streams: XdfStream[];
  readonly truncation: XdfTruncation | undefined;
  /** What was repaired or dropped, for people. */
  readonly notes: string[];
}

export interface ReadXdfOptions {
  /** Apply the clock offsets (default true, as pyxdf). */
  synchronizeClocks?: boolean;
  /** De-jitter regular streams (default true, as pyxdf). */
  dejitterTimestamps?: boolean;
  /** Bytes per read (default 1 MiB); tests feed 1 or 7. */
  chunkBytes?: number;
}

function concat(parts: XdfValues[], format: XdfFormat, total: number): XdfValues {
  if (format === 'string') return (parts as string[][]).flat();
  const first = parts[0] as Exclude<XdfValues, string[]> | undefined;
  const Ctor = (first?.constructor ?? { float32: Float32Array, double64: Float64Array, int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array }[format]) as new (n: number) => Exclude<XdfValues, string[]>;
  const out = new Ctor(total);
  let at = 0;
  for (const part of parts as Exclude<XdfValues, string[]>[]) {
    (out as Float64Array).set(part as Float64Array, at);
    at += part.length;
  }
  return out;
}

/** Parses XDF bytes given as an iterable of chunks (a file, or test bytes cut anywhere). */
export function readXdfChunks(source: string, chunks: Iterable<Uint8Array>, options: ReadXdfOptions = {}): XdfFile {
  let header: XmlElement | undefined;
  const streams = new Map<number, XdfStream>();
  const parts = new Map<number, { values: XdfValues[]; stamps: Float64Array[]; samples: number }>();
  const notes: string[] = [];
  const unknown = new Map<number, number>();
  const onChunk = (chunk: XdfChunk): void => {
    switch (chunk.tag) {
      case 'file-header':
        header = chunk.root;
        return;
      case 'stream-header': {
        const { layout, root } = chunk;
        if (streams.has(chunk.streamId)) notes.push(`stream ${chunk.streamId} has a second StreamHeader (byte ${chunk.offset}): the later one is used, as pyxdf does`);
        streams.set(chunk.streamId, {
          id: chunk.streamId,
          name: textAt(root, 'name') ?? '',
          type: textAt(root, 'type') ?? '',
          channels: layout.channels,
          format: layout.format,
          nominalRateHz: layout.nominalRateHz,
          header: root,
          headerXml: chunk.xml,
          footer: undefined,
          footerXml: undefined,
          count: 0,
          timeStamps: new Float64Array(0),
          rawTimeStamps: new Float64Array(0),
          values: [],
          clockTimes: [],
          clockValues: [],
          segments: [],
          clockSegments: [],
          effectiveRateHz: 0,
        });
        parts.set(chunk.streamId, { values: [], stamps: [], samples: 0 });
        return;
      }
      case 'samples': {
        const p = parts.get(chunk.streamId)!;
        p.values.push(chunk.values);
        p.stamps.push(chunk.timeStamps);
        p.samples += chunk.count;
        return;
      }
      case 'clock-offset': {
        const s = streams.get(chunk.streamId);
        if (!s) {
          notes.push(`a ClockOffset chunk (byte ${chunk.offset}) for stream ${chunk.streamId}, which has no StreamHeader: ignored`);
          return;
        }
        s.clockTimes.push(chunk.collectionTime);
        s.clockValues.push(chunk.offsetValue);
        return;
      }
      case 'stream-footer': {
        const s = streams.get(chunk.streamId);
        if (!s) {
          notes.push(`a StreamFooter chunk (byte ${chunk.offset}) for stream ${chunk.streamId}, which has no StreamHeader: ignored`);
          return;
        }
        s.footer = chunk.root;
        s.footerXml = chunk.xml;
        return;
      }
      case 'boundary':
        return;
      case 'unknown':
        unknown.set(chunk.tagNumber, (unknown.get(chunk.tagNumber) ?? 0) + 1);
    }
  };
  const parser = new XdfChunkParser(onChunk, { source });
  for (const bytes of chunks) parser.push(bytes);
  parser.end();
  for (const [tag, n] of unknown) notes.push(`${n} chunk${n > 1 ? 's' : ''} with the unknown tag ${tag}: skipped (not part of XDF 1.0)`);
  const cut = parser.truncation;
  if (cut) {
    const kept = cut.keptSamples !== undefined ? `; its ${cut.keptSamples} whole samples (stream ${cut.streamId}) are kept, which pyxdf drops` : '';
    notes.push(`TRUNCATED: the file ends inside a ${cut.within} chunk at byte ${cut.offset} (${cut.haveBytes} of its ${cut.needBytes} bytes)${kept}; everything before it is whole`);
  }
  for (const s of streams.values()) {
    const p = parts.get(s.id)!;
    s.count = p.samples;
    s.values = concat(p.values, s.format, p.samples * s.channels);
    const stamps = new Float64Array(p.samples);
    let at = 0;
    for (const part of p.stamps) {
      stamps.set(part, at);
      at += part.length;
    }
    s.rawTimeStamps = stamps;
    s.timeStamps = stamps.slice();
    postProcess(s, options, notes);
  }
  return { source, header, streams: [...streams.values()], truncation: cut, notes };
}

function postProcess(s: XdfStream, options: ReadXdfOptions, notes: string[]): void {
  const footerCount = textAt(s.footer, 'sample_count');
  const sync: SyncStream = {
    timeStamps: s.timeStamps,
    clockTimes: s.clockTimes,
    clockValues: s.clockValues,
    nominalRateHz: s.nominalRateHz,
    ...(footerCount !== undefined && footerCount !== '' && Number.isFinite(Number(footerCount)) ? { footerSampleCount: Math.trunc(Number(footerCount)) } : {}),
    canDropSamples: (textAt(s.header, 'desc', 'synchronization', 'can_drop_samples') ?? '').toLowerCase() === 'true',
    segments: s.segments,
    clockSegments: s.clockSegments,
    effectiveRateHz: 0,
  };
  if (options.synchronizeClocks !== false) {
    const dropped = truncateCorruptedOffsets(sync);
    if (dropped > 0) {
      notes.push(
        `stream ${s.id} (${s.name}): ${dropped} sample${dropped > 1 ? 's' : ''} beyond the footer's sample_count with an anomalous last clock offset (the pylsl#67 / liblsl#246 defect): both dropped, as pyxdf does`,
      );
      s.count = sync.timeStamps.length;
      s.rawTimeStamps = s.rawTimeStamps.slice(0, s.count);
      s.values = s.values.slice(0, s.count * s.channels) as XdfValues;
      s.clockTimes = sync.clockTimes;
      s.clockValues = sync.clockValues;
    }
    clockSync(sync);
  }
  if (options.dejitterTimestamps !== false) jitterRemoval(sync);
  else {
    if (s.nominalRateHz !== 0 && sync.timeStamps.length > 1) {
      sync.effectiveRateHz = (sync.timeStamps.length - 1) / (sync.timeStamps[sync.timeStamps.length - 1]! - sync.timeStamps[0]!);
    }
    if (sync.timeStamps.length > 0) sync.segments.push([0, sync.timeStamps.length - 1]);
  }
  s.timeStamps = sync.timeStamps;
  s.effectiveRateHz = sync.effectiveRateHz;
}

/** Reads an XDF file (see readXdfChunks). */
export function readXdfFile(path: string, options: ReadXdfOptions = {}): XdfFile {
  return readXdfChunks(path, fileChunks(path, options.chunkBytes), options);
}
