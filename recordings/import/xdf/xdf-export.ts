/**
 * XdfExport — writes any input neurostream reads (a recording, EDF/BDF, OpenBCI text…) as an XDF
 * 1.0 file that LabRecorder's readers (pyxdf, MATLAB load_xdf, MNE) load:
 *
 *   - FileHeader `<info><version>1.0</version><datetime>` (the input's start time);
 *   - one stream per sample stream: `neurostream-signals` (then `neurostream-signals-2`, …),
 *     float32 (exactly the recording's values), the nominal rate, and in `desc` the channels as
 *     the XDF meta-data conventions say (`channels/channel/{label, unit, type}`, microvolts for
 *     µV) and `acquisition/{manufacturer, model, serial}`;
 *   - `neurostream-markers`: 2 string channels `type` and `value` (numbers as decimal text,
 *     vectors as JSON), irregular rate; `neurostream-features` and `neurostream-intents`: float32,
 *     irregular rate, one channel per feature / output value, when the recording has them;
 *   - time stamps: seconds since sample 0 (`sample / rate`), one on every sample; a ClockOffset
 *     chunk (offset 0: one clock) every 5 s of data per stream and a Boundary chunk every 10 s,
 *     and each stream's footer with first/last time stamp, sample count and its clock offsets,
 *     as LabRecorder writes them.
 * The output is a new file (O_EXCL); an error part-way removes it.
 */
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import type { ChannelKind, ChannelUnit, FeatureFrame, Intent, Marker, SampleBlock, StreamInfo } from '../../../core/index.js';
import { InvalidOptionError, NeurostreamError } from '../../../core/index.js';
import type { ImportedRecording } from '../../imported-recording.js';
import { RecordingError } from '../../recording-error.js';
import { boundaryChunk, clockOffsetChunk, fileHeaderChunk, samplesChunk, streamFooterChunk, streamHeaderChunk, XDF_MAGIC } from './xdf-encoder.js';
import { writeXml, type XmlTree } from './xdf-xml.js';

const UNIT_TEXT: Record<ChannelUnit, string> = { uV: 'microvolts', mV: 'millivolts', V: 'volts', g: 'g', count: 'count' };
const KIND_TEXT: Record<ChannelKind, string> = { eeg: 'EEG', ecog: 'ECOG', extracellular: 'Extracellular', aux: 'AUX', accel: 'ACC' };

/** Seconds between ClockOffset chunks and between Boundary chunks, as LabRecorder. */
export const XDF_CLOCK_OFFSET_INTERVAL_S = 5;
export const XDF_BOUNDARY_INTERVAL_S = 10;

export interface XdfExportInput extends ImportedRecording {
  readonly recording?: { features(): Iterable<FeatureFrame>; intents(): Iterable<Intent> };
}

export interface XdfExportResult {
  streams: { name: string; samples: number }[];
  notes: string[];
}

interface OpenStream {
  id: number;
  name: string;
  count: number;
  first: number;
  last: number;
  nextOffsetAt: number;
  offsets: number[];
}

function headerXml(name: string, type: string, channels: number, rateHz: number, format: string, sourceId: string, desc: XmlTree): string {
  return `<?xml version="1.0"?>\n${writeXml('info', { name, type, channel_count: channels, nominal_srate: rateHz, channel_format: format, source_id: sourceId, version: '1.1000000000000001', created_at: 0, uid: `${sourceId}-${name}`, session_id: 'default', hostname: 'neurostream', desc })}`;
}

function channelsDesc(names: readonly string[], units?: readonly string[], types?: readonly string[]): XmlTree {
  return { channel: names.map((label, c) => ({ label, ...(units ? { unit: units[c]! } : {}), ...(types ? { type: types[c]! } : {}) })) };
}

function markerText(m: Marker): string {
  return typeof m.value === 'string' ? m.value : typeof m.value === 'number' ? String(m.value) : JSON.stringify(m.value);
}

export class XdfExport {
  private fd: number;
  private readonly streams: OpenStream[] = [];
  private nextBoundary = 0;
  private readonly notes: string[] = [];

  constructor(
    readonly path: string,
    private readonly input: XdfExportInput,
  ) {
    try {
      this.fd = openSync(path, 'wx');
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new InvalidOptionError(`OUT ${path}`, 'a new file (nothing is overwritten)', code === 'EEXIST' ? 'an existing file' : code ?? String(error));
    }
  }

  private write(bytes: Uint8Array): void {
    let at = 0;
    while (at < bytes.length) at += writeSync(this.fd, bytes, at, bytes.length - at);
  }

  private open(name: string, type: string, channels: number, rateHz: number, format: string, sourceId: string, desc: XmlTree): OpenStream {
    const s: OpenStream = { id: this.streams.length + 1, name, count: 0, first: 0, last: 0, nextOffsetAt: -Infinity, offsets: [] };
    this.write(streamHeaderChunk(s.id, headerXml(name, type, channels, rateHz, format, sourceId, desc)));
    this.streams.push(s);
    return s;
  }

  /** Time stamps written: the clock offsets and boundaries LabRecorder would have written by then. */
  private stamped(s: OpenStream, stamps: number[]): void {
    if (stamps.length === 0) return;
    if (s.count === 0) s.first = stamps[0]!;
    s.count += stamps.length;
    s.last = stamps[stamps.length - 1]!;
    for (const t of [stamps[0]!, s.last]) {
      if (t >= s.nextOffsetAt) {
        this.write(clockOffsetChunk(s.id, t, 0));
        s.offsets.push(t);
        s.nextOffsetAt = t + XDF_CLOCK_OFFSET_INTERVAL_S;
      }
    }
    if (s.last >= this.nextBoundary) {
      this.write(boundaryChunk());
      this.nextBoundary = s.last + XDF_BOUNDARY_INTERVAL_S;
    }
  }

  /** Writes the whole file; returns what was written. */
  run(): XdfExportResult {
    try {
      return this.writeAll();
    } catch (error) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed
      }
      rmSync(this.path, { force: true });
      if (error instanceof NeurostreamError) throw error;
      throw RecordingError.from(error, `writing ${this.path} (nothing of it is kept)`);
    }
  }

  private writeAll(): XdfExportResult {
    const { input } = this;
    const main: StreamInfo | undefined = input.streams[0]?.info;
    this.write(XDF_MAGIC);
    this.write(fileHeaderChunk(`<?xml version="1.0"?>\n${writeXml('info', { version: '1.0', datetime: main?.startTime ?? '1970-01-01T00:00:00.000Z', writer: 'neurostream convert' })}`));
    input.streams.forEach((stream, k) => {
      const info = stream.info;
      const s = this.open(
        k === 0 ? 'neurostream-signals' : `neurostream-signals-${k + 1}`,
        info.channelKinds.includes('eeg') ? 'EEG' : info.channelKinds.includes('ecog') ? 'ECOG' : 'Signals',
        info.channelNames.length,
        info.sampleRateHz,
        'float32',
        info.id,
        {
          channels: channelsDesc(info.channelNames, info.units.map((u) => UNIT_TEXT[u]), info.channelKinds.map((c) => KIND_TEXT[c])),
          acquisition: { manufacturer: info.device.name, model: info.device.model, serial: info.device.serial },
        },
      );
      for (const block of stream.blocks()) this.writeBlock(s, block);
    });
    const markerClockHz = input.markerClockHz;
    if (input.markers.length > 0) {
      const s = this.open('neurostream-markers', 'Markers', 2, 0, 'string', main?.id ?? 'neurostream', { channels: channelsDesc(['type', 'value']) });
      const durations = input.markers.filter((m) => m.duration !== undefined).length;
      if (durations > 0) this.notes.push(`${durations} markers have durations, which an XDF marker sample does not hold: only their onsets are written`);
      for (let i = 0; i < input.markers.length; i += 256) {
        const batch = input.markers.slice(i, i + 256);
        const stamps = batch.map((m) => m.sample / markerClockHz);
        this.write(samplesChunk(s.id, 'string', 2, stamps, batch.flatMap((m) => [m.type, markerText(m)])));
        this.stamped(s, stamps);
      }
    }
    const rateHz = main?.sampleRateHz ?? markerClockHz;
    const binStart = new Map<number, number>();
    const recording = input.recording;
    if (recording) {
      let features: OpenStream | undefined;
      for (const frame of recording.features()) {
        features ??= this.open('neurostream-features', 'Features', frame.names.length, 0, 'float32', main?.id ?? 'neurostream', { channels: channelsDesc(frame.names) });
        const t = frame.t0 / rateHz;
        binStart.set(frame.bin, t);
        this.write(samplesChunk(features.id, 'float32', frame.names.length, [t], frame.values));
        this.stamped(features, [t]);
      }
      let intents: OpenStream | undefined;
      let previous = 0;
      let unplaced = 0;
      for (const intent of recording.intents()) {
        const labels = intent.labels ?? Array.from(intent.values, (_, i) => `value_${i}`);
        intents ??= this.open('neurostream-intents', `Intents-${intent.kind}`, labels.length, 0, 'float32', main?.id ?? 'neurostream', { channels: channelsDesc(labels) });
        let t = binStart.get(intent.bin);
        if (t === undefined) {
          unplaced++;
          t = previous;
        }
        previous = t;
        this.write(samplesChunk(intents.id, 'float32', labels.length, [t], intent.values));
        this.stamped(intents, [t]);
      }
      if (unplaced > 0) this.notes.push(`${unplaced} intents had no feature frame of their bin: stamped with the previous intent's time`);
    }
    for (const s of this.streams) {
      const footer = {
        first_timestamp: s.count > 0 ? s.first : 0,
        last_timestamp: s.count > 0 ? s.last : 0,
        sample_count: s.count,
        clock_offsets: { offset: s.offsets.map((time) => ({ time, value: 0 })) },
      };
      this.write(streamFooterChunk(s.id, `<?xml version="1.0"?>\n${writeXml('info', footer)}`));
    }
    closeSync(this.fd);
    return { streams: this.streams.map((s) => ({ name: s.name, samples: s.count })), notes: this.notes };
  }

  private writeBlock(s: OpenStream, block: SampleBlock): void {
    const C = block.info.channelNames.length;
    const n = block.length;
    const rate = block.info.sampleRateHz;
    const values = new Float32Array(C * n);
    for (let c = 0; c < C; c++) for (let i = 0; i < n; i++) values[i * C + c] = block.data[c * n + i]!;
    const stamps = Array.from({ length: n }, (_, i) => (block.first + i) / rate);
    this.write(samplesChunk(s.id, 'float32', C, stamps, values));
    this.stamped(s, stamps);
  }
}
