/**
 * OnnxDecoder — an ONNX model run by onnxruntime-node as a Decoder (decoding/decoder.ts).
 *
 * Loading checks the model against the ONNX convention before the first decode: one float32 data
 * input (`input`, or the only non-state input of a foreign model) of shape [1, ...inputShape] with
 * fixed sizes, one float32 output (`output`, or the only non-state output) of shape [1, D], and
 * for every other input `<x>_in` an output `<x>_out` of the same shape (recurrent state, fed back
 * at the next call, reset to `neurostream.state_init` or zeros). Names and kind come from the
 * `neurostream.*` metadata_props; a foreign model without them gets `input_0…`, `output_0…` and
 * `continuous` (or `options.kind`). Every failure is one InvalidDataError / InvalidOptionError
 * naming the file, the input or output, what was expected and what was seen.
 *
 * Execution providers are tried one at a time, in the order given. onnxruntime-node does not fall
 * back by itself: a session asked for a provider it cannot load fails to be created (even when
 * `cpu` is listed after it), so each provider gets its own attempt and `provider` is the one whose
 * session was created. Nodes a provider does not implement still run on onnxruntime's CPU kernels
 * inside that session (onnxruntime's per-node assignment), as with every onnxruntime binding.
 * GPU providers listed before others are probed quietly (onnxruntime's process-wide log level is
 * raised to `fatal` while a session is created, unless the application set one, and restored
 * after): a failure is reported once, through `log`, not as onnxruntime's own error line.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import { checkInteger, checkOneOf, InvalidDataError, InvalidOptionError, type IntentKind } from '../../core/index.js';
import type { Decoder } from '../decoder.js';
import {
  INPUT,
  META_DECODER,
  META_INPUT_NAMES,
  META_KIND,
  META_OUTPUT_NAMES,
  META_STATE_INIT,
  OUTPUT,
  STATE_IN_SUFFIX,
  stateOutputFor,
} from './onnx-convention.js';

export const ONNX_PROVIDERS = ['cuda', 'tensorrt', 'webgpu', 'cpu'] as const;

/**
 * Bounds on what a model file declares, checked before anything is allocated for it: a decoder's
 * features (or channels) and outputs are each named, so at most MAX_DECODER_NAMES of them; any
 * tensor it is fed or returns (data, recurrent state) at most MAX_TENSOR_VALUES values (64 MiB of
 * float32). A file declaring more is refused with one error naming the file, the tensor, the
 * limit and the shape seen.
 */
export const MAX_DECODER_NAMES = 65_536;
export const MAX_TENSOR_VALUES = 16 * 1024 * 1024;
export type OnnxProvider = (typeof ONNX_PROVIDERS)[number];

/**
 * The default preference: CUDA where its provider libraries are installed (docs/onnx.md), else the
 * CPU. TensorRT (engine builds of minutes at load) and WebGPU (experimental in onnxruntime-node)
 * are used only when asked for.
 */
export const DEFAULT_PROVIDERS: readonly OnnxProvider[] = ['cuda', 'cpu'];

export type OnnxDecoderEvent =
  /** A provider could not be used; `reason` is onnxruntime's error, with a hint where we have one. */
  | { readonly type: 'provider-unavailable'; readonly file: string; readonly provider: OnnxProvider; readonly reason: string }
  /** The session was created with `provider`; `tried` lists the providers attempted before it. */
  | { readonly type: 'provider-selected'; readonly file: string; readonly provider: OnnxProvider; readonly tried: readonly OnnxProvider[] };

export interface OnnxDecoderOptions {
  /** Execution providers in order of preference (default DEFAULT_PROVIDERS). */
  readonly providers?: readonly OnnxProvider[];
  /**
   * The feature names (or channel names, for [C, T] inputs) the model must take: their number must
   * match the input's size, and their order the model's `neurostream.input_names` when it has them.
   */
  readonly expectInputNames?: readonly string[];
  /** Kind of a model without `neurostream.kind` (default `continuous`); must agree when it has one. */
  readonly kind?: IntentKind;
  /** Provider attempts and the final choice. */
  readonly log?: (event: OnnxDecoderEvent) => void;
  /** onnxruntime's intra-op thread pool size (default: onnxruntime's choice, one per core). */
  readonly intraOpThreads?: number;
  /** How errors name a model given as bytes (default `model.onnx`). */
  readonly label?: string;
}

interface StateSlot {
  readonly input: string;
  readonly output: string;
  readonly dims: readonly number[];
  readonly init: Float32Array;
}

type Dim = number | string;

function shapeText(dims: readonly Dim[]): string {
  return `[${dims.join(', ')}]`;
}

/** Refuses a declared shape whose fixed sizes hold more than MAX_TENSOR_VALUES values. */
function checkTensorSize(label: string, dims: readonly Dim[]): void {
  const size = dims.reduce<number>((a, d) => a * (typeof d === 'number' && d > 0 ? d : 1), 1);
  if (size > MAX_TENSOR_VALUES) throw new InvalidDataError(label, `a tensor of at most ${MAX_TENSOR_VALUES} values (the limit on what a model may declare)`, `shape ${shapeText(dims)}, ${size} values`);
}

/** Refuses a declared feature, channel or output count over MAX_DECODER_NAMES. */
function checkNameCount(label: string, what: string, count: number, dims: readonly Dim[]): void {
  if (count > MAX_DECODER_NAMES) throw new InvalidDataError(label, `at most ${MAX_DECODER_NAMES} ${what} (the limit on what a model may declare)`, `shape ${shapeText(dims)}`);
}

function parseJsonStrings(file: string, key: string, text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidDataError(`${file} metadata ${key}`, 'a JSON array of strings', text);
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new InvalidDataError(`${file} metadata ${key}`, 'a JSON array of strings', text);
  }
  return value as string[];
}

/** Where onnxruntime-node looks for the provider libraries it does not bundle (CUDA, TensorRT). */
function ortBinaryFolder(): string {
  const main = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(main), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** A hint appended to onnxruntime's own (terse) reason for CUDA and TensorRT. */
function providerHint(provider: OnnxProvider): string {
  if (provider !== 'cuda' && provider !== 'tensorrt') return '';
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return ` (onnxruntime-node ships ${provider} for linux/x64 only)`;
  }
  const folder = ortBinaryFolder();
  const needed = ['libonnxruntime_providers_shared.so', `libonnxruntime_providers_${provider}.so`];
  const missing = needed.filter((f) => !existsSync(join(folder, f)));
  if (missing.length > 0) {
    return ` (${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed in ${folder}: onnxruntime-node was installed with onnxruntime-node-install=skip or its download failed; see docs/onnx.md)`;
  }
  return provider === 'cuda'
    ? ' (the provider library is installed but could not be loaded or started: it needs the CUDA 12 runtime, cuBLAS and cuDNN 9 on the library path and a visible CUDA GPU; onnxruntime names the missing library on stderr when cuda is the only provider asked for)'
    : ' (the provider library is installed but could not be loaded or started: it needs TensorRT 10 and the CUDA 12 libraries on the library path; onnxruntime names the missing library on stderr when tensorrt is the only provider asked for)';
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
}

/** A tensor as model servers describe it (Open Inference Protocol model metadata). */
export interface TensorSignature {
  name: string;
  datatype: 'FP32';
  shape: number[];
}

export class OnnxDecoder implements Decoder {
  readonly name: string;
  readonly kind: IntentKind;
  readonly inputShape: readonly number[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly provider: OnnxProvider;
  /** The model file as errors name it. */
  readonly file: string;
  /** `neurostream.decoder` (the built-in it was exported from, `gru`, `mlp` …), if any. */
  readonly decoderType: string | undefined;
  /** All metadata_props of the model. */
  readonly metadata: ReadonlyMap<string, string>;
  /** The recurrent state inputs (`<x>_in`), in the model's order. */
  readonly stateNames: readonly string[];
  /** Names of the tensors fed and read (`input` / `output` unless a foreign model names them otherwise). */
  readonly inputTensor: string;
  readonly outputTensor: string;

  private readonly session: ort.InferenceSession;
  private readonly states: readonly StateSlot[];
  private readonly current = new Map<string, ort.Tensor>();
  private readonly inputDims: readonly number[];
  private readonly inputSize: number;
  private chain: Promise<unknown> = Promise.resolve();
  private disposed = false;

  private constructor(init: {
    file: string;
    session: ort.InferenceSession;
    provider: OnnxProvider;
    metadata: ReadonlyMap<string, string>;
    options: OnnxDecoderOptions;
  }) {
    const { file, session, metadata, options } = init;
    this.file = file;
    this.name = `onnx:${basename(file)}`;
    this.session = session;
    this.provider = init.provider;
    this.metadata = metadata;
    this.decoderType = metadata.get(META_DECODER);

    const inputs = new Map(session.inputMetadata.map((m) => [m.name, m]));
    const outputs = new Map(session.outputMetadata.map((m) => [m.name, m]));
    const tensorDims = (what: 'input' | 'output', m: ort.InferenceSession.ValueMetadata): readonly Dim[] => {
      if (!m.isTensor || m.type !== 'float32') {
        throw new InvalidDataError(`${file} ${what} "${m.name}"`, 'a float32 tensor', m.isTensor ? `a ${m.type} tensor` : 'a non-tensor value');
      }
      return m.shape;
    };

    // recurrent state pairs: <x>_in ← <x>_out
    const isState = (name: string): boolean => name.endsWith(STATE_IN_SUFFIX) && name.length > STATE_IN_SUFFIX.length && outputs.has(stateOutputFor(name));
    const stateInputs = session.inputNames.filter(isState);
    const stateOutputs = new Set(stateInputs.map(stateOutputFor));

    // the data input and output
    const pick = (what: 'input' | 'output', conventional: string, names: readonly string[], exclude: (n: string) => boolean): string => {
      if (names.includes(conventional)) return conventional;
      const rest = names.filter((n) => !exclude(n));
      if (rest.length === 1) return rest[0]!;
      throw new InvalidDataError(
        `${file} ${what}s`,
        `one ${what} named "${conventional}"${what === 'input' ? ' (besides <x>_in state inputs, each with an output <x>_out)' : ' (besides <x>_out state outputs)'}`,
        JSON.stringify(names),
      );
    };
    this.inputTensor = pick('input', INPUT, session.inputNames, isState);
    this.outputTensor = pick('output', OUTPUT, session.outputNames, (n) => stateOutputs.has(n));
    for (const name of session.inputNames) {
      if (name !== this.inputTensor && !isState(name)) {
        throw new InvalidDataError(
          `${file} input "${name}"`,
          name.endsWith(STATE_IN_SUFFIX) ? `a matching output "${stateOutputFor(name)}" (recurrent state)` : `"${this.inputTensor}" as the only data input, other inputs being <x>_in state inputs`,
          JSON.stringify(session.outputNames),
        );
      }
    }

    // data input: [1, ...inputShape] with fixed sizes (a symbolic batch dimension is fed 1)
    const inDims = tensorDims('input', inputs.get(this.inputTensor)!);
    const inputLabel = `${file} input "${this.inputTensor}"`;
    if (inDims.length < 2 || (inDims[0] !== 1 && typeof inDims[0] !== 'string') || inDims.slice(1).some((d) => typeof d !== 'number' || d < 1)) {
      throw new InvalidDataError(inputLabel, 'shape [1, F] or [1, C, T] with fixed sizes', shapeText(inDims));
    }
    checkNameCount(inputLabel, 'features or channels', inDims[1] as number, inDims);
    checkTensorSize(inputLabel, inDims);
    this.inputShape = inDims.slice(1) as number[];
    this.inputDims = [1, ...this.inputShape];
    this.inputSize = this.inputShape.reduce((a, b) => a * b, 1);
    const first = this.inputShape[0]!;
    const unit = this.inputShape.length === 1 ? 'features' : 'channels';

    // data output: [1, D]
    const outDims = tensorDims('output', outputs.get(this.outputTensor)!);
    const outputLabel = `${file} output "${this.outputTensor}"`;
    if (outDims.length !== 2 || (outDims[0] !== 1 && typeof outDims[0] !== 'string')) {
      throw new InvalidDataError(outputLabel, 'shape [1, D]', shapeText(outDims));
    }
    if (typeof outDims[1] === 'number') checkNameCount(outputLabel, 'outputs', outDims[1], outDims);

    // kind
    const metaKind = metadata.get(META_KIND);
    if (metaKind !== undefined) checkOneOf('data', `${file} metadata ${META_KIND}`, metaKind, ['continuous', 'discrete'] as const);
    if (options.kind !== undefined && metaKind !== undefined && options.kind !== metaKind) {
      throw new InvalidOptionError(`${file} kind`, `"${metaKind}" as the model's ${META_KIND} says`, options.kind);
    }
    this.kind = (metaKind ?? options.kind ?? 'continuous') as IntentKind;

    // input names
    const metaInputs = metadata.get(META_INPUT_NAMES);
    let inputNames = metaInputs === undefined ? undefined : parseJsonStrings(file, META_INPUT_NAMES, metaInputs);
    if (inputNames && inputNames.length !== first) {
      throw new InvalidDataError(`${file} metadata ${META_INPUT_NAMES}`, `${first} names (input "${this.inputTensor}" has shape ${shapeText(inDims)})`, inputNames);
    }
    const expected = options.expectInputNames;
    if (expected) {
      if (expected.length !== first) {
        const want = [1, expected.length, ...this.inputShape.slice(1)];
        throw new InvalidDataError(inputLabel, `shape ${shapeText(want)} (${expected.length} ${unit})`, shapeText([1, ...this.inputShape]));
      }
      if (inputNames) {
        const at = expected.findIndex((n, i) => n !== inputNames![i]);
        if (at >= 0) {
          throw new InvalidDataError(`${file} metadata ${META_INPUT_NAMES}[${at}]`, `"${expected[at]}" (the expected ${unit}, in order)`, inputNames[at]);
        }
      } else {
        inputNames = [...expected];
      }
    }
    this.inputNames = inputNames ?? Array.from({ length: first }, (_, i) => `input_${i}`);

    // output names and D
    const metaOutputs = metadata.get(META_OUTPUT_NAMES);
    const outputNames = metaOutputs === undefined ? undefined : parseJsonStrings(file, META_OUTPUT_NAMES, metaOutputs);
    const D = outDims[1]!;
    if (typeof D === 'number') {
      if (outputNames && outputNames.length !== D) {
        throw new InvalidDataError(`${file} metadata ${META_OUTPUT_NAMES}`, `${D} names (output "${this.outputTensor}" has shape ${shapeText(outDims)})`, outputNames);
      }
      this.outputNames = outputNames ?? Array.from({ length: D }, (_, i) => `output_${i}`);
    } else if (outputNames) {
      checkNameCount(`${file} metadata ${META_OUTPUT_NAMES}`, 'outputs', outputNames.length, outDims);
      this.outputNames = outputNames;
    } else {
      throw new InvalidDataError(outputLabel, `shape [1, D] with a fixed D, or ${META_OUTPUT_NAMES} metadata`, shapeText(outDims));
    }

    // state: shapes and initial values
    let stateInit: Record<string, unknown> = {};
    const initText = metadata.get(META_STATE_INIT);
    if (initText !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(initText);
      } catch {
        parsed = undefined;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new InvalidDataError(`${file} metadata ${META_STATE_INIT}`, 'a JSON object { "<x>_in": number[] }', initText);
      }
      stateInit = parsed as Record<string, unknown>;
      for (const key of Object.keys(stateInit)) {
        if (!stateInputs.includes(key)) {
          throw new InvalidDataError(`${file} metadata ${META_STATE_INIT}`, `keys among the state inputs ${JSON.stringify(stateInputs)}`, key);
        }
      }
    }
    this.states = stateInputs.map((name) => {
      const declared = tensorDims('input', inputs.get(name)!);
      // One symbolic dimension is the batch (one session: 1), as on the data input.
      if (declared.some((d) => typeof d === 'number' && d < 1) || declared.filter((d) => typeof d !== 'number').length > 1) {
        throw new InvalidDataError(`${file} input "${name}"`, 'a state shape with fixed sizes (one symbolic batch dimension allowed)', shapeText(declared));
      }
      const dims = declared.map((d) => (typeof d === 'number' ? d : 1));
      checkTensorSize(`${file} input "${name}"`, dims);
      const outName = stateOutputFor(name);
      const oDims = tensorDims('output', outputs.get(outName)!);
      if (oDims.length !== dims.length || oDims.some((d, i) => typeof d === 'number' && d !== dims[i])) {
        throw new InvalidDataError(`${file} output "${outName}"`, `shape ${shapeText(dims)} (as input "${name}")`, shapeText(oDims));
      }
      const size = (dims as number[]).reduce((a, b) => a * b, 1);
      const init = new Float32Array(size);
      const given = stateInit[name];
      if (given !== undefined) {
        if (!Array.isArray(given) || given.length !== size || !given.every((v) => typeof v === 'number' && Number.isFinite(v))) {
          throw new InvalidDataError(`${file} metadata ${META_STATE_INIT}["${name}"]`, `${size} finite numbers (input "${name}" has shape ${shapeText(dims)})`, given);
        }
        init.set(given as number[]);
      }
      return { input: name, output: outName, dims: dims as number[], init };
    });
    this.stateNames = stateInputs;
    this.resetStates();
  }

  /**
   * Loads a model (a path, or the bytes of one) and creates its session on the first execution
   * provider that works, reporting each one that does not through `options.log`.
   */
  static async load(source: string | Uint8Array, options: OnnxDecoderOptions = {}): Promise<OnnxDecoder> {
    const file = typeof source === 'string' ? source : options.label ?? 'model.onnx';
    const providers = options.providers ?? DEFAULT_PROVIDERS;
    if (!Array.isArray(providers) || providers.length === 0) {
      throw new InvalidOptionError('providers', `a non-empty list of ${ONNX_PROVIDERS.join(', ')}`, providers);
    }
    providers.forEach((p, i) => checkOneOf('option', `providers[${i}]`, p, ONNX_PROVIDERS));
    if (new Set(providers).size !== providers.length) throw new InvalidOptionError('providers', 'each provider once', providers.join(', '));
    if (options.intraOpThreads !== undefined) checkInteger('option', 'intraOpThreads', options.intraOpThreads, { min: 1 });
    if (options.kind !== undefined) checkOneOf('option', 'kind', options.kind, ['continuous', 'discrete'] as const);

    let bytes: Uint8Array;
    if (typeof source === 'string') {
      try {
        bytes = await readFile(source);
      } catch (error) {
        throw new InvalidDataError(file, `a readable ONNX model file (${errorText(error)})`, source);
      }
    } else {
      bytes = source;
    }
    const metadata = OnnxDecoder.readMetadata(file, bytes);

    const sessionOptions: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      ...(options.intraOpThreads !== undefined ? { intraOpNumThreads: options.intraOpThreads } : {}),
    };
    // A GPU provider with others after it is a quiet probe: onnxruntime's own error line (red, on
    // stderr, on every machine without CUDA) is not printed; its reason comes back in the error
    // and is reported through `log`. onnxruntime-node has one log level per process, fixed when
    // its first session is created: it is raised to `fatal` unless the application chose one, for
    // the probe only — the application's setting is restored once the sessions are created.
    const previousLogLevel = ort.env.logLevel;
    const quiet = providers.slice(0, -1).some((p) => p !== 'cpu') && previousLogLevel === 'warning';
    const failures: { provider: OnnxProvider; reason: string }[] = [];
    for (const provider of providers) {
      let session: ort.InferenceSession;
      try {
        // a path lets onnxruntime resolve external-data files next to the model
        const withProvider = { ...sessionOptions, executionProviders: [provider] };
        if (quiet) ort.env.logLevel = 'fatal';
        try {
          session = typeof source === 'string' ? await ort.InferenceSession.create(source, withProvider) : await ort.InferenceSession.create(bytes, withProvider);
        } finally {
          if (quiet) ort.env.logLevel = previousLogLevel;
        }
      } catch (error) {
        const reason = `${errorText(error)}${providerHint(provider)}`;
        failures.push({ provider, reason });
        options.log?.({ type: 'provider-unavailable', file, provider, reason });
        continue;
      }
      options.log?.({ type: 'provider-selected', file, provider, tried: failures.map((f) => f.provider) });
      try {
        return new OnnxDecoder({ file, session, provider, metadata, options });
      } catch (error) {
        await session.release();
        throw error;
      }
    }
    const cpu = failures.find((f) => f.provider === 'cpu');
    if (cpu) throw new InvalidDataError(file, `an ONNX model that onnxruntime can load (onnxruntime: ${cpu.reason})`, bytes);
    throw new InvalidOptionError(
      `${file} providers`,
      `an execution provider onnxruntime-node can use on this machine (${failures.map((f) => `${f.provider}: ${f.reason}`).join('; ')}); add "cpu" as a fallback`,
      providers.join(', '),
    );
  }

  /** metadata_props, after checking that the bytes are an ONNX ModelProto with a graph. */
  private static readMetadata(file: string, bytes: Uint8Array): Map<string, string> {
    let model: onnxProto.onnx.ModelProto;
    try {
      model = onnxProto.onnx.ModelProto.decode(bytes);
    } catch (error) {
      throw new InvalidDataError(file, `an ONNX model (a serialised onnx.ModelProto; protobuf: ${errorText(error)})`, bytes);
    }
    const graph = model.graph;
    const counts = graph ? [graph.node?.length ?? 0, graph.input?.length ?? 0, graph.output?.length ?? 0] : [];
    if (!graph || counts.some((n) => n === 0)) {
      const seen = graph ? `a graph of ${counts[0]} nodes, ${counts[1]} inputs, ${counts[2]} outputs` : 'no graph';
      throw new InvalidDataError(file, 'an ONNX model with a graph of nodes, inputs and outputs', seen);
    }
    return new Map(model.metadataProps.map((p) => [p.key ?? '', p.value ?? '']));
  }

  /**
   * Decodes one input (inputShape values, channel-major for [C, T]). Calls are run one after the
   * other, in call order, so that recurrent state passes from each call to the next.
   */
  decode(input: Float32Array): Promise<Float32Array> {
    if (this.disposed) return Promise.reject(new InvalidOptionError(this.name, 'a decoder that has not been disposed', 'disposed'));
    if (!(input instanceof Float32Array) || input.length !== this.inputSize) {
      const expected = `${this.inputSize} values (shape ${shapeText(this.inputShape)})`;
      return Promise.reject(new InvalidDataError(`${this.file} input "${this.inputTensor}"`, expected, input));
    }
    const data = input.slice();
    const run = this.chain.then(() => this.step(data));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async step(data: Float32Array): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = { [this.inputTensor]: new ort.Tensor('float32', data, this.inputDims) };
    for (const s of this.states) feeds[s.input] = this.current.get(s.input)!;
    const result = await this.session.run(feeds);
    for (const s of this.states) this.current.set(s.input, result[s.output] as ort.Tensor);
    const out = (result[this.outputTensor] as ort.Tensor).data as Float32Array;
    if (out.length !== this.outputNames.length) {
      throw new InvalidDataError(`${this.file} output "${this.outputTensor}"`, `${this.outputNames.length} values`, out);
    }
    return Float32Array.from(out);
  }

  /**
   * The model's tensors as a model server describes them: name, float32, shape (`-1` for a
   * symbolic dimension). Inputs are the data input then the state inputs; outputs likewise.
   */
  signature(): { inputs: TensorSignature[]; outputs: TensorSignature[] } {
    const shape = (dims: readonly (number | string)[]): number[] => dims.map((d) => (typeof d === 'number' ? d : -1));
    const byName = (list: readonly ort.InferenceSession.ValueMetadata[], name: string): TensorSignature => {
      const m = list.find((x) => x.name === name)!;
      return { name, datatype: 'FP32', shape: m.isTensor ? shape(m.shape) : [] };
    };
    return {
      inputs: [this.inputTensor, ...this.states.map((s) => s.input)].map((n) => byName(this.session.inputMetadata, n)),
      outputs: [this.outputTensor, ...this.states.map((s) => s.output)].map((n) => byName(this.session.outputMetadata, n)),
    };
  }

  /**
   * Runs the model once on the given tensors, statelessly (a model server's call: the caller
   * carries any recurrent state as `<x>_in` inputs and gets `<x>_out` back). Every input must be
   * given with its model shape (a symbolic dimension takes the size given); returns every output.
   */
  async run(inputs: ReadonlyMap<string, { data: Float32Array; shape: readonly number[] }>): Promise<Map<string, { data: Float32Array; shape: number[] }>> {
    if (this.disposed) throw new InvalidOptionError(this.name, 'a decoder that has not been disposed', 'disposed');
    const feeds: Record<string, ort.Tensor> = {};
    for (const m of this.session.inputMetadata) {
      const given = inputs.get(m.name);
      if (!given) throw new InvalidDataError(`input "${m.name}"`, `a tensor for each model input (${this.session.inputNames.join(', ')})`, 'none');
      const dims = m.isTensor ? m.shape : [];
      const ok = given.shape.length === dims.length && dims.every((d, i) => typeof d !== 'number' || d === given.shape[i]) && given.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
      if (!ok) throw new InvalidDataError(`input "${m.name}" shape`, shapeText(dims), shapeText(given.shape));
      const size = given.shape.reduce((a, b) => a * b, 1);
      if (given.data.length !== size) throw new InvalidDataError(`input "${m.name}" data`, `${size} values (shape ${shapeText(given.shape)})`, given.data.length);
      feeds[m.name] = new ort.Tensor('float32', given.data, [...given.shape]);
    }
    for (const name of inputs.keys()) {
      if (!this.session.inputNames.includes(name)) throw new InvalidDataError('inputs', `the model's inputs (${this.session.inputNames.join(', ')})`, name);
    }
    const result = await this.session.run(feeds);
    const out = new Map<string, { data: Float32Array; shape: number[] }>();
    for (const name of this.session.outputNames) {
      const t = result[name] as ort.Tensor;
      out.set(name, { data: Float32Array.from(t.data as Float32Array), shape: [...t.dims] });
    }
    return out;
  }

  /** The recurrent state a sequence starts from (`neurostream.state_init` or zeros), by state input. */
  initialState(): Map<string, Float32Array> {
    return new Map(this.states.map((s) => [s.input, s.init.slice()]));
  }

  /** The recurrent state the next decode call will be fed (a copy), in call order. */
  async getState(): Promise<Map<string, Float32Array>> {
    await this.chain;
    return new Map(this.states.map((s) => [s.input, Float32Array.from(this.current.get(s.input)!.data as Float32Array)]));
  }

  /** Replaces the recurrent state (e.g. carried over from a remote copy of this model), ordered with decode calls. */
  setState(state: ReadonlyMap<string, Float32Array>): void {
    for (const s of this.states) {
      const v = state.get(s.input);
      if (!v || v.length !== s.init.length) throw new InvalidDataError(`${this.file} state "${s.input}"`, `${s.init.length} values`, v?.length ?? 'none');
    }
    const copies = this.states.map((s) => [s, Float32Array.from(state.get(s.input)!)] as const);
    this.chain = this.chain.then(() => {
      for (const [s, v] of copies) this.current.set(s.input, new ort.Tensor('float32', v, s.dims));
    });
  }

  /**
   * Back to `neurostream.state_init` (or zeros). Ordered with the decode calls: calls made before
   * it (even if still queued) run on the old sequence, calls made after it start the new one.
   */
  reset(): void {
    if (this.states.length === 0) return;
    this.chain = this.chain.then(() => this.resetStates());
  }

  private resetStates(): void {
    for (const s of this.states) this.current.set(s.input, new ort.Tensor('float32', s.init.slice(), s.dims));
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.chain;
    await this.session.release();
  }
}
