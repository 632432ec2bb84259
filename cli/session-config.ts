/**
 * Session configuration files: a session described once — device → stages → decoder → outputs —
 * in YAML or JSON, checked with zod, and run with `neurostream run session.yaml`. Every error
 * names the file, the line and column, the path inside the file (`decoder.model`), what was
 * expected and what was seen. Relative paths in the file (models, recordings) are relative to
 * the file. Flags given on the command line override the file (`run session.yaml --duration 5`).
 * docs/session-config.md is the reference; examples/ has one per device.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isPair, isScalar, type Node } from 'yaml';
import { z } from 'zod';
import { InvalidOptionError } from '../core/index.js';
import { ONNX_PROVIDERS } from '../decoding/onnx/onnx-decoder.js';
import { LOG_LEVELS } from './logger.js';

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
  z.strictObject({ type: z.literal('cyton'), port: z.string().min(1), settings: z.array(z.string().min(1)).optional() }),
  z.strictObject({ type: z.literal('frame'), port: z.string().min(1) }),
  z.strictObject({
    type: z.literal('intan'),
    host: z.string().min(1).optional(),
    commandPort: port.optional(),
    waveformPort: port.optional(),
    channels: z.number().int().min(1).max(1024).optional(),
  }),
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

const Outputs = z.strictObject({
  recording: z.string().min(1).optional(),
  recordingsDir: z.string().min(1).optional(),
  dashboard: z.union([z.literal(false), z.strictObject({ port: port.optional(), host: z.string().min(1).optional() })], {
    error: 'false (no dashboard), or { port, host } (the dashboard, the stream API and /metrics share it)',
  }).optional(),
});

export const SessionConfigSchema = z.strictObject({
  device: Device,
  stages: z.strictObject({ dsp: z.boolean().optional(), mains: mains.optional() }).optional(),
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

/** The flags `run` (or `replay`) would take for this config. */
export function flagsFromConfig(config: SessionConfig): Record<string, unknown> {
  const d = config.device;
  const flags: Record<string, unknown> = {};
  if (d.type === 'intracortical' || d.type === 'eeg') {
    Object.assign(flags, { device: d.type });
    for (const key of ['channels', 'rate', 'seed', 'mains', 'blockMs', 'fast'] as const) if (d[key] !== undefined) flags[key] = d[key];
  } else if (d.type === 'cyton') {
    Object.assign(flags, { device: 'cyton', port: d.port, ...(d.settings ? { settings: d.settings.join(',') } : {}) });
  } else if (d.type === 'frame') {
    Object.assign(flags, { device: 'frame', port: d.port });
  } else if (d.type === 'intan') {
    flags['device'] = 'intan';
    for (const key of ['host', 'commandPort', 'waveformPort', 'channels'] as const) if (d[key] !== undefined) flags[key] = d[key];
  } else {
    if (d.speed !== undefined) flags['speed'] = d.speed;
    if (d.blockMs !== undefined) flags['blockMs'] = d.blockMs;
  }
  if (config.stages?.dsp !== undefined) flags['dsp'] = config.stages.dsp;
  if (config.stages?.mains !== undefined) flags['mains'] = config.stages.mains;
  const dec = config.decoder;
  if (dec?.type === 'none') flags['decoder'] = 'none';
  if (dec?.type === 'kalman') {
    flags['decoder'] = 'kalman';
    if (dec.calibrateS !== undefined) flags['calibrateS'] = dec.calibrateS;
  }
  if (dec?.type === 'onnx') {
    Object.assign(flags, { model: dec.model, ...(dec.providers ? { providers: dec.providers.join(',') } : {}) });
    if (typeof dec.channelMap === 'string') flags['channelMap'] = dec.channelMap;
    else if (dec.channelMap !== undefined) flags['channelPairs'] = dec.channelMap;
  }
  if (dec?.type === 'oip') {
    Object.assign(flags, {
      model: dec.fallback,
      oip: dec.url,
      ...(dec.model ? { oipModel: dec.model } : {}),
      ...(dec.providers ? { providers: dec.providers.join(',') } : {}),
      ...(dec.timeoutMs !== undefined ? { oipTimeoutMs: dec.timeoutMs } : {}),
      ...(dec.required !== undefined ? { oipRequired: dec.required } : {}),
      ...(dec.tokenEnv !== undefined ? { oipTokenEnv: dec.tokenEnv } : {}),
    });
  }
  const out = config.outputs;
  if (out?.recording) flags['record'] = out.recording;
  if (out?.recordingsDir) flags['recordingsDir'] = out.recordingsDir;
  if (out?.dashboard === false) flags['dashboard'] = false;
  else if (out?.dashboard) {
    if (out.dashboard.port !== undefined) flags['dashboard'] = out.dashboard.port;
    if (out.dashboard.host !== undefined) flags['dashboardHost'] = out.dashboard.host;
  }
  if (config.duration !== undefined) flags['duration'] = config.duration;
  if (config.statusInterval !== undefined) flags['statusInterval'] = config.statusInterval;
  if (config.logLevel !== undefined) flags['logLevel'] = config.logLevel;
  return flags;
}
