/**
 * The neurostream ONNX convention (decoding/decoder.ts, docs/onnx.md) as constants shared by the
 * exporter and OnnxDecoder: tensor names, the recurrent-state suffixes and the metadata_props keys.
 */
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
