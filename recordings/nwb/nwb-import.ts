/**
 * readNwb — an NWB 2.x file (ours or pynwb's) as an ImportedRecording: its ElectricalSeries in
 * /acquisition as sample streams, their channels named by the electrodes table (`label`, else a
 * unique `location`, else `e<id>`), values in µV (`data × conversion × channel_conversion +
 * offset`, exactly as stored for our float32 µV files), the rate from `starting_time`, or from
 * the timestamps (sample = round(t × rate); a jump is a gap; times that are not on a sample
 * grid are refused). Markers: our /intervals/markers table exactly; any other TimeIntervals
 * table's rows as markers of that table's name (value: the other columns as JSON, duration
 * stop − start). Files we wrote are restored as they were recorded (the StreamInfo and channel
 * order in each series' comments, the aux channels' TimeSeries merged back, the kinematics
 * TimeSeries back to markers at their places in the marker list; trials are derived from the
 * markers, so not needed; the ecephys feature TimeSeries back to feature frames — names, bins,
 * t0, host times and values exact — and behavior/decoder_output back to intents, both read in
 * slices of rows as they are iterated).
 * What a recording cannot keep (other acquisition objects, processing modules, units …) is
 * listed in `unkept`, never dropped silently: `convert` refuses it, `info` lists it.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Dataset, File, Group } from 'h5wasm';
import { createFeatureFrame, createIntent, createMarker, createSampleBlock, createStreamInfo, InvalidDataError, SOFTWARE_VERSION, type FeatureFrame, type Intent, type IntentKind, type Marker, type SampleBlock, type StreamInfo } from '../../core/index.js';
import type { ImportedRecording, ImportedStream } from '../imported-recording.js';
import { h5 } from './h5.js';
import { COMMENTS_PREFIX, NWB_PATHS } from './nwb-names.js';

/** An NWB file read: an ImportedRecording, and what of the file it cannot hold. */
export interface NwbInput extends ImportedRecording {
  /** Objects of the file a recording cannot keep (paths and why); empty when it keeps everything. */
  readonly unkept: readonly string[];
}

const ROWS_PER_BLOCK = 4096;

interface Part {
  group: Group;
  channels: number[];
  scale: number[];
  offsetUv: number;
  exact: boolean;
}

interface StreamPlan {
  info: StreamInfo;
  parts: Part[];
  samples: number;
  /** Per row, its sample index (timestamps), or undefined for a regular series starting at `first`. */
  sampleOf?: Float64Array;
  first: number;
  file?: string;
}

function typeOf(object: Group | Dataset): string | undefined {
  const attribute = object.attrs.neurodata_type;
  return attribute ? String(attribute.value) : undefined;
}

function attr(object: Group | Dataset, name: string): unknown {
  return object.attrs[name]?.value ?? undefined;
}

/** Our comments JSON on a series (see nwb-export.ts): what NWB has no field for. */
interface OurMeta {
  streamInfo?: unknown;
  channels?: number[];
  file?: string;
  samples?: number[];
  rateHz?: number;
  markerType?: string;
  /** kinematics: each marker's index in the whole marker list. */
  at?: number[];
  /** features: the names of this series' columns, their indices in the frame, the frame's width, per row bin, t0, hostTime. */
  names?: string[];
  columns?: number[];
  width?: number;
  bins?: number[];
  t0?: number[];
  hostTime?: number[];
  /** decoder outputs: kind, labels, per row latency [acquisition, features, decode] ms. */
  kind?: string;
  labels?: string[] | null;
  latencyMs?: number[][];
}

function ours(group: Group): OurMeta | undefined {
  const comments = attr(group, 'comments');
  if (typeof comments !== 'string' || !comments.startsWith(COMMENTS_PREFIX)) return undefined;
  try {
    return JSON.parse(comments.slice(COMMENTS_PREFIX.length)) as never;
  } catch {
    return undefined;
  }
}

function numbers(dataset: Dataset): number[] {
  const value = dataset.value as ArrayLike<number | bigint> | number | bigint;
  if (typeof value === 'number' || typeof value === 'bigint') return [Number(value)];
  return Array.from(value, (v) => Number(v));
}

function texts(dataset: Dataset): string[] {
  const value = dataset.value;
  return Array.isArray(value) ? value.map((v) => String(v)) : [String(value)];
}

function child(group: Group, name: string): Group | Dataset | undefined {
  return group.keys().includes(name) ? (group.get(name) as Group | Dataset) : undefined;
}

/** Opens `path` (h5wasm must be loaded: `loadH5()`) and reads what a recording can hold. */
export function readNwb(path: string): NwbInput {
  const { File: H5File } = h5();
  checkHdf5Signature(path);
  let file: File;
  try {
    file = new H5File(resolve(path), 'r');
  } catch (error) {
    throw new InvalidDataError(path, 'an NWB file (HDF5)', error instanceof Error ? error.message : String(error));
  }
  if (typeOf(file) !== 'NWBFile') throw new InvalidDataError(path, 'an NWB file (root neurodata_type NWBFile)', typeOf(file) ?? 'an HDF5 file without one');
  const unkept: string[] = [];
  const notes: string[] = [];
  const startTime = new Date(String((file.get('session_start_time') as Dataset).value)).toISOString();
  const acquisition = (child(file, 'acquisition') as Group | undefined) ?? file.create_group('acquisition');
  const plans: StreamPlan[] = [];
  const byId = new Map<string, StreamPlan>();
  const electrical = acquisition.keys().filter((k) => typeOf(acquisition.get(k) as Group) === 'ElectricalSeries');
  const others = acquisition.keys().filter((k) => !electrical.includes(k));
  for (const name of [...electrical, ...others]) {
    const group = acquisition.get(name) as Group;
    const type = typeOf(group);
    const meta = ours(group);
    if (type !== 'ElectricalSeries' && !(type === 'TimeSeries' && meta?.streamInfo)) {
      unkept.push(`/acquisition/${name} (${type ?? 'untyped'}: only ElectricalSeries are read)`);
      continue;
    }
    const data = group.get('data') as Dataset;
    const shape = data.shape ?? [];
    const rows = shape[0] ?? 0;
    const columns = shape.length > 1 ? shape[1]! : 1;
    const conversion = Number(attr(data, 'conversion') ?? 1);
    const offset = Number(attr(data, 'offset') ?? 0);
    const channelConversion = child(group, 'channel_conversion') as Dataset | undefined;
    const perChannel = channelConversion ? numbers(channelConversion) : undefined;
    const { rateHz, first, sampleOf } = timing(group, name, rows, meta?.streamInfo ? (meta.streamInfo as StreamInfo).sampleRateHz : undefined);
    if (meta?.streamInfo && meta.channels) {
      const info = createStreamInfo(meta.streamInfo as never);
      const id = `${info.id}\u0000${meta.file ?? ''}`;
      let plan = byId.get(id);
      if (!plan) {
        plan = { info, parts: [], samples: rows, first, ...(sampleOf ? { sampleOf } : {}), ...(meta.file ? { file: meta.file } : {}) };
        byId.set(id, plan);
        plans.push(plan);
      }
      plan.parts.push({ group, channels: meta.channels, scale: meta.channels.map(() => 1), offsetUv: 0, exact: true });
      continue;
    }
    // A file from elsewhere: the electrodes name the channels; values scaled to µV.
    const unit = String(attr(data, 'unit') ?? 'volts');
    if (unit !== 'volts') throw new InvalidDataError(`${path} /acquisition/${name}/data unit`, 'volts (an ElectricalSeries)', unit);
    const names = electrodeNames(file, group, columns, `${path} /acquisition/${name}`);
    const scale = names.map((_, c) => (conversion * (perChannel?.[c] ?? 1)) / 1e-6);
    const exact = data.dtype === '<f' && scale.every((s) => s === 1) && offset === 0;
    if (!exact) notes.push(`/acquisition/${name}: values scaled to µV (stored × ${conversion}${perChannel ? ' × channel_conversion' : ''}${offset ? ` + ${offset} V` : ''}), rounded to float32`);
    const info = createStreamInfo({
      id: name,
      device: deviceOf(file, group),
      channelNames: names,
      channelKinds: names.map(() => 'extracellular'),
      units: names.map(() => 'uV'),
      sampleRateHz: rateHz,
      adcScale: names.map(() => 1),
      startTime,
      softwareVersion: SOFTWARE_VERSION,
    } as never);
    plans.push({ info, parts: [{ group, channels: names.map((_, c) => c), scale, offsetUv: offset / 1e-6, exact }], samples: rows, first, ...(sampleOf ? { sampleOf } : {}) });
  }
  if (plans.length === 0) throw new InvalidDataError(`${path} /acquisition`, 'an ElectricalSeries (the signals a recording holds)', `none (${acquisition.keys().join(', ') || 'empty'})`);
  const main = plans[0]!;
  const clockHz = main.info.sampleRateHz;
  const markers = readMarkers(file, clockHz, unkept, notes);
  const kinematics: { at: number[]; markers: Marker[] }[] = [];
  const featureSeries: FeatureSeries[] = [];
  let decoderOutput: IntentSeries | undefined;
  for (const name of child(file, 'processing') ? (file.get('processing') as Group).keys() : []) {
    const module = file.get(`processing/${name}`) as Group;
    for (const key of module.keys()) {
      const series = module.get(key) as Group;
      const meta = ours(series);
      const where = `${path} /processing/${name}/${key}`;
      if (name === 'behavior' && key === 'kinematics' && meta?.markerType && meta.samples) {
        const values = (series.get('data') as Dataset).value as Float64Array;
        const width = values.length / meta.samples.length;
        const read = meta.samples.map((sample, i) => createMarker(sample, meta.markerType!, Array.from(values.subarray(i * width, (i + 1) * width))));
        if (meta.at && meta.at.length === read.length) kinematics.push({ at: meta.at, markers: read });
        else markers.push(...read);
        continue;
      }
      if (name === 'ecephys' && typeOf(series) === 'TimeSeries' && meta?.names && meta.bins && meta.t0) {
        featureSeries.push(featureSeriesOf(series, meta as FeatureMeta, where));
        continue;
      }
      if (name === 'behavior' && key === 'decoder_output' && typeOf(series) === 'TimeSeries' && meta?.kind && meta.bins) {
        decoderOutput = intentSeriesOf(series, meta as IntentMeta, where);
        continue;
      }
      unkept.push(`/processing/${name}/${key} (${typeOf(series) ?? 'untyped'}: only the features, decoder outputs and kinematics neurostream writes are read from processing modules)`);
    }
  }
  const features = featureSeries.length > 0 ? featureFramesOf(featureSeries, `${path} /processing/ecephys`) : undefined;
  for (const extra of ['units', 'stimulus/presentation', 'analysis']) {
    const group = child(file, extra.split('/')[0]!) ? (file.get(extra) as Group | null) : null;
    if (group && (extra === 'units' || group.keys().length > 0)) unkept.push(`/${extra} (${extra === 'units' ? 'sorted units' : 'contents'}: not held by a recording)`);
  }
  markers.sort((a, b) => a.sample - b.sample);
  // Our kinematics markers go back to their places in the marker list (ties with others kept as recorded).
  for (const k of kinematics.sort((a, b) => a.at[0]! - b.at[0]!)) k.at.forEach((at, i) => markers.splice(at, 0, k.markers[i]!));
  const streams: ImportedStream[] = plans.map((plan) => ({
    info: plan.info,
    totalSamples: plan.sampleOf ? (plan.samples > 0 ? plan.sampleOf[plan.samples - 1]! + 1 - plan.sampleOf[0]! : 0) : plan.samples,
    ...(plan.file ? { file: plan.file } : {}),
    blocks: () => blocksOf(plan),
  }));
  return {
    source: path,
    format: `NWB ${String(attr(file, 'nwb_version') ?? '2.x')}`,
    streams,
    markers,
    markerClockHz: clockHz,
    notes,
    unkept,
    ...(features ? { features } : {}),
    ...(decoderOutput ? { intents: ((output: IntentSeries) => () => intentsOf(output))(decoderOutput) } : {}),
  };
}

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** HDF5's signature at 0 or a user-block boundary (512, 1024, 2048 …), checked before HDF5 opens the file. */
function checkHdf5Signature(path: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const probe = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size && at <= 1 << 20; at = at === 0 ? 512 : at * 2) {
      if (readSync(fd, probe, 0, 8, at) === 8 && probe.equals(HDF5_SIGNATURE)) return;
    }
  } catch (error) {
    throw new InvalidDataError(path, 'an NWB file (HDF5)', (error as { code?: string }).code ?? String(error));
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  throw new InvalidDataError(path, 'an NWB file (HDF5)', 'a file without the HDF5 signature');
}

function timing(group: Group, name: string, rows: number, knownRateHz: number | undefined): { rateHz: number; first: number; sampleOf?: Float64Array } {
  const start = child(group, 'starting_time') as Dataset | undefined;
  if (start) {
    const rateHz = Number(attr(start, 'rate'));
    const t0 = Number(start.value);
    const first = Math.round(t0 * rateHz);
    if (!(rateHz > 0) || Math.abs(first - t0 * rateHz) > 1e-6 * Math.max(1, first)) throw new InvalidDataError(`/acquisition/${name}/starting_time`, 'a rate > 0 and a start on its sample grid', `${t0} s at ${rateHz} Hz`);
    return { rateHz, first };
  }
  const stamps = child(group, 'timestamps') as Dataset | undefined;
  if (!stamps) throw new InvalidDataError(`/acquisition/${name}`, 'starting_time and rate, or timestamps', 'neither');
  const times = Float64Array.from(numbers(stamps));
  if (times.length !== rows) throw new InvalidDataError(`/acquisition/${name}/timestamps`, `${rows} times (one per row of data)`, times.length);
  let rateHz = knownRateHz ?? 0;
  if (!rateHz) {
    const steps = Array.from(times.subarray(1), (t, i) => t - times[i]!).sort((a, b) => a - b);
    rateHz = steps.length > 0 ? 1 / steps[Math.floor(steps.length / 2)]! : 1;
  }
  const sampleOf = new Float64Array(times.length);
  for (let i = 0; i < times.length; i++) {
    const s = Math.round(times[i]! * rateHz);
    if (Math.abs(s - times[i]! * rateHz) > 0.01 || (i > 0 && s <= sampleOf[i - 1]!)) {
      throw new InvalidDataError(`/acquisition/${name}/timestamps[${i}]`, `times on a ${rateHz} Hz sample grid, increasing (a recording has one rate)`, `${times[i]} s`);
    }
    sampleOf[i] = s;
  }
  return { rateHz, first: sampleOf[0] ?? 0, sampleOf };
}

function electrodeNames(file: File, group: Group, columns: number, where: string): string[] {
  const region = child(group, 'electrodes') as Dataset | undefined;
  const rows = region ? numbers(region) : [];
  if (rows.length !== columns) throw new InvalidDataError(`${where}/electrodes`, `${columns} electrodes (one per column of data)`, rows.length);
  const table = file.get(NWB_PATHS.electrodes) as Group | null;
  if (!table) return rows.map((r) => `e${r}`);
  const ids = numbers(table.get('id') as Dataset);
  const label = child(table, 'label') as Dataset | undefined;
  if (label) return rows.map((r) => texts(label)[r]!);
  const location = child(table, 'location') as Dataset | undefined;
  const locations = location ? rows.map((r) => texts(location)[r]!) : [];
  if (locations.length > 0 && new Set(locations).size === locations.length && !locations.includes('unknown')) return locations;
  return rows.map((r) => `e${ids[r]}`);
}

function deviceOf(file: File, group: Group): { name: string; model: string; serial: string } {
  const devices = child(file, 'general') && (file.get(NWB_PATHS.devices) as Group | null);
  const name = devices && devices.keys().length > 0 ? devices.keys()[0]! : 'nwb';
  const description = devices && devices.keys().length > 0 ? String(attr(devices.get(name) as Group, 'description') ?? '') : '';
  void group;
  return { name, model: description || name, serial: '' };
}

function readMarkers(file: File, clockHz: number, unkept: string[], notes: string[]): Marker[] {
  const markers: Marker[] = [];
  const intervals = child(file, 'intervals') as Group | undefined;
  if (!intervals) return markers;
  const hasOurs = intervals.keys().includes('markers') && (intervals.get('markers') as Group).keys().includes('sample');
  for (const name of intervals.keys()) {
    const table = intervals.get(name) as Group;
    if (typeOf(table) !== 'TimeIntervals') {
      unkept.push(`/intervals/${name} (${typeOf(table) ?? 'untyped'})`);
      continue;
    }
    const column = (c: string): Dataset | undefined => child(table, c) as Dataset | undefined;
    if (name === 'markers' && hasOurs) {
      const samples = numbers(column('sample')!);
      const types = texts(column('type')!);
      const values = texts(column('value')!);
      const durations = numbers(column('duration_samples')!);
      samples.forEach((s, i) => markers.push(createMarker(s, types[i]!, JSON.parse(values[i]!) as never, durations[i]! >= 0 ? durations[i] : undefined)));
      continue;
    }
    if (name === 'trials' && hasOurs) continue; // derived from the markers when we wrote it
    const starts = numbers(column('start_time')!);
    const stops = numbers(column('stop_time')!);
    const colnames = (attr(table, 'colnames') as string[] | undefined) ?? [];
    const extra = colnames.filter((c) => c !== 'start_time' && c !== 'stop_time' && !c.endsWith('_index') && column(c) && !Array.isArray(numbersOrTexts(column(c)!)[0]) );
    const cells = Object.fromEntries(extra.map((c) => [c, numbersOrTexts(column(c)!)]));
    let rounded = 0;
    starts.forEach((t, i) => {
      const sample = Math.round(t * clockHz);
      const duration = Math.round((stops[i]! - t) * clockHz);
      if (Math.abs(sample - t * clockHz) > 1e-6) rounded++;
      const value = extra.length > 0 ? JSON.stringify(Object.fromEntries(extra.map((c) => [c, cells[c]![i]]))) : name;
      markers.push(createMarker(Math.max(0, sample), name, value, duration > 0 ? duration : undefined));
    });
    if (rounded > 0) notes.push(`/intervals/${name}: ${rounded} start times rounded to the ${clockHz} Hz sample clock`);
  }
  return markers;
}

function numbersOrTexts(dataset: Dataset): (number | string)[] {
  const value = dataset.value;
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'number' || typeof v === 'string' ? v : String(v)));
  if (value && typeof value === 'object' && 'length' in value) return Array.from(value as ArrayLike<number | bigint>, (v) => Number(v));
  return [String(value)];
}

function* blocksOf(plan: StreamPlan): Generator<SampleBlock> {
  const C = plan.info.channelNames.length;
  let previousEnd: number | undefined;
  for (let r0 = 0; r0 < plan.samples; ) {
    let r1 = Math.min(plan.samples, r0 + ROWS_PER_BLOCK);
    if (plan.sampleOf) {
      // A block ends before the next jump in sample index.
      for (let r = r0 + 1; r < r1; r++) {
        if (plan.sampleOf[r]! !== plan.sampleOf[r - 1]! + 1) {
          r1 = r;
          break;
        }
      }
    }
    const length = r1 - r0;
    const data = new Float32Array(C * length);
    for (const part of plan.parts) {
      const stored = (part.group.get('data') as Dataset).slice([[r0, r1]]) as ArrayLike<number>;
      const width = part.channels.length;
      for (let i = 0; i < length; i++) {
        for (let k = 0; k < width; k++) {
          const v = Number(stored[i * width + k]!);
          data[part.channels[k]! * length + i] = part.exact ? v : v * part.scale[k]! + part.offsetUv;
        }
      }
    }
    const first = plan.sampleOf ? plan.sampleOf[r0]! : plan.first + r0;
    const missing = previousEnd !== undefined && first > previousEnd ? first - previousEnd : 0;
    yield createSampleBlock({ info: plan.info, first, length, data, hostTime: 0, ...(missing > 0 ? { gap: { missing } } : {}) });
    previousEnd = first + length;
    r0 = r1;
  }
}

type FeatureMeta = OurMeta & { names: string[]; bins: number[]; t0: number[] };
type IntentMeta = OurMeta & { kind: string; bins: number[] };

/** One of our feature TimeSeries (a family: threshold crossings, spike-band power …), checked. */
interface FeatureSeries {
  data: Dataset;
  meta: FeatureMeta;
  columns: number[];
  where: string;
}

/** Our decoder-output TimeSeries, checked. */
interface IntentSeries {
  data: Dataset;
  meta: IntentMeta;
  width: number;
  where: string;
}

const FEATURE_ROWS_PER_READ = 1024;

function rowsOf(data: Dataset, where: string, rows: number, width: number): void {
  const shape = data.shape ?? [];
  const seen = shape.length === 2 ? shape : shape.length === 1 && width === 1 ? [shape[0]!, 1] : shape;
  if (seen.length !== 2 || seen[0] !== rows || seen[1] !== width) throw new InvalidDataError(`${where}/data`, `${rows} × ${width} values (one row per bin in its comments)`, `shape [${shape.join(', ')}]`);
}

function featureSeriesOf(series: Group, meta: FeatureMeta, where: string): FeatureSeries {
  const rows = meta.bins.length;
  const columns = meta.columns ?? meta.names.map((_, i) => i);
  if (meta.t0.length !== rows || (meta.hostTime && meta.hostTime.length !== rows) || columns.length !== meta.names.length) {
    throw new InvalidDataError(`${where} comments`, `as many t0 and hostTime as bins (${rows}), a column index per name (${meta.names.length})`, `${meta.t0.length} t0, ${meta.hostTime?.length ?? 'no'} hostTime, ${columns.length} columns`);
  }
  const data = series.get('data') as Dataset;
  rowsOf(data, where, rows, columns.length);
  return { data, meta, columns, where };
}

/** The feature frames of our ecephys series: the families' columns back in one frame per bin, read in slices. */
function featureFramesOf(parts: FeatureSeries[], where: string): () => Iterable<FeatureFrame> {
  const first = parts[0]!.meta;
  const width = first.width ?? parts.reduce((n, p) => n + p.columns.length, 0);
  const names = new Array<string>(width);
  let offset = 0;
  for (const part of parts) {
    const same = part.meta.bins.length === first.bins.length && part.meta.bins.every((b, i) => b === first.bins[i] && part.meta.t0[i] === first.t0[i]);
    if (!same) throw new InvalidDataError(`${part.where} comments`, `the bins and t0 of ${parts[0]!.where}`, 'other bins');
    // Files without column indices: the families one after the other.
    const columns = part.meta.columns ?? part.columns.map((_, k) => offset + k);
    part.columns = columns;
    columns.forEach((c, k) => (names[c] = part.meta.names[k]!));
    offset += columns.length;
  }
  const missing = names.findIndex((n) => n === undefined);
  if (missing >= 0 || offset !== width) throw new InvalidDataError(`${where} comments`, `${width} feature columns, each in one series`, `${offset} columns${missing >= 0 ? `, none for column ${missing}` : ''}`);
  return function* frames(): Generator<FeatureFrame> {
    const rows = first.bins.length;
    for (let r0 = 0; r0 < rows; r0 += FEATURE_ROWS_PER_READ) {
      const r1 = Math.min(rows, r0 + FEATURE_ROWS_PER_READ);
      const slices = parts.map((part) => part.data.slice([[r0, r1]]) as ArrayLike<number>);
      for (let r = r0; r < r1; r++) {
        const values = new Float32Array(width);
        parts.forEach((part, p) => {
          const w = part.columns.length;
          for (let k = 0; k < w; k++) values[part.columns[k]!] = slices[p]![(r - r0) * w + k]!;
        });
        yield createFeatureFrame({ bin: first.bins[r]!, t0: first.t0[r]!, hostTime: first.hostTime?.[r] ?? 0, values, names });
      }
    }
  };
}

function intentSeriesOf(series: Group, meta: IntentMeta, where: string): IntentSeries {
  const data = series.get('data') as Dataset;
  const shape = data.shape ?? [];
  const width = shape.length === 2 ? shape[1]! : 1;
  rowsOf(data, where, meta.bins.length, width);
  if (meta.latencyMs && meta.latencyMs.length !== meta.bins.length) throw new InvalidDataError(`${where} comments latencyMs`, `${meta.bins.length} latencies (one per bin)`, meta.latencyMs.length);
  if (meta.labels && meta.labels.length !== width) throw new InvalidDataError(`${where} comments labels`, `${width} labels (one per column)`, meta.labels.length);
  return { data, meta, width, where };
}

/** The decoder outputs of our behavior/decoder_output series, read in slices. */
function* intentsOf(series: IntentSeries): Generator<Intent> {
  const { meta, width } = series;
  const rows = meta.bins.length;
  for (let r0 = 0; r0 < rows; r0 += FEATURE_ROWS_PER_READ) {
    const r1 = Math.min(rows, r0 + FEATURE_ROWS_PER_READ);
    const slice = series.data.slice([[r0, r1]]) as ArrayLike<number>;
    for (let r = r0; r < r1; r++) {
      const values = new Float32Array(width);
      for (let k = 0; k < width; k++) values[k] = slice[(r - r0) * width + k]!;
      const latency = meta.latencyMs?.[r] ?? [0, 0, 0];
      yield createIntent({
        bin: meta.bins[r]!,
        kind: meta.kind as IntentKind,
        values,
        ...(meta.labels ? { labels: meta.labels } : {}),
        latency: { acquisitionMs: latency[0]!, featuresMs: latency[1]!, decodeMs: latency[2]! },
      });
    }
  }
}
