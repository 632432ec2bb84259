/**
 * `epochs` with `windowS` — the window [tmin, tmax] from the marker, both ends included, as
 * `calibrate` cuts (a trial decoder's epochs start after the cue) — in marble time.
 */
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createMarker, createSampleBlock, type Marker, type SampleBlock } from '../../../core/index.js';
import { epochs } from '../../../acquisition/operators/epochs.js';
import { testStreamInfo } from '../../helpers/stream-info.js';

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
/** 10 Hz, one channel whose value is the sample's index: an epoch shows which samples it holds. */
const info = testStreamInfo({ id: 'w', sampleRateHz: 10 });
const block = (first: number, length: number, extra: { markers?: Marker[]; missing?: number } = {}): SampleBlock =>
  createSampleBlock({
    info,
    first,
    length,
    data: Float32Array.from({ length }, (_, i) => first + i),
    hostTime: 0,
    ...(extra.markers ? { markers: extra.markers } : {}),
    ...(extra.missing ? { gap: { missing: extra.missing } } : {}),
  });
const cue = (sample: number, value: string): Marker => createMarker(sample, 'cue', value);

describe('epochs with windowS', () => {
  it('cuts [cue + tmin, cue + tmax] (both ends) once its last sample has arrived, for the markers matched', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const blocks = cold('abcd|', {
        a: block(0, 5, { markers: [cue(2, 'left'), cue(3, 'rest')] }),
        b: block(5, 5),
        c: block(10, 5),
        d: block(15, 5),
      });
      const cut = blocks.pipe(
        epochs({ windowS: [0.3, 0.9], match: (m) => m.value !== 'rest' }),
        map((e) => [e.marker.value, e.first, Array.from(e.data)]),
      );
      // Cue at 2: samples 5..11, complete with block c.
      expectObservable(cut).toBe('--c-|', { c: ['left', 5, [5, 6, 7, 8, 9, 10, 11]] });
    });
  });

  it('keeps a window that starts after a gap, and skips one that a gap falls inside', () => {
    scheduler().run(({ cold, expectObservable, flush }) => {
      const skipped: string[] = [];
      const blocks = cold('abc|', {
        a: block(0, 5, { markers: [cue(0, 'left'), cue(4, 'right')] }),
        // Samples 5..7 lost: inside cue 0's window (3..9) and at the start of cue 4's (7..13).
        b: block(8, 5, { missing: 3 }),
        c: block(13, 5),
      });
      const cut = blocks.pipe(
        epochs({ windowS: [0.3, 0.9], onSkipped: (m, why) => skipped.push(`${String(m.value)}: ${why}`) }),
        map((e) => [e.marker.value, e.first]),
      );
      expectObservable(cut).toBe('---|');
      flush();
      expect(skipped).toEqual(['left: a gap falls inside the window', 'right: a gap falls inside the window']);
    });
    scheduler().run(({ cold, expectObservable, flush }) => {
      const skipped: string[] = [];
      const blocks = cold('abc|', {
        a: block(0, 5, { markers: [cue(4, 'right')] }),
        // Samples 5..6 lost, before cue 4's window (7..13): it is whole.
        b: block(7, 5, { missing: 2 }),
        c: block(12, 5),
      });
      const cut = blocks.pipe(
        epochs({ windowS: [0.3, 0.9], onSkipped: (m, why) => skipped.push(`${String(m.value)}: ${why}`) }),
        map((e) => [e.marker.value, e.first, Array.from(e.data)]),
      );
      expectObservable(cut).toBe('--c|', { c: ['right', 7, [7, 8, 9, 10, 11, 12, 13]] });
      flush();
      expect(skipped).toEqual([]);
    });
  });

  it('takes one form of window only', () => {
    expect(() => epochs({ windowS: [0, 1], beforeS: 0.1 })).toThrow('epochs window: expected either windowS or beforeS/afterS');
    expect(() => epochs({ windowS: [1, 0.5] })).toThrow('epochs windowS');
  });
});
