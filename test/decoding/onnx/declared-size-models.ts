/** Small, valid ONNX models that declare huge tensors (for the tests of declared-size bounds). */
import { OnnxGraphBuilder } from '../../../decoding/onnx/onnx-graph-builder.js';

/** `output` = Tile(input [1, 4]) to [1, 4·repeat]: a few hundred bytes that declare a huge output. */
export function hugeOutputModel(repeat: number): Uint8Array {
  const b = new OnnxGraphBuilder();
  b.input('input', [1, 4]);
  const repeats = b.int64s('repeats', [1, repeat]);
  b.node('Tile', ['input', repeats], ['output']);
  b.output('output', [1, 4 * repeat]);
  return b.encode();
}
