/**
 * `writeEdf(path, source)` — exports a recording's main stream to one EDF+ or BDF+ file: the
 * library's form of `neurostream convert … out.edf`. Each channel's physical range is fitted to
 * its data (a first pass) unless the source declares one that holds them; annotations are the
 * source's scalar markers.
 */
import type { ImportedRecording } from '../imported-recording.js';
import { fromRecording } from '../open-input.js';
import type { Recording } from '../recording-reader.js';
import { EdfExport, type EdfExportOptions } from './edf-export.js';
import type { EdfWriterStats } from './edf-writer.js';

/** Options of {@link writeEdf}. */
export type WriteEdfOptions = Omit<EdfExportOptions, 'optionNames'>;

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
  const edf = new EdfExport(path, input, options);
  for (const block of edf.main.blocks()) edf.scan(block);
  if (edf.clipSuspected()) {
    for (const block of edf.main.blocks()) edf.countClipped(block);
    edf.refuseClipping();
  }
  edf.open();
  let result: WriteEdfResult;
  try {
    for (const block of edf.main.blocks()) edf.write(block);
  } finally {
    result = edf.close(); // a source that broke part-way still leaves a valid, shorter file
  }
  return result;
}
