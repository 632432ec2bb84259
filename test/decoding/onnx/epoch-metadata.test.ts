/**
 * A trial decoder's epochs in its ONNX metadata: exportOnnx writes the window and band, OnnxDecoder
 * reads them back, readEpochMetadata checks them (one error naming the file, the key, what was
 * expected and what was seen), and only trial decoders take them.
 */
import { describe, expect, it } from 'vitest';
import { calibrateLda } from '../../../decoding/calibration/lda-calibration.js';
import { readEpochMetadata } from '../../../decoding/onnx/onnx-convention.js';
import { OnnxDecoder } from '../../../decoding/onnx/onnx-decoder.js';
import { exportOnnx } from '../../../decoding/onnx/onnx-export.js';
import { randomKalman, TestRandom } from './helpers.js';

function lda() {
  const X = Float64Array.from({ length: 40 * 2 }, (_, i) => Math.sin(i * 1.7) + (i % 2 ? 1 : 0) * (Math.floor(i / 2) % 2));
  const labels = Array.from({ length: 40 }, (_, i) => (i % 2 ? 'right' : 'left'));
  return calibrateLda(X, 40, 2, labels, { shrinkage: 'auto', classes: ['left', 'right'], featureNames: ['C3:logpower', 'C4:logpower'] });
}

describe('epoch metadata', () => {
  it('round-trips through ONNX: window and band, or a window alone', async () => {
    const decoder = await OnnxDecoder.load(exportOnnx(lda(), { epoch: { windowS: [0.5, 2.5], bandHz: [8, 30] } }), { providers: ['cpu'] });
    expect(readEpochMetadata(decoder.metadata, 'lda.onnx')).toEqual({ windowS: [0.5, 2.5], bandHz: [8, 30] });
    await decoder.dispose();
    const unfiltered = await OnnxDecoder.load(exportOnnx(lda(), { epoch: { windowS: [-0.5, 1], bandHz: null } }), { providers: ['cpu'] });
    expect(readEpochMetadata(unfiltered.metadata, 'lda.onnx')).toEqual({ windowS: [-0.5, 1] });
    await unfiltered.dispose();
    const plain = await OnnxDecoder.load(exportOnnx(lda()), { providers: ['cpu'] });
    expect(readEpochMetadata(plain.metadata, 'lda.onnx')).toBeUndefined();
    await plain.dispose();
  });

  it('refuses bad values, naming the key, and epochs on a model that is not a trial decoder', () => {
    const meta = (entries: Record<string, string>) => new Map(Object.entries(entries));
    expect(() => readEpochMetadata(meta({ 'neurostream.epoch_window_s': '[2, 1]' }), 'm.onnx')).toThrow(
      'm.onnx metadata neurostream.epoch_window_s: expected a JSON pair of increasing numbers (seconds after the cue), got "[2, 1]"',
    );
    expect(() => readEpochMetadata(meta({ 'neurostream.epoch_window_s': '[0, 1]', 'neurostream.epoch_band_hz': 'eight' }), 'm.onnx')).toThrow(
      'm.onnx metadata neurostream.epoch_band_hz: expected a JSON pair of increasing numbers (Hz), got "eight"',
    );
    expect(() => readEpochMetadata(meta({ 'neurostream.epoch_band_hz': '[8, 30]' }), 'm.onnx')).toThrow(
      'm.onnx metadata neurostream.epoch_window_s: expected a window beside neurostream.epoch_band_hz, got "nothing"',
    );
    expect(() => exportOnnx(randomKalman(new TestRandom(1), 4, 2, 2), { epoch: { windowS: [0, 1], bandHz: null } })).toThrow('epoch: expected a trial decoder (lda, csp-lda), got "kalman"');
  });
});
