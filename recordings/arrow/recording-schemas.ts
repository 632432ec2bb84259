/**
 * The Arrow schemas of a recording's files and the builders of their record batches. This is the
 * contract other tools read (docs/recording-format.md describes it for them):
 *
 *   signals.arrows   sample: int64 (index since stream start; a jump is a gap),
 *                    then one column per channel, named by its label: float32 in the channel's
 *                    unit (µV for neural channels), or, from version 2, int16/int32 counts of a
 *                    device's ADC with the unit per count in the field metadata `scale`
 *                    (signal-columns.ts says which). Schema metadata `neurostream.stream_info`:
 *                    the StreamInfo as JSON. Field metadata: `unit`, `kind`, `scale`.
 *   markers.arrows   sample: int64, duration: int64 (samples, null for instants), type: utf8,
 *                    value_number: float64, value_text: utf8, value_vector: list<float64>
 *                    (exactly one value column is non-null per row).
 *   features.arrows  bin: int64, t0: int64 (first sample of the bin), host_time_ms: float64,
 *                    then one float32 column per feature, named by the feature.
 *   intents.arrows   bin: int64, then one float32 column per output value (labels of discrete
 *                    decoders, `value_0…` otherwise), acquisition_ms, features_ms, decode_ms:
 *                    float64. Schema metadata `neurostream.intent_kind`.
 *
 * Every schema carries `neurostream.format_version` and the StreamInfo of the source stream.
 * Columns are never nullable except where stated, so batches need no validity bitmaps.
 */
import {
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Utf8,
  vectorFromArray,
  type Data,
  type DataType,
} from 'apache-arrow';
import { signalColumnTypes, type SignalColumnType } from './signal-columns.js';
import { InvalidDataError, type FeatureFrame, type Intent, type IntentKind, type Marker, type StreamInfo } from '../../core/index.js';

/** Version 2: signal channels may be integer counts with a `scale` (version 1 files still read). */
export const RECORDING_FORMAT_VERSION = 2;
/** Field metadata of an integer signal column: the channel's unit per count, as a decimal string. */
export const METADATA_SCALE = 'scale';
export const METADATA_FORMAT_VERSION = 'neurostream.format_version';
export const METADATA_STREAM_INFO = 'neurostream.stream_info';
export const METADATA_INTENT_KIND = 'neurostream.intent_kind';

function baseMetadata(info: StreamInfo, extra: Record<string, string> = {}): Map<string, string> {
  return new Map([
    [METADATA_FORMAT_VERSION, String(RECORDING_FORMAT_VERSION)],
    [METADATA_STREAM_INFO, JSON.stringify(info)],
    ...Object.entries(extra),
  ]);
}

function checkColumnNames(file: string, reserved: readonly string[], names: readonly string[]): void {
  names.forEach((name, i) => {
    if (reserved.includes(name)) {
      throw new InvalidDataError(`${file} column ${i}`, `a name other than ${reserved.map((r) => `"${r}"`).join(', ')}`, name);
    }
  });
}

const SIGNAL_RESERVED = ['sample'];

function arrowType(type: SignalColumnType): Float32 | Int16 | Int32 {
  return type === 'int16' ? new Int16() : type === 'int32' ? new Int32() : new Float32();
}

/** The signals schema; `types` (default: signalColumnTypes(info)) says how each channel is stored. */
export function signalsSchema(info: StreamInfo, types: readonly SignalColumnType[] = signalColumnTypes(info)): Schema {
  checkColumnNames('signals.arrows', SIGNAL_RESERVED, info.channelNames);
  const channels = info.channelNames.map((name, c) => {
    const metadata = new Map<string, string>([
      ['unit', info.units[c]!],
      ['kind', info.channelKinds[c]!],
    ]);
    if (types[c] !== 'float32') metadata.set(METADATA_SCALE, String(info.adcScale[c]!));
    return new Field(name, arrowType(types[c]!), false, metadata);
  });
  return new Schema([new Field('sample', new Int64(), false), ...channels], baseMetadata(info));
}

function column<T extends DataType>(type: T, length: number, data: ArrayLike<unknown>): Data<T> {
  return makeData({ type, length, nullCount: 0, data } as never) as Data<T>;
}

function batchOf(schema: Schema, length: number, children: Data[]): RecordBatch {
  return new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length, nullCount: 0, children }));
}

/**
 * A signals batch of `length` rows: `samples[i]` is row i's sample index; `columns[c]` holds
 * channel c's `length` values in the type its schema field says (Float32Array, Int16Array or
 * Int32Array). The arrays are used, not copied.
 */
export function signalsBatch(schema: Schema, samples: BigInt64Array, columns: readonly (Float32Array | Int16Array | Int32Array)[], length: number): RecordBatch {
  const channels = schema.fields.length - 1;
  const children: Data[] = [column(new Int64(), length, samples.subarray(0, length))];
  for (let c = 0; c < channels; c++) children.push(column(schema.fields[c + 1]!.type as DataType, length, columns[c]!.subarray(0, length)));
  return batchOf(schema, length, children);
}

const vectorItem = new Field('item', new Float64(), false);

export function markersSchema(info: StreamInfo): Schema {
  return new Schema(
    [
      new Field('sample', new Int64(), false),
      new Field('duration', new Int64(), true),
      new Field('type', new Utf8(), false),
      new Field('value_number', new Float64(), true),
      new Field('value_text', new Utf8(), true),
      new Field('value_vector', new List(vectorItem), true),
    ],
    baseMetadata(info),
  );
}

export function markersBatch(schema: Schema, markers: readonly Marker[]): RecordBatch {
  const n = markers.length;
  const samples = new BigInt64Array(n);
  markers.forEach((m, i) => (samples[i] = BigInt(m.sample)));
  const durations = markers.map((m) => (m.duration === undefined ? null : BigInt(m.duration)));
  const children = [
    column(new Int64(), n, samples),
    vectorFromArray(durations, new Int64()).data[0]!,
    vectorFromArray(markers.map((m) => m.type), new Utf8()).data[0]!,
    vectorFromArray(markers.map((m) => (typeof m.value === 'number' ? m.value : null)), new Float64()).data[0]!,
    vectorFromArray(markers.map((m) => (typeof m.value === 'string' ? m.value : null)), new Utf8()).data[0]!,
    vectorFromArray(markers.map((m) => (Array.isArray(m.value) ? [...m.value] : null)), new List(vectorItem)).data[0]!,
  ];
  return batchOf(schema, n, children);
}

const FEATURE_RESERVED = ['bin', 't0', 'host_time_ms'];

export function featuresSchema(info: StreamInfo, names: readonly string[]): Schema {
  checkColumnNames('features.arrows', FEATURE_RESERVED, names);
  return new Schema(
    [
      new Field('bin', new Int64(), false),
      new Field('t0', new Int64(), false),
      new Field('host_time_ms', new Float64(), false),
      ...names.map((name) => new Field(name, new Float32(), false)),
    ],
    baseMetadata(info),
  );
}

export function featuresBatch(schema: Schema, frames: readonly FeatureFrame[]): RecordBatch {
  const n = frames.length;
  const features = schema.fields.length - 3;
  const bins = new BigInt64Array(n);
  const t0 = new BigInt64Array(n);
  const hostTime = new Float64Array(n);
  const values = new Float32Array(features * n);
  for (let i = 0; i < n; i++) {
    const frame = frames[i]!;
    if (frame.values.length !== features) {
      throw new InvalidDataError(`FeatureFrame ${frame.bin}.values`, `${features} features (as the recording's first frame)`, frame.values);
    }
    bins[i] = BigInt(frame.bin);
    t0[i] = BigInt(frame.t0);
    hostTime[i] = frame.hostTime;
    for (let f = 0; f < features; f++) values[f * n + i] = frame.values[f]!;
  }
  const children: Data[] = [column(new Int64(), n, bins), column(new Int64(), n, t0), column(new Float64(), n, hostTime)];
  for (let f = 0; f < features; f++) children.push(column(new Float32(), n, values.subarray(f * n, (f + 1) * n)));
  return batchOf(schema, n, children);
}

const INTENT_RESERVED = ['bin', 'acquisition_ms', 'features_ms', 'decode_ms'];

/** Column names of an intent's values: its labels, or `value_0…`. */
export function intentColumnNames(intent: Intent): string[] {
  return intent.labels ? [...intent.labels] : Array.from(intent.values, (_, i) => `value_${i}`);
}

export function intentsSchema(info: StreamInfo, kind: IntentKind, names: readonly string[]): Schema {
  checkColumnNames('intents.arrows', INTENT_RESERVED, names);
  return new Schema(
    [
      new Field('bin', new Int64(), false),
      ...names.map((name) => new Field(name, new Float32(), false)),
      new Field('acquisition_ms', new Float64(), false),
      new Field('features_ms', new Float64(), false),
      new Field('decode_ms', new Float64(), false),
    ],
    baseMetadata(info, { [METADATA_INTENT_KIND]: kind }),
  );
}

export function intentsBatch(schema: Schema, intents: readonly Intent[]): RecordBatch {
  const n = intents.length;
  const outputs = schema.fields.length - 4;
  const bins = new BigInt64Array(n);
  const values = new Float32Array(outputs * n);
  const latency = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const intent = intents[i]!;
    if (intent.values.length !== outputs) {
      throw new InvalidDataError(`Intent ${intent.bin}.values`, `${outputs} values (as the recording's first intent)`, intent.values);
    }
    bins[i] = BigInt(intent.bin);
    for (let k = 0; k < outputs; k++) values[k * n + i] = intent.values[k]!;
    latency[i] = intent.latency.acquisitionMs;
    latency[n + i] = intent.latency.featuresMs;
    latency[2 * n + i] = intent.latency.decodeMs;
  }
  const children: Data[] = [column(new Int64(), n, bins)];
  for (let k = 0; k < outputs; k++) children.push(column(new Float32(), n, values.subarray(k * n, (k + 1) * n)));
  for (let k = 0; k < 3; k++) children.push(column(new Float64(), n, latency.subarray(k * n, (k + 1) * n)));
  return batchOf(schema, n, children);
}
