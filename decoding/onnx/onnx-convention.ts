/**
 * The neurostream ONNX convention (decoding/decoder.ts, docs/onnx.md) as constants shared by the
 * exporter and OnnxDecoder: tensor names, the recurrent-state suffixes and the metadata_props keys.
 */
import { InvalidDataError } from '../../core/errors.js';
import type { OnnxGraphBuilder } from './onnx-graph-builder.js';

export const INPUT = 'input';
export const OUTPUT = 'output';
/** A graph input `<x>_in` is fed, at the next call, the graph output `<x>_out` of the previous call. */
export const STATE_IN_SUFFIX = '_in';
export const STATE_OUT_SUFFIX = '_out';

export const META_KIND = 'neurostream.kind';
export const META_INPUT_NAMES = 'neurostream.input_names';
export const META_OUTPUT_NAMES = 'neurostream.output_names';
export const META_DECODER = 'neurostream.decoder';
/** JSON `{ "<x>_in": number[] }`; states not listed start at zeros. */
export const META_STATE_INIT = 'neurostream.state_init';
/**
 * Trial (epoch) decoders: JSON `[tmin, tmax]`, the epoch's window in seconds after the cue, and
 * JSON `[low, high]`, the band-pass in Hz applied before epoching (absent: none) — what a live
 * session needs to cut the same epochs.
 */
export const META_EPOCH_WINDOW_S = 'neurostream.epoch_window_s';
export const META_EPOCH_BAND_HZ = 'neurostream.epoch_band_hz';

/** `history_in` → `history_out`. */
export function stateOutputFor(stateInput: string): string {
  return stateInput.slice(0, -STATE_IN_SUFFIX.length) + STATE_OUT_SUFFIX;
}

/** Writes the neurostream metadata_props. */
export function writeConventionMetadata(
  g: OnnxGraphBuilder,
  meta: {
    kind: 'continuous' | 'discrete';
    decoder: string;
    inputNames: readonly string[];
    outputNames: readonly string[];
    stateInit?: Record<string, ArrayLike<number>>;
  },
): void {
  g.meta(META_KIND, meta.kind);
  g.meta(META_DECODER, meta.decoder);
  g.meta(META_INPUT_NAMES, JSON.stringify(meta.inputNames));
  g.meta(META_OUTPUT_NAMES, JSON.stringify(meta.outputNames));
  if (meta.stateInit) {
    const init: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(meta.stateInit)) init[k] = Array.from(v);
    g.meta(META_STATE_INIT, JSON.stringify(init));
  }
}

/** A trial decoder's epochs, as its metadata states them. */
export interface EpochMetadata {
  windowS: [number, number];
  bandHz?: [number, number];
}

/** The widest epoch window a model may declare, s on either side of the cue (the buffer it sizes). */
export const MAX_EPOCH_WINDOW_S = 60;

/**
 * The epoch window and band of a trial decoder's metadata (`neurostream.epoch_window_s`,
 * `neurostream.epoch_band_hz`); undefined when the model has none (not a trial decoder). A window
 * reaching beyond ±MAX_EPOCH_WINDOW_S of the cue is refused before any buffer is sized from it.
 */
export function readEpochMetadata(metadata: ReadonlyMap<string, string>, file: string): EpochMetadata | undefined {
  const pair = (key: string, what: string): [number, number] | undefined => {
    const text = metadata.get(key);
    if (text === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = text;
    }
    if (!Array.isArray(value) || value.length !== 2 || !value.every((v) => typeof v === 'number' && Number.isFinite(v)) || !((value[0] as number) < (value[1] as number))) {
      throw new InvalidDataError(`${file} metadata ${key}`, `a JSON pair of increasing numbers (${what})`, text);
    }
    return [value[0] as number, value[1] as number];
  };
  const windowS = pair(META_EPOCH_WINDOW_S, 'seconds after the cue');
  if (windowS !== undefined && windowS.some((t) => Math.abs(t) > MAX_EPOCH_WINDOW_S)) {
    throw new InvalidDataError(`${file} metadata ${META_EPOCH_WINDOW_S}`, `a window within ±${MAX_EPOCH_WINDOW_S} s of the cue (the limit on what a model may declare)`, metadata.get(META_EPOCH_WINDOW_S));
  }
  const bandHz = pair(META_EPOCH_BAND_HZ, 'Hz');
  if (windowS === undefined) {
    if (bandHz !== undefined) throw new InvalidDataError(`${file} metadata ${META_EPOCH_WINDOW_S}`, `a window beside ${META_EPOCH_BAND_HZ}`, 'nothing');
    return undefined;
  }
  return { windowS, ...(bandHz ? { bandHz } : {}) };
}
