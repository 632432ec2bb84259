/**
 * ONNX export of the built-in decoders (decoding/models.ts) following the ONNX convention of
 * decoding/decoder.ts: input `input` [1, F] (or [1, C, T] for CSP), output `output` [1, D],
 * recurrent state as `<x>_in` / `<x>_out` pairs, metadata_props `neurostream.*`. Opset 13, IR 7,
 * float32 tensors (float64 parameters are rounded once, at export). Each graph is the forward
 * kernel of models.ts written as ONNX operators in the same order, so that onnxruntime and the
 * TypeScript decoders agree to float32 rounding (the tests hold them to 1e-5).
 *
 *   ridge   Sub, Div (standardise) → Concat [x', history_in] → MatMul W + Add b → output;
 *           history_out = Slice of the first L·F values of the concatenation (no state for L = 0)
 *   kalman  z = (input − mean)/std; x⁻ = state_in·Aᵀ; state_out = x⁻ + (z − x⁻·Hᵀ)·Kᵀ;
 *           output = the first D entries of state_out; state_init = x0
 *   lda     standardise (if the model has a standardizer) → MatMul coefᵀ + Add → Softmax
 *   csp-lda MatMul(filters [k, C], input [1, C, T]) → Mul (square) → ReduceMean over T → Log →
 *           the LDA graph above
 */
import { writeFile } from 'node:fs/promises';
import { checkModel, type CspLdaModel, type DecoderModel, type KalmanModel, type LdaModel, type RidgeModel, type Standardizer } from '../models.js';
import { int, ints, OnnxGraphBuilder } from './onnx-graph-builder.js';
import { InvalidOptionError } from '../../core/errors.js';
import { INPUT, META_EPOCH_BAND_HZ, META_EPOCH_WINDOW_S, OUTPUT, writeConventionMetadata } from './onnx-convention.js';

export { exportGru, exportMlp, gruParameterCount, mlpParameterCount, type GruExportOptions, type MlpExportOptions } from './benchmark-models.js';

export interface ExportOnnxOptions {
  /** The graph name (default: the decoder type). */
  readonly graphName?: string;
  /** A free-text description stored as the model's doc_string. */
  readonly docString?: string;
  /** A trial decoder's epochs (lda, csp-lda): the window after the cue and the band-pass, stored as metadata. */
  readonly epoch?: { readonly windowS: readonly [number, number]; readonly bandHz: readonly [number, number] | null };
}

/** Transpose of a row-major [rows × cols] matrix, as [cols × rows]. */
export function transpose(m: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = m[r * cols + c]!;
  return out;
}

/** (x − mean) / std of a [1, F] value; returns the name of the result. */
function standardizeNodes(g: OnnxGraphBuilder, prefix: string, x: string, s: Standardizer): string {
  const F = s.mean.length;
  const mean = g.floats(`${prefix}mean`, s.mean, [F]);
  const std = g.floats(`${prefix}std`, s.std, [F]);
  const centred = g.node('Sub', [x, mean], [`${prefix}centred`]);
  return g.node('Div', [centred, std], [`${prefix}standardized`]);
}

/** softmax(x'·coefᵀ + intercept) into `output`. */
function ldaNodes(g: OnnxGraphBuilder, prefix: string, x: string, model: LdaModel): void {
  const F = model.inputNames.length;
  const K = model.classes.length;
  const xs = model.standardizer ? standardizeNodes(g, prefix, x, model.standardizer) : x;
  const coefT = g.floats(`${prefix}coef_t`, transpose(model.coef, K, F), [F, K]);
  const intercept = g.floats(`${prefix}intercept`, model.intercept, [K]);
  const scores = g.node('MatMul', [xs, coefT], [`${prefix}scores`]);
  const logits = g.node('Add', [scores, intercept], [`${prefix}logits`]);
  g.node('Softmax', [logits], [OUTPUT], { axis: int(-1) });
  g.output(OUTPUT, [1, K]);
}

function exportRidge(g: OnnxGraphBuilder, model: RidgeModel): void {
  const F = model.inputNames.length;
  const D = model.outputNames.length;
  const L = model.lags;
  g.input(INPUT, [1, F]);
  const xs = standardizeNodes(g, '', INPUT, model.standardizer);
  let lagged = xs;
  if (L > 0) {
    g.input('history_in', [1, L * F]);
    lagged = g.node('Concat', [xs, 'history_in'], ['lagged'], { axis: int(1) });
  }
  const weights = g.floats('weights', model.weights, [(L + 1) * F, D]);
  const bias = g.floats('bias', model.bias, [D]);
  const product = g.node('MatMul', [lagged, weights], ['weighted']);
  g.node('Add', [product, bias], [OUTPUT]);
  g.output(OUTPUT, [1, D]);
  if (L > 0) {
    g.node('Slice', [lagged, g.int64s('history_starts', [0]), g.int64s('history_ends', [L * F]), g.int64s('history_axes', [1])], ['history_out']);
    g.output('history_out', [1, L * F]);
  }
  writeConventionMetadata(g, { kind: 'continuous', decoder: 'ridge', inputNames: model.inputNames, outputNames: model.outputNames });
}

function exportKalman(g: OnnxGraphBuilder, model: KalmanModel): void {
  const M = model.inputNames.length;
  const N = model.stateNames.length;
  const D = model.outputNames.length;
  g.input(INPUT, [1, M]);
  g.input('state_in', [1, N]);
  const z = standardizeNodes(g, '', INPUT, model.standardizer);
  const At = g.floats('A_t', transpose(model.A, N, N), [N, N]);
  const Ht = g.floats('H_t', transpose(model.H, M, N), [N, M]);
  const Kt = g.floats('K_t', transpose(model.K, N, M), [M, N]);
  const predicted = g.node('MatMul', ['state_in', At], ['predicted']);
  const expected = g.node('MatMul', [predicted, Ht], ['expected_observation']);
  const innovation = g.node('Sub', [z, expected], ['innovation']);
  const correction = g.node('MatMul', [innovation, Kt], ['correction']);
  g.node('Add', [predicted, correction], ['state_out']);
  g.output('state_out', [1, N]);
  if (D === N) g.node('Identity', ['state_out'], [OUTPUT]);
  else g.node('Slice', ['state_out', g.int64s('output_starts', [0]), g.int64s('output_ends', [D]), g.int64s('output_axes', [1])], [OUTPUT]);
  g.output(OUTPUT, [1, D]);
  writeConventionMetadata(g, {
    kind: 'continuous',
    decoder: 'kalman',
    inputNames: model.inputNames,
    outputNames: model.outputNames,
    stateInit: { state_in: model.x0 },
  });
}

function exportLda(g: OnnxGraphBuilder, model: LdaModel): void {
  g.input(INPUT, [1, model.inputNames.length]);
  ldaNodes(g, 'lda_', INPUT, model);
  writeConventionMetadata(g, { kind: 'discrete', decoder: 'lda', inputNames: model.inputNames, outputNames: model.classes });
}

function exportCspLda(g: OnnxGraphBuilder, model: CspLdaModel): void {
  const C = model.channelNames.length;
  const k = model.components;
  g.input(INPUT, [1, C, model.samples]);
  const filters = g.floats('csp_filters', model.filters, [k, C]);
  const projected = g.node('MatMul', [filters, INPUT], ['csp_projected']); // [1, k, T]
  const squared = g.node('Mul', [projected, projected], ['csp_squared']);
  const power = g.node('ReduceMean', [squared], ['csp_power'], { axes: ints([2]), keepdims: int(0) }); // [1, k]
  const features = g.node('Log', [power], ['csp_features']);
  ldaNodes(g, 'lda_', features, model.lda);
  writeConventionMetadata(g, { kind: 'discrete', decoder: 'csp-lda', inputNames: model.channelNames, outputNames: model.classes });
}

/** The ONNX model (serialised ModelProto) of a built-in decoder's parameters. */
export function exportOnnx(model: DecoderModel, options: ExportOnnxOptions = {}): Uint8Array {
  checkModel(model);
  const g = new OnnxGraphBuilder();
  switch (model.type) {
    case 'ridge':
      exportRidge(g, model);
      break;
    case 'kalman':
      exportKalman(g, model);
      break;
    case 'lda':
      exportLda(g, model);
      break;
    case 'csp-lda':
      exportCspLda(g, model);
      break;
  }
  if (options.epoch) {
    if (model.type !== 'lda' && model.type !== 'csp-lda') throw new InvalidOptionError('epoch', 'a trial decoder (lda, csp-lda)', model.type);
    g.meta(META_EPOCH_WINDOW_S, JSON.stringify(options.epoch.windowS));
    if (options.epoch.bandHz) g.meta(META_EPOCH_BAND_HZ, JSON.stringify(options.epoch.bandHz));
  }
  return g.encode({ graphName: options.graphName ?? model.type, docString: options.docString });
}

/** Writes `exportOnnx(model)` to `path` (conventionally `*.onnx`). */
export async function writeOnnx(path: string, model: DecoderModel, options: ExportOnnxOptions = {}): Promise<void> {
  await writeFile(path, exportOnnx(model, options));
}
