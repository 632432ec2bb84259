/**
 * EdfExport — the steps of exporting a recording's main stream to one EDF+ or BDF+ file, shared by
 * `writeEdf` (the library) and `neurostream convert … out.edf` (which adds a progress bar and
 * interrupt checkpoints between blocks). The caller drives the passes over the blocks:
 *
 * 1. `scan(block)` for every block: each channel's data range;
 * 2. if `clipSuspected()` (and clipping is not allowed): `countClipped(block)` for every block,
 *    then `refuseClipping()` throws if any value would be clipped — before anything is written;
 * 3. `open()` (the file, with room for the busiest second of annotations, and the scalar markers
 *    on the stream's clock), `write(block)` for every block, `close()` in a `finally` (a source
 *    that broke part-way still leaves a valid, shorter file).
 */
import { type Marker, type SampleBlock, ErrorCode, InvalidOptionError, NeurostreamError, createSampleBlock } from '../../core/index.js';
import type { ImportedRecording, ImportedStream } from '../imported-recording.js';
import { countClipped } from './edf-samples.js';
import {
  type ChannelDataRange,
  type EdfChannelScaling,
  type EdfScalingOptions,
  accumulateDataRanges,
  describeRange,
  emptyDataRanges,
  planEdfScaling,
} from './edf-scaling.js';
import { EdfWriter, type EdfPatient, type EdfRecordingId, type EdfWriterStats } from './edf-writer.js';

/** Options of an EDF export (those of `writeEdf`; the CLI's flags map onto them). */
export interface EdfExportOptions {
  /** `edf` (16-bit) or `bdf` (24-bit). Default: from the file name (`.bdf` → bdf), else edf. */
  format?: 'edf' | 'bdf';
  /** A [min, max] physical range for every µV channel (default: fitted to the data). */
  physicalRange?: readonly [number, number];
  /** Clip values beyond the physical range (or NaN/±Infinity) instead of refusing to write. Default false. */
  allowClipping?: boolean;
  patient?: EdfPatient;
  recording?: EdfRecordingId;
  /** How the refusal names the two options (the CLI: `--allow-clipping`, `--physical-range`). */
  optionNames?: { allowClipping: string; physicalRange: string };
}

export class EdfExport {
  readonly main: ImportedStream;
  readonly format: 'edf' | 'bdf';
  /** What is not exported (other streams, vector-valued markers). */
  readonly notes: string[] = [];
  private readonly path: string;
  private readonly input: ImportedRecording;
  private readonly options: EdfExportOptions;
  private readonly markers: Marker[];
  private readonly dataRanges: ChannelDataRange[];
  private scalingOptions: EdfScalingOptions | undefined;
  private scaling: EdfChannelScaling[] = [];
  private suspect: boolean[] = [];
  private clipped: number[] = [];
  private writer: EdfWriter | undefined;

  /** Refuses an input without signals. */
  constructor(path: string, input: ImportedRecording, options: EdfExportOptions = {}) {
    const [main, ...others] = input.streams;
    if (!main) throw new InvalidOptionError(`IN ${input.source}`, 'signals to export', 'no signals');
    this.path = path;
    this.input = input;
    this.options = options;
    this.main = main;
    this.format = options.format ?? (path.toLowerCase().endsWith('.bdf') ? 'bdf' : 'edf');
    if (others.length > 0) {
      this.notes.push(`only the main stream (${main.info.channelNames.length} ch @ ${main.info.sampleRateHz} Hz) is exported; ${others.length} stream(s) at other rates are not (EDF+ here takes one rate)`);
    }
    // Vector markers (simulator kinematics at 100 Hz) are data, not annotations.
    this.markers = input.markers.filter((m) => !Array.isArray(m.value));
    const skipped = input.markers.length - this.markers.length;
    if (skipped > 0) this.notes.push(`${skipped} vector-valued markers (e.g. kinematics) are not written as annotations`);
    this.dataRanges = emptyDataRanges(main.info.channelNames.length);
  }

  /** First pass: a block's values into each channel's range. */
  scan(block: SampleBlock): void {
    accumulateDataRanges(this.dataRanges, block);
  }

  /** After the first pass: whether some channel's data may not fit its range (and clipping is not allowed). */
  clipSuspected(): boolean {
    const info = this.main.info;
    const physicalRange = this.options.physicalRange ? info.units.map((u) => (u === 'uV' ? this.options.physicalRange! : null)) : undefined;
    this.scalingOptions = {
      format: this.format,
      info,
      dataRanges: this.dataRanges,
      ...(physicalRange ? { physicalRange } : {}),
      ...(this.options.patient ? { patient: this.options.patient } : {}),
      ...(this.options.recording ? { recording: this.options.recording } : {}),
    };
    this.scaling = planEdfScaling(this.scalingOptions);
    this.suspect = this.scaling.map((s, c) => {
      const d = this.dataRanges[c]!;
      return d.nonFinite > 0 || d.min < Math.min(s.physicalMin, s.physicalMax) || d.max > Math.max(s.physicalMin, s.physicalMax);
    });
    this.clipped = new Array<number>(this.suspect.length).fill(0);
    return !this.options.allowClipping && this.suspect.some(Boolean);
  }

  /** Second pass (only when clipping is suspected): how many of a block's values would be clipped, per channel. */
  countClipped(block: SampleBlock): void {
    for (let c = 0; c < this.suspect.length; c++) {
      if (this.suspect[c]) this.clipped[c]! += countClipped(block.data, c * block.length, block.length, this.scaling[c]!);
    }
  }

  /**
   * After the second pass: one error naming the file, the first channel, how many samples would be
   * clipped to which range and how to proceed. A range the user fixed is a usage error; values no
   * range can hold are bad data.
   */
  refuseClipping(): void {
    const hit = this.clipped.map((n, c) => ({ n, c })).filter((x) => x.n > 0);
    if (hit.length === 0) return;
    const info = this.main.info;
    const names = this.options.optionNames ?? { allowClipping: 'allowClipping', physicalRange: 'physicalRange' };
    const { n, c } = hit[0]!;
    const d = this.dataRanges[c]!;
    const total = hit.reduce((sum, x) => sum + x.n, 0);
    const unit = info.units[c]!;
    const span = [
      ...(d.min <= d.max ? [`the data span ${describeRange({ physicalMin: d.min, physicalMax: d.max, digitalMin: 0, digitalMax: 1 }, unit)}`] : []),
      ...(d.nonFinite > 0 ? [`${d.nonFinite} are not numbers`] : []),
    ].join('; ');
    const message =
      `${this.path}: channel ${JSON.stringify(info.channelNames[c])}: ${n} of ${d.count} samples would be clipped to ${describeRange(this.scaling[c]!, unit)} (${span})` +
      (hit.length > 1 ? `, ${total} samples on ${hit.length} channels in all` : '') +
      `: expected none; pass ${names.allowClipping} to clip them${this.options.physicalRange ? `, or widen ${names.physicalRange}` : ''}`;
    throw new NeurostreamError(this.options.physicalRange ? ErrorCode.InvalidOption : ErrorCode.InvalidData, message);
  }

  /** Creates the file and gives it the scalar markers, on the stream's clock. */
  open(): void {
    if (!this.scalingOptions) this.clipSuspected();
    const info = this.main.info;
    const writer = new EdfWriter(this.path, { ...this.scalingOptions!, annotationsPerRecord: annotationsPerRecord(this.markers, info.sampleRateHz) });
    const clock = this.input.markerClockHz / info.sampleRateHz;
    for (const marker of this.markers) writer.mark(clock === 1 ? marker : rescale(marker, clock));
    this.writer = writer;
  }

  /** Writes a block's samples (its markers were given to the file by `open`). */
  write(block: SampleBlock): void {
    this.writer!.write(block.markers ? withoutMarkers(block) : block);
  }

  /** Ends the file: what was written, what was lost or coarsened (`warnings`), what was noticed (`notes`). */
  close(): EdfWriterStats & { warnings: string[]; notes: string[] } {
    const stats = this.writer!.close();
    return { ...stats, warnings: this.writer!.warnings(), notes: [...this.notes, ...this.writer!.notes()] };
  }
}

/** Room for the busiest second of markers in every record (at least the writer's default 4). */
function annotationsPerRecord(markers: readonly Marker[], rateHz: number): number {
  let most = 0;
  let from = 0;
  for (let to = 0; to < markers.length; to++) {
    while (markers[to]!.sample - markers[from]!.sample >= rateHz) from++;
    most = Math.max(most, to - from + 1);
  }
  return Math.max(4, most);
}

/** The block without its markers (given separately, so they are written once). */
export function withoutMarkers(block: SampleBlock): SampleBlock {
  const { markers: _markers, ...rest } = block;
  return createSampleBlock(rest);
}

function rescale(marker: Marker, factor: number): Marker {
  const sample = Math.round(marker.sample / factor);
  return { ...marker, sample, ...(marker.duration !== undefined ? { duration: Math.round(marker.duration / factor) } : {}) };
}
