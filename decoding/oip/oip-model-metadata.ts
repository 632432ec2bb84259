/**
 * A model's Open Inference Protocol metadata (`GET /v2/models/{name}`), as `neurostream serve`
 * answers it and as the `oip` decoder reads it: FP32 inputs and outputs (a recurrent model's state
 * as `<x>_in`/`<x>_out` pairs), plus neurostream's own description (`neurostream`: kind, input and
 * output names, provider, initial state) that other clients ignore.
 */
import type { Decoder } from '../decoder.js';
import { OnnxDecoder, type TensorSignature } from '../onnx/onnx-decoder.js';

export interface OipModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorSignature[];
  outputs: TensorSignature[];
  neurostream: {
    kind: string;
    input_names: readonly string[];
    output_names: readonly string[];
    provider: string;
    state_init: Record<string, number[]>;
  };
}

/**
 * The metadata of a decoder served under `name`. An ONNX decoder describes its own tensors; any
 * other decoder is described as one `input` [1, F] and one `output` [1, D] without state.
 */
export function oipModelMetadata(name: string, model: Decoder): OipModelMetadata {
  const description = { kind: model.kind, input_names: model.inputNames, output_names: model.outputNames, provider: model.provider };
  if (model instanceof OnnxDecoder) {
    const { inputs, outputs } = model.signature();
    const state_init = Object.fromEntries([...model.initialState()].map(([k, v]) => [k, Array.from(v)]));
    return { name, versions: ['1'], platform: 'onnxruntime_onnx', inputs, outputs, neurostream: { ...description, state_init } };
  }
  const features = model.inputShape.reduce((a, b) => a * b, 1);
  return {
    name,
    versions: ['1'],
    platform: 'neurostream',
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, features] }],
    outputs: [{ name: 'output', datatype: 'FP32', shape: [1, model.outputNames.length] }],
    neurostream: { ...description, state_init: {} },
  };
}
