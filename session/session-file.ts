/**
 * Session files: a session described once — device → stages → decoder → outputs —
 * in YAML or JSON, checked with zod, and run with `neurostream run session.yaml`. Every error
 * names the file, the line and column, the path inside the file (`decoder.model`), what was
 * expected and what was seen. Relative paths in the file (models, recordings) are relative to
 * the file. A file produces a {@link SessionDescription}; flags typed on the command line override
 * its fields (`run session.yaml --duration 5`).
 * docs/session-config.md is the reference; examples/ has one per device.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Node } from 'yaml';
import { z } from 'zod';
import { InvalidOptionError } from '../core/index.js';
import { ONNX_PROVIDERS } from '../decoding/index.js';
import { CytonSourceSchema, FrameSourceSchema, IntanSourceSchema, MAX_CHAIN_WORKERS, SESSION_DEFAULTS, lslStreamFields, SessionDescriptionSchema, type DecoderDescription, type SessionDescription, type SourceDescription } from './session-description.js';

/** Log levels a session file may ask for (the CLI's logger takes them). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const mains = z.literal([50, 60]);
const positive = z.number().positive();
const port = z.number().int().min(0).max(65535);
const simulator = {
  channels: z.number().int().min(1).max(1024).optional(),
  rate: positive.optional(),
  seed: z.number().int().optional(),
  mains: mains.optional(),
  blockMs: positive.max(10_000).optional(),
  fast: z.boolean().optional(),
};

const Device = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('intracortical'), ...simulator }),
  z.strictObject({ type: z.literal('eeg'), ...simulator }),
  // The devices a file names as the description does.
  CytonSourceSchema,
  FrameSourceSchema,
  IntanSourceSchema,
  /** A Lab Streaming Layer signal stream (by name or query) and marker streams (names or queries). */
  z.strictObject({ type: z.literal('lsl'), ...lslStreamFields, timeoutS: positive.max(3600).optional() }),
  z.strictObject({ type: z.literal('replay'), recording: z.string().min(1), speed: z.union([positive, z.literal('max')]).optional(), blockMs: positive.max(10_000).optional() }),
]);

const providers = z.array(z.enum(ONNX_PROVIDERS)).min(1);
/** Model channel name → stream channel name: a file (JSON or two-column CSV) or the pairs themselves. */
const channelMap = z.union([z.string().min(1), z.record(z.string().min(1), z.string().min(1))]);
const Decoder = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({ type: z.literal('kalman'), calibrateS: positive.min(1).max(3600).optional() }),
  z.strictObject({ type: z.literal('onnx'), model: z.string().min(1), providers: providers.optional(), channelMap: channelMap.optional() }),
  z.strictObject({
    type: z.literal('oip'),
    url: z.string().min(1),
    model: z.string().min(1).optional(),
    fallback: z.string().min(1),
    providers: providers.optional(),
    timeoutMs: z.number().int().min(1).max(60_000).optional(),
    required: z.boolean().optional(),
    /** The environment variable holding the server's bearer token (or give it in the url: http://:TOKEN@host). */
    tokenEnv: z.string().min(1).optional(),
  }),
]);

/** LSL outlets of the session's streams: true, or { name: PREFIX }. */
const LslOut = z.union([z.boolean(), z.strictObject({ name: z.string().min(1).optional() })], { error: 'true (outlets neurostream-signals, -features, -intents, -markers), false, or { name: PREFIX }' });

const Outputs = z.strictObject({
  lslOut: LslOut.optional(),
  'lsl-out': LslOut.optional(),
  recording: z.string().min(1).optional(),
  recordingsDir: z.string().min(1).optional(),
  dashboard: z.union([z.literal(false), z.strictObject({ port: port.optional(), host: z.string().min(1).optional() })], {
    error: 'false (no dashboard), or { port, host } (the dashboard, the stream API and /metrics share it)',
  }).optional(),
});

export const SessionConfigSchema = z.strictObject({
  device: Device,
  stages: z.strictObject({ dsp: z.boolean().optional(), mains: mains.optional(), workers: z.number().int().min(1).max(MAX_CHAIN_WORKERS).optional() }).optional(),
  decoder: Decoder.optional(),
  outputs: Outputs.optional(),
  duration: positive.optional(),
  statusInterval: z.number().min(0.05).max(3600).optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
});

export type SessionConfig = z.infer<typeof SessionConfigSchema>;

/** A config read from a file, with its paths made absolute (relative to the file). */
export interface LoadedSessionConfig {
  file: string;
  config: SessionConfig;
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      const named: Record<string, string> = { object: 'a mapping (key: value)', array: 'a list', int: 'an integer', boolean: 'true or false', string: 'a string', number: 'a number' };
      return named[issue.expected] ?? `a value of type ${issue.expected}`;
    }
    case 'too_small':
      return issue.origin === 'string' ? 'a non-empty text' : issue.origin === 'array' ? `at least ${String(issue.minimum)} entries` : `a number ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}`;
    case 'too_big':
      return `a number ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return 'a known setting (docs/session-config.md lists them)';
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (Array.isArray(options)) return `one of ${options.map((o) => JSON.stringify(o)).join(', ')}`;
      return issue.message;
    }
    default:
      return issue.message;
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** How many copies an alias (`*name`) of a session file may expand to (yaml's `maxAliasCount`). */
export const MAX_ALIAS_EXPANSIONS = 50;

/** Reads, parses and checks a session file (YAML, or JSON which YAML reads too). */
export function loadSessionConfig(path: string): LoadedSessionConfig {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InvalidOptionError('session config', 'a readable YAML or JSON file', `${file} (${(error as { code?: string }).code ?? (error as Error).message})`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = lines.linePos(e.pos[0]);
    throw new InvalidOptionError(`${file}:${at.line}:${at.col}`, 'valid YAML or JSON', e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
  }
  let raw: unknown;
  try {
    // An alias bomb ("billion laughs") stops here, before it expands: a session file needs few aliases.
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
  } catch (error) {
    const reason = (error as Error).message.startsWith('Excessive alias count')
      ? `aliases that expand further (an alias bomb?)`
      : (error as Error).message.split('\n')[0]!;
    throw new InvalidOptionError(file, `YAML whose aliases (*name) expand to at most ${MAX_ALIAS_EXPANSIONS} copies`, reason);
  }
  const parsed = SessionConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    let path = issue.path as PropertyKey[];
    let received = valueAt(raw, path);
    if (issue.code === 'unrecognized_keys') {
      path = [...path, issue.keys[0]!];
      received = issue.keys[0];
    }
    // Where it is in the file: the key of an unknown setting, the value otherwise.
    let node: unknown = doc.getIn(path as (string | number)[], true);
    if (issue.code === 'unrecognized_keys' || node === undefined) {
      const parent = doc.getIn(path.slice(0, -1) as (string | number)[], true);
      const key = path[path.length - 1];
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === key);
        node = pair?.key ?? parent;
      } else {
        node = parent ?? doc.contents;
      }
    }
    const range = (node as Node | undefined)?.range;
    const at = range ? lines.linePos(range[0]) : { line: 1, col: 1 };
    const where = path.length > 0 ? path.map(String).join('.') : '(the file)';
    const shown = issue.code === 'unrecognized_keys' ? `an unknown setting "${String(received)}"` : received === undefined ? 'nothing' : received;
    throw new InvalidOptionError(`${file}:${at.line}:${at.col} ${where}`, expectedOf(issue), shown);
  }
  const config = parsed.data;
  const base = dirname(file);
  const abs = (p: string): string => resolve(base, p);
  // Paths in the file are relative to it.
  if (config.device.type === 'replay') config.device.recording = abs(config.device.recording);
  if (config.decoder?.type === 'onnx') {
    config.decoder.model = abs(config.decoder.model);
    if (typeof config.decoder.channelMap === 'string') config.decoder.channelMap = abs(config.decoder.channelMap);
  }
  if (config.decoder?.type === 'oip') config.decoder.fallback = abs(config.decoder.fallback);
  if (config.outputs?.recording) config.outputs.recording = abs(config.outputs.recording);
  if (config.outputs?.recordingsDir) config.outputs.recordingsDir = abs(config.outputs.recordingsDir);
  return { file, config };
}

/**
 * The session a file describes: its settings, and the defaults of a live session for what it
 * leaves out (a replay's processing and decoder left out come from the recording instead).
 */
export function descriptionFromConfig(config: SessionConfig): SessionDescription {
  const d = config.device;
  const mainsHz = config.stages?.mains ?? ('mains' in d ? d.mains : undefined);
  let source: SourceDescription;
  if (d.type === 'intracortical' || d.type === 'eeg') {
    source = {
      type: 'simulate',
      kind: d.type,
      seed: d.seed ?? 1,
      mainsHz: mainsHz ?? SESSION_DEFAULTS.mainsHz,
      blockMs: d.blockMs ?? 1,
      fast: d.fast ?? false,
      ...(d.channels !== undefined ? { channels: d.channels } : {}),
      ...(d.rate !== undefined ? { rateHz: d.rate } : {}),
    };
  } else if (d.type === 'replay') {
    source = { type: 'replay', recording: d.recording, speed: d.speed ?? 1, blockMs: d.blockMs ?? 10 };
  } else if (d.type === 'lsl') {
    if ((d.stream === undefined) === (d.query === undefined)) {
      throw new InvalidOptionError('device', 'the LSL signal stream: stream: NAME or query: "type=\'EEG\'", one of the two', d.stream === undefined ? 'neither' : 'both');
    }
    source = {
      type: 'lsl',
      ...(d.stream !== undefined ? { stream: d.stream } : {}),
      ...(d.query !== undefined ? { query: d.query } : {}),
      ...(d.markers !== undefined && d.markers.length > 0 ? { markers: d.markers } : {}),
      ...(d.timeoutS !== undefined ? { resolveTimeoutS: d.timeoutS } : {}),
    };
  } else {
    source = d;
  }
  const replay = source.type === 'replay';
  const dec = config.decoder;
  const decoder: DecoderDescription | undefined =
    dec === undefined
      ? replay
        ? undefined
        : { type: 'kalman', calibrateS: SESSION_DEFAULTS.calibrateS }
      : dec.type === 'none'
        ? dec
        : dec.type === 'kalman'
          ? { type: 'kalman', calibrateS: dec.calibrateS ?? SESSION_DEFAULTS.calibrateS }
          : dec.type === 'onnx'
            ? dec
            : {
                type: 'onnx',
                model: dec.fallback,
                ...(dec.providers ? { providers: dec.providers } : {}),
                oip: {
                  url: dec.url,
                  timeoutMs: dec.timeoutMs ?? SESSION_DEFAULTS.oipTimeoutMs,
                  required: dec.required ?? false,
                  ...(dec.model ? { model: dec.model } : {}),
                  ...(dec.tokenEnv !== undefined ? { tokenEnv: dec.tokenEnv } : {}),
                },
              };
  const out = config.outputs;
  const stages = {
    ...(config.stages?.dsp !== undefined ? { dsp: config.stages.dsp } : replay ? {} : { dsp: SESSION_DEFAULTS.dsp }),
    ...(mainsHz !== undefined ? { mainsHz } : replay ? {} : { mainsHz: SESSION_DEFAULTS.mainsHz }),
    ...(config.stages?.workers !== undefined ? { workers: config.stages.workers } : {}),
  };
  return SessionDescriptionSchema.parse({
    source,
    stages,
    ...(decoder ? { decoder } : {}),
    outputs: {
      ...(out?.recording ? { record: out.recording } : {}),
      dashboard: out?.dashboard ?? {},
      recordingsDir: out?.recordingsDir ?? SESSION_DEFAULTS.recordingsDir,
      ...lslOutOf(out?.lslOut ?? out?.['lsl-out']),
    },
    ...(config.duration !== undefined ? { durationS: config.duration } : {}),
    statusIntervalS: config.statusInterval ?? SESSION_DEFAULTS.statusIntervalS,
  });
}

function lslOutOf(value: boolean | { name?: string | undefined } | undefined): { lslOut?: { prefix?: string } } {
  if (value === undefined || value === false) return {};
  return { lslOut: value === true || value.name === undefined ? {} : { prefix: value.name } };
}

/** Reads a session file into the session it describes (and the log level it asks for). */
export function loadSessionFile(path: string): { file: string; description: SessionDescription; logLevel?: SessionConfig['logLevel'] } {
  const { file, config } = loadSessionConfig(path);
  return { file, description: descriptionFromConfig(config), ...(config.logLevel ? { logLevel: config.logLevel } : {}) };
}
