/**
 * A minimal builder of ONNX models (ModelProto, via the generated `onnx-proto` classes): graph
 * inputs and outputs with fixed shapes, float32 and int64 initializers, nodes with attributes and
 * metadata_props. Opset 13 of the default domain, IR version 7 — what onnxruntime ≥ 1.8 and every
 * current ONNX tool read.
 *
 * Tensors are written as little-endian `raw_data` (the compact form onnxruntime loads fastest);
 * float64 parameters are rounded to float32 here, once.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { InvalidDataError, SOFTWARE_VERSION } from '../../core/index.js';

const { onnx } = onnxProto;

export const ONNX_OPSET = 13;
export const ONNX_IR_VERSION = 7;

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

/** A node attribute: integers and strings are told apart by the helpers below. */
export type Attribute =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'strings'; readonly value: readonly string[] };

export const int = (value: number): Attribute => ({ kind: 'int', value });
export const ints = (value: readonly number[]): Attribute => ({ kind: 'ints', value });
export const float = (value: number): Attribute => ({ kind: 'float', value });
export const str = (value: string): Attribute => ({ kind: 'string', value });
export const strs = (value: readonly string[]): Attribute => ({ kind: 'strings', value });

function encodeAttribute(name: string, a: Attribute): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  const text = new TextEncoder();
  switch (a.kind) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'ints':
      return { name, type: T.INTS, ints: [...a.value] };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'string':
      return { name, type: T.STRING, s: text.encode(a.value) };
    case 'strings':
      return { name, type: T.STRINGS, strings: a.value.map((s) => text.encode(s)) };
  }
}

/** A dimension: a fixed size, or a symbolic one (`batch`). */
export type Dimension = number | string;

function valueInfo(name: string, dims: readonly Dimension[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: { elemType: FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } },
    },
  };
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

export interface EncodeOptions {
  /** Graph name (default `neurostream`). */
  readonly graphName?: string;
  readonly docString?: string;
}

export class OnnxGraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly inputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly outputs: OnnxTypes.IValueInfoProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly metadata = new Map<string, string>();
  private readonly names = new Set<string>();

  /** A float32 graph input. */
  input(name: string, dims: readonly Dimension[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, dims));
    return name;
  }

  /** Declares an existing value (a node's output) as a float32 graph output. */
  output(name: string, dims: readonly Dimension[]): string {
    this.outputs.push(valueInfo(name, dims));
    return name;
  }

  /** A float32 constant (values rounded from float64 where given as such). */
  floats(name: string, values: ArrayLike<number>, dims: readonly number[]): string {
    if (values.length !== product(dims)) {
      throw new InvalidDataError(`ONNX initializer "${name}"`, `${product(dims)} values for shape [${dims.join(', ')}]`, values);
    }
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true);
    this.claim(name);
    this.initializers.push({ name, dataType: FLOAT, dims: [...dims], rawData: bytes });
    return name;
  }

  /** An int64 constant (shapes, axes, slice bounds). */
  int64s(name: string, values: readonly number[]): string {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
    this.claim(name);
    this.initializers.push({ name, dataType: INT64, dims: [values.length], rawData: bytes });
    return name;
  }

  /** Appends a node (nodes must be added in topological order); returns its first named output. */
  node(opType: string, inputs: readonly string[], outputs: readonly string[], attributes: Record<string, Attribute> = {}): string {
    for (const o of outputs) if (o !== '') this.claim(o);
    this.nodes.push({
      name: `${opType.toLowerCase()}_${this.nodes.length}`,
      opType,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attributes).map(([n, a]) => encodeAttribute(n, a)),
    });
    return outputs.find((o) => o !== '') ?? '';
  }

  meta(key: string, value: string): void {
    this.metadata.set(key, value);
  }

  /** The serialised ModelProto. */
  encode(options: EncodeOptions = {}): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      producerName: 'neurostream',
      producerVersion: SOFTWARE_VERSION,
      docString: options.docString ?? '',
      graph: {
        name: options.graphName ?? 'neurostream',
        node: this.nodes,
        input: this.inputs,
        output: this.outputs,
        initializer: this.initializers,
      },
      metadataProps: [...this.metadata].map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }

  private claim(name: string): void {
    if (this.names.has(name)) throw new InvalidDataError('ONNX graph value name', 'a name used once', name);
    this.names.add(name);
  }
}
