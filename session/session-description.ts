/**
 * The typed description of a session — where its blocks come from, what runs on them, what decodes
 * them and where they go — checked with zod. Both a session file (YAML/JSON, `session-file.ts`)
 * and the command-line flags produce one; `startSession` runs one. Nothing turns a description
 * back into flags.
 */
import { z } from 'zod';
import { ONNX_PROVIDERS } from '../decoding/index.js';

const mainsHz = z.literal([50, 60]);
/** The most worker threads the intracortical chain may be given. */
export const MAX_CHAIN_WORKERS = 256;
const positive = z.number().positive();
const port = z.number().int().min(0).max(65535);
const blockMs = positive.max(10_000);

/** A simulated device (in a worker thread): an intracortical array or an EEG headset. */
export const SimulateSourceSchema = z.strictObject({
  type: z.literal('simulate'),
  kind: z.enum(['intracortical', 'eeg']),
  channels: z.number().int().min(1).max(1024).optional(),
  rateHz: positive.optional(),
  seed: z.number().int(),
  /** The simulated mains interference. */
  mainsHz,
  blockMs,
  /** Generate as fast as possible instead of in real time. */
  fast: z.boolean(),
});

/** An OpenBCI Cyton on a serial port, with channel-setting commands sent before streaming (as a session file writes it too). */
export const CytonSourceSchema = z.strictObject({ type: z.literal('cyton'), port: z.string().min(1), settings: z.array(z.string().min(1)).optional() });
/** A device speaking neurostream's frame protocol on a serial port. */
export const FrameSourceSchema = z.strictObject({ type: z.literal('frame'), port: z.string().min(1) });
/** Intan RHX over its TCP servers. */
export const IntanSourceSchema = z.strictObject({
  type: z.literal('intan'),
  host: z.string().min(1).optional(),
  commandPort: port.optional(),
  waveformPort: port.optional(),
  channels: z.number().int().min(1).max(1024).optional(),
});

/** The streams an LSL source takes: a signal stream by name or query, and marker streams (names or queries). */
export const lslStreamFields = {
  stream: z.string().min(1).optional(),
  query: z.string().min(1).optional(),
  markers: z.array(z.string().min(1)).optional(),
};

/** Where a session's blocks come from. */
export const SourceSchema = z.discriminatedUnion('type', [
  SimulateSourceSchema,
  CytonSourceSchema,
  FrameSourceSchema,
  IntanSourceSchema,
  /**
   * A Lab Streaming Layer stream: the signal stream named `stream` (or the first matching `query`,
   * an LSL XPath predicate such as `type='EEG'`), plus marker streams (names or queries) whose
   * samples become the session's markers on the signal's sample clock. Discovery settings come
   * from lsl_api.cfg (LSLAPICFG) as liblsl's.
   */
  z.strictObject({ type: z.literal('lsl'), ...lslStreamFields, resolveTimeoutS: positive.max(3600).optional() }),
  /** A recording fed through the session (an offline source: it waits for its slowest lossless consumer). */
  z.strictObject({
    type: z.literal('replay'),
    recording: z.string().min(1),
    speed: z.union([positive, z.literal('max')]),
    blockMs,
    allowTruncated: z.boolean().optional(),
  }),
]);

/** A remote Open Inference Protocol server an ONNX decoder runs on (the local model is its fallback). */
export const OipSchema = z.strictObject({
  url: z.string().min(1),
  /** The model's name on the server (default: the local model's file name without .onnx). */
  model: z.string().min(1).optional(),
  timeoutMs: z.number().int().min(1).max(60_000),
  required: z.boolean(),
  /** The environment variable holding the server's bearer token. */
  tokenEnv: z.string().min(1).optional(),
});

/** Model channel name → stream channel name: a file (JSON or two-column CSV) or the pairs themselves. */
export const ChannelMapSchema = z.union([z.string().min(1), z.record(z.string().min(1), z.string().min(1))]);

/** What decodes the stream. */
export const DecoderSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  /** A Kalman filter calibrated live on the first `calibrateS` seconds of the task. */
  z.strictObject({ type: z.literal('kalman'), calibrateS: positive.min(1).max(3600) }),
  /** An ONNX model (from `calibrate`), optionally served by an OIP server. */
  z.strictObject({
    type: z.literal('onnx'),
    model: z.string().min(1),
    providers: z.array(z.enum(ONNX_PROVIDERS)).min(1).optional(),
    channelMap: ChannelMapSchema.optional(),
    /** A replay: the model must be the file the recorded session ran (its sha256). */
    sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    oip: OipSchema.optional(),
  }),
]);

export const SessionDescriptionSchema = z.strictObject({
  source: SourceSchema,
  /**
   * The processing: the chain chosen by the stream (intracortical or EEG) with mains notch.
   * Omitted fields of a replay come from the recording (it runs what the recorded session ran).
   */
  stages: z.strictObject({
    dsp: z.boolean().optional(),
    mainsHz: mainsHz.optional(),
    /**
     * Threads of the intracortical chain: 1 runs it in the session's thread, N ≥ 2 splits its
     * channels over N worker threads (same features, bit for bit); at most the stream's channels.
     * Omitted: cores − 1 where the stream is large enough (see `defaultChainWorkers`), else 1.
     */
    workers: z.number().int().min(1).max(MAX_CHAIN_WORKERS).optional(),
  }),
  /** Omitted: a live source calibrates a Kalman filter (20 s); a replay decodes as the recorded session did. */
  decoder: DecoderSchema.optional(),
  outputs: z.strictObject({
    /** Record the session into this new directory from its first block. */
    record: z.string().min(1).optional(),
    /** false: no dashboard; otherwise its port (default 8787 and the next free ones; 0: any) and host (default 127.0.0.1). */
    dashboard: z.union([z.literal(false), z.strictObject({ port: port.optional(), host: z.string().min(1).optional() })]),
    /** Where recordings started from the dashboard go (one new timestamped directory each). */
    recordingsDir: z.string().min(1),
    /** Offer the session's streams as LSL outlets `<prefix>-signals`, `-features`, `-intents`, `-markers` (default prefix `neurostream`). */
    lslOut: z.strictObject({ prefix: z.string().min(1).optional() }).optional(),
  }),
  /** Stop after this many seconds (simulators: of signal; real devices: of wall time). */
  durationS: positive.optional(),
  /** Seconds between two status lines (and health snapshots). */
  statusIntervalS: z.number().min(0.05).max(3600),
});

export type SessionDescription = z.infer<typeof SessionDescriptionSchema>;
export type SourceDescription = SessionDescription['source'];
export type DecoderDescription = NonNullable<SessionDescription['decoder']>;
export type OnnxDecoderDescription = Extract<DecoderDescription, { type: 'onnx' }>;

/** Defaults of a live session's processing and decoder. */
export const SESSION_DEFAULTS = {
  dsp: true,
  mainsHz: 60,
  calibrateS: 20,
  statusIntervalS: 1,
  recordingsDir: 'recordings',
  oipTimeoutMs: 100,
} as const;

/** Whether the source is offline (a replay: no deadline, nothing may drop) or live. */
export function isOffline(source: SourceDescription): boolean {
  return source.type === 'replay';
}
