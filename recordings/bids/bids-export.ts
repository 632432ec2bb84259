/**
 * BidsExport — the steps of writing one recording's main stream as one run of a BIDS dataset
 * (EEG or iEEG), shared by `writeBids` (the library) and `neurostream convert IN OUT --bids …`
 * (which adds a progress bar and interrupt checkpoints between blocks):
 *
 * 1. the constructor checks everything that can be checked before reading the data: the labels,
 *    the format, that OUT is a BIDS dataset (or new, or empty) and that the run is not in it yet;
 * 2. `scan(block)` for every block: each channel's range (for the EDF/BDF scaling) and its
 *    signal quality (for channels.tsv);
 * 3. `clipSuspected()` / `countClipped(block)` / `refuseClipping()` as for an EDF export;
 * 4. `open()`, `write(block)` for every block, then `close()`, which writes the sidecars, adds the
 *    run to scans.tsv and the participant to participants.tsv, and — for a new dataset — writes
 *    dataset_description.json and README. `discard()` removes what this export wrote (on an
 *    interrupt or failure), never anything that was there before.
 *
 * The datatype comes from the main stream's channel kinds: ECoG or intracortical (extracellular)
 * channels make it iEEG (`ieeg/`, EDF: BIDS iEEG takes no BDF), else EEG (`eeg/`, BDF by default:
 * 24 bits keep a Cyton's resolution; EDF on request). De-identification as BIDS asks: the EDF
 * patient field is `X X X X`, the recording field names no one (`Startdate … X X <equipment>`),
 * and with `shiftDatesDays` every date written (EDF header, scans.tsv acq_time) is shifted by
 * that many days.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type SampleBlock, type StreamInfo, InvalidDataError, InvalidOptionError, SOFTWARE_VERSION, checkInteger } from '../../core/index.js';
import { EdfExport, type EdfExportOptions } from '../edf/edf-export.js';
import type { EdfWriterStats } from '../edf/edf-writer.js';
import type { ImportedRecording, ImportedStream } from '../imported-recording.js';
import { RecordingError } from '../recording-error.js';
import type { Recording } from '../recording-reader.js';
import { ChannelQualityTally } from './bids-channel-quality.js';
import { type BidsDatatype, type BidsEntities, type BidsRunPaths, bidsRunPaths, checkBidsEntities } from './bids-names.js';
import { type TsvCell, type TsvTable, addTsvRow, formatTsv, readTsv } from './bids-tsv.js';

/** The BIDS version the files follow. */
export const BIDS_VERSION = '1.9.0';

/** Options of a BIDS export: the run's entities and how its data are written. */
export interface BidsExportOptions extends BidsEntities {
  /** `bdf` (24-bit, EEG only) or `edf` (16-bit). Default: bdf for EEG, edf for iEEG. */
  format?: 'edf' | 'bdf';
  /** Shift every date written by this many days (de-identification); default 0 (dates kept). */
  shiftDatesDays?: number;
  /** Mains frequency (PowerLineFrequency, and the line-noise verdict); default the recording's `pipeline.mainsHz`, else unknown (`n/a`). */
  mainsHz?: 50 | 60;
  /** The reference electrode(s), for EEGReference / iEEGReference; default `n/a` (unknown). */
  reference?: string;
  /** `Name` in dataset_description.json of a new dataset; default `neurostream export`. */
  datasetName?: string;
  /** As for an EDF export: a fixed physical range for µV channels, and clipping instead of refusing. */
  physicalRange?: readonly [number, number];
  allowClipping?: boolean;
  /** How messages name the options (the CLI: `--subject`, `--format` …). */
  optionNames?: Partial<Record<'subject' | 'session' | 'task' | 'run' | 'format' | 'shiftDatesDays' | 'allowClipping' | 'physicalRange' | 'out', string>>;
}

/** What a BIDS export wrote. */
export interface BidsExportResult extends EdfWriterStats {
  datatype: BidsDatatype;
  /** Every file written or changed, relative to the dataset root (the data file first). */
  files: string[];
  /** Rows of events.tsv. */
  events: number;
  /** Channels marked bad in channels.tsv. */
  badChannels: string[];
  warnings: string[];
  notes: string[];
}

const CHANNEL_TYPE: Record<string, string> = { eeg: 'EEG', ecog: 'ECOG', extracellular: 'SEEG', aux: 'MISC', accel: 'MISC' };
const CHANNEL_DESCRIPTION: Record<string, string | null> = {
  eeg: null,
  ecog: null,
  extracellular: 'intracortical microelectrode, extracellular broadband',
  aux: 'auxiliary input',
  accel: 'accelerometer',
};
const UNIT: Record<string, string> = { uV: 'µV', mV: 'mV', V: 'V', g: 'g', count: 'n/a' };
const DAY_MS = 86_400_000;
/** The events.tsv columns beyond onset and duration, described in each run's `_events.json`. */
const EVENTS_COLUMNS = {
  sample: { Description: 'Sample index of the event in the data file (its first sample is 0).' },
  trial_type: { Description: "The marker's type (neurostream markers), or the annotation's text (markers read from EDF+/BDF+ annotations)." },
  value: { Description: "The marker's value (a number, text, or a JSON array of numbers); n/a for annotations, whose text is trial_type." },
};
/** Marker type of the simulator's hand kinematics (vector values at 100 Hz). */
const KINEMATICS = 'kinematics';

export class BidsExport {
  readonly root: string;
  readonly datatype: BidsDatatype;
  readonly format: 'edf' | 'bdf';
  readonly paths: BidsRunPaths;
  /** The stream written, with its start time shifted when asked. */
  readonly main: ImportedStream;
  private readonly options: BidsExportOptions;
  private readonly input: ImportedRecording;
  private readonly edf: EdfExport;
  private readonly quality: ChannelQualityTally;
  private readonly mainsHz: 50 | 60 | undefined;
  private readonly shiftMs: number;
  private readonly newDataset: boolean;
  /** Paths (absolute) this export created, in order: files, then directories. */
  private readonly created: string[] = [];
  private edfOpen = false;
  private firstSample: number | undefined;
  private endSample = 0;

  /** Checks the options, OUT and the run; writes nothing. */
  constructor(root: string, input: ImportedRecording & { recording?: Recording }, options: BidsExportOptions) {
    const names = { subject: 'subject', session: 'session', task: 'task', run: 'run', format: 'format', shiftDatesDays: 'shiftDatesDays', allowClipping: 'allowClipping', physicalRange: 'physicalRange', out: 'root', ...options.optionNames };
    checkBidsEntities(options, names);
    const [source] = input.streams;
    if (!source) throw new InvalidOptionError(`IN ${input.source}`, 'signals to export', 'no signals');
    const kinds = source.info.channelKinds;
    if (!kinds.some((k) => k === 'eeg' || k === 'ecog' || k === 'extracellular')) {
      throw new InvalidOptionError(`IN ${input.source}`, 'EEG, ECoG or intracortical channels for a BIDS EEG/iEEG export', `only ${[...new Set(kinds)].join(', ')} channels`);
    }
    this.datatype = kinds.some((k) => k === 'ecog' || k === 'extracellular') ? 'ieeg' : 'eeg';
    const format = options.format ?? (this.datatype === 'eeg' ? 'bdf' : 'edf');
    if (format !== 'edf' && format !== 'bdf') throw new InvalidOptionError(names.format, 'edf or bdf', format);
    if (this.datatype === 'ieeg' && format === 'bdf') {
      throw new InvalidOptionError(names.format, 'edf for iEEG (BIDS iEEG takes EDF, BrainVision, EEGLAB, NWB or MEF3, not BDF)', format);
    }
    this.format = format;
    const days = checkInteger('option', names.shiftDatesDays, options.shiftDatesDays ?? 0, { min: -365_000, max: 365_000 });
    this.shiftMs = days * DAY_MS;
    const recorded = input.recording?.manifest.pipeline?.mainsHz;
    this.mainsHz = options.mainsHz ?? (recorded === 50 || recorded === 60 ? recorded : undefined);
    this.root = root;
    this.options = options;
    this.input = input;
    this.paths = bidsRunPaths(options, this.datatype, `.${format}`);
    this.newDataset = checkDatasetRoot(root, names.out);
    this.checkNewRun(names.out);

    const info: StreamInfo = this.shiftMs === 0 ? source.info : Object.freeze({ ...source.info, startTime: new Date(Date.parse(source.info.startTime) + this.shiftMs).toISOString() });
    this.main = { info, totalSamples: source.totalSamples, ...(source.file !== undefined ? { file: source.file } : {}), blocks: () => source.blocks() };
    const edfOptions: EdfExportOptions = {
      format,
      ...(options.physicalRange ? { physicalRange: options.physicalRange } : {}),
      ...(options.allowClipping ? { allowClipping: true } : {}),
      optionNames: { allowClipping: names.allowClipping, physicalRange: names.physicalRange },
    };
    this.edf = new EdfExport(join(root, this.paths.data), { ...input, streams: [this.main, ...input.streams.slice(1)], markers: input.markers, markerClockHz: input.markerClockHz, notes: input.notes, source: input.source, format: input.format }, edfOptions);
    this.quality = new ChannelQualityTally(info, this.mainsHz);
  }

  /** First pass: a block's values into each channel's range and signal quality. */
  scan(block: SampleBlock): void {
    this.edf.scan(block);
    this.quality.push(block);
    if (block.length > 0) {
      this.firstSample ??= block.first;
      this.endSample = block.first + block.length;
    }
  }

  /** After the first pass: whether a value may not fit its range (see EdfExport). */
  clipSuspected(): boolean {
    return this.edf.clipSuspected();
  }

  countClipped(block: SampleBlock): void {
    this.edf.countClipped(block);
  }

  refuseClipping(): void {
    this.edf.refuseClipping();
  }

  /** Creates the run's folders and its data file. */
  open(): void {
    this.makeDirectories(join(this.root, this.paths.datatypeDir));
    this.edf.open();
    this.edfOpen = true;
    this.created.unshift(join(this.root, this.paths.data));
  }

  write(block: SampleBlock): void {
    this.edf.write(block);
  }

  /**
   * Ends the data file, then writes the sidecar, channels.tsv and events.tsv, adds the run to
   * scans.tsv and the participant to participants.tsv, and gives a new dataset its
   * dataset_description.json and README. A data file cut short (a source that broke part-way)
   * is still described; the error is rethrown by the caller.
   */
  close(): BidsExportResult {
    const edf = this.edf.close();
    this.edfOpen = false;
    const files = [this.paths.data];
    const put = (relative: string, text: string): void => {
      const path = join(this.root, relative);
      try {
        writeFileSync(path, text, { flag: 'wx' });
      } catch (error) {
        throw RecordingError.from(error, `writing ${path}`);
      }
      this.created.unshift(path);
      files.push(relative);
    };
    const info = this.main.info;
    const rate = info.sampleRateHz;
    const first = this.firstSample ?? 0;
    const statuses = this.quality.statuses();
    const badChannels = info.channelNames.filter((_, c) => statuses[c]!.status === 'bad');
    put(this.paths.sidecar, `${JSON.stringify(this.sidecar(edf.discontinuous), null, 2)}\n`);
    put(
      this.paths.channels,
      formatTsv({
        columns: ['name', 'type', 'units', 'low_cutoff', 'high_cutoff', 'sampling_frequency', 'description', 'status', 'status_description'],
        rows: info.channelNames.map((name, c) => {
          const kind = info.channelKinds[c]!;
          // The hardware filters are not known to neurostream: n/a, as BIDS writes unknown values.
          return [name, CHANNEL_TYPE[kind] ?? 'OTHER', UNIT[info.units[c]!] ?? 'n/a', null, null, rate, CHANNEL_DESCRIPTION[kind] ?? null, statuses[c]!.status, statuses[c]!.description];
        }),
      }),
    );
    const events = this.events(first);
    put(this.paths.events, formatTsv({ columns: ['onset', 'duration', 'sample', 'trial_type', 'value'], rows: events }));
    put(this.paths.eventsSidecar, `${JSON.stringify(EVENTS_COLUMNS, null, 2)}\n`);
    if (this.newDataset) {
      put('dataset_description.json', `${JSON.stringify(this.datasetDescription(), null, 2)}\n`);
      put('README', readme(this.options.datasetName ?? 'neurostream export'));
    }
    // The shared tables last: a run whose files are all there is then listed.
    const startMs = Date.parse(info.startTime) + Math.floor((first / rate) * 1000);
    const acqTime = new Date(Math.floor(startMs / 1000) * 1000).toISOString().slice(0, 19);
    files.push(this.addRow(this.paths.scans, { filename: this.paths.scansName, acq_time: acqTime }, 'filename'));
    const participant = `sub-${this.options.subject}`;
    const participants = this.addRow('participants.tsv', { participant_id: participant }, 'participant_id');
    if (participants) files.push(participants);
    return {
      ...edf,
      datatype: this.datatype,
      files: files.filter((f) => f !== ''),
      events: events.length,
      badChannels,
      warnings: edf.warnings,
      notes: edf.notes,
    };
  }

  /** Removes what this export wrote (files, then the folders it made), leaving what was there before. */
  discard(): void {
    if (this.edfOpen) {
      this.edfOpen = false;
      try {
        this.edf.close();
      } catch {
        // the file is removed below whatever state it is in
      }
    }
    for (const path of this.created) {
      try {
        if (statSync(path).isDirectory()) rmdirSync(path);
        else rmSync(path, { force: true });
      } catch {
        // already gone, or a folder someone else wrote into meanwhile: left as it is
      }
    }
    this.created.length = 0;
  }

  /** The `_eeg.json` / `_ieeg.json` sidecar. */
  private sidecar(discontinuous: boolean): Record<string, unknown> {
    const info = this.main.info;
    const count = (type: string) => info.channelKinds.filter((k) => CHANNEL_TYPE[k] === type).length;
    const durationS = Math.max(0, this.endSample - (this.firstSample ?? 0)) / info.sampleRateHz;
    const reference = this.options.reference ?? 'n/a';
    const common = {
      TaskName: this.options.task,
      SamplingFrequency: info.sampleRateHz,
      PowerLineFrequency: this.mainsHz ?? 'n/a',
      SoftwareFilters: 'n/a',
    };
    const equipment = {
      ...(info.device.model ? { ManufacturersModelName: info.device.model } : {}),
      SoftwareVersions: `neurostream ${SOFTWARE_VERSION}`,
      RecordingDuration: Number(durationS.toFixed(6)),
      RecordingType: discontinuous ? 'discontinuous' : 'continuous',
    };
    if (this.datatype === 'eeg') {
      return { ...common, EEGReference: reference, EEGChannelCount: count('EEG'), ECGChannelCount: 0, EMGChannelCount: 0, EOGChannelCount: 0, MiscChannelCount: count('MISC'), TriggerChannelCount: 0, ...equipment };
    }
    return { ...common, iEEGReference: reference, ECOGChannelCount: count('ECOG'), SEEGChannelCount: count('SEEG'), EEGChannelCount: count('EEG'), MiscChannelCount: count('MISC'), ...equipment };
  }

  /**
   * events.tsv rows from the markers, on the data file's clock: every marker but the simulator's
   * `kinematics` (hand state at 100 Hz: data, not events); a vector value is written as a JSON array.
   */
  private events(first: number): TsvCell[][] {
    const rate = this.main.info.sampleRateHz;
    const clock = this.input.markerClockHz;
    const seconds = (x: number) => Number(x.toFixed(9));
    return this.input.markers
      .filter((m) => !(m.type === KINEMATICS && Array.isArray(m.value)))
      .map((m) => {
        const sample = clock === rate ? m.sample : Math.round((m.sample * rate) / clock);
        const annotation = m.type === 'annotation';
        return [
          seconds((sample - first) / rate),
          m.duration !== undefined ? seconds(m.duration / clock) : null,
          sample - first,
          annotation ? String(m.value) : m.type,
          annotation ? null : Array.isArray(m.value) ? JSON.stringify(m.value) : (m.value as string | number),
        ];
      });
  }

  private datasetDescription(): Record<string, unknown> {
    return {
      Name: this.options.datasetName ?? 'neurostream export',
      BIDSVersion: BIDS_VERSION,
      DatasetType: 'raw',
      GeneratedBy: [{ Name: 'neurostream', Version: SOFTWARE_VERSION, Description: 'neurostream convert --bids (recordings/bids)' }],
    };
  }

  /** Refuses a run whose files (in any format) or scans.tsv row already exist: nothing is overwritten. */
  private checkNewRun(option: string): void {
    const others = bidsRunPaths(this.options, this.datatype, this.format === 'edf' ? '.bdf' : '.edf');
    for (const relative of [this.paths.data, others.data, this.paths.sidecar, this.paths.channels, this.paths.events, this.paths.eventsSidecar]) {
      if (existsSync(join(this.root, relative))) {
        throw new InvalidOptionError(`${option} ${this.root}: ${relative}`, 'a run not yet in the dataset (nothing is overwritten; choose another run, session or task)', 'an existing file');
      }
    }
    const scans = join(this.root, this.paths.scans);
    if (existsSync(scans) && listed(readTsv(scans), 'filename', this.paths.scansName)) {
      throw new InvalidOptionError(`${option} ${this.root}: ${this.paths.scansName}`, 'a run not yet in the dataset (nothing is overwritten; choose another run, session or task)', `a row of ${this.paths.scans}`);
    }
  }

  /** Makes `dir` and the folders above it that are missing, remembering them for `discard`. */
  private makeDirectories(dir: string): void {
    const missing: string[] = [];
    for (let d = dir; !existsSync(d); d = dirname(d)) missing.push(d);
    mkdirSync(dir, { recursive: true });
    this.created.push(...missing); // deepest first, after the files (which are put at the front)
  }

  /**
   * Adds a row to a table (a new one, or an existing one whose columns are kept) unless `key`
   * already lists it; written to a temporary file and renamed, so a failure leaves the old table.
   * Returns the table's path, or '' when it already listed the row.
   */
  private addRow(relative: string, row: Record<string, TsvCell>, key: string): string {
    const path = join(this.root, relative);
    const exists = existsSync(path);
    const table: TsvTable = exists ? readTsv(path) : { columns: [], rows: [] };
    if (exists && !table.columns.includes(key)) throw new InvalidDataError(path, `a table with a ${key} column`, table.columns.join(', '));
    if (listed(table, key, String(row[key]))) return '';
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(temporary, formatTsv(addTsvRow(exists ? table : { columns: Object.keys(row), rows: [] }, row)));
      renameSync(temporary, path);
    } catch (error) {
      rmSync(temporary, { force: true });
      throw RecordingError.from(error, `writing ${path}`);
    }
    if (!exists) this.created.unshift(path);
    return relative;
  }
}

function listed(table: TsvTable, column: string, value: string): boolean {
  const c = table.columns.indexOf(column);
  return c >= 0 && table.rows.some((r) => r[c] === value);
}

/**
 * Whether `root` is a new dataset (missing or an empty folder: true) or an existing BIDS dataset
 * (a folder with a readable dataset_description.json: false); anything else is refused.
 */
function checkDatasetRoot(root: string, option: string): boolean {
  let entries: string[];
  try {
    if (!statSync(root).isDirectory()) throw new InvalidOptionError(`${option} ${root}`, 'a BIDS dataset folder (new, empty, or holding dataset_description.json)', 'a file');
    entries = readdirSync(root);
  } catch (error) {
    if (error instanceof InvalidOptionError) throw error;
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') {
      if (!existsSync(dirname(root)) || !statSync(dirname(root)).isDirectory()) {
        throw new InvalidOptionError(`${option} ${root}`, 'a BIDS dataset folder in an existing directory', `no directory ${dirname(root)}`);
      }
      return true;
    }
    throw new InvalidOptionError(`${option} ${root}`, 'a readable BIDS dataset folder', code ?? String(error));
  }
  if (entries.length === 0) return true;
  const description = join(root, 'dataset_description.json');
  if (!entries.includes('dataset_description.json')) {
    throw new InvalidOptionError(`${option} ${root}`, 'a BIDS dataset folder (new, empty, or holding dataset_description.json)', 'a non-empty folder without dataset_description.json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(description, 'utf8'));
  } catch (error) {
    throw new InvalidDataError(description, 'a JSON object with Name and BIDSVersion', (error as Error).message);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { BIDSVersion?: unknown }).BIDSVersion !== 'string') {
    throw new InvalidDataError(description, 'a JSON object with Name and BIDSVersion', JSON.stringify(parsed)?.slice(0, 80));
  }
  return false;
}

function readme(name: string): string {
  return [
    name,
    '',
    `This BIDS dataset was written by neurostream ${SOFTWARE_VERSION} (\`neurostream convert … --bids\`).`,
    'Each run holds the recording\'s main stream as EDF+/BDF+ (the markers are also its annotations),',
    'its sidecar JSON, channels.tsv (status from neurostream\'s signal-quality checks where judged) and',
    'events.tsv (the markers). Patient fields are anonymised; dates may be shifted (see scans.tsv).',
    '',
  ].join('\n');
}
