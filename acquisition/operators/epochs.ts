/**
 * `epochs(options)` — cuts a window of every channel around each matching Marker (cue-locked EEG
 * work): `beforeS` seconds before the marker's sample to `afterS` seconds after it, or the window
 * `windowS` = `[tmin, tmax]` from it (both ends included, as `calibrate` cuts). Blocks carry
 * their markers (SampleBlock.markers), so an epoch is cut from exactly the right samples. The
 * last `beforeS` of signal is kept in a ring per subscription. An epoch whose window reaches
 * before the stream's first sample, or spans a gap, is not emitted; `onSkipped` hears why.
 */
import { type OperatorFunction } from 'rxjs';
import { type Marker, type SampleBlock, type StreamInfo, InvalidOptionError, channelCount, checkNumber } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';

export interface Epoch {
  readonly marker: Marker;
  readonly info: StreamInfo;
  /** Stream index of the epoch's first sample. */
  readonly first: number;
  readonly length: number;
  /** Channel-major, `channels × length`. */
  readonly data: Float32Array;
}

export interface EpochOptions {
  /** Marker types that start an epoch (e.g. `['cue']`). Default: any. */
  types?: readonly string[];
  /** Only markers with one of these values (e.g. `['left', 'right']`). Default: any. */
  values?: readonly (string | number)[];
  /** Which markers start an epoch, where types and values cannot say it (with them: all must hold). */
  match?: (marker: Marker) => boolean;
  /** Seconds of signal before the marker (with `afterS`: the window is `[marker − beforeS, marker + afterS)`). */
  beforeS?: number;
  afterS?: number;
  /**
   * Instead of `beforeS`/`afterS`: the window relative to the marker in seconds, both ends
   * included (`[tmin, tmax]`, as `calibrate` cuts its epochs; tmin may fall after the marker).
   */
  windowS?: readonly [number, number];
  onSkipped?: (marker: Marker, reason: string) => void;
}

export function epochs(options: EpochOptions): OperatorFunction<SampleBlock, Epoch> {
  const windowS = options.windowS;
  if (windowS && (options.beforeS !== undefined || options.afterS !== undefined)) {
    throw new InvalidOptionError('epochs window', 'either windowS or beforeS/afterS', 'both');
  }
  if (windowS && !(windowS[1] > windowS[0])) throw new InvalidOptionError('epochs windowS', 'tmin < tmax, seconds from the marker', windowS);
  const beforeS = windowS ? 0 : checkNumber('option', 'beforeS', options.beforeS, { min: 0 });
  const afterS = windowS ? 0 : checkNumber('option', 'afterS', options.afterS, { min: 0, exclusiveMin: true });
  const types = options.types ? new Set(options.types) : undefined;
  const match = options.match;
  const values = options.values ? new Set(options.values) : undefined;
  return operate<SampleBlock, Epoch>((source, subscriber) => {
    let ring: Float32Array | undefined;
    let R = 0;
    let C = 0;
    /** The window's first sample from the marker's, and its length. */
    let offset = 0;
    let length = 0;
    let streamFirst = -1;
    let lastGapEnd = -1;
    const open: { marker: Marker; first: number; length: number; data: Float32Array; filled: number }[] = [];

    return source.subscribe(
      operatorObserver(subscriber, (block: SampleBlock) => {
        const info = block.info;
        if (!ring) {
          C = channelCount(info);
          const fs = info.sampleRateHz;
          if (windowS) {
            offset = Math.round(windowS[0] * fs);
            length = Math.round(windowS[1] * fs) - offset + 1;
          } else {
            offset = -Math.round(beforeS * fs);
            length = Math.round(afterS * fs) - offset;
          }
          R = Math.max(1, 1 - offset);
          ring = new Float32Array(C * R);
          streamFirst = block.first;
        }
        if (block.gap) {
          lastGapEnd = block.first;
          // The samples lost lie just before this block: windows that start at it or later keep.
          for (const e of open.filter((o) => o.first < block.first)) {
            open.splice(open.indexOf(e), 1);
            options.onSkipped?.(e.marker, 'a gap falls inside the window');
          }
        }
        const L = block.length;
        // New epochs for this block's markers: copy what the ring already holds.
        for (const m of block.markers ?? []) {
          if ((types && !types.has(m.type)) || (values && !values.has(m.value as string | number)) || (match && !match(m))) continue;
          const first = m.sample + offset;
          if (first < streamFirst) {
            options.onSkipped?.(m, 'the window starts before the stream');
            continue;
          }
          if (first < lastGapEnd) {
            options.onSkipped?.(m, 'a gap falls inside the window');
            continue;
          }
          open.push({ marker: m, first, length, data: new Float32Array(C * length), filled: 0 });
        }
        // Fill open epochs from the ring (samples before this block) and from the block.
        for (const e of open) {
          for (let idx = e.first + e.filled; idx < Math.min(block.first + L, e.first + e.length); idx++) {
            const k = idx - e.first;
            if (idx < block.first) {
              const slot = ((idx % R) + R) % R;
              for (let c = 0; c < C; c++) e.data[c * e.length + k] = ring![c * R + slot]!;
            } else {
              for (let c = 0; c < C; c++) e.data[c * e.length + k] = block.data[c * L + (idx - block.first)]!;
            }
            e.filled = k + 1;
          }
        }
        // Remember the latest samples.
        for (let i = 0; i < L; i++) {
          const slot = (block.first + i) % R;
          for (let c = 0; c < C; c++) ring![c * R + slot] = block.data[c * L + i]!;
        }
        const done = open.filter((e) => e.filled === e.length);
        for (const e of done) {
          open.splice(open.indexOf(e), 1);
          subscriber.next(Object.freeze({ marker: e.marker, info, first: e.first, length: e.length, data: e.data }));
        }
      }),
    );
  });
}
