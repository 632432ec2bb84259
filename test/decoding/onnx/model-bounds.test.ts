/**
 * Shapes and counts a model file declares are bounded before anything is allocated for them: a
 * small, valid ONNX model (real onnxruntime loads it) that declares an output of 10⁸ values, a
 * state of 10⁸ values or an epoch window of a day is refused at once, with one error naming the
 * file, the tensor, the limit and what was seen — not after minutes of allocating names and
 * buffers until the heap is exhausted.
 */
import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../../../core/errors.js';
import { readEpochMetadata } from '../../../decoding/onnx/onnx-convention.js';
import { MAX_DECODER_NAMES, MAX_TENSOR_VALUES, OnnxDecoder } from '../../../decoding/onnx/onnx-decoder.js';
import { OnnxGraphBuilder } from '../../../decoding/onnx/onnx-graph-builder.js';
import { hugeOutputModel } from './declared-size-models.js';

/** A recurrent model whose state input declares `size` values: state_out = state_in, output = input. */
function hugeStateModel(size: number): Uint8Array {
  const b = new OnnxGraphBuilder();
  b.input('input', [1, 4]);
  b.input('state_in', [1, size]);
  b.node('Identity', ['input'], ['output']);
  b.node('Identity', ['state_in'], ['state_out']);
  b.output('output', [1, 4]);
  b.output('state_out', [1, size]);
  return b.encode();
}

async function loadError(bytes: Uint8Array, label: string): Promise<Error> {
  const error = await OnnxDecoder.load(bytes, { providers: ['cpu'], label }).then(
    async (d) => {
      await d.dispose();
      return undefined;
    },
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error(`${label} loaded`);
  return error;
}

describe('OnnxDecoder: declared sizes are bounded before allocating', () => {
  it('refuses a model declaring an output of 10⁸ values with one line naming the file, the output, the limit and the shape', async () => {
    const bytes = hugeOutputModel(25_000_000);
    expect(bytes.length).toBeLessThan(1000);
    const error = await loadError(bytes, 'huge.onnx');
    expect(error).toBeInstanceOf(InvalidDataError);
    expect(error.message).toBe(`huge.onnx output "output": expected at most ${MAX_DECODER_NAMES} outputs (the limit on what a model may declare), got "shape [1, 100000000]"`);
    expect(error.message).not.toContain('\n');
  });

  it('loads the same model at a size within the limit', async () => {
    const decoder = await OnnxDecoder.load(hugeOutputModel(3), { providers: ['cpu'], label: 'small.onnx' });
    try {
      expect(decoder.outputNames).toHaveLength(12);
      expect(Array.from(await decoder.decode(Float32Array.of(1, 2, 3, 4)))).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
    } finally {
      await decoder.dispose();
    }
  });

  it('refuses a recurrent state of 10⁸ values', async () => {
    const error = await loadError(hugeStateModel(100_000_000), 'state.onnx');
    expect(error.message).toBe(`state.onnx input "state_in": expected a tensor of at most ${MAX_TENSOR_VALUES} values (the limit on what a model may declare), got "shape [1, 100000000], 100000000 values"`);
  });

  it('refuses an epoch window beyond ±60 s of the cue (it sizes the trial buffer)', () => {
    const error = (() => {
      try {
        readEpochMetadata(new Map([['neurostream.epoch_window_s', '[0, 86400]']]), 'trial.onnx');
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(InvalidDataError);
    expect(error!.message).toBe('trial.onnx metadata neurostream.epoch_window_s: expected a window within ±60 s of the cue (the limit on what a model may declare), got "[0, 86400]"');
    expect(readEpochMetadata(new Map([['neurostream.epoch_window_s', '[0.5, 2.5]']]), 'trial.onnx')).toEqual({ windowS: [0.5, 2.5] });
  });
});
