/**
 * Decoder — turns one input (a bin's feature vector, or an epoch for CSP) into one output vector
 * (a continuous estimate such as a 2-D velocity, or class probabilities). Built-in decoders
 * (decoding/decoders/) and ONNX models (decoding/onnx/onnx-decoder.ts) implement it; the
 * `decode` operator (decoding/operators/decode.ts) runs one over a FeatureFrame stream.
 *
 * Layout contract:
 *   - `inputShape` is the shape of one input without a batch dimension: `[F]` for a feature
 *     vector (F = `inputNames.length`), `[C, T]` for an epoch of C channels × T samples, given
 *     channel-major (channel c at `input.subarray(c * T, (c + 1) * T)`).
 *   - `decode` returns `outputNames.length` values: for `continuous` decoders the estimate of each
 *     named dimension (e.g. `vel_x`, `vel_y`), for `discrete` ones the probability of each class
 *     (the names are the class labels; they sum to 1).
 *   - Recurrent decoders (the Kalman filter, lagged regressions, RNNs) keep state between calls;
 *     `reset()` returns them to their initial state. State is per decoder instance: never share an
 *     instance between two streams.
 *
 * ONNX convention (what `exportOnnx` writes and `OnnxDecoder` reads; docs/onnx.md):
 *   - input `input` float32 `[1, ...inputShape]`, output `output` float32 `[1, D]`;
 *   - recurrent state: each input named `<x>_in` is fed, at the next call, the output `<x>_out`
 *     of the previous call; initial values from metadata `neurostream.state_init` (JSON
 *     `{ "<x>_in": number[] }`) or zeros;
 *   - metadata_props: `neurostream.kind` (`continuous` | `discrete`), `neurostream.input_names`
 *     and `neurostream.output_names` (JSON arrays), `neurostream.decoder` (the built-in's name).
 */
import type { IntentKind } from '../core/index.js';

export interface Decoder {
  /** e.g. `kalman`, `ridge`, `lda`, `csp-lda`, `onnx:model.onnx`. */
  readonly name: string;
  readonly kind: IntentKind;
  readonly inputShape: readonly number[];
  /** Names of the input features (`[F]` inputs) or of the channels (`[C, T]` epochs). */
  readonly inputNames: readonly string[];
  /** Output dimension names (continuous) or class labels (discrete). */
  readonly outputNames: readonly string[];
  /** Where it runs: `js` for built-ins, the ONNX Runtime execution provider otherwise (`cpu`, `cuda` …). */
  readonly provider: string;
  /** Decodes one input; built-ins answer synchronously, ONNX models asynchronously. */
  decode(input: Float32Array): Float32Array | Promise<Float32Array>;
  /** Back to the initial state (recurrent decoders); a no-op for stateless ones. */
  reset(): void;
  /** Releases native resources (ONNX sessions). */
  dispose(): Promise<void>;
}
