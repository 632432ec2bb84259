/**
 * ONNX models with random weights (from a seed) for the decode benchmark, written by the same
 * builder as the built-in export and following the same convention:
 *
 *   exportGru  a stacked GRU run one time step per call: `input` [1, I] → Unsqueeze [1, 1, I] →
 *              one ONNX GRU node per layer (gates z, r, h; linear_before_reset = 0; the layer's
 *              Y_h [1, 1, H] is the next layer's X) → Reshape [1, H] → MatMul + Add → `output`
 *              [1, O]. State `hidden_in` / `hidden_out` [layers, 1, H], zeros at start.
 *   exportMlp  `input` [1, I] → (MatMul + Add + Relu) per hidden layer → MatMul + Add → `output`.
 *
 * Weights are uniform in ±1/√fan_in (the GRU: ±1/√H for every weight and bias, as PyTorch
 * initialises nn.GRU), so activations stay in range however large the model.
 */
import { checkInteger } from '../../core/index.js';
import { int, OnnxGraphBuilder, str } from './onnx-graph-builder.js';
import { INPUT, OUTPUT, writeConventionMetadata } from './onnx-convention.js';
import { SeededRandom } from './seeded-random.js';

export interface GruExportOptions {
  /** Features per call (default 256). */
  readonly inputSize?: number;
  /** Hidden units per layer (default 256). */
  readonly hiddenSize?: number;
  /** Stacked layers (default 2). */
  readonly layers?: number;
  /** Outputs of the linear read-out (default 2). */
  readonly outputSize?: number;
  /** Seed of the random weights (default 1). */
  readonly seed?: number;
  /**
   * The batch dimension: `fixed` at 1 (default), or `symbolic` (`batch` in `input`, `output` and
   * the state `hidden_in`/`hidden_out` [layers, batch, H]) so that a server can run many
   * sessions' rows in one call, each with its own state.
   */
  readonly batch?: 'fixed' | 'symbolic';
}

export interface MlpExportOptions {
  /** Features per call (default 256). */
  readonly inputSize?: number;
  /** Units of each hidden (ReLU) layer; default [1024, 768]: ≈ 1.05 M parameters with 256 inputs. */
  readonly hidden?: readonly number[];
  /** Outputs (default 2). */
  readonly outputSize?: number;
  /** Seed of the random weights (default 1). */
  readonly seed?: number;
}

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}_${i}`);

function size(option: string, value: number | undefined, fallback: number): number {
  return checkInteger('option', option, value ?? fallback, { min: 1 });
}

/** Parameters of a stacked GRU with a linear read-out. */
export function gruParameterCount(options: GruExportOptions = {}): number {
  const I = options.inputSize ?? 256;
  const H = options.hiddenSize ?? 256;
  const layers = options.layers ?? 2;
  const O = options.outputSize ?? 2;
  let count = 0;
  for (let l = 0; l < layers; l++) count += 3 * H * (l === 0 ? I : H) + 3 * H * H + 6 * H;
  return count + H * O + O;
}

/** Parameters of an MLP. */
export function mlpParameterCount(options: MlpExportOptions = {}): number {
  const widths = [options.inputSize ?? 256, ...(options.hidden ?? [1024, 768]), options.outputSize ?? 2];
  let count = 0;
  for (let i = 1; i < widths.length; i++) count += widths[i - 1]! * widths[i]! + widths[i]!;
  return count;
}

/** A stacked GRU, one time step per call, with random weights from `seed`. */
export function exportGru(options: GruExportOptions = {}): Uint8Array {
  const I = size('exportGru.inputSize', options.inputSize, 256);
  const H = size('exportGru.hiddenSize', options.hiddenSize, 256);
  const layers = size('exportGru.layers', options.layers, 2);
  const O = size('exportGru.outputSize', options.outputSize, 2);
  const random = new SeededRandom(checkInteger('option', 'exportGru.seed', options.seed ?? 1));
  const bound = 1 / Math.sqrt(H);
  const N = options.batch === 'symbolic' ? 'batch' : 1;
  const g = new OnnxGraphBuilder();
  g.input(INPUT, [N, I]);
  g.input('hidden_in', [layers, N, H]);
  let x = g.node('Unsqueeze', [INPUT, g.int64s('sequence_axis', [0])], ['input_sequence']); // [1, 1, I]
  const finals: string[] = [];
  for (let l = 0; l < layers; l++) {
    const inSize = l === 0 ? I : H;
    const W = g.floats(`gru${l}_W`, random.uniformArray(3 * H * inSize, bound), [1, 3 * H, inSize]);
    const R = g.floats(`gru${l}_R`, random.uniformArray(3 * H * H, bound), [1, 3 * H, H]);
    const B = g.floats(`gru${l}_B`, random.uniformArray(6 * H, bound), [1, 6 * H]);
    const h0 = g.node('Slice', ['hidden_in', g.int64s(`gru${l}_h_start`, [l]), g.int64s(`gru${l}_h_end`, [l + 1]), g.int64s(`gru${l}_h_axis`, [0])], [`gru${l}_h_in`]);
    // outputs: Y (unused, left unnamed) and Y_h [num_directions = 1, batch = 1, H]
    g.node('GRU', [x, W, R, B, '', h0], ['', `gru${l}_h_out`], {
      hidden_size: int(H),
      linear_before_reset: int(0),
      direction: str('forward'),
    });
    x = `gru${l}_h_out`;
    finals.push(x);
  }
  if (layers === 1) g.node('Identity', finals, ['hidden_out']);
  else g.node('Concat', finals, ['hidden_out'], { axis: int(0) });
  g.output('hidden_out', [layers, N, H]);
  const last = g.node('Reshape', [x, g.int64s('readout_shape', [N === 1 ? 1 : -1, H])], ['readout_in']);
  const Wo = g.floats('readout_W', random.uniformArray(H * O, bound), [H, O]);
  const bo = g.floats('readout_b', random.uniformArray(O, bound), [O]);
  g.node('Add', [g.node('MatMul', [last, Wo], ['readout_product']), bo], [OUTPUT]);
  g.output(OUTPUT, [N, O]);
  writeConventionMetadata(g, { kind: 'continuous', decoder: 'gru', inputNames: names('in', I), outputNames: names('out', O) });
  return g.encode({ graphName: 'gru', docString: `${layers}-layer GRU (${I} → ${H}) + linear read-out, random weights (seed ${options.seed ?? 1})` });
}

/** A ReLU MLP with random weights from `seed`. */
export function exportMlp(options: MlpExportOptions = {}): Uint8Array {
  const I = size('exportMlp.inputSize', options.inputSize, 256);
  const hidden = (options.hidden ?? [1024, 768]).map((h, i) => size(`exportMlp.hidden[${i}]`, h, 1));
  const O = size('exportMlp.outputSize', options.outputSize, 2);
  const random = new SeededRandom(checkInteger('option', 'exportMlp.seed', options.seed ?? 1));
  const g = new OnnxGraphBuilder();
  g.input(INPUT, [1, I]);
  const widths = [I, ...hidden, O];
  let x = INPUT;
  for (let l = 1; l < widths.length; l++) {
    const fanIn = widths[l - 1]!;
    const fanOut = widths[l]!;
    const bound = 1 / Math.sqrt(fanIn);
    const W = g.floats(`layer${l}_W`, random.uniformArray(fanIn * fanOut, bound), [fanIn, fanOut]);
    const b = g.floats(`layer${l}_b`, random.uniformArray(fanOut, bound), [fanOut]);
    const product = g.node('MatMul', [x, W], [`layer${l}_product`]);
    const last = l === widths.length - 1;
    x = g.node('Add', [product, b], [last ? OUTPUT : `layer${l}_linear`]);
    if (!last) x = g.node('Relu', [x], [`layer${l}_relu`]);
  }
  g.output(OUTPUT, [1, O]);
  writeConventionMetadata(g, { kind: 'continuous', decoder: 'mlp', inputNames: names('in', I), outputNames: names('out', O) });
  return g.encode({ graphName: 'mlp', docString: `MLP ${widths.join(' → ')} (ReLU), random weights (seed ${options.seed ?? 1})` });
}
