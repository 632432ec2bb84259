/**
 * Open Inference Protocol (KServe v2) inference bodies, JSON and with the binary tensor extension
 * (shared/protocols/REFERENCE.md §4.2–4.3), for FP32 tensors — what decoders exchange.
 *
 * - JSON: `{ id?, parameters?, inputs: [{ name, shape, datatype, data }], outputs? }`, data
 *   row-major, flattened or nested.
 * - Binary: the JSON header (with `parameters.binary_data_size` on each binary tensor) is followed
 *   by the raw tensors (little-endian, no padding) in the order of the header's list; the header's
 *   byte length travels in `Inference-Header-Content-Length`.
 * Parsing is strict and every error names the field (`inputs[1].shape` …), what was expected and
 * what was seen: it becomes the 400 body a client reads. Bounds: a shape has at most
 * MAX_TENSOR_RANK dimensions, nested `data` is at most as deep as its shape (never deeper than
 * MAX_TENSOR_RANK), and a request's inputs are finite FP32 values (NaN, ±Infinity and numbers
 * beyond FP32's range are refused, JSON or binary).
 */
import { InvalidDataError } from '../../core/errors.js';

export const HEADER_LENGTH = 'inference-header-content-length';

/** Most dimensions a tensor may have (and so the deepest nesting of its JSON `data`). */
export const MAX_TENSOR_RANK = 16;

export interface OipTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface OipRequest {
  id?: string;
  inputs: OipTensor[];
  /** Outputs asked for (all when undefined) and whether each should come back binary. */
  outputs?: { name: string; binary: boolean }[];
  /** `parameters.binary_data_output`: every output binary unless one says otherwise. */
  binaryOutput: boolean;
}

export interface OipResponse {
  modelName: string;
  id?: string;
  outputs: OipTensor[];
}

/** A body: the bytes to send and the headers that describe them. */
export interface EncodedBody {
  body: Buffer;
  headers: Record<string, string>;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bad(field: string, expected: string, seen: unknown): never {
  throw new InvalidDataError(field, expected, seen);
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkShape(field: string, value: unknown): number[] {
  if (!Array.isArray(value) || !value.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) bad(field, 'an array of sizes (integers ≥ 0)', value);
  if (value.length > MAX_TENSOR_RANK) bad(field, `at most ${MAX_TENSOR_RANK} dimensions`, `${value.length}`);
  return value as number[];
}

/** Appends the numbers of `value` (flat, or nested at most `maxDepth` arrays deep) to `out`. */
function flatten(field: string, value: unknown, out: number[], maxDepth: number, depth = 1): void {
  if (typeof value === 'number' && depth === 1) {
    out.push(value);
    return;
  }
  if (!Array.isArray(value)) bad(field, 'an array of numbers (FP32 data, flattened or nested)', value);
  if (depth > maxDepth) bad(field, `data nested at most ${maxDepth} deep (the nesting limit: one level per dimension of the shape)`, `an array nested deeper than ${maxDepth}`);
  for (const v of value) {
    if (typeof v === 'number') out.push(v);
    else if (Array.isArray(v)) flatten(field, v, out, maxDepth, depth + 1);
    else bad(field, 'numbers (FP32 data, flattened or nested)', v);
  }
}

/** Refuses NaN, ±Infinity and values beyond FP32's range (which became ±Infinity in `data`). */
function checkFinite(field: string, data: Float32Array, given?: readonly number[]): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const seen = given !== undefined && Number.isFinite(given[i]!) ? `${given[i]} (beyond FP32's range)` : String(data[i]);
      bad(`${field}[${i}]`, 'finite FP32 values (NaN and ±Infinity are not data)', seen);
    }
  }
}

function floatsFromBytes(bytes: Buffer, offset: number, length: number): Float32Array {
  const out = new Float32Array(length / 4);
  if (LITTLE_ENDIAN) new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + length));
  else for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(offset + 4 * i);
  return out;
}

function bytesOfFloats(data: Float32Array): Buffer {
  if (LITTLE_ENDIAN) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const b = Buffer.alloc(data.length * 4);
  data.forEach((v, i) => b.writeFloatLE(v, 4 * i));
  return b;
}

/** Splits a body into its JSON header and the binary part (per `Inference-Header-Content-Length`). */
function splitBody(body: Buffer, headerLength: string | undefined): { json: unknown; binary: Buffer } {
  let jsonBytes = body.length;
  if (headerLength !== undefined) {
    const n = Number(headerLength);
    if (!Number.isSafeInteger(n) || n < 0 || n > body.length) bad('Inference-Header-Content-Length', `a byte count from 0 to the body's ${body.length}`, headerLength);
    jsonBytes = n;
  }
  let json: unknown;
  try {
    json = JSON.parse(body.subarray(0, jsonBytes).toString('utf8'));
  } catch {
    bad('body', 'a JSON inference header', `${jsonBytes} bytes that are not JSON`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) bad('body', 'a JSON object', json);
  return { json, binary: body.subarray(jsonBytes) };
}

/** Reads `list` (inputs of a request, outputs of a response) with their data, JSON or binary. */
function readTensors(what: 'inputs' | 'outputs', list: unknown, binary: Buffer, finite: boolean): OipTensor[] {
  if (!Array.isArray(list) || list.length === 0) bad(what, 'a non-empty array of tensors', list);
  let offset = 0;
  const tensors = list.map((t: unknown, i) => {
    const field = `${what}[${i}]`;
    if (typeof t !== 'object' || t === null) bad(field, 'a tensor object', t);
    const tensor = t as Record<string, unknown>;
    const name = tensor['name'];
    if (typeof name !== 'string' || name === '') bad(`${field}.name`, 'a name', name);
    const shape = checkShape(`${field}.shape`, tensor['shape']);
    if (tensor['datatype'] !== 'FP32') bad(`${field}.datatype`, '"FP32"', tensor['datatype']);
    const size = sizeOf(shape);
    const parameters = tensor['parameters'] as Record<string, unknown> | undefined;
    const binarySize = parameters?.['binary_data_size'];
    let data: Float32Array;
    if (binarySize !== undefined) {
      if (binarySize !== size * 4) bad(`${field}.parameters.binary_data_size`, `${size * 4} bytes (${size} FP32 values of shape [${shape.join(', ')}])`, binarySize);
      if (offset + size * 4 > binary.length) bad(`${field} binary data`, `${size * 4} bytes after the header`, `${binary.length - offset} left`);
      data = floatsFromBytes(binary, offset, size * 4);
      offset += size * 4;
      if (finite) checkFinite(`${field} binary data`, data);
    } else {
      const values: number[] = [];
      flatten(`${field}.data`, tensor['data'], values, Math.max(1, shape.length));
      if (values.length !== size) bad(`${field}.data`, `${size} values (shape [${shape.join(', ')}])`, `${values.length} values`);
      data = Float32Array.from(values);
      if (finite) checkFinite(`${field}.data`, data, values);
    }
    return { name, shape, data };
  });
  if (offset !== binary.length) bad('body', `${offset} bytes of binary tensors after the header`, `${binary.length}`);
  return tensors;
}

export function parseInferRequest(body: Buffer, headerLength: string | undefined): OipRequest {
  const { json, binary } = splitBody(body, headerLength);
  const message = json as Record<string, unknown>;
  const id = message['id'];
  if (id !== undefined && typeof id !== 'string') bad('id', 'a string', id);
  const parameters = message['parameters'] as Record<string, unknown> | undefined;
  const binaryOutput = parameters?.['binary_data_output'] === true;
  const inputs = readTensors('inputs', message['inputs'], binary, true);
  let outputs: OipRequest['outputs'];
  if (message['outputs'] !== undefined) {
    if (!Array.isArray(message['outputs'])) bad('outputs', 'an array of { name }', message['outputs']);
    outputs = (message['outputs'] as unknown[]).map((o, i) => {
      const name = (o as Record<string, unknown> | null)?.['name'];
      if (typeof name !== 'string') bad(`outputs[${i}].name`, 'an output name', name);
      const flag = ((o as Record<string, unknown>)['parameters'] as Record<string, unknown> | undefined)?.['binary_data'];
      return { name, binary: typeof flag === 'boolean' ? flag : binaryOutput };
    });
  }
  return { ...(id !== undefined ? { id } : {}), inputs, binaryOutput, ...(outputs ? { outputs } : {}) };
}

function encode(header: object, tensors: { tensor: OipTensor; binary: boolean }[]): EncodedBody {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const parts = tensors.filter((t) => t.binary).map((t) => bytesOfFloats(t.tensor.data));
  if (parts.length === 0) return { body: json, headers: { 'Content-Type': 'application/json' } };
  return {
    body: Buffer.concat([json, ...parts]),
    headers: { 'Content-Type': 'application/octet-stream', 'Inference-Header-Content-Length': String(json.length) },
  };
}

function describe(t: OipTensor, binary: boolean): Record<string, unknown> {
  return binary
    ? { name: t.name, shape: t.shape, datatype: 'FP32', parameters: { binary_data_size: t.data.byteLength } }
    : { name: t.name, shape: t.shape, datatype: 'FP32', data: Array.from(t.data) };
}

/** A request body: inputs binary or JSON; outputs asked for binary when `binary`. */
export function encodeInferRequest(inputs: OipTensor[], options: { id?: string; binary: boolean }): EncodedBody {
  const header = {
    ...(options.id !== undefined ? { id: options.id } : {}),
    ...(options.binary ? { parameters: { binary_data_output: true } } : {}),
    inputs: inputs.map((t) => describe(t, options.binary)),
  };
  return encode(header, inputs.map((tensor) => ({ tensor, binary: options.binary })));
}

/** A response body: each output binary or JSON as the request asked. */
export function encodeInferResponse(response: OipResponse, binary: (name: string) => boolean): EncodedBody {
  const header = {
    model_name: response.modelName,
    ...(response.id !== undefined ? { id: response.id } : {}),
    outputs: response.outputs.map((t) => describe(t, binary(t.name))),
  };
  return encode(header, response.outputs.map((tensor) => ({ tensor, binary: binary(tensor.name) })));
}

export function parseInferResponse(body: Buffer, headerLength: string | undefined): OipResponse {
  const { json, binary } = splitBody(body, headerLength);
  const message = json as Record<string, unknown>;
  if (typeof message['error'] === 'string') bad('response', 'outputs', `error "${message['error']}"`);
  const modelName = message['model_name'];
  if (typeof modelName !== 'string') bad('model_name', 'a string', modelName);
  const id = message['id'];
  return { modelName, ...(typeof id === 'string' ? { id } : {}), outputs: readTensors('outputs', message['outputs'], binary, false) };
}
