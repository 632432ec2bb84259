import { Subject, firstValueFrom, from, map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createFeatureFrame, type FeatureFrame, type Intent } from '../../../core/index.js';
import type { Decoder } from '../../../decoding/decoder.js';
import { BuiltinDecoder } from '../../../decoding/decoders/builtin-decoder.js';
import type { RidgeModel } from '../../../decoding/models.js';
import { decode, type DecodeStats } from '../../../decoding/operators/decode.js';

const names = ['f0', 'f1'];
const frame = (bin: number, values: number[] = [bin, 2 * bin]): FeatureFrame =>
  createFeatureFrame({ bin, t0: bin * 20, hostTime: 0, values: Float32Array.from(values), names: values.map((_, i) => `f${i}`) });

/** y = x0 + 10·x1 (previous bin) — a lagged ridge, so state matters. */
function ridge(): BuiltinDecoder {
  const model: RidgeModel = {
    type: 'ridge',
    inputNames: names,
    outputNames: ['y'],
    lags: 1,
    standardizer: { mean: new Float64Array(2), std: new Float64Array([1, 1]) },
    weights: Float64Array.from([1, 0, 0, 10]),
    bias: new Float64Array(1),
    alpha: 1,
  };
  return new BuiltinDecoder(model);
}

/** An asynchronous decoder whose answers the test releases by hand. */
class ManualDecoder implements Decoder {
  readonly name = 'manual';
  readonly kind = 'discrete' as const;
  readonly inputShape = [2];
  readonly inputNames = names;
  readonly outputNames = ['left', 'right'];
  readonly provider = 'test';
  readonly pending: { input: Float32Array; resolve: (v: Float32Array) => void }[] = [];
  decode(input: Float32Array): Promise<Float32Array> {
    return new Promise((resolve) => this.pending.push({ input: Float32Array.from(input), resolve }));
  }
  reset(): void {}
  async dispose(): Promise<void> {}
}

describe('decode', () => {
  it('emits one intent per frame, in order, with the decoder’s state carried (marbles)', () => {
    new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectObservable }) => {
      const out = cold('a-b-c|', { a: frame(0), b: frame(1), c: frame(2) }).pipe(
        decode(ridge()),
        map((i: Intent) => [i.bin, i.kind, ...i.values]),
      );
      expectObservable(out).toBe('a-b-c|', {
        a: [0, 'continuous', 0], // no previous bin yet
        b: [1, 'continuous', 1 + 10 * 0],
        c: [2, 'continuous', 2 + 10 * 2],
      });
    });
  });

  it('keeps state per subscription', async () => {
    const decoder = ridge();
    const run = () => firstValueFrom(from([frame(0), frame(1)]).pipe(decode(decoder), toArray()));
    const first = (await run()).map((i) => i.values[0]);
    decoder.reset();
    const second = (await run()).map((i) => i.values[0]);
    expect(second).toEqual(first);
  });

  it('drops the oldest waiting frames when an asynchronous decoder falls behind, and says so', async () => {
    const decoder = new ManualDecoder();
    const input = new Subject<FeatureFrame>();
    const intents: Intent[] = [];
    let last: DecodeStats | undefined;
    input.pipe(decode(decoder, { maxQueue: 2, onStats: (s) => (last = s) })).subscribe((i) => intents.push(i));
    for (let bin = 0; bin < 6; bin++) input.next(frame(bin)); // bin 0 decoding; 1..5 arrive: queue keeps 4, 5
    expect(decoder.pending.length).toBe(1);
    decoder.pending[0]!.resolve(Float32Array.from([0.25, 0.75]));
    await new Promise((r) => setImmediate(r));
    expect(decoder.pending.map((p) => p.input[0])).toEqual([0, 4]);
    decoder.pending[1]!.resolve(Float32Array.from([0.5, 0.5]));
    await new Promise((r) => setImmediate(r));
    decoder.pending[2]!.resolve(Float32Array.from([1, 0]));
    await new Promise((r) => setImmediate(r));
    expect(intents.map((i) => i.bin)).toEqual([0, 4, 5]);
    expect(intents[0]!.labels).toEqual(['left', 'right']);
    expect(last).toMatchObject({ decoded: 3, dropped: 3, queued: 0 });
    expect(intents.every((i) => i.latency.decodeMs >= 0 && i.latency.featuresMs >= 0)).toBe(true);
  });

  it('refuses frames of the wrong size naming both sizes', async () => {
    await expect(firstValueFrom(from([frame(0, [1, 2, 3])]).pipe(decode(ridge())))).rejects.toThrow(/decoder ridge input: expected 2 features, got "3 in bin 0"/);
  });
});
