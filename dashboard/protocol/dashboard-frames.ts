/**
 * Dashboard frames — the binary server → browser format (one WebSocket binary message = one frame).
 * Runs in Node and in the browser: DataView, Uint8Array and Float32Array only.
 *
 * Layout contract (all little-endian; header 40 bytes; payload starts at byte 40, so every
 * Float32 payload is 4-byte aligned — 8 in fact — from the frame's start)
 *
 * | offset | size | type   | field        | meaning                                                            |
 * |-------:|-----:|--------|--------------|--------------------------------------------------------------------|
 * |      0 |    4 | u8[4]  | magic        | ASCII "NSDB" (0x4E 0x53 0x44 0x42)                                 |
 * |      4 |    1 | u8     | version      | 1                                                                  |
 * |      5 |    1 | u8     | type         | 1 traces, 2 rate, 3 intent, 4 spectrum, 5 health, 6 histogram,     |
 * |        |      |        |              | 7 features (the stream API), 8 band power                          |
 * |      6 |    2 | u16    | flags        | bit 0 RESET: the frame is a whole window, the client clears its    |
 * |        |      |        |              | ring first; other bits 0                                           |
 * |      8 |    4 | u32    | sequence     | per-client frame counter (wraps at 2^32); a jump = dropped frames  |
 * |     12 |    2 | u16    | channels     | rows R (channels; intent dimensions; health metrics), ≥ 1          |
 * |     14 |    2 | u16    | columns      | columns N in this frame (0 allowed: a heartbeat)                   |
 * |     16 |    8 | f64    | time         | stream time (s) of the start of the newest column                  |
 * |     24 |    8 | f64    | step         | column spacing: s per column (traces, rate, intent, health),       |
 * |        |      |        |              | Hz per bin (spectrum; 0 for band power)                            |
 * |     32 |    4 | u32    | firstColumn  | absolute index of the frame's first column (column k starts at     |
 * |        |      |        |              | k · step s): a client writes column firstColumn + j into ring slot |
 * |        |      |        |              | (firstColumn + j) mod its width, so frames can carry only the new  |
 * |        |      |        |              | columns (deltas) and re-send a column that was partial             |
 * |     36 |    4 | u32    | payloadBytes | bytes after the header; must equal the type's size below           |
 * |     40 |    … | f32[]  | payload(s)   | each channel-major [R × N]: row r, column j at r · N + j           |
 *
 * Payloads by type (in this order, back to back):
 * - 1 traces:   min [R × N], max [R × N] (µV; NaN min and max = empty column: no samples, a gap)
 * - 2 rate:     rates [R × N] (Hz; NaN = bin missing)
 * - 3 intent:   values [R × N] (R intent dimensions, N consecutive bins — to a page, followed by
 *               the task's truth rows its hello's `intentTruth` names, NaN where unknown), then
 *               latency [3 × N] (rows: acquisitionMs, featuresMs, decodeMs)
 * - 4 spectrum: power [R × N] (N frequency bins, bin i at (firstColumn + i) · step Hz; or N bands
 *               in the order announced out of band, step 0)
 * - 5 health:   values [R × N], row r = metric HEALTH_METRICS[r] (N samples, usually 1); extra
 *               rows beyond the known metrics are allowed and ignored by older clients
 * - 6 histogram: counts [R × N]: row r = latency stage LATENCY_STAGES[r], column j = bin j whose
 *               edges (ms) are announced out of band (the hello message); step 0
 * - 7 features: values [R × N]: R features (names announced out of band) for N consecutive bins,
 *               bin firstColumn + j; step = bin width (s)
 * - 8 band power: power [R × N] (µV²): R channels, N bands (names and edges announced out of band,
 *               the hello's `bandPower`); `time` = stream time (s) of the end of the window,
 *               firstColumn = the window's index, step 0
 *
 * Total frame length = 40 + payloadBytes exactly. `decodeDashboardFrame` returns Float32Array views
 * into the buffer (no copies; an unaligned Node Buffer slice is copied once into an aligned one).
 */
import { InvalidDataError, InvalidOptionError } from '../../core/errors.js';

export const DASHBOARD_MAGIC = 'NSDB';
export const DASHBOARD_VERSION = 1;
export const HEADER_BYTES = 40;
/** Flags bit 0: the frame carries a whole window; clear the ring before applying it. */
export const FLAG_RESET = 1;
const KNOWN_FLAGS = FLAG_RESET;

export const FrameType = {
  Traces: 1,
  Rate: 2,
  Intent: 3,
  Spectrum: 4,
  Health: 5,
  Histogram: 6,
  Features: 7,
  BandPower: 8,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];
/** Each frame type's name, by its number (the page counts frames by these names). */
export const FRAME_TYPE_NAMES = {
  [FrameType.Traces]: 'traces',
  [FrameType.Rate]: 'rate',
  [FrameType.Intent]: 'intent',
  [FrameType.Spectrum]: 'spectrum',
  [FrameType.Health]: 'health',
  [FrameType.Histogram]: 'histogram',
  [FrameType.Features]: 'features',
  [FrameType.BandPower]: 'bandPower',
} as const satisfies Record<FrameType, string>;
export type FrameTypeName = (typeof FRAME_TYPE_NAMES)[FrameType];
const TYPE_NAMES: Readonly<Record<number, string>> = FRAME_TYPE_NAMES;

/** Row order of a health frame (a contract: append only). */
export const HEALTH_METRICS = [
  'lostPackets',
  'corruptPackets',
  'gapSamples',
  'latencyP50Ms',
  'latencyP99Ms',
  'droppedFrames',
  'clientQueueBytes',
  'sampleRateHz',
  'lagMs',
  'maxLagMs',
  'recordingBytes',
  'recordingDroppedSamples',
  'decoderBacklogBins',
] as const;

/** Row order of a latency histogram frame (a contract: append only). */
export const LATENCY_STAGES = ['acquisitionMs', 'featuresMs', 'decodeMs', 'totalMs'] as const;

const MAGIC_BYTES = [0x4e, 0x53, 0x44, 0x42] as const;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface DashboardFrameHeader {
  sequence: number;
  /** Stream time (s) of the start of the newest column. */
  time: number;
  /** Column spacing (s, or Hz for a spectrum). */
  step: number;
  /** Absolute index of the first column carried. */
  firstColumn: number;
  channels: number;
  columns: number;
  /** Bit flags (FLAG_RESET); 0 by default. */
  flags?: number;
}

/** Float32 values in a frame's payload(s) for `channels` rows × `columns` columns. */
export function payloadValues(type: FrameType, channels: number, columns: number): number {
  switch (type) {
    case FrameType.Traces:
      return 2 * channels * columns;
    case FrameType.Intent:
      return (channels + 3) * columns;
    default:
      return channels * columns;
  }
}

/** Bytes of a whole frame. */
export function dashboardFrameBytes(type: FrameType, channels: number, columns: number): number {
  return HEADER_BYTES + 4 * payloadValues(type, channels, columns);
}

/** Bytes per second when sending `framesPerSecond` frames of `columns` columns each. */
export function frameBytesPerSecond(type: FrameType, channels: number, columns: number, framesPerSecond: number): number {
  return dashboardFrameBytes(type, channels, columns) * framesPerSecond;
}

/** The most columns per frame that keep `framesPerSecond` frames within `bytesPerSecond`. */
export function maxColumnsWithin(type: FrameType, channels: number, framesPerSecond: number, bytesPerSecond: number): number {
  const perColumn = 4 * payloadValues(type, channels, 1);
  return Math.max(0, Math.floor((bytesPerSecond / framesPerSecond - HEADER_BYTES) / perColumn));
}

function uint(name: string, value: number, max: number, min = 0): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(`DashboardFrame.${name}`, `an integer from ${min} to ${max}`, value);
  }
  return value;
}

/** A frame being built: `bytes` is the whole frame; fill `payloads` in place. */
export interface DashboardFrameDraft {
  bytes: Uint8Array;
  payloads: Float32Array[];
}

/**
 * Writes a header into `out` (a new buffer when omitted) and returns the frame's bytes and
 * Float32Array views of its payloads (layout above), for the caller to fill without copying.
 */
export function createDashboardFrame(type: FrameType, header: DashboardFrameHeader, out?: ArrayBuffer): DashboardFrameDraft {
  if (!LITTLE_ENDIAN_HOST) throw new InvalidOptionError('DashboardFrame', 'a little-endian host', 'a big-endian host');
  if (TYPE_NAMES[type] === undefined) throw new InvalidOptionError('DashboardFrame.type', 'one of 1, 2, 3, 4, 5, 6, 7, 8', type);
  const channels = uint('channels', header.channels, 0xffff, 1);
  const columns = uint('columns', header.columns, 0xffff);
  const flags = uint('flags', header.flags ?? 0, KNOWN_FLAGS);
  const sequence = uint('sequence', header.sequence, 0xffffffff);
  const firstColumn = uint('firstColumn', header.firstColumn, 0xffffffff);
  if (typeof header.time !== 'number') throw new InvalidOptionError('DashboardFrame.time', 'a number', header.time);
  if (typeof header.step !== 'number') throw new InvalidOptionError('DashboardFrame.step', 'a number', header.step);
  const values = payloadValues(type, channels, columns);
  const length = HEADER_BYTES + 4 * values;
  const buffer = out ?? new ArrayBuffer(length);
  if (buffer.byteLength < length) throw new InvalidOptionError('DashboardFrame.out', `an ArrayBuffer of at least ${length} bytes`, buffer.byteLength);
  const view = new DataView(buffer, 0, length);
  for (let i = 0; i < 4; i++) view.setUint8(i, MAGIC_BYTES[i]!);
  view.setUint8(4, DASHBOARD_VERSION);
  view.setUint8(5, type);
  view.setUint16(6, flags, true);
  view.setUint32(8, sequence, true);
  view.setUint16(12, channels, true);
  view.setUint16(14, columns, true);
  view.setFloat64(16, header.time, true);
  view.setFloat64(24, header.step, true);
  view.setUint32(32, firstColumn, true);
  view.setUint32(36, 4 * values, true);
  return { bytes: new Uint8Array(buffer, 0, length), payloads: payloadViews(type, buffer, 0, channels, columns) };
}

function payloadViews(type: FrameType, buffer: ArrayBufferLike, byteOffset: number, channels: number, columns: number): Float32Array[] {
  const at = byteOffset + HEADER_BYTES;
  const n = channels * columns;
  switch (type) {
    case FrameType.Traces:
      return [new Float32Array(buffer, at, n), new Float32Array(buffer, at + 4 * n, n)];
    case FrameType.Intent:
      return [new Float32Array(buffer, at, n), new Float32Array(buffer, at + 4 * n, 3 * columns)];
    default:
      return [new Float32Array(buffer, at, n)];
  }
}

interface DecodedHeader {
  version: number;
  flags: number;
  sequence: number;
  time: number;
  step: number;
  firstColumn: number;
  channels: number;
  columns: number;
}
export type DecodedTracesFrame = DecodedHeader & { type: typeof FrameType.Traces; min: Float32Array; max: Float32Array };
export type DecodedRateFrame = DecodedHeader & { type: typeof FrameType.Rate; rates: Float32Array };
export type DecodedIntentFrame = DecodedHeader & { type: typeof FrameType.Intent; values: Float32Array; latency: Float32Array };
export type DecodedSpectrumFrame = DecodedHeader & { type: typeof FrameType.Spectrum; power: Float32Array };
export type DecodedHealthFrame = DecodedHeader & { type: typeof FrameType.Health; values: Float32Array };
export type DecodedHistogramFrame = DecodedHeader & { type: typeof FrameType.Histogram; counts: Float32Array };
export type DecodedFeaturesFrame = DecodedHeader & { type: typeof FrameType.Features; values: Float32Array };
export type DecodedBandPowerFrame = DecodedHeader & { type: typeof FrameType.BandPower; power: Float32Array };
export type DecodedDashboardFrame =
  | DecodedTracesFrame
  | DecodedRateFrame
  | DecodedIntentFrame
  | DecodedSpectrumFrame
  | DecodedHealthFrame
  | DecodedHistogramFrame
  | DecodedFeaturesFrame
  | DecodedBandPowerFrame;

function bad(field: string, expected: string, received: unknown): never {
  throw new InvalidDataError(`DashboardFrame.${field}`, expected, received);
}

/**
 * Validates a frame and returns its header fields and Float32Array views of its payloads (no
 * copy when the bytes start 4-byte aligned). Throws InvalidDataError naming the field
 * (`DashboardFrame.length|magic|version|type|flags|channels|payloadBytes`), what was expected
 * and what was seen.
 */
export function decodeDashboardFrame(input: ArrayBuffer | ArrayBufferView): DecodedDashboardFrame {
  if (!LITTLE_ENDIAN_HOST) bad('host', 'a little-endian host', 'a big-endian host');
  let buffer: ArrayBufferLike;
  let offset: number;
  let length: number;
  if (input instanceof ArrayBuffer) {
    buffer = input;
    offset = 0;
    length = input.byteLength;
  } else if (ArrayBuffer.isView(input)) {
    buffer = input.buffer;
    offset = input.byteOffset;
    length = input.byteLength;
    if (offset % 4 !== 0) {
      // Float32Array views need 4-byte alignment: copy once.
      const copy = new Uint8Array(length);
      copy.set(new Uint8Array(buffer, offset, length));
      buffer = copy.buffer;
      offset = 0;
    }
  } else {
    return bad('bytes', 'an ArrayBuffer or a typed array', input);
  }
  if (length < HEADER_BYTES) bad('length', `at least ${HEADER_BYTES} bytes (the header)`, length);
  const view = new DataView(buffer, offset, length);
  const magic = String.fromCharCode(view.getUint8(0), view.getUint8(1), view.getUint8(2), view.getUint8(3));
  if (magic !== DASHBOARD_MAGIC) bad('magic', `"${DASHBOARD_MAGIC}"`, magic);
  const version = view.getUint8(4);
  if (version !== DASHBOARD_VERSION) bad('version', String(DASHBOARD_VERSION), version);
  const type = view.getUint8(5);
  if (TYPE_NAMES[type] === undefined) bad('type', '1 (traces), 2 (rate), 3 (intent), 4 (spectrum), 5 (health), 6 (histogram), 7 (features) or 8 (band power)', type);
  const flags = view.getUint16(6, true);
  if ((flags & ~KNOWN_FLAGS) !== 0) bad('flags', `only bits in ${KNOWN_FLAGS} set`, flags);
  const channels = view.getUint16(12, true);
  if (channels === 0) bad('channels', 'at least 1', channels);
  const columns = view.getUint16(14, true);
  const payloadBytes = view.getUint32(36, true);
  const expectedPayload = 4 * payloadValues(type as FrameType, channels, columns);
  if (payloadBytes !== expectedPayload) {
    bad('payloadBytes', `${expectedPayload} for a ${TYPE_NAMES[type]} frame of ${channels} channels × ${columns} columns`, payloadBytes);
  }
  if (length !== HEADER_BYTES + payloadBytes) bad('length', `${HEADER_BYTES + payloadBytes} bytes (header + payloadBytes)`, length);
  const head: DecodedHeader = {
    version,
    flags,
    sequence: view.getUint32(8, true),
    time: view.getFloat64(16, true),
    step: view.getFloat64(24, true),
    firstColumn: view.getUint32(32, true),
    channels,
    columns,
  };
  const p = payloadViews(type as FrameType, buffer, offset, channels, columns);
  switch (type) {
    case FrameType.Traces:
      return { type: FrameType.Traces, ...head, min: p[0]!, max: p[1]! };
    case FrameType.Rate:
      return { type: FrameType.Rate, ...head, rates: p[0]! };
    case FrameType.Intent:
      return { type: FrameType.Intent, ...head, values: p[0]!, latency: p[1]! };
    case FrameType.Spectrum:
      return { type: FrameType.Spectrum, ...head, power: p[0]! };
    case FrameType.Health:
      return { type: FrameType.Health, ...head, values: p[0]! };
    case FrameType.Histogram:
      return { type: FrameType.Histogram, ...head, counts: p[0]! };
    case FrameType.BandPower:
      return { type: FrameType.BandPower, ...head, power: p[0]! };
    default:
      return { type: FrameType.Features, ...head, values: p[0]! };
  }
}
