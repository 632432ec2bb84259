/**
 * Channel names across files: one rule for deciding that two labels name the same electrode, used
 * wherever a model's (or a file's) channel names are matched against a stream's — `run --model`
 * (trial decoders), `evaluate --model`, `calibrate`/`evaluate` on several inputs.
 *
 * Names are compared by a key (`channelNameKey`): surrounding and trailing padding removed (EDF
 * pads labels with spaces; EEGMMIDB with dots: `Fc5.`, `T9..`), case folded, and the old 10-20
 * temporal names mapped to their 10-10 equivalents (T3 → T7, T4 → T8, T5 → P7, T6 → P8). So
 * EEGMMIDB's `Fc5.` matches the simulator's `FC5`, and a montage's `T3` matches `T7`.
 *
 * A mapping ("model name → stream name", `--channel-map FILE`: a JSON object or two-column CSV)
 * names the rest. A name that matches no channel, or more than one, is an error that lists every
 * name missing (after normalisation) and points at the mapping.
 */
import { InvalidOptionError } from './errors.js';

/** Old 10-20 temporal/parietal names and their 10-10 equivalents (MCN), by key. */
const ALIASES: Readonly<Record<string, string>> = { T3: 'T7', T4: 'T8', T5: 'P7', T6: 'P8' };

/**
 * The key two channel names are compared by: trimmed, trailing dots removed, upper case, 10-20
 * aliases resolved (`' Fc5. '` → `FC5`, `t3` → `T7`). Pure.
 */
export function channelNameKey(name: string): string {
  const key = name.trim().replace(/[.\s]+$/, '').toUpperCase();
  return ALIASES[key] ?? key;
}

/**
 * A channel name as it is shown: padding and trailing dots removed and, for a 10-10 electrode
 * label, the usual capitalisation (`Fc5.` → `FC5`, `Fcz.` → `FCz`, `Fp1.` → `Fp1`). Other names
 * are only trimmed. Pure.
 */
export function displayChannelName(name: string): string {
  const bare = name.trim().replace(/[.\s]+$/, '');
  const match = /^(fp|af|fc|ft|cp|tp|po|[fctpoi])(\d{1,2}|z)$/i.exec(bare);
  if (!match) return bare;
  const row = match[1]!.toUpperCase();
  return `${row === 'FP' ? 'Fp' : row}${match[2]!.toLowerCase()}`;
}

/** Model (or file) channel name → stream channel name, as given by `--channel-map`. */
export type ChannelMap = Readonly<Record<string, string>>;

/**
 * Channel names that match no stream channel (or more than one): an InvalidOptionError whose
 * message lists them all (not shortened, as other errors shorten what they saw).
 */
export class ChannelNamesError extends InvalidOptionError {
  /** The wanted names found nowhere (after normalisation, and the map). */
  readonly missing: readonly string[];
  /** The wanted names that two or more stream channels share after normalisation. */
  readonly ambiguous: readonly string[];

  constructor(option: string, expected: string, missing: readonly string[], ambiguous: readonly string[], details: string) {
    super(option, expected, details);
    this.missing = missing;
    this.ambiguous = ambiguous;
    this.message = `${option}: expected ${expected}, got ${details}`;
  }
}

export interface MatchChannelsOptions {
  /** Explicit pairs, tried before the normalised match; keys and values are themselves normalised. */
  map?: ChannelMap;
  /** How the error names the wanted names' owner, e.g. `--model mi.onnx`. */
  what: string;
  /** How the error names the stream, e.g. `the stream` or a file's path. */
  stream: string;
}

/**
 * The stream channel index of each wanted name: by `map` first, then by key (an exact name wins
 * over a normalised one when both exist). Throws one InvalidOptionError listing every wanted name
 * found nowhere (or ambiguously), which mentions --channel-map.
 */
export function matchChannels(wanted: readonly string[], streamNames: readonly string[], options: MatchChannelsOptions): number[] {
  const exact = new Map<string, number>();
  const byKey = new Map<string, number[]>();
  streamNames.forEach((name, i) => {
    if (!exact.has(name)) exact.set(name, i);
    const key = channelNameKey(name);
    byKey.set(key, [...(byKey.get(key) ?? []), i]);
  });
  const mapped = new Map<string, string>();
  for (const [from, to] of Object.entries(options.map ?? {})) mapped.set(channelNameKey(from), to);
  const missing: string[] = [];
  const ambiguous: string[] = [];
  const find = (name: string): number => {
    const at = exact.get(name);
    if (at !== undefined) return at;
    const hits = byKey.get(channelNameKey(name)) ?? [];
    if (hits.length === 1) return hits[0]!;
    if (hits.length > 1) ambiguous.push(`${name} (${hits.map((h) => streamNames[h]).join(' or ')})`);
    return -1;
  };
  const indices = wanted.map((name) => {
    const target = mapped.get(channelNameKey(name));
    const at = find(target ?? name);
    if (at < 0 && !ambiguous.some((a) => a.startsWith(`${target ?? name} (`))) missing.push(target !== undefined ? `${name} (mapped to ${target})` : name);
    return at;
  });
  if (missing.length > 0 || ambiguous.length > 0) {
    const shown = streamNames.length > 8 ? `${streamNames.slice(0, 8).join(', ')}, … (${streamNames.length})` : streamNames.join(', ');
    const parts = [
      ...(missing.length > 0 ? [`${missing.length} of ${wanted.length} channels missing after normalising case, trailing dots and 10-20 aliases: ${missing.join(', ')}`] : []),
      ...(ambiguous.length > 0 ? [`ambiguous: ${ambiguous.join(', ')}`] : []),
    ];
    throw new ChannelNamesError(
      `${options.what} channels`,
      `channels of ${options.stream} (${shown}); give the pairs with --channel-map FILE (JSON {"model name": "stream name"} or CSV model,stream)`,
      missing,
      ambiguous,
      parts.join('; '),
    );
  }
  return indices;
}

/**
 * A channel map from a file's text: a JSON object of strings, or CSV lines `model,stream` (a
 * header line `model,stream` or `from,to` and `#` comments are skipped). `label` names the file
 * in errors (an InvalidOptionError: the map is configuration). Pure.
 */
export function parseChannelMap(text: string, label: string): ChannelMap {
  const trimmed = text.trim();
  const map: Record<string, string> = {};
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new InvalidOptionError(label, 'a JSON object {"model name": "stream name", …}', (error as Error).message);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidOptionError(label, 'a JSON object {"model name": "stream name", …}', value);
    for (const [from, to] of Object.entries(value)) {
      if (typeof to !== 'string' || to.trim() === '' || from.trim() === '') throw new InvalidOptionError(`${label} "${from}"`, 'a non-empty stream channel name', to);
      map[from] = to;
    }
  } else {
    const lines = trimmed.split(/\r?\n/);
    lines.forEach((line, i) => {
      const bare = line.trim();
      if (bare === '' || bare.startsWith('#')) return;
      const cells = bare.split(/[,;\t]/).map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
      if (i === 0 && /^(model|from)$/i.test(cells[0] ?? '')) return;
      if (cells.length !== 2 || cells[0] === '' || cells[1] === '') throw new InvalidOptionError(`${label} line ${i + 1}`, 'two columns: model channel name, stream channel name', line);
      map[cells[0]!] = cells[1]!;
    });
  }
  if (Object.keys(map).length === 0) throw new InvalidOptionError(label, 'at least one pair "model name → stream name"', 'none');
  return map;
}
