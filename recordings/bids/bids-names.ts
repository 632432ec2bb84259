/**
 * BIDS names: entity labels (`sub-01`, `ses-01`, `task-mi`, `run-1`) checked as the standard asks
 * (labels alphanumeric, the run index a non-negative integer), and the paths of one run's files
 * under a dataset root: `sub-<label>[/ses-<label>]/<datatype>/sub-<label>[_ses-<label>]_task-<label>[_run-<index>]_<suffix>.<ext>`.
 */
import { join } from 'node:path';
import { InvalidOptionError } from '../../core/index.js';

/** The BIDS datatypes neurostream writes: scalp EEG, or intracranial EEG (ECoG, intracortical). */
export type BidsDatatype = 'eeg' | 'ieeg';

/** Which run a BIDS export writes: the entities of its file names. */
export interface BidsEntities {
  /** Participant label, e.g. `01` (letters and digits only). */
  subject: string;
  /** Session label, e.g. `01`; absent: no session level. */
  session?: string;
  /** Task label, e.g. `mi` (letters and digits only). */
  task: string;
  /** Run index, a non-negative integer; absent: no run entity. */
  run?: number;
}

const LABEL = /^[A-Za-z0-9]+$/;

/** Checks one label (`subject`, `session`, `task`): letters and digits only, as BIDS labels are. */
export function checkBidsLabel(option: string, value: unknown): string {
  if (typeof value !== 'string' || !LABEL.test(value)) {
    throw new InvalidOptionError(option, 'a BIDS label: letters and digits only (e.g. 01, mi)', value);
  }
  return value;
}

/** Checks every entity; `names` says how a message names each (the CLI: `--subject` …). */
export function checkBidsEntities(entities: BidsEntities, names: Record<keyof BidsEntities, string> = { subject: 'subject', session: 'session', task: 'task', run: 'run' }): BidsEntities {
  if (entities.subject === undefined) throw new InvalidOptionError(names.subject, 'a participant label (letters and digits, e.g. 01) for a BIDS export', 'none');
  if (entities.task === undefined) throw new InvalidOptionError(names.task, 'a task label (letters and digits, e.g. mi) for a BIDS export', 'none');
  checkBidsLabel(names.subject, entities.subject);
  checkBidsLabel(names.task, entities.task);
  if (entities.session !== undefined) checkBidsLabel(names.session, entities.session);
  if (entities.run !== undefined && !(Number.isInteger(entities.run) && entities.run >= 0)) {
    throw new InvalidOptionError(names.run, 'a run index: a non-negative integer (e.g. 1)', entities.run);
  }
  return entities;
}

/** The paths of one run's files, relative to the dataset root. */
export interface BidsRunPaths {
  /** `sub-01` or `sub-01/ses-01`: where the run's scans.tsv lives. */
  readonly sessionDir: string;
  /** `sub-01[/ses-01]/<datatype>`. */
  readonly datatypeDir: string;
  /** `sub-01_ses-01_scans.tsv` (or `sub-01_scans.tsv`), in sessionDir. */
  readonly scans: string;
  readonly data: string;
  readonly sidecar: string;
  readonly channels: string;
  readonly events: string;
  /** The `_events.json` that describes events.tsv's columns. */
  readonly eventsSidecar: string;
  /** The data file relative to sessionDir, as scans.tsv names it (`eeg/sub-01_…_eeg.bdf`). */
  readonly scansName: string;
}

/** The files of the run `entities` of `datatype`, its data file with extension `ext` (`.bdf`, `.edf`). */
export function bidsRunPaths(entities: BidsEntities, datatype: BidsDatatype, ext: string): BidsRunPaths {
  const sub = `sub-${entities.subject}`;
  const ses = entities.session !== undefined ? `ses-${entities.session}` : undefined;
  const sessionDir = ses ? join(sub, ses) : sub;
  const datatypeDir = join(sessionDir, datatype);
  const prefix = [sub, ...(ses ? [ses] : [])].join('_');
  const stem = [prefix, `task-${entities.task}`, ...(entities.run !== undefined ? [`run-${entities.run}`] : [])].join('_');
  const dataName = `${stem}_${datatype}${ext}`;
  return {
    sessionDir,
    datatypeDir,
    scans: join(sessionDir, `${prefix}_scans.tsv`),
    data: join(datatypeDir, dataName),
    sidecar: join(datatypeDir, `${stem}_${datatype}.json`),
    channels: join(datatypeDir, `${stem}_channels.tsv`),
    events: join(datatypeDir, `${stem}_events.tsv`),
    eventsSidecar: join(datatypeDir, `${stem}_events.json`),
    scansName: `${datatype}/${dataName}`,
  };
}
