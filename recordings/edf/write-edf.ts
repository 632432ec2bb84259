/**
 * `writeEdf(path, source)` — exports a recording's main stream to one EDF+ or BDF+ file: the
 * library's form of `neurostream convert … out.edf`. Each channel's physical range is fitted to
 * its data (a first pass) unless the source declares one that holds them; annotations are the
 * source's scalar markers.
 */
import { type Marker, type SampleBlock, InvalidDataError, InvalidOptionError, createSampleBlock } from '../../core/index.js';
import type { ImportedRecording } from '../imported-recording.js';
import { fromRecording } from '../open-input.js';
import type { Recording } from '../recording-reader.js';
import { planEdfScaling, scanDataRanges } from './edf-scaling.js';
import { EdfWriter, type EdfPatient, type EdfRecordingId, type EdfWriterStats } from './edf-writer.js';

/** Options of {@link writeEdf}. */
export interface WriteEdfOptions {
  /** `edf` (16-bit) or `bdf` (24-bit). Default: from the file name (`.bdf` → bdf), else edf. */
  format?: 'edf' | 'bdf';
  /** A [min, max] physical range for every µV channel (default: fitted to the data). */
  physicalRange?: readonly [number, number];
  /** Clip values beyond the physical range (or NaN/±Infinity) instead of refusing to write. Default false. */
  allowClipping?: boolean;
  patient?: EdfPatient;
  recording?: EdfRecordingId;
}

/** What {@link writeEdf} wrote, and what it lost or coarsened (`warnings`) or noticed (`notes`). */
export interface WriteEdfResult extends EdfWriterStats {
  warnings: string[];
  notes: string[];
}

function isRecording(source: ImportedRecording | Recording): source is Recording {
  return typeof (source as Recording).manifest === 'object' && typeof (source as Recording).blocks === 'function';
}

/**
 * Writes `source`'s main stream (an ImportedRecording from `readEdf`/`openInput`, or a Recording
 * from `openRecording`) to `path` (EDF+ or BDF+, continuous or — with gaps — discontinuous).
 * Refuses, before writing anything, data that the physical range would clip unless
 * `allowClipping`; vector-valued markers (kinematics) are not annotations and are skipped.
 */
export function writeEdf(path: string, source: ImportedRecording | Recording, options: WriteEdfOptions = {}): WriteEdfResult {
  const input = isRecording(source) ? fromRecording(source) : source;
  const main = input.streams[0];
  if (!main) throw new InvalidOptionError(`source ${input.source}`, 'signals to export', 'no signals');
  const format = options.format ?? (path.toLowerCase().endsWith('.bdf') ? 'bdf' : 'edf');
  const info = main.info;
  const notes: string[] = [];
  if (input.streams.length > 1) notes.push(`only the main stream (${info.channelNames.length} ch @ ${info.sampleRateHz} Hz) is exported`);
  const markers = input.markers.filter((m) => !Array.isArray(m.value));
  if (markers.length < input.markers.length) notes.push(`${input.markers.length - markers.length} vector-valued markers (e.g. kinematics) are not written as annotations`);
  const dataRanges = scanDataRanges(main.blocks(), info.channelNames.length);
  const physicalRange = options.physicalRange ? info.units.map((u) => (u === 'uV' ? options.physicalRange! : null)) : undefined;
  const scalingOptions = { format, info, dataRanges, ...(physicalRange ? { physicalRange } : {}), ...(options.patient ? { patient: options.patient } : {}), ...(options.recording ? { recording: options.recording } : {}) };
  if (!options.allowClipping) {
    planEdfScaling(scalingOptions).forEach((s, c) => {
      const d = dataRanges[c]!;
      if (d.nonFinite > 0 || d.min < Math.min(s.physicalMin, s.physicalMax) || d.max > Math.max(s.physicalMin, s.physicalMax)) {
        throw new InvalidDataError(`${path}: channel ${JSON.stringify(info.channelNames[c])}`, `values within [${s.physicalMin}, ${s.physicalMax}] (or allowClipping)`, `[${d.min}, ${d.max}]${d.nonFinite > 0 ? ` and ${d.nonFinite} non-finite values` : ''}`);
      }
    });
  }
  let most = 0;
  for (let to = 0, from = 0; to < markers.length; to++) {
    while (markers[to]!.sample - markers[from]!.sample >= info.sampleRateHz) from++;
    most = Math.max(most, to - from + 1);
  }
  const writer = new EdfWriter(path, { ...scalingOptions, annotationsPerRecord: Math.max(4, most) });
  const clock = input.markerClockHz / info.sampleRateHz;
  for (const marker of markers) writer.mark(clock === 1 ? marker : rescale(marker, clock));
  let stats: EdfWriterStats;
  try {
    for (const block of main.blocks()) writer.write(block.markers ? withoutMarkers(block) : block);
  } finally {
    stats = writer.close(); // a source that broke part-way still leaves a valid, shorter file
  }
  return { ...stats, warnings: writer.warnings(), notes: [...notes, ...writer.notes()] };
}

function withoutMarkers(block: SampleBlock): SampleBlock {
  const { markers: _markers, ...rest } = block;
  return createSampleBlock(rest);
}

function rescale(marker: Marker, factor: number): Marker {
  const sample = Math.round(marker.sample / factor);
  return { ...marker, sample, ...(marker.duration !== undefined ? { duration: Math.round(marker.duration / factor) } : {}) };
}
