/**
 * EdfWriter — streams one neurostream stream to an EDF+ (16-bit) or BDF+ (24-bit) file.
 *
 *   const w = new EdfWriter('run.bdf', { format: 'bdf', info });
 *   for (const block of blocks) w.write(block);   // any block sizes; block.markers become TALs
 *   w.mark(marker);                                // markers that travel outside blocks
 *   const stats = w.close();                       // fixes the record count and EDF+C/D
 *
 * Records: `recordDurationS` (default: the first of 1, 0.5, 0.25, 0.2, 0.1 … 0.001 s, then 2 … 100 s
 * for which `sampleRateHz × duration` is an integer and a record stays ≤ 10 MiB). Memory: one
 * record buffer; records are written as soon as they fill.
 *
 * Physical range of each channel: see edf-scaling.ts — a range the caller fixed (`physicalRange`),
 * else the source's own (`info.physicalRanges`, kept by the EDF/BDF importer) where it holds the
 * data, else the lossless ADC range (`adcScale`) or the default step's range where they hold the
 * data, else the data's own range (`dataRanges`, from a first pass: `scanDataRanges`). Header
 * numbers have 8 characters (a µV range too wide for them is written in mV or V), and samples are
 * scaled with the written (re-parsed) values — exactly what a reader computes. Values beyond the
 * range are clamped and counted per channel (`clippedPerChannel`); NaN and ±Infinity count as
 * clipped too (NaN is written as the value nearest 0). `warnings()` says so, and names channels
 * whose digital step is coarser than their source's resolution (in EDF: write BDF instead).
 * `convert` checks before writing and refuses to clip unless told to (`--allow-clipping`).
 *
 * Gaps (a block whose `first` is past the previous block's end; `gap.missing` says the same):
 *   - a gap that ends inside the current record is padded in place;
 *   - a longer gap pads the current record to its end, and the next record starts at the first
 *     sample after the gap (the file becomes EDF+D/BDF+D; each record's time-keeping TAL gives
 *     its start);
 *   - an incomplete last record at `close()` is padded to its end.
 *   Padding stores physical 0 (the nearest digital value) and is marked by an annotation
 *   `BAD_padding` spanning the padded samples (MNE skips `BAD_` spans in epoching). Sample
 *   indices of real samples are kept: a reader sees every sample at its original index.
 *
 * Annotations: one annotation signal (`EDF Annotations` / `BDF Annotations`) sized for a
 * time-keeping TAL plus `annotationsPerRecord` (default 4) TALs of up to `maxAnnotationBytes`
 * (default 64) UTF-8 bytes of text each. A marker goes into the record holding its sample (or
 * the next with room, if it arrives late or a record is full); text: the value of an
 * `annotation` marker, else `type:value`. Longer texts are cut (counted); markers still queued
 * at close are dropped (counted).
 *
 * A failing disk (full, file-size limit, I/O error): the writer cuts the file back to its last
 * whole record, writes that record count into the header and closes it — a valid, shorter file —
 * and throws a RecordingError saying how many records it kept. `stats` count only whole records
 * on disk. A file whose header could not even be written is removed.
 */
import { closeSync, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';
import { RecordingError } from '../recording-error.js';
import {
  channelCount,
  checkInteger,
  checkNumber,
  checkOneOf,
  InvalidDataError,
  InvalidOptionError,
  type Marker,
  type SampleBlock,
  type StreamInfo,
} from '../../core/index.js';
import { cleanAnnotationText, encodeTal } from './edf-annotations.js';
import { formatEdfPlusDate } from './edf-header.js';
import { digitalZero, encodePhysical, fillDigital } from './edf-samples.js';
import { coarseChannels, describeRange, formatEdfNumber, planEdfScaling, type ChannelDataRange, type EdfChannelScaling } from './edf-scaling.js';

export { formatEdfNumber } from './edf-scaling.js';

export interface EdfPatient {
  /** Hospital/patient code; `X` when unknown. */
  code?: string;
  sex?: 'M' | 'F' | 'X';
  /** `dd-MMM-yyyy`, e.g. `02-MAY-1951`. */
  birthdate?: string;
  name?: string;
}

export interface EdfRecordingId {
  admincode?: string;
  technician?: string;
  /** Default: the stream's device model (or device name). */
  equipment?: string;
}

export interface EdfWriterOptions {
  format: 'edf' | 'bdf';
  info: StreamInfo;
  recordDurationS?: number;
  patient?: EdfPatient;
  recording?: EdfRecordingId;
  /** [min, max] in the channels' unit, for every channel or one pair (or null: automatic) per channel. */
  physicalRange?: readonly [number, number] | readonly (readonly [number, number] | null)[];
  /** Per channel, the data's finite min/max (a first pass: `scanDataRanges`), to fit ranges to them. */
  dataRanges?: readonly ChannelDataRange[];
  /** TALs (besides time-keeping) one record can hold. Default 4. */
  annotationsPerRecord?: number;
  /** Most UTF-8 bytes of one annotation's text. Default 64. */
  maxAnnotationBytes?: number;
}

/**
 * What is in the file: every figure counts whole records written to disk, never what was only
 * handed to `write()` or `mark()` (a record cut short by a failing disk counts nothing).
 */
export interface EdfWriterStats {
  records: number;
  /** Real samples written per channel (padding excluded). */
  samples: number;
  /** Samples clamped to the physical range (or NaN/±Infinity), all channels together. */
  clippedSamples: number;
  /** The same, per channel. */
  clippedPerChannel: number[];
  paddedSamples: number;
  annotations: number;
  truncatedAnnotations: number;
  droppedAnnotations: number;
  /** A record started after a gap (the file is EDF+D / BDF+D). */
  discontinuous: boolean;
}

/** Text of the annotation that marks padded (not recorded) samples. */
export const EDF_PADDING_ANNOTATION = 'BAD_padding';

const MAX_RECORD_BYTES = 10 * 1024 * 1024;
const FRACTIONS = [1, 0.5, 0.25, 0.2, 0.1, 0.05, 0.04, 0.02, 0.01, 0.005, 0.004, 0.002, 0.001];

/** Whether `rate × duration` is an integer (within float tolerance). */
function integralSamples(rate: number, durationS: number): boolean {
  const n = rate * durationS;
  return n >= 1 && Math.abs(n - Math.round(n)) < 1e-6;
}

/** The record duration the writer picks for a rate (see the module comment). */
export function chooseRecordDuration(sampleRateHz: number, bytesPerSecond: number): number {
  for (const d of FRACTIONS) {
    if (integralSamples(sampleRateHz, d) && bytesPerSecond * d <= MAX_RECORD_BYTES) return d;
  }
  for (let d = 2; d <= 100; d++) if (integralSamples(sampleRateHz, d)) return d;
  throw new InvalidOptionError('info.sampleRateHz', 'a rate with an integer number of samples in 0.001–100 s (EDF records)', sampleRateHz);
}

function ascii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function subfield(text: string | undefined): string {
  const t = ascii((text ?? '').trim()).replace(/ /g, '_');
  return t === '' ? 'X' : t;
}

interface Pending {
  /** Stream sample index. */
  sample: number;
  durationSamples: number | undefined;
  text: string;
  order: number;
}

export class EdfWriter {
  readonly path: string;
  readonly format: 'edf' | 'bdf';
  readonly info: StreamInfo;
  readonly recordDurationS: number;
  readonly samplesPerRecord: number;
  /** The written physical/digital ranges, per channel, in the channel's unit (after fitting 8 characters). */
  readonly scaling: readonly EdfChannelScaling[];
  readonly stats: EdfWriterStats = {
    records: 0,
    samples: 0,
    clippedSamples: 0,
    clippedPerChannel: [],
    paddedSamples: 0,
    annotations: 0,
    truncatedAnnotations: 0,
    droppedAnnotations: 0,
    discontinuous: false,
  };

  private readonly bps: 2 | 3;
  private readonly channels: number;
  private readonly rate: number;
  private readonly labels: string[];
  private readonly zeros: number[];
  private readonly patient: string;
  private readonly recordingTail: string;
  private readonly annotationBytes: number;
  private readonly maxTextBytes: number;
  private readonly recordBytes: number;
  private readonly headerBytes: number;
  private readonly record: Uint8Array;
  private fd: number;
  private closed = false;
  private started = false;
  /** Stream sample index of the file's first sample. */
  private base = 0;
  /** Seconds from the header's start second to the first sample. */
  private t0 = 0;
  private headerStartMs = 0;
  /** Index (relative to base) of the current record's first sample, and samples filled. */
  private recordStart = 0;
  private filled = 0;
  private pending: Pending[] = [];
  private order = 0;
  /** What the current record holds, counted into `stats` once the record is on disk. */
  private recordSamples = 0;
  private recordPadded = 0;
  private recordClipped: number[];
  /** The failure that ended the file, if one did. */
  private failure: RecordingError | undefined;

  constructor(path: string, options: EdfWriterOptions) {
    this.path = path;
    this.format = checkOneOf('option', 'format', options.format, ['edf', 'bdf'] as const);
    const info = options.info;
    this.info = info;
    this.channels = channelCount(info);
    if (this.channels + 1 > 9999) throw new InvalidOptionError('info.channelNames', 'at most 9998 channels (EDF)', this.channels);
    this.rate = info.sampleRateHz;
    this.bps = this.format === 'bdf' ? 3 : 2;
    const bytesPerSecond = this.rate * this.channels * this.bps;
    this.recordDurationS =
      options.recordDurationS === undefined
        ? chooseRecordDuration(this.rate, bytesPerSecond)
        : checkNumber('option', 'recordDurationS', options.recordDurationS, { min: 0, exclusiveMin: true });
    if (!integralSamples(this.rate, this.recordDurationS) || formatEdfNumber(this.recordDurationS) === null) {
      throw new InvalidOptionError('recordDurationS', `a duration of at most 8 characters holding a whole number of samples at ${this.rate} Hz`, this.recordDurationS);
    }
    this.recordDurationS = Number(formatEdfNumber(this.recordDurationS));
    this.samplesPerRecord = Math.round(this.rate * this.recordDurationS);

    // Labels: printable ASCII, ≤ 16 characters, unique.
    this.labels = info.channelNames.map((n) => ascii(n).slice(0, 16));
    const seen = new Set<string>();
    this.labels.forEach((l, c) => {
      if (seen.has(l) || l === 'EDF Annotations' || l === 'BDF Annotations') {
        throw new InvalidOptionError(`info.channelNames[${c}]`, 'names unique in their first 16 characters', info.channelNames[c]);
      }
      seen.add(l);
    });

    // Physical ranges.
    this.scaling = planEdfScaling({
      format: this.format,
      info,
      ...(options.physicalRange !== undefined ? { physicalRange: options.physicalRange } : {}),
      ...(options.dataRanges !== undefined ? { dataRanges: options.dataRanges } : {}),
    });
    this.stats.clippedPerChannel = new Array<number>(this.channels).fill(0);
    this.recordClipped = new Array<number>(this.channels).fill(0);
    this.zeros = this.scaling.map(digitalZero);

    // Identification fields.
    const p = options.patient ?? {};
    this.patient = [subfield(p.code), subfield(p.sex), subfield(p.birthdate), subfield(p.name)].join(' ');
    if (this.patient.length > 80) throw new InvalidOptionError('patient', 'fields of at most 80 characters together', this.patient);
    const r = options.recording ?? {};
    this.recordingTail = [subfield(r.admincode), subfield(r.technician), subfield(r.equipment ?? (info.device.model || info.device.name))].join(' ');
    if (this.recordingTail.length > 80 - 22) throw new InvalidOptionError('recording', 'fields of at most 58 characters together', this.recordingTail);

    // Annotation signal: time-keeping TAL + annotationsPerRecord TALs.
    const perRecord = checkInteger('option', 'annotationsPerRecord', options.annotationsPerRecord ?? 4, { min: 1, max: 1000 });
    this.maxTextBytes = checkInteger('option', 'maxAnnotationBytes', options.maxAnnotationBytes ?? 64, { min: 8, max: 4096 });
    const raw = 32 + perRecord * (48 + this.maxTextBytes);
    this.annotationBytes = Math.ceil(raw / this.bps) * this.bps;
    this.recordBytes = this.channels * this.samplesPerRecord * this.bps + this.annotationBytes;
    this.headerBytes = 256 * (this.channels + 2);
    this.record = new Uint8Array(this.recordBytes);
    try {
      this.fd = openSync(path, 'wx'); // never overwrites
    } catch (error) {
      throw RecordingError.from(error, `creating ${path}`);
    }
  }

  /** Appends a block (channel-major, in `info.units`); its markers become annotations. */
  write(block: SampleBlock): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new InvalidOptionError('EdfWriter.write', 'a writer that is not closed', 'closed');
    if (block.data.length !== this.channels * block.length) {
      throw new InvalidDataError('SampleBlock.data', `${this.channels * block.length} values (${this.channels} channels × ${block.length})`, block.data);
    }
    if (!this.started) this.start(block.first);
    const u = block.first - this.base;
    const next = this.recordStart + this.filled;
    if (u < next) throw new InvalidDataError('SampleBlock.first', `at least ${next + this.base} (the end of the previous block)`, block.first);
    if (u > next) this.gap(u - next);
    if (block.markers) for (const m of block.markers) this.mark(m);
    let offset = 0;
    while (offset < block.length) {
      const n = Math.min(this.samplesPerRecord - this.filled, block.length - offset);
      for (let c = 0; c < this.channels; c++) {
        const at = (c * this.samplesPerRecord + this.filled) * this.bps;
        const clipped = encodePhysical(block.data, c * block.length + offset, n, this.scaling[c]!, this.bps, this.record, at);
        if (clipped > 0) this.recordClipped[c]! += clipped;
      }
      this.filled += n;
      this.recordSamples += n;
      offset += n;
      if (this.filled === this.samplesPerRecord) this.flush();
    }
  }

  /** Queues a marker (sample on the stream's clock) for the record that holds its sample. */
  mark(marker: Marker): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new InvalidOptionError('EdfWriter.mark', 'a writer that is not closed', 'closed');
    const text =
      marker.type === 'annotation' && typeof marker.value === 'string'
        ? marker.value
        : `${marker.type === 'annotation' ? '' : `${marker.type}:`}${Array.isArray(marker.value) ? marker.value.join(',') : String(marker.value)}`;
    const clean = cleanAnnotationText(text, this.maxTextBytes);
    if (clean.truncated) this.stats.truncatedAnnotations++;
    this.queue({ sample: marker.sample, durationSamples: marker.duration, text: clean.text, order: this.order++ });
  }

  /**
   * Pads and writes the last record, drops markers that found no room, fixes the header. After a
   * write failure (already thrown, the file already ended) it returns the stats of what was kept.
   */
  close(): EdfWriterStats {
    if (this.closed) return this.stats;
    if (!this.started) this.start(0);
    if (this.filled > 0) {
      this.pad(this.samplesPerRecord - this.filled);
      this.flush();
    }
    this.stats.droppedAnnotations += this.pending.length;
    this.pending = [];
    this.writeHeader(this.stats.records);
    closeSync(this.fd);
    this.closed = true;
    return this.stats;
  }

  /**
   * What the file lost or coarsened: samples clipped (per channel, with the range) and channels
   * whose digital step is coarser than their source's resolution. Empty when nothing was lost.
   */
  warnings(): string[] {
    const out: string[] = [];
    const s = this.stats;
    if (s.clippedSamples > 0) {
      const each = s.clippedPerChannel
        .map((n, c) => (n > 0 ? `${JSON.stringify(this.info.channelNames[c])} ${n} (range ${describeRange(this.scaling[c]!, this.info.units[c]!)})` : ''))
        .filter((t) => t !== '');
      out.push(`${this.path}: CLIPPED ${s.clippedSamples} samples outside the physical range (or not numbers): ${each.join(', ')}`);
    }
    const coarse = coarseChannels(this.scaling);
    if (coarse.length > 0) {
      const first = coarse[0]!;
      const f = this.scaling[first]!;
      const unit = this.info.units[first]!;
      out.push(
        `${this.path}: ${this.format === 'edf' ? "EDF's 16 bits" : 'the digital range'} cannot hold ${coarse.length} of ${this.channels} channels at their source's resolution ` +
          `(e.g. ${JSON.stringify(this.info.channelNames[first])}: ${describeRange(f, unit)} in steps of ${f.step.toPrecision(3)} ${unit}, source ${f.resolution.toPrecision(3)} ${unit})` +
          (this.format === 'edf' ? '; write .bdf (24-bit) to keep every value' : ''),
      );
    }
    return out;
  }

  /** Human-readable remarks about padding and annotations (losses are in `warnings()`). */
  notes(): string[] {
    const s = this.stats;
    const out: string[] = [];
    if (s.paddedSamples > 0) out.push(`${this.path}: ${s.paddedSamples} samples per channel are padding, marked ${EDF_PADDING_ANNOTATION}`);
    if (s.truncatedAnnotations > 0) out.push(`${this.path}: ${s.truncatedAnnotations} annotation texts were cut to ${this.maxTextBytes} bytes`);
    if (s.droppedAnnotations > 0) out.push(`${this.path}: ${s.droppedAnnotations} annotations found no room in a record and were dropped`);
    return out;
  }

  private start(first: number): void {
    this.started = true;
    this.base = first;
    const m = /^(.*T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(this.info.startTime);
    const wholeMs = Date.parse(`${m?.[1] ?? this.info.startTime.slice(0, 19)}Z`);
    const fraction = m?.[2] ? Number(`0.${m[2]}`) : 0;
    const offset = fraction + first / this.rate;
    const whole = Math.floor(offset);
    this.headerStartMs = wholeMs + whole * 1000;
    this.t0 = offset - whole;
    try {
      this.writeHeader(-1);
    } catch (error) {
      // Not even a header: no EDF file at all, so none is left behind.
      try {
        closeSync(this.fd);
      } catch {
        /* already failing */
      }
      this.closed = true;
      rmSync(this.path, { force: true });
      const cause = RecordingError.from(error, `writing the header of ${this.path}`);
      this.failure = new RecordingError(`${cause.message}; removed ${this.path} (no record was written)`, cause.reason, { cause });
      throw this.failure;
    }
  }

  private queue(p: Pending): void {
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1]!.sample > p.sample) i--;
    this.pending.splice(i, 0, p);
  }

  private pad(n: number): void {
    if (n <= 0) return;
    for (let c = 0; c < this.channels; c++) fillDigital(this.zeros[c]!, n, this.bps, this.record, (c * this.samplesPerRecord + this.filled) * this.bps);
    this.queue({ sample: this.base + this.recordStart + this.filled, durationSamples: n, text: EDF_PADDING_ANNOTATION, order: this.order++ });
    this.filled += n;
    this.recordPadded += n;
  }

  private gap(missing: number): void {
    const resume = this.recordStart + this.filled + missing;
    const room = this.samplesPerRecord - this.filled;
    if (this.filled > 0 && missing <= room) {
      this.pad(missing);
      if (this.filled === this.samplesPerRecord) this.flush();
      return;
    }
    if (this.filled > 0) {
      this.pad(room);
      this.flush();
    }
    // the next record starts at the first sample after the gap
    this.recordStart = resume;
    this.stats.discontinuous = true;
  }

  private seconds(index: number): number {
    return this.t0 + index / this.rate;
  }

  private flush(): void {
    const annotationStart = this.channels * this.samplesPerRecord * this.bps;
    this.record.fill(0, annotationStart);
    const capacity = this.annotationBytes - 1; // the last byte stays 0x00
    let at = annotationStart;
    const put = (tal: Uint8Array): boolean => {
      if (at - annotationStart + tal.length > capacity) return false;
      this.record.set(tal, at);
      at += tal.length;
      return true;
    };
    put(encodeTal(this.seconds(this.recordStart), undefined, []));
    const end = this.base + this.recordStart + this.samplesPerRecord;
    const kept: Pending[] = [];
    let written = 0;
    for (const p of this.pending) {
      if (p.sample >= end) {
        kept.push(p);
        continue;
      }
      const duration = p.durationSamples === undefined ? undefined : p.durationSamples / this.rate;
      if (put(encodeTal(this.seconds(p.sample - this.base), duration, [p.text]))) written++;
      else kept.push(p);
    }
    this.writeRecord();
    // Only now is the record on disk: count what it holds.
    const s = this.stats;
    s.records++;
    s.samples += this.recordSamples;
    s.paddedSamples += this.recordPadded;
    s.annotations += written;
    for (let c = 0; c < this.channels; c++) {
      const n = this.recordClipped[c]!;
      if (n > 0) {
        s.clippedSamples += n;
        s.clippedPerChannel[c]! += n;
        this.recordClipped[c] = 0;
      }
    }
    this.pending = kept;
    this.recordSamples = 0;
    this.recordPadded = 0;
    this.recordStart += this.samplesPerRecord;
    this.filled = 0;
  }

  /** Writes the current record whole (a short write is continued), or ends the file and throws. */
  private writeRecord(): void {
    const position = this.headerBytes + this.stats.records * this.recordBytes;
    let done = 0;
    try {
      while (done < this.recordBytes) {
        const n = writeSync(this.fd, this.record, done, this.recordBytes - done, position + done);
        if (n <= 0) throw new Error(`wrote ${done} of ${this.recordBytes} bytes, then nothing`);
        done += n;
      }
    } catch (error) {
      this.fail(RecordingError.from(error, `writing record ${this.stats.records} of ${this.path}`));
    }
  }

  /**
   * Ends the file after a write failure: cut back to the last whole record, that count in the
   * header, closed — then throws, saying what was kept. A file without a header is removed.
   */
  private fail(cause: RecordingError): never {
    const records = this.stats.records;
    const what = `${records} whole record${records === 1 ? '' : 's'} (${Number((records * this.recordDurationS).toFixed(3))} s, ${this.stats.samples} samples per channel)`;
    let kept: string;
    try {
      ftruncateSync(this.fd, this.headerBytes + records * this.recordBytes);
      this.writeHeader(records);
      kept = `kept ${what} in ${this.path}, a valid ${this.format.toUpperCase()}+ file`;
    } catch (error) {
      kept = `${this.path} holds ${what}, but its header's record count could not be fixed (${error instanceof Error ? error.message : String(error)})`;
    }
    try {
      closeSync(this.fd);
    } catch {
      /* what is on disk stays */
    }
    this.closed = true;
    this.stats.droppedAnnotations += this.pending.length;
    this.pending = [];
    this.failure = new RecordingError(`${cause.message}; ${kept}`, cause.reason, { cause });
    throw this.failure;
  }

  private writeHeader(records: number): void {
    const ns = this.channels + 1;
    const h = new Uint8Array(this.headerBytes).fill(0x20);
    let p = 0;
    const put = (text: string, width: number) => {
      const t = ascii(text).slice(0, width);
      for (let i = 0; i < t.length; i++) h[p + i] = t.charCodeAt(i);
      p += width;
    };
    if (this.format === 'bdf') {
      h[0] = 0xff;
      p = 1;
      put('BIOSEMI', 7);
    } else put('0', 8);
    const start = new Date(this.headerStartMs);
    const yyyy = start.getUTCFullYear();
    const two = (n: number) => String(n).padStart(2, '0');
    put(this.patient, 80);
    put(`Startdate ${formatEdfPlusDate(yyyy, start.getUTCMonth() + 1, start.getUTCDate())} ${this.recordingTail}`, 80);
    put(`${two(start.getUTCDate())}.${two(start.getUTCMonth() + 1)}.${two(yyyy % 100)}`, 8);
    put(`${two(start.getUTCHours())}.${two(start.getUTCMinutes())}.${two(start.getUTCSeconds())}`, 8);
    put(String(this.headerBytes), 8);
    put(`${this.format === 'bdf' ? 'BDF' : 'EDF'}+${this.stats.discontinuous ? 'D' : 'C'}`, 44);
    put(String(records), 8);
    put(formatEdfNumber(this.recordDurationS)!, 8);
    put(String(ns), 4);
    const annotationLabel = this.format === 'bdf' ? 'BDF Annotations' : 'EDF Annotations';
    const [aMin, aMax] = this.format === 'bdf' ? [-8388608, 8388607] : [-32768, 32767];
    const each = (width: number, f: (c: number) => string, annotation: string) => {
      for (let c = 0; c < this.channels; c++) put(f(c), width);
      put(annotation, width);
    };
    each(16, (c) => this.labels[c]!, annotationLabel);
    each(80, () => '', '');
    each(8, (c) => this.scaling[c]!.dimension, '');
    each(8, (c) => this.scaling[c]!.minText, '-1');
    each(8, (c) => this.scaling[c]!.maxText, '1');
    each(8, (c) => String(this.scaling[c]!.digitalMin), String(aMin));
    each(8, (c) => String(this.scaling[c]!.digitalMax), String(aMax));
    each(80, () => '', '');
    each(8, () => String(this.samplesPerRecord), String(this.annotationBytes / this.bps));
    each(32, () => '', '');
    try {
      writeSync(this.fd, h, 0, h.length, 0);
    } catch (error) {
      throw RecordingError.from(error, `writing the header of ${this.path}`);
    }
  }
}
