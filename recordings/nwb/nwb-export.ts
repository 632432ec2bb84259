/**
 * NwbExport — writes any input neurostream reads (a recording, EDF/BDF, OpenBCI text, XDF …) as
 * an NWB 2.x file (HDF5 through h5wasm) that pynwb reads and validates:
 *
 *   - per sample stream, its voltage channels (µV, mV, V of kind eeg/ecog/extracellular) as an
 *     `ElectricalSeries` in /acquisition (`ElectricalSeries`, then `ElectricalSeries_2` …): data
 *     float32 exactly as recorded, in the channels' unit, `conversion` to volts (1e-6 for µV;
 *     `channel_conversion` where the units differ), `starting_time` and `rate` — or
 *     `timestamps` (one per sample) once the stream has a gap; other channels (accelerometer,
 *     aux, counts) as a `TimeSeries` per unit beside it;
 *   - the electrodes table (id, location — the 10-20 site for EEG, else `unknown` —, group,
 *     group_name, and `label`: the channel's name), one `ElectrodeGroup` per stream and its
 *     `Device` (model, serial);
 *   - markers as the TimeIntervals table /intervals/markers (start/stop in seconds, `type`,
 *     `value` as JSON text, the exact `sample` and `duration_samples`, −1 for instants);
 *     cues (`cue`, `target_on`) with their outcomes (`target_reached`) as /intervals/trials;
 *     the simulator's `kinematics` markers as a TimeSeries in processing/behavior;
 *   - features (threshold crossings, spike-band power) as TimeSeries in the `ecephys` processing
 *     module, the decoder's outputs as a TimeSeries in `behavior`, both on the bins' times;
 *   - provenance in /general: `notes` (JSON: software version, source, pipeline, decoder,
 *     notes, the decoder's online R²/accuracy), `source_script` (neurostream and its version),
 *     `data_collection`, `session_id`.
 * Samples are written block by block into chunked, resizable datasets (one chunk in memory per
 * series), gzip-compressed when asked. A neurostream comments JSON on each series keeps what NWB
 * has no field for (the StreamInfo, the feature names), so `convert session.nwb DIR` restores it.
 */
import { randomUUID } from 'node:crypto';
import { basename, resolve } from 'node:path';
import type { File, Group } from 'h5wasm';
import { InvalidOptionError, SOFTWARE_VERSION, type FeatureFrame, type Intent, type Marker, type SampleBlock, type StreamInfo } from '../../core/index.js';
import type { ImportedRecording } from '../imported-recording.js';
import { RecordingError } from '../recording-error.js';
import type { SessionManifest } from '../session-manifest.js';
import { appendChannelRows, chunkRowsFor, GrowingDataset, h5, loadH5, setType, textDataset, typedGroup } from './h5.js';
import { NWB_SPEC_CACHE } from './nwb-spec-cache.js';
import { COMMENTS_PREFIX, FEATURE_SERIES, NWB_PATHS, NWB_VERSION, VOLTS_PER_UNIT, nwbName } from './nwb-names.js';

/** What NwbExport reads: an input, and for recordings their features, intents and manifest. */
export interface NwbExportInput extends ImportedRecording {
  readonly recording?: { readonly manifest?: SessionManifest; features(): Iterable<FeatureFrame>; intents(): Iterable<Intent> };
}

export interface NwbExportOptions {
  /** gzip level 0–9 for the sample datasets; absent: not compressed. */
  readonly gzipLevel?: number;
  /** Session description (default: what the file was converted from). */
  readonly sessionDescription?: string;
}

export interface NwbExportResult {
  /** Per sample stream: the series written, samples, and whether timestamps were needed. */
  readonly series: { name: string; channels: number; samples: number; timestamps: boolean }[];
  markers: number;
  trials: number;
  features: number;
  intents: number;
  readonly notes: string[];
}

const ELECTRICAL_KINDS = new Set(['eeg', 'ecog', 'extracellular']);

/** One series' samples: data rows, and timestamps once a gap makes the rate not enough. */
class SeriesWriter {
  readonly data: GrowingDataset;
  private timestamps: GrowingDataset | undefined;
  private firstSample: number | undefined;
  private nextSample = 0;

  constructor(
    readonly group: Group,
    readonly channels: readonly number[],
    private readonly rateHz: number,
    private readonly gzipLevel: number | undefined,
    dataAttributes: (data: GrowingDataset) => void,
  ) {
    this.data = new GrowingDataset(group, 'data', '<f', channels.length, chunkRowsFor(channels.length, 4), gzipLevel);
    dataAttributes(this.data);
  }

  get samples(): number {
    return this.data.length;
  }

  get hasTimestamps(): boolean {
    return this.timestamps !== undefined;
  }

  write(block: SampleBlock): void {
    if (this.firstSample === undefined) {
      this.firstSample = block.first;
    } else if (block.first !== this.nextSample && !this.timestamps) {
      // A gap: from here every sample needs its time; those written so far were contiguous.
      this.timestamps = new GrowingDataset(this.group, 'timestamps', '<d', undefined, chunkRowsFor(1, 8), this.gzipLevel);
      for (let s = this.firstSample; s < this.nextSample; s++) this.timestamps.appendValue(s / this.rateHz);
    }
    appendChannelRows(this.data, block.data, block.length, this.channels);
    if (this.timestamps) for (let i = 0; i < block.length; i++) this.timestamps.appendValue((block.first + i) / this.rateHz);
    this.nextSample = block.first + block.length;
  }

  close(): void {
    this.data.flush();
    if (this.timestamps) {
      this.timestamps.flush();
      this.timestamps.dataset.create_attribute('interval', 1, null, '<i');
      this.timestamps.dataset.create_attribute('unit', 'seconds');
    } else {
      const start = this.group.create_dataset({ name: 'starting_time', data: (this.firstSample ?? 0) / this.rateHz, dtype: '<d' });
      start.create_attribute('rate', this.rateHz, null, '<d');
      start.create_attribute('unit', 'seconds');
    }
  }
}

interface StreamSeries {
  electrical?: SeriesWriter;
  others: SeriesWriter[];
}

/** The neurostream comments JSON of a series. */
function comments(value: unknown): string {
  return `${COMMENTS_PREFIX}${JSON.stringify(value)}`;
}

function seriesAttributes(group: Group, description: string, commentsText: string): void {
  group.create_attribute('description', description);
  group.create_attribute('comments', commentsText);
}

function dataAttributes(unit: string, conversion: number): (data: GrowingDataset) => void {
  return (data) => {
    data.dataset.create_attribute('unit', unit);
    data.dataset.create_attribute('conversion', conversion, null, '<d'); // float64: exactly 1e-6 (float32 would be 9.99999997e-7)
    data.dataset.create_attribute('offset', 0, null, '<f');
    data.dataset.create_attribute('resolution', -1, null, '<f');
  };
}

/** A number as JSON that keeps −0 (JSON.parse reads `-0` back as −0; JSON.stringify writes 0). */
function numberText(value: number): string {
  return Object.is(value, -0) ? '-0' : JSON.stringify(value);
}

/** A marker's value as JSON text, read back exactly by JSON.parse (−0 included). */
function markerValueText(marker: Marker): string {
  const value = marker.value;
  if (typeof value === 'number') return numberText(value);
  if (Array.isArray(value)) return `[${value.map(numberText).join(',')}]`;
  return JSON.stringify(value);
}

/** A vector column written as one dataset (VectorData) with its description. */
function column(table: Group, name: string, description: string, data: string[] | Float64Array | BigInt64Array, dtype?: string): void {
  const dataset = table.create_dataset({ name, data: data as never, ...(dtype ? { dtype } : {}) });
  dataset.create_attribute('description', description);
  setType(dataset, 'VectorData', 'hdmf-common');
}

function idColumn(table: Group, rows: number): void {
  const ids = new BigInt64Array(rows);
  for (let i = 0; i < rows; i++) ids[i] = BigInt(i);
  const dataset = table.create_dataset({ name: 'id', data: ids, dtype: '<q' });
  setType(dataset, 'ElementIdentifiers', 'hdmf-common');
}

function dynamicTable(parent: Group, name: string, type: string, namespace: 'core' | 'hdmf-common', description: string, columns: string[]): Group {
  const table = typedGroup(parent, name, type, namespace);
  table.create_attribute('description', description);
  table.create_attribute('colnames', columns);
  return table;
}

/** A group path made of plain groups (created where missing). */
function groupAt(file: File, path: string): Group {
  let group: Group = file;
  for (const part of path.split('/')) {
    group = (group.keys().includes(part) ? group.get(part) : group.create_group(part)) as Group;
  }
  return group;
}

/** A processing module (created once). */
function processingModule(file: File, name: 'ecephys' | 'behavior', description: string): Group {
  const processing = file.get('processing') as Group;
  if (processing.keys().includes(name)) return processing.get(name) as Group;
  const module = typedGroup(processing, name, 'ProcessingModule');
  module.create_attribute('description', description);
  return module;
}

/**
 * The schema the file follows, cached as pynwb does (`cache_spec=True`): each namespace's JSON
 * sources in /specifications/<namespace>/<version>/, and the root's `.specloc` referring to
 * /specifications — so readers (`load_namespaces=True`, DANDI, nwbinspector) find it in the file.
 */
function writeSpecCache(file: File): void {
  const specifications = file.create_group('specifications');
  for (const namespace of NWB_SPEC_CACHE) {
    const group = groupAt(file, `specifications/${namespace.name}/${namespace.version}`);
    for (const [source, json] of Object.entries(namespace.sources)) textDataset(group, source, json);
  }
  file.create_attribute('.specloc', specifications.create_reference());
}

/** An irregularly sampled TimeSeries written at once (features, intents, kinematics). */
function timeSeries(parent: Group, name: string, description: string, commentsText: string, unit: string, rows: number, columns: number, values: Float32Array | Float64Array, times: Float64Array): void {
  const group = typedGroup(parent, name, 'TimeSeries');
  seriesAttributes(group, description, commentsText);
  const data = group.create_dataset({ name: 'data', data: values, shape: [rows, columns], dtype: values instanceof Float64Array ? '<d' : '<f' });
  data.create_attribute('unit', unit);
  data.create_attribute('conversion', 1, null, '<f');
  data.create_attribute('offset', 0, null, '<f');
  data.create_attribute('resolution', -1, null, '<f');
  const timestamps = group.create_dataset({ name: 'timestamps', data: times, dtype: '<d' });
  timestamps.create_attribute('interval', 1, null, '<i');
  timestamps.create_attribute('unit', 'seconds');
}

/** Trials from markers: a cue (`cue`, `target_on`) until its outcome (`target_reached`) or the next cue. */
export function trialsFromMarkers(markers: readonly Marker[], endSample: number): { start: number; stop: number; condition: string; outcome: string }[] {
  const trials: { start: number; stop: number; condition: string; outcome: string }[] = [];
  let open: { start: number; condition: string; type: string } | undefined;
  const close = (stop: number, outcome: string): void => {
    if (open) trials.push({ start: open.start, stop, condition: open.condition, outcome });
    open = undefined;
  };
  for (const m of markers) {
    if (m.type === 'cue' || m.type === 'target_on') {
      close(m.sample, open?.type === 'target_on' ? 'not reached' : 'none');
      open = { start: m.sample, condition: JSON.stringify(m.value), type: m.type };
    } else if (m.type === 'target_reached' && open?.type === 'target_on') {
      close(m.sample, 'reached');
    }
  }
  close(Math.max(endSample, open?.start ?? 0), open?.type === 'target_on' ? 'not reached' : 'none');
  return trials;
}

export class NwbExport {
  private file: File | undefined;
  private readonly streams: StreamSeries[] = [];
  private readonly notes: string[] = [];
  private endSample = 0;
  private readonly gzipLevel: number | undefined;

  constructor(
    readonly path: string,
    private readonly input: NwbExportInput,
    private readonly options: NwbExportOptions = {},
  ) {
    const level = options.gzipLevel;
    if (level !== undefined && !(Number.isInteger(level) && level >= 0 && level <= 9)) throw new InvalidOptionError('gzip level', 'an integer 0–9', level);
    this.gzipLevel = level;
    if (input.streams.length === 0) {
      throw new InvalidOptionError(`IN ${input.source}`, `signals to write as an ElectricalSeries (it holds only ${input.markers.length} annotations)`, 'no signals');
    }
  }

  /** Creates the file and everything known before the samples: header, devices, electrodes, series. */
  open(): void {
    const { File } = h5();
    const main = this.input.streams[0]!.info;
    let file: File;
    try {
      file = new File(resolve(this.path), 'x');
    } catch (error) {
      throw new RecordingError(`OUT ${this.path}: could not create the NWB file (${error instanceof Error ? error.message : String(error)})`);
    }
    this.file = file;
    const manifest = this.input.recording?.manifest;
    file.create_attribute('namespace', 'core');
    file.create_attribute('neurodata_type', 'NWBFile');
    file.create_attribute('object_id', randomUUID());
    file.create_attribute('nwb_version', NWB_VERSION);
    textDataset(file, 'identifier', manifest?.sessionId ?? randomUUID());
    textDataset(file, 'session_description', this.options.sessionDescription ?? `${this.input.format} ${basename(this.input.source)}, converted by neurostream ${SOFTWARE_VERSION}`);
    textDataset(file, 'session_start_time', main.startTime);
    textDataset(file, 'timestamps_reference_time', main.startTime);
    file.create_dataset({ name: 'file_create_date', data: [new Date().toISOString()] });
    for (const name of ['acquisition', 'analysis', 'processing', 'stimulus', 'stimulus/presentation', 'stimulus/templates', 'general']) groupAt(file, name);
    writeSpecCache(file);
    this.writeGeneral(file, manifest);
    this.writeElectrodesAndSeries(file);
  }

  private writeGeneral(file: File, manifest: SessionManifest | undefined): void {
    const general = file.get('general') as Group;
    const markers = this.input.markers;
    const lastOf = (type: string): number | undefined => {
      for (let i = markers.length - 1; i >= 0; i--) if (markers[i]!.type === type && typeof markers[i]!.value === 'number') return markers[i]!.value as number;
      return undefined;
    };
    const provenance = {
      software: `neurostream ${SOFTWARE_VERSION}`,
      recordedWith: manifest?.softwareVersion ?? this.input.streams[0]!.info.softwareVersion,
      source: { path: this.input.source, format: this.input.format },
      ...(manifest?.pipeline ? { pipeline: manifest.pipeline } : {}),
      ...(manifest?.decoder ? { decoder: manifest.decoder } : {}),
      ...(lastOf('decoder-r2') !== undefined ? { onlineR2: lastOf('decoder-r2') } : {}),
      ...(lastOf('decoder-accuracy') !== undefined ? { onlineAccuracy: lastOf('decoder-accuracy') } : {}),
      notes: [...this.input.notes],
    };
    textDataset(general, 'notes', JSON.stringify(provenance, null, 1));
    const script = textDataset(general, 'source_script', `neurostream ${SOFTWARE_VERSION} (https://www.npmjs.com/package/neurostream): convert ${basename(this.input.source)}`);
    script.create_attribute('file_name', 'neurostream');
    const devices = this.input.streams.map((s) => `${s.info.device.model} (${s.info.device.name}${s.info.device.serial ? `, serial ${s.info.device.serial}` : ''}) ${s.info.channelNames.length} ch @ ${s.info.sampleRateHz} Hz`);
    textDataset(general, 'data_collection', `${devices.join('; ')}${manifest?.pipeline ? `; processing: ${JSON.stringify(manifest.pipeline)}` : ''}`);
    if (manifest) textDataset(general, 'session_id', manifest.sessionId);
  }

  private writeElectrodesAndSeries(file: File): void {
    const devicesGroup = groupAt(file, NWB_PATHS.devices);
    const ecephys = groupAt(file, NWB_PATHS.ecephys);
    const acquisition = file.get('acquisition') as Group;
    const labels: string[] = [];
    const locations: string[] = [];
    const groupNames: string[] = [];
    const groupPaths: string[] = [];
    const regions: { series: Group; rows: number[] }[] = [];
    const deviceNames = new Map<string, string>();
    this.input.streams.forEach((stream, index) => {
      const info = stream.info;
      const deviceKey = `${info.device.name}\u0000${info.device.model}\u0000${info.device.serial}`;
      let deviceName = deviceNames.get(deviceKey);
      if (!deviceName) {
        deviceName = nwbName(info.device.name, 'device');
        while ([...deviceNames.values()].includes(deviceName)) deviceName += '_2';
        deviceNames.set(deviceKey, deviceName);
        const device = typedGroup(devicesGroup, deviceName, 'Device');
        device.create_attribute('description', `${info.device.model}${info.device.serial ? `, serial ${info.device.serial}` : ''}`);
      }
      const suffix = index === 0 ? '' : `_${index + 1}`;
      const electrical = info.channelNames.flatMap((_, c) => (ELECTRICAL_KINDS.has(info.channelKinds[c]!) && VOLTS_PER_UNIT[info.units[c]!] !== undefined ? [c] : []));
      const series: StreamSeries = { others: [] };
      const streamComments = { streamInfo: info, ...(stream.file ? { file: stream.file } : {}) };
      if (electrical.length > 0) {
        const groupName = nwbName(`${deviceName}${suffix}`, `electrodes${suffix}`);
        const electrodeGroup = typedGroup(ecephys, groupName, 'ElectrodeGroup');
        const allEeg = electrical.every((c) => info.channelKinds[c] === 'eeg');
        electrodeGroup.create_attribute('description', `${info.device.model}: ${electrical.length} ${[...new Set(electrical.map((c) => info.channelKinds[c]))].join('/')} channels @ ${info.sampleRateHz} Hz`);
        electrodeGroup.create_attribute('location', allEeg ? 'scalp' : 'unknown');
        electrodeGroup.create_soft_link(`/${NWB_PATHS.devices}/${deviceName}`, 'device');
        const rows: number[] = [];
        for (const c of electrical) {
          rows.push(labels.length);
          labels.push(info.channelNames[c]!);
          locations.push(info.channelKinds[c] === 'eeg' ? info.channelNames[c]! : 'unknown');
          groupNames.push(groupName);
          groupPaths.push(`/${NWB_PATHS.ecephys}/${groupName}`);
        }
        const group = typedGroup(acquisition, `ElectricalSeries${suffix}`, 'ElectricalSeries');
        seriesAttributes(group, `${info.device.model}: ${electrical.map((c) => info.channelNames[c]).join(', ')}`, comments({ ...streamComments, channels: electrical }));
        const units = new Set(electrical.map((c) => info.units[c]!));
        const conversion = units.size === 1 ? VOLTS_PER_UNIT[info.units[electrical[0]!]!]! : 1e-6;
        series.electrical = new SeriesWriter(group, electrical, info.sampleRateHz, this.gzipLevel, dataAttributes('volts', conversion));
        if (units.size > 1) {
          const perChannel = Float32Array.from(electrical, (c) => VOLTS_PER_UNIT[info.units[c]!]! / conversion);
          const channelConversion = group.create_dataset({ name: 'channel_conversion', data: perChannel, dtype: '<f' });
          channelConversion.create_attribute('axis', 1, null, '<i');
        }
        regions.push({ series: group, rows });
      }
      const others = new Map<string, number[]>();
      info.channelNames.forEach((_, c) => {
        if (electrical.includes(c)) return;
        const key = `${info.channelKinds[c]}_${info.units[c]}`;
        others.set(key, [...(others.get(key) ?? []), c]);
      });
      for (const [key, channels] of others) {
        const group = typedGroup(acquisition, nwbName(`${key}${suffix}`, `channels${suffix}`), 'TimeSeries');
        seriesAttributes(group, `${info.device.model}: ${channels.map((c) => info.channelNames[c]).join(', ')}`, comments({ ...streamComments, channels }));
        series.others.push(new SeriesWriter(group, channels, info.sampleRateHz, this.gzipLevel, dataAttributes(info.units[channels[0]!]!, 1)));
      }
      this.streams.push(series);
    });
    if (labels.length > 0) {
      const table = dynamicTable(ecephys, 'electrodes', 'DynamicTable', 'hdmf-common', 'the channels recorded: label is the channel name, location the 10-20 site for EEG', ['location', 'group', 'group_name', 'label']);
      idColumn(table, labels.length);
      column(table, 'location', 'the location of channel within the subject e.g. brain region', locations);
      const refs = groupPaths.map((path) => (file.get(path) as Group).create_reference());
      const groupColumn = table.create_dataset({ name: 'group', data: refs });
      groupColumn.create_attribute('description', 'a reference to the ElectrodeGroup this electrode is a part of');
      setType(groupColumn, 'VectorData', 'hdmf-common');
      column(table, 'group_name', 'the name of the ElectrodeGroup this electrode is a part of', groupNames);
      column(table, 'label', 'the channel name as recorded', labels);
      const tableRef = table.create_reference();
      for (const region of regions) {
        const dataset = region.series.create_dataset({ name: 'electrodes', data: BigInt64Array.from(region.rows, (r) => BigInt(r)), dtype: '<q' });
        dataset.create_attribute('description', 'the electrodes of this series, rows of the electrodes table');
        dataset.create_attribute('table', tableRef);
        setType(dataset, 'DynamicTableRegion', 'hdmf-common');
      }
    }
  }

  /** Writes one block of stream `stream` (markers riding on it are ignored: `finish` writes `input.markers`). */
  write(block: SampleBlock, stream = 0): void {
    const series = this.streams[stream];
    if (!series) throw new InvalidOptionError('stream', `an index below ${this.streams.length}`, stream);
    series.electrical?.write(block);
    for (const other of series.others) other.write(block);
    if (stream === 0) this.endSample = block.first + block.length;
  }

  /** Writes markers, trials, features and intents, ends every series and closes the file. */
  finish(): NwbExportResult {
    const file = this.file;
    if (!file) throw new Error('NwbExport.finish before open');
    const result: NwbExportResult = { series: [], markers: 0, trials: 0, features: 0, intents: 0, notes: this.notes };
    try {
      this.streams.forEach((series) => {
        for (const writer of [series.electrical, ...series.others]) {
          if (!writer) continue;
          writer.close();
          result.series.push({ name: writer.group.path.slice(1), channels: writer.channels.length, samples: writer.samples, timestamps: writer.hasTimestamps });
        }
      });
      const rateHz = this.input.markerClockHz;
      const markers = this.writeKinematics(file, this.input.markers, rateHz);
      result.markers = this.writeMarkers(file, markers, rateHz);
      result.trials = this.writeTrials(file, this.input.markers, rateHz);
      const features = this.writeFeatures(file, this.input.features?.() ?? this.input.recording?.features() ?? [], this.input.streams[0]!.info);
      result.features = features.count;
      result.intents = this.writeIntents(file, this.input.intents?.() ?? this.input.recording?.intents() ?? [], features.t0, this.input.streams[0]!.info);
    } finally {
      this.close();
    }
    return result;
  }

  /** Closes the file as it is (after an error part-way: what was written stays readable HDF5). */
  close(): void {
    const file = this.file;
    this.file = undefined;
    file?.close();
  }

  private writeKinematics(file: File, markers: readonly Marker[], rateHz: number): readonly Marker[] {
    const isKinematics = (m: Marker): boolean => m.type === 'kinematics' && Array.isArray(m.value);
    const kinematics = markers.filter(isKinematics);
    const width = kinematics.length > 0 ? (kinematics[0]!.value as number[]).length : 0;
    if (kinematics.length === 0 || kinematics.some((m) => (m.value as number[]).length !== width)) return markers;
    const values = new Float64Array(kinematics.length * width); // float64: the markers' values exactly
    kinematics.forEach((m, i) => values.set(m.value as number[], i * width));
    const behavior = processingModule(file, 'behavior', 'behaviour and decoder outputs: kinematics, decoded intents');
    const times = Float64Array.from(kinematics, (m) => m.sample / rateHz);
    timeSeries(behavior, 'kinematics', 'the task\'s kinematics markers: x, y, vx, vy (as the simulator emits them)', comments({ markerType: 'kinematics', samples: kinematics.map((m) => m.sample), rateHz, at: markers.flatMap((m, i) => (isKinematics(m) ? [i] : [])) }), 'a.u.', kinematics.length, width, values, times);
    return markers.filter((m) => !isKinematics(m));
  }

  private writeMarkers(file: File, markers: readonly Marker[], rateHz: number): number {
    if (markers.length === 0) return 0;
    const intervals = groupAt(file, 'intervals');
    const table = dynamicTable(intervals, 'markers', 'TimeIntervals', 'core', 'neurostream markers: start/stop in seconds, the marker type, its value as JSON text, the exact sample and duration in samples (−1: an instant)', ['start_time', 'stop_time', 'type', 'value', 'sample', 'duration_samples']);
    idColumn(table, markers.length);
    column(table, 'start_time', 'Start time of epoch, in seconds', Float64Array.from(markers, (m) => m.sample / rateHz), '<d');
    column(table, 'stop_time', 'Stop time of epoch, in seconds', Float64Array.from(markers, (m) => (m.sample + (m.duration ?? 0)) / rateHz), '<d');
    column(table, 'type', 'the marker type', markers.map((m) => m.type));
    column(table, 'value', 'the marker value as JSON (a number, a string or an array of numbers)', markers.map(markerValueText));
    column(table, 'sample', `the sample the marker is on (clock ${rateHz} Hz)`, BigInt64Array.from(markers, (m) => BigInt(m.sample)), '<q');
    column(table, 'duration_samples', 'how many samples the event lasts, -1 for an instant', BigInt64Array.from(markers, (m) => BigInt(m.duration ?? -1)), '<q');
    return markers.length;
  }

  private writeTrials(file: File, markers: readonly Marker[], rateHz: number): number {
    const trials = trialsFromMarkers(markers, this.endSample);
    if (trials.length === 0) return 0;
    const intervals = groupAt(file, 'intervals');
    const table = dynamicTable(intervals, 'trials', 'TimeIntervals', 'core', 'trials: from a cue (cue, target_on) to its outcome (target_reached) or the next cue; condition is the cue\'s value as JSON', ['start_time', 'stop_time', 'condition', 'outcome']);
    idColumn(table, trials.length);
    column(table, 'start_time', 'Start time of epoch, in seconds', Float64Array.from(trials, (t) => t.start / rateHz), '<d');
    column(table, 'stop_time', 'Stop time of epoch, in seconds', Float64Array.from(trials, (t) => t.stop / rateHz), '<d');
    column(table, 'condition', 'the cue (its marker value as JSON)', trials.map((t) => t.condition));
    column(table, 'outcome', 'reached, not reached (a target not reached before the next cue or the end), or none (a cue without an outcome)', trials.map((t) => t.outcome));
    return trials.length;
  }

  /**
   * Features, streamed: one TimeSeries per name prefix, rows appended chunk by chunk as the frames
   * come (only per-bin bins, t0 and host times are gathered, for the comments). Returns the count
   * and each bin's t0 (to time the decoder outputs).
   */
  private writeFeatures(file: File, frames: Iterable<FeatureFrame>, info: StreamInfo): { count: number; t0: Map<number, number> } {
    const t0 = new Map<number, number>();
    let names: readonly string[] | undefined;
    let families: { prefix: string; columns: number[]; group: Group; data: GrowingDataset; times: GrowingDataset }[] = [];
    const bins: number[] = [];
    const starts: number[] = [];
    const hostTimes: number[] = [];
    let other = 0;
    for (const frame of frames) {
      if (!names) {
        names = frame.names;
        const module = processingModule(file, 'ecephys', 'features computed online from the signals, per bin: threshold crossings and spike-band power');
        const groups = new Map<string, number[]>();
        names.forEach((name, i) => {
          const prefix = name.includes(':') ? name.slice(0, name.indexOf(':')) : '';
          groups.set(prefix, [...(groups.get(prefix) ?? []), i]);
        });
        families = [...groups].map(([prefix, columns]) => {
          const known = FEATURE_SERIES[prefix];
          const group = typedGroup(module, known?.name ?? nwbName(prefix === '' ? 'features' : `features_${prefix}`, 'features'), 'TimeSeries');
          group.create_attribute('description', known?.description ?? 'features per bin (columns: their names, in the comments)');
          const data = new GrowingDataset(group, 'data', '<f', columns.length, chunkRowsFor(columns.length, 4), this.gzipLevel);
          dataAttributes(known?.unit ?? 'a.u.', 1)(data);
          const times = new GrowingDataset(group, 'timestamps', '<d', undefined, chunkRowsFor(1, 8), this.gzipLevel);
          return { prefix, columns, group, data, times };
        });
      }
      if (frame.names !== names && !(frame.names.length === names.length && frame.names.every((n, i) => n === names![i]))) {
        other++;
        continue;
      }
      for (const family of families) {
        family.data.appendRow((buffer, offset) => family.columns.forEach((i, k) => (buffer[offset + k] = frame.values[i]!)));
        family.times.appendValue(frame.t0 / info.sampleRateHz);
      }
      bins.push(frame.bin);
      starts.push(frame.t0);
      hostTimes.push(frame.hostTime);
      t0.set(frame.bin, frame.t0);
    }
    if (other > 0) this.notes.push(`${other} feature frames with other feature names than the first were not written`);
    for (const family of families) {
      family.data.flush();
      family.times.flush();
      family.times.dataset.create_attribute('interval', 1, null, '<i');
      family.times.dataset.create_attribute('unit', 'seconds');
      family.group.create_attribute('comments', comments({ names: family.columns.map((i) => names![i]), columns: family.columns, width: names!.length, bins, t0: starts, hostTime: hostTimes, rateHz: info.sampleRateHz }));
    }
    return { count: bins.length, t0 };
  }

  /** Decoder outputs, streamed like the features, each at the start of its bin. */
  private writeIntents(file: File, intents: Iterable<Intent>, t0: ReadonlyMap<number, number>, info: StreamInfo): number {
    let first: Intent | undefined;
    let series: { group: Group; data: GrowingDataset; times: GrowingDataset } | undefined;
    const bins: number[] = [];
    const latencyMs: number[][] = [];
    let untimed = 0;
    for (const intent of intents) {
      first ??= intent;
      const start = t0.get(intent.bin);
      if (start === undefined || intent.values.length !== first.values.length) {
        untimed++;
        continue;
      }
      if (!series) {
        const behavior = processingModule(file, 'behavior', 'behaviour and decoder outputs: kinematics, decoded intents');
        const group = typedGroup(behavior, 'decoder_output', 'TimeSeries');
        group.create_attribute('description', `the decoder's output per bin (${first.kind}${first.labels ? `: ${first.labels.join(', ')}` : ''}), at the start of its bin`);
        const width = first.values.length;
        const data = new GrowingDataset(group, 'data', '<f', width, chunkRowsFor(width, 4), this.gzipLevel);
        dataAttributes('a.u.', 1)(data);
        series = { group, data, times: new GrowingDataset(group, 'timestamps', '<d', undefined, chunkRowsFor(1, 8), this.gzipLevel) };
      }
      series.data.appendRow((buffer, offset) => (buffer as Float32Array).set(intent.values, offset));
      series.times.appendValue(start / info.sampleRateHz);
      bins.push(intent.bin);
      latencyMs.push([intent.latency.acquisitionMs, intent.latency.featuresMs, intent.latency.decodeMs]);
    }
    if (untimed > 0) this.notes.push(`${untimed} decoder outputs without a feature bin to time them (or of another width) were not written`);
    if (!series || !first) return 0;
    series.data.flush();
    series.times.flush();
    series.times.dataset.create_attribute('interval', 1, null, '<i');
    series.times.dataset.create_attribute('unit', 'seconds');
    series.group.create_attribute('comments', comments({ kind: first.kind, labels: first.labels ?? null, bins, latencyMs }));
    return bins.length;
  }
}

/**
 * Writes `input` as the new NWB file `path` (loads h5wasm, streams every block, then markers,
 * trials, features, intents). A failure part-way closes the file and rethrows.
 */
export async function writeNwb(input: NwbExportInput, path: string, options: NwbExportOptions = {}): Promise<NwbExportResult> {
  await loadH5();
  const nwb = new NwbExport(path, input, options);
  nwb.open();
  try {
    input.streams.forEach((stream, index) => {
      for (const block of stream.blocks()) nwb.write(block, index);
    });
  } catch (error) {
    nwb.close();
    throw error;
  }
  return nwb.finish();
}
