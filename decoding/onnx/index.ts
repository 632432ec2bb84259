/** ONNX: export of the built-in decoders, benchmark models, and OnnxDecoder (onnxruntime-node). */
export * from './onnx-convention.js';
export * from './onnx-export.js';
export * from './onnx-decoder.js';
export { OnnxGraphBuilder, ONNX_IR_VERSION, ONNX_OPSET, type Attribute, type Dimension, type EncodeOptions } from './onnx-graph-builder.js';
export { SeededRandom } from './seeded-random.js';
