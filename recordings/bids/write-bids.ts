/**
 * `writeBids(root, source, options)` — writes a recording's main stream as one run of a BIDS
 * dataset (EEG or iEEG): the library's form of `neurostream convert IN OUT --bids …`.
 */
import { fromRecording } from '../open-input.js';
import type { ImportedRecording } from '../imported-recording.js';
import type { Recording } from '../recording-reader.js';
import { BidsExport, type BidsExportOptions, type BidsExportResult } from './bids-export.js';

/** Options of {@link writeBids}: the run (`subject`, `task`, optional `session`, `run`) and how it is written. */
export type WriteBidsOptions = Omit<BidsExportOptions, 'optionNames'>;

function isRecording(source: ImportedRecording | Recording): source is Recording {
  return typeof (source as Recording).manifest === 'object' && typeof (source as Recording).blocks === 'function';
}

/**
 * Writes `source` (a Recording from `openRecording`, or an ImportedRecording from `openInput` /
 * `readEdf`) into the BIDS dataset at `root` — created when missing or empty, added to when it
 * holds a dataset_description.json — as `sub-<subject>[/ses-<session>]/<eeg|ieeg>/…_task-<task>[_run-<run>]_<eeg|ieeg>.<bdf|edf>`
 * with its `_eeg.json`/`_ieeg.json` sidecar, `_channels.tsv` (status from the signal-quality
 * checks), `_events.tsv` (the markers), a row in scans.tsv and participants.tsv.
 *
 * Refuses, before writing anything, labels that are not alphanumeric, a run already in the
 * dataset, BDF for iEEG, and data the physical range would clip (unless `allowClipping`). A
 * failure part-way removes what this call wrote.
 *
 * @example
 * ```ts
 * const result = writeBids('ds', openRecording('session-1'), { subject: '01', session: '01', task: 'mi', run: 1, shiftDatesDays: -36500 });
 * console.log(result.files); // ['sub-01/ses-01/eeg/sub-01_ses-01_task-mi_run-1_eeg.bdf', …]
 * ```
 */
export function writeBids(root: string, source: ImportedRecording | Recording, options: WriteBidsOptions): BidsExportResult {
  const input = isRecording(source) ? fromRecording(source) : source;
  const bids = new BidsExport(root, input, options);
  for (const block of bids.main.blocks()) bids.scan(block);
  if (bids.clipSuspected()) {
    for (const block of bids.main.blocks()) bids.countClipped(block);
    bids.refuseClipping();
  }
  try {
    bids.open();
    for (const block of bids.main.blocks()) bids.write(block);
    return bids.close();
  } catch (error) {
    bids.discard();
    throw error;
  }
}
