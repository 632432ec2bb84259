/**
 * Dashboard messages — the JSON text half of the server ↔ browser protocol (the binary half is
 * dashboard-frames.ts). Shared by the publisher (Node) and the page (browser): the message kinds
 * are constants here, and each message's shape is an interface, so neither side spells a kind or
 * a field by hand. Type-only imports aside, this module has no dependencies (the page loads it).
 */
import type { DecoderValidation, DecoderValidationJson } from '../../decoding/decoder-validation.js';
import type { SessionStateFields } from './session-state.js';

export type { DeviceLinkLost, ReplayPosition, SessionState, SessionStateFields } from './session-state.js';

/** The `type` of every JSON message, server → client and client → server. */
export const MessageType = {
  /** Server → client on connecting and whenever the stream's description changes. */
  Hello: 'hello',
  /** Server → page: the page's trace view as laid out. */
  View: 'view',
  /** Server → client twice a second: session, recording and decoder states. */
  Status: 'status',
  /** Server → client: an event on the stream, or an operator's marker. */
  Marker: 'marker',
  /** Server → client: a command was done. */
  Ack: 'ack',
  /** Server → client: a request or command was refused. */
  Error: 'error',
  /** Server → stream API subscriber: the names of the features frames' rows. */
  Features: 'features',
  /** Server → stream API subscriber: items it missed while it was behind. */
  Dropped: 'dropped',
  /** Client → server: an operator command. */
  Command: 'command',
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * Version of the JSON messages (the `protocol` of a hello). 2: the status's `state` is typed
 * (`live`, `replay` with its position, `device-lost` with its attempt …) where 1 said `running`
 * with a free-text `detail`.
 */
export const MESSAGE_PROTOCOL = 2;
/** The `api` a stream API subscriber's hello names. */
export const STREAM_API_NAME = 'neurostream.stream';

/**
 * Where the decoder stands, for the page's colours and banner (the decoder's `status` text is for
 * display only): `waiting` for its input (e.g. spike thresholds, a first cue), `calibrating`
 * (collecting calibration bins or fitting), `decoding`, `recalibrating` (decoding while a new
 * calibration is collected), `none` (it will not run, e.g. no kinematics to calibrate on),
 * `failed`.
 */
export type DecoderState = 'waiting' | 'calibrating' | 'decoding' | 'recalibrating' | 'none' | 'failed';

export interface DashboardRecordingStatus {
  state: string;
  dir: string;
  bytes: number;
  samples: number;
  droppedSamples: number;
  error?: string;
}

export interface DashboardDecoderStatus {
  name: string;
  provider: string;
  /** One line, as on the terminal's status line (display only). */
  status: string;
  /** Where the decoder stands (what the page colours by); absent: treated as running normally. */
  state?: DecoderState;
  kind?: 'continuous' | 'discrete';
  /** Output names (continuous) or class labels (discrete), in the order of the intent rows. */
  outputs?: readonly string[];
  /** Bins waiting to be decoded. */
  backlog?: number;
  /** Online validation against the task's truth: the running R² (or a trial decoder's accuracy) and over how long. */
  validation?: DecoderValidation;
  /**
   * How far a calibration has got (while `state` is `calibrating`, or `recalibrating`): bins
   * collected of those needed, and whether the model is being fitted. Absent: the session does not
   * say; the page then shows the status line.
   */
  calibration?: DecoderCalibrationProgress;
}

/** A calibration's progress, for the decoder panel's progress bar. */
export interface DecoderCalibrationProgress {
  /** Bins collected so far. */
  collectedBins: number;
  /** Bins the calibration needs (its `--calibrate-s` seconds of bins). */
  neededBins: number;
  /** The bins are all in and the model is being fitted. */
  fitting: boolean;
}

/** One neural channel's signal quality over the newest window (acquisition's `signalQuality`). */
export interface ChannelQualityStatus {
  channel: string;
  status: 'railed' | 'flat' | 'line-noise' | 'ok';
  /** Mains power relative to 1–40 Hz power, dB; null where there is none. */
  lineNoiseDb: number | null;
  /** The window's peak |value| as a fraction of full scale; null where full scale is unknown. */
  peakFraction: number | null;
}

/** Signal quality per neural channel: the health panel's list and the traces' badges. */
export interface DashboardQualityStatus {
  /** Sample index (exclusive) where the window ends. */
  sample: number;
  mainsHz: number;
  channels: ChannelQualityStatus[];
}

/** The last electrode impedances measured (a Cyton's lead-off current, the `measure-impedance` command), and one under way. */
export interface DashboardImpedanceStatus {
  /** UTC ISO time of the last complete measurement; absent before one finished. */
  measuredAt?: string;
  channels: { channel: string; impedanceKohm: number }[];
  /** A measurement under way: the channel whose lead-off current is on, its place (0-based) among `of`, and every channel being measured. */
  measuring?: { channel: string; index: number; of: number; channels: string[] };
  /** Why the last measurement stopped short (the values shown are the ones before it). */
  error?: string;
}

/**
 * What the session tells the dashboard about itself, asked twice a second. Its state is typed
 * (session-state.ts: `waiting`, `live`, `replay` with its position and speed, `device-lost` with
 * the reconnection attempt, `ended`): the page words and colours it, never from free text.
 */
export interface DashboardSessionStatus extends SessionStateFields {
  label: string;
  recording: DashboardRecordingStatus | null;
  decoder: DashboardDecoderStatus | null;
  /** Packets the device parser lost and rejected, when the device reports them. */
  packets?: { lost: number; corrupt: number };
  /** Signal quality per neural channel, newest window; absent until one is complete. */
  quality?: DashboardQualityStatus;
  /** The last impedances measured on this device; absent when none was. */
  impedance?: DashboardImpedanceStatus;
}

/** The stream as a hello describes it. */
export interface StreamDescription {
  device: string;
  channels: readonly string[];
  kinds: readonly string[];
  units: readonly string[];
  sampleRateHz: number;
  /** Per channel, one ADC step in the channel's unit (0 where unknown): a lane that changes by less is shown as flat. */
  adcScale?: readonly number[];
  /** Samples in the stream's first block (how the source delivers them; the latency thresholds scale with it). */
  blockSamples?: number;
}

/** The decoded intents as a hello describes them. */
export interface IntentDescription {
  kind: string;
  dims: number;
  binS: number;
}

/** What every hello carries (pages and stream API subscribers alike). */
export interface HelloBase {
  type: typeof MessageType.Hello;
  protocol: number;
  role: 'viewer' | 'operator';
  commands: string[];
  stream: StreamDescription | null;
  intent: IntentDescription | null;
  histogram: { stages: readonly string[]; edgesMs: readonly number[] };
  healthMetrics: readonly string[];
}

/**
 * What a page asks to see of the signal (a view's `display`): the default (the session's filtered
 * signal when there is one, the spike band for an extracellular stream, else raw), the session's
 * filtered signal, the raw signal, or a display filter of the raw signal (a band-pass and/or a
 * mains notch; both null = raw). Applied per page; never to what is recorded or decoded.
 */
export type DisplayChoice = 'default' | 'session' | 'raw' | { bandHz: readonly [number, number] | null; notchHz: 50 | 60 | null };

/** The displays a page is offered (its hello's `display`). */
export interface DisplayOffer {
  /** Which presets apply: EEG band-passes, or the spike and LFP bands. */
  signal: 'eeg' | 'intracortical';
  /** The session's filter as the label names it (e.g. "filtered 1–40 Hz, notch 60 Hz"); null: the session does not filter. */
  session: string | null;
  bandPresetsHz: [number, number][];
  notchHz: number[];
}

/** A band of the band-power frames. */
export interface BandDescription {
  name: string;
  loHz: number;
  hiHz: number;
}

/** A dashboard page's hello. */
export interface PageHello extends HelloBase {
  framesPerSecond: number;
  traces: { baseColumnsPerSecond: number; maxWindowS: number; maxViewChannels: number } | null;
  rate: { channels: number; binS: number } | null;
  spectrum: { channels: number; binHz: number; bins: number; units: string } | null;
  /** The displays offered (null before the stream has started). */
  display: DisplayOffer | null;
  /** Band power (EEG streams): the bands of a band-power frame's columns, its channels (rows) and what it is computed from. */
  bandPower: { bands: BandDescription[]; channels: number; windowS: number; source: string } | null;
  /**
   * The task's truth carried with a continuous decoder's intents (null: none known): its rows
   * follow the intent's values in the intent frames' first payload (rows `dims … dims + names.length`),
   * one value per bin (NaN where none is known), e.g. the centre-out task's `pos_x pos_y vel_x vel_y`
   * in `cm cm cm/s cm/s` from its `kinematics` markers. A decoder output of the same name is in the
   * same unit.
   */
  intentTruth: IntentTruthDescription | null;
}

/** The truth rows of a page's intent frames. */
export interface IntentTruthDescription {
  names: readonly string[];
  units: readonly string[];
  /** Where it comes from, in words (e.g. "the task's kinematics markers"). */
  source: string;
}

/** A stream API subscriber's hello. */
export interface StreamHello extends HelloBase {
  api: typeof STREAM_API_NAME;
  topics: string[];
}

/** The page's trace view as laid out by the server. */
export interface ViewMessage {
  type: typeof MessageType.View;
  channels: number[];
  windowS: number;
  columns: number;
  step: number;
  /** What the page is shown: the choice it made and what that resolves to (`label` is for the page's "what is shown" line). */
  display: { choice: DisplayChoice; key: string; label: string };
}

/** The session's status as sent to clients. */
export interface StatusMessage extends DashboardSessionStatus {
  type: typeof MessageType.Status;
  clients: number;
  markersDropped: number;
}

/** A status message as the page receives it: JSON turns the validation's NaNs into nulls. */
export interface StatusMessageJson extends Omit<StatusMessage, 'decoder'> {
  decoder: (Omit<DashboardDecoderStatus, 'validation'> & { validation?: DecoderValidationJson }) | null;
}

/** An event on the traces. */
export interface MarkerMessage {
  type: typeof MessageType.Marker;
  source: 'stream' | 'operator';
  sample: number;
  /** Stream time (s); null before the stream has started. */
  time: number | null;
  markerType: string;
  value: unknown;
}
