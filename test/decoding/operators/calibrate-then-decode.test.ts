import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createFeatureFrame, createMarker, type FeatureFrame, type Marker } from '../../../core/index.js';
import { KINEMATICS_MARKER } from '../../../decoding/datasets/kinematics-truth.js';
import { BuiltinDecoder } from '../../../decoding/decoders/builtin-decoder.js';
import type { RidgeModel } from '../../../decoding/models.js';
import {
  calibrateThenDecode,
  RECALIBRATE_MARKER,
  type CalibrateThenDecodeEvent,
  type CalibrateThenDecodeInput,
  type CalibrateThenDecodeView,
} from '../../../decoding/operators/calibrate-then-decode.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const names = ['f0', 'f1'];
/** Bin `bin` of 20 samples at 1 kHz. */
const frame = (bin: number): FeatureFrame => createFeatureFrame({ bin, t0: bin * 20, hostTime: 0, values: Float32Array.from([bin, 2 * bin]), names });
const input = (bin: number): CalibrateThenDecodeInput => ({ type: 'frame', frame: frame(bin), acquisitionMs: 0 });

const markers = (list: Marker[]): CalibrateThenDecodeInput => ({ type: 'markers', markers: list });

/** vel_x = f0, vel_y = f1: a given model, nothing to calibrate. */
function given(): BuiltinDecoder {
  const model: RidgeModel = {
    type: 'ridge',
    inputNames: names,
    outputNames: ['vel_x', 'vel_y'],
    lags: 0,
    standardizer: { mean: new Float64Array(2), std: new Float64Array([1, 1]) },
    weights: Float64Array.from([1, 0, 0, 1]),
    bias: new Float64Array(2),
    alpha: 1,
  };
  return new BuiltinDecoder(model);
}

/** An event as a short comparable value. */
const describeEvent = (e: CalibrateThenDecodeEvent): string =>
  e.type === 'intent' ? `intent ${e.intent.bin}: ${Array.from(e.intent.values).join(',')}` : e.type === 'ready' ? `ready ${e.decoder.name} ${e.decoder.calibrationBins}` : `validation ${e.validation.bin}`;

describe('calibrateThenDecode', () => {
  it('with a given model: skips the settling bins, says it is ready, then decodes every bin in order', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('k----a----b----c----d----|', {
        k: markers([createMarker(0, KINEMATICS_MARKER, [0, 0, 1, 2])]),
        a: input(0),
        b: input(1),
        c: input(2),
        d: input(3),
      });
      const events = source.pipe(calibrateThenDecode({ sampleRateHz: 1000, binSamples: 20, calibrateS: 1, settleS: 0.04, decoder: given() }), map(describeEvent));
      expectObservable(events).toBe('---------------(rc)-d----|', { r: 'ready ridge 0', c: 'intent 2: 2,4', d: 'intent 3: 3,6' });
    });
  });

  it('keeps its state per subscription, hands out a view of it, and refuses to recalibrate a given model', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const views: CalibrateThenDecodeView[] = [];
      const source = cold('a----b|', { a: input(0), b: input(1) });
      const operator = calibrateThenDecode({ sampleRateHz: 1000, binSamples: 20, calibrateS: 1, settleS: 0, decoder: given(), onView: (v) => views.push(v) });
      const bins = source.pipe(operator, map(describeEvent));
      expectObservable(bins).toBe('(ra)-b|', { r: 'ready ridge 0', a: 'intent 0: 0,0', b: 'intent 1: 1,2' });
      expectObservable(bins).toBe('(ra)-b|', { r: 'ready ridge 0', a: 'intent 0: 0,0', b: 'intent 1: 1,2' });
      flush();
      expect(views).toHaveLength(2);
      expect(views[0]).not.toBe(views[1]);
      expect(views[0]!.state()).toMatchObject({ phase: 'decoding', decoderName: 'ridge', outputs: ['vel_x', 'vel_y'], backlog: 0, scoresVelocity: true });
      expect(views[0]!.recalibrationRefusal()).toBe('the session decodes with a fixed model (ridge): nothing to recalibrate');
    });
  });

  it('without a model: collects the calibration window, and ends without one when the stream carries no kinematics', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      let view: CalibrateThenDecodeView | undefined;
      // settle 0, calibrate 0.06 s: bins 0–2 are the calibration window, bin 3 would start the fit.
      const source = cold('a-b-c-d|', { a: input(0), b: input(1), c: input(2), d: input(3) });
      const operator = calibrateThenDecode({ sampleRateHz: 1000, binSamples: 20, calibrateS: 0.06, settleS: 0, onView: (v) => (view = v) });
      expectObservable(source.pipe(operator)).toBe('-------|');
      flush();
      expect(view!.state()).toMatchObject({ phase: 'no-truth', calibrationBins: 0 });
      expect(view!.recalibrationRefusal()).toBe('the decoder is not running (no kinematics to calibrate on)');
    });
  });

  it('takes no recalibration for a given model, even a recorded one', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      let view: CalibrateThenDecodeView | undefined;
      const source = cold('a---m|', { a: input(0), m: markers([createMarker(10, RECALIBRATE_MARKER, 'operator')]) });
      expectObservable(source.pipe(calibrateThenDecode({ sampleRateHz: 1000, binSamples: 20, calibrateS: 1, settleS: 0, decoder: given(), onView: (v) => (view = v) }), map(describeEvent))).toBe(
        '(ra)-|',
        { r: 'ready ridge 0', a: 'intent 0: 0,0' },
      );
      flush();
      expect(view!.state().recalibrating).toBe(false);
    });
  });
});

describe('calibrateThenDecode latency of bins held for a calibration', () => {
  it('reports the wait of the bins that arrived while the model was fitted as heldMs, outside featuresMs', async () => {
    const { Subject, firstValueFrom, toArray } = await import('rxjs');
    const { hostNowMs } = await import('../../../core/index.js');
    const input$ = new Subject<CalibrateThenDecodeInput>();
    const done = firstValueFrom(input$.pipe(calibrateThenDecode({ sampleRateHz: 1000, binSamples: 20, calibrateS: 1.2, settleS: 0 }), toArray()));
    // A task whose velocity is the features (with some wobble): bins 0–59 calibrate, 60–69 arrive while the fit runs.
    const push = (bin: number): void => {
      const vx = Math.sin(bin * 0.3);
      const vy = Math.cos(bin * 0.17);
      input$.next(markers([createMarker(bin * 20, KINEMATICS_MARKER, [0, 0, vx, vy])]));
      const values = Float32Array.from([vx + 0.01 * Math.sin(bin * 7.1), vy + 0.01 * Math.cos(bin * 5.3)]);
      input$.next({ type: 'frame', frame: createFeatureFrame({ bin, t0: bin * 20, hostTime: hostNowMs(), values, names }), acquisitionMs: 0 });
    };
    for (let bin = 0; bin < 70; bin++) push(bin);
    // The fit runs in a worker: wait until it is done (the held bins come out then), then stream on.
    const events: CalibrateThenDecodeEvent[] = [];
    const live = input$.subscribe(); // keeps the subject hot while we wait
    await new Promise((r) => setTimeout(r, 50));
    input$.complete(); // completion waits for the calibration and the bins it held
    live.unsubscribe();
    events.push(...(await done));
    const intents = events.flatMap((e) => (e.type === 'intent' ? [e.intent] : []));
    expect(events.some((e) => e.type === 'ready')).toBe(true);
    // Bin 60 starts the fit; 60–69 waited for it.
    expect(intents.map((i) => i.bin)).toEqual(Array.from({ length: 10 }, (_, k) => 60 + k));
    for (const intent of intents) {
      expect(intent.latency.heldMs).toBeGreaterThan(0);
      // Before: featuresMs held the wait for the model (the bin was given to the decoder only then).
      expect(intent.latency.featuresMs).toBeLessThan(intent.latency.heldMs!);
    }
  }, 30_000);

  it('bins decoded as they come carry no heldMs', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a----b|', { a: input(0), b: input(1) });
      const held = source.pipe(calibrateThenDecode({ sampleRateHz: 1000, binSamples: 20, calibrateS: 1, settleS: 0, decoder: given() }), map((e) => (e.type === 'intent' ? String(e.intent.latency.heldMs) : e.type)));
      expectObservable(held).toBe('(ra)-b|', { r: 'ready', a: 'undefined', b: 'undefined' });
    });
  });
});
