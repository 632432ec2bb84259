/**
 * `epochs(options)` — cuts a window of every channel around each matching Marker (cue-locked EEG
 * work): `beforeS` seconds before the marker's sample to `afterS` seconds after it. Blocks carry
 * their markers (SampleBlock.markers), so an epoch is cut from exactly the right samples. The
 * last `beforeS` of signal is kept in a ring per subscription. An epoch whose window reaches
 * before the stream's first sample, or spans a gap, is not emitted; `onSkipped` hears why.
 */
import { type OperatorFunction } from 'rxjs';
import { type Marker, type SampleBlock, type StreamInfo, channelCount, checkNumber } from '../../core/index.js';
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
  /** Marker types that start an epoch (e.g. `['cue']`). */
  types: readonly string[];
  /** Only markers with one of these values (e.g. `['left', 'right']`). Default: any. */
  values?: readonly (string | number)[];
  beforeS: number;
  afterS: number;
  onSkipped?: (marker: Marker, reason: string) => void;
}

export function epochs(options: EpochOptions): OperatorFunction<SampleBlock, Epoch> {
  const beforeS = checkNumber('option', 'beforeS', options.beforeS, { min: 0 });
  const afterS = checkNumber('option', 'afterS', options.afterS, { min: 0, exclusiveMin: true });
  const types = new Set(options.types);
  const values = options.values ? new Set(options.values) : undefined;
  return operate<SampleBlock, Epoch>((source, subscriber) => {
    let ring: Float32Array | undefined;
    let R = 0;
    let C = 0;
    let before = 0;
    let after = 0;
    let streamFirst = -1;
    let lastGapEnd = -1;
    const open: { marker: Marker; first: number; length: number; data: Float32Array; filled: number }[] = [];

    return source.subscribe(
      operatorObserver(subscriber, (block: SampleBlock) => {
        const info = block.info;
        if (!ring) {
          C = channelCount(info);
          before = Math.round(beforeS * info.sampleRateHz);
          after = Math.round(afterS * info.sampleRateHz);
          R = Math.max(1, before + 1);
          ring = new Float32Array(C * R);
          streamFirst = block.first;
        }
        if (block.gap) {
          lastGapEnd = block.first;
          for (const e of open.splice(0)) options.onSkipped?.(e.marker, 'a gap falls inside the window');
        }
        const L = block.length;
        // New epochs for this block's markers: copy what the ring already holds.
        for (const m of block.markers ?? []) {
          if (!types.has(m.type) || (values && !values.has(m.value as string | number))) continue;
          const first = m.sample - before;
          if (first < streamFirst) {
            options.onSkipped?.(m, 'the window starts before the stream');
            continue;
          }
          if (first < lastGapEnd) {
            options.onSkipped?.(m, 'a gap falls inside the window');
            continue;
          }
          open.push({ marker: m, first, length: before + after, data: new Float32Array(C * (before + after)), filled: 0 });
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
