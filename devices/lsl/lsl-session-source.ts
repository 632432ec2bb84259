/**
 * A session's LSL source: one signal stream ({@link lslSource}) plus any marker streams
 * (irregular-rate, usually string: a PsychoPy marker outlet), aligned on one clock. Each marker's
 * timestamp (on the local clock, the inlet's correction applied) is put on the signal stream's
 * sample clock through the newest (sample, timestamp) anchor of the signal stream:
 * `sample = anchor.sample + round((t − anchor.t) · rate)`, and the marker travels in the block
 * holding that sample — so the trial decoder sees a stimulus program's cues as it sees a
 * simulator's. A marker comes in over its own connection, a little after or before the samples it
 * belongs to: with marker streams, each signal block is held `markerDelayMs` (default 100 ms)
 * before it is emitted, so markers that arrive within that delay ride on the right block. A
 * marker later than that (or from before the signal's first sample) goes on the next block out,
 * at its first sample, and is counted as moved.
 */
import { Observable, type Subscription } from 'rxjs';
import { createMarker, createSampleBlock, hostNowMs, InvalidOptionError, type Marker, type SampleBlock } from '../../core/index.js';
import { DeviceError } from '../transport/serial-connection.js';
import { lslInlet } from './inlet.js';
import type { LslConfig } from './lsl-config.js';
import { compileLslQuery } from './lsl-query.js';
import { lslSource, type LslSourceHooks } from './lsl-source.js';

/**
 * The predicate for a stream given by name or query: a text with `=`, `<`, `>` or `(` is an LSL
 * query (checked here: a bad one is one {@link InvalidOptionError} naming `what`), any other a name.
 */
export function lslPredicateOf(nameOrQuery: string, what: string): string {
  if (!/[=<>(]/.test(nameOrQuery)) return `name=${nameOrQuery.includes("'") ? `"${nameOrQuery}"` : `'${nameOrQuery}'`}`;
  return checkLslQuery(nameOrQuery, what);
}

/** The query itself, checked: a bad one is one {@link InvalidOptionError} naming `what`. */
export function checkLslQuery(query: string, what: string): string {
  try {
    compileLslQuery(query);
  } catch (error) {
    if (error instanceof InvalidOptionError) throw new InvalidOptionError(what, `an LSL query (XPath predicate): ${error.expected}`, error.received);
    throw error;
  }
  return query;
}

/** Markers received from the marker streams, and those that could not go at their own sample. */
export interface LslMarkerStats {
  received: number;
  /** Placed at a later sample than their timestamp says (later than `markerDelayMs`, or before the signal began). */
  moved: number;
}

export interface LslSessionSourceOptions extends LslSourceHooks {
  config: LslConfig;
  /** XPath predicate selecting the signal stream. */
  predicate: string;
  /** Predicates selecting marker streams (each an irregular-rate stream). */
  markers?: readonly string[];
  /** Give up when a stream does not answer within this long (first resolve). Default 10 s. */
  resolveTimeoutMs?: number;
  /** How long a signal block waits for markers of its samples (only with marker streams). Default 100 ms. */
  markerDelayMs?: number;
  onMarkers?: (stats: LslMarkerStats) => void;
}

/** The default of {@link LslSessionSourceOptions.markerDelayMs}. */
export const LSL_MARKER_DELAY_MS = 100;

/** A marker's text: its channels' values (strings joined by a space; numbers as they are for one channel). */
function markerValue(strings: readonly string[], values: Float64Array, n: number, i: number, isString: boolean): string | number {
  if (isString) return n === 1 ? strings[i]! : strings.slice(i * n, (i + 1) * n).join(' ');
  return n === 1 ? values[i]! : Array.from(values.subarray(i * n, (i + 1) * n)).join(' ');
}

/** See the module description. */
export function lslSessionSource(options: LslSessionSourceOptions): Observable<SampleBlock> {
  const markerPredicates = options.markers ?? [];
  if (markerPredicates.length === 0) return lslSource(options);
  const delayMs = options.markerDelayMs ?? LSL_MARKER_DELAY_MS;
  return new Observable<SampleBlock>((subscriber) => {
    let anchor: { sample: number; t: number } | undefined;
    let rate = 0;
    /** Markers whose sample is not known yet (no signal block yet). */
    const unplaced: { t: number; type: string; value: string | number }[] = [];
    /** Markers placed on the sample clock, in arrival order (sorted when a block takes them). */
    let placed: Marker[] = [];
    const held: { block: SampleBlock; releaseAtMs: number }[] = [];
    const stats: LslMarkerStats = { received: 0, moved: 0 };
    let timer: NodeJS.Timeout | undefined;
    let signalDone = false;
    const subs: Subscription[] = [];

    const place = (t: number, type: string, value: string | number): void => {
      if (!anchor || rate <= 0) {
        unplaced.push({ t, type, value });
        return;
      }
      const sample = anchor.sample + Math.round((t - anchor.t) * rate);
      placed.push(createMarker(Math.max(0, sample), type, value));
      if (sample < 0) stats.moved++;
    };
    const release = (entry: { block: SampleBlock }): void => {
      const { block } = entry;
      const end = block.first + block.length;
      const mine = placed.filter((m) => m.sample < end).sort((a, b) => a.sample - b.sample);
      if (mine.length === 0) {
        subscriber.next(block);
        return;
      }
      placed = placed.filter((m) => m.sample >= end);
      const markers = mine.map((m) => {
        if (m.sample >= block.first) return m;
        stats.moved++;
        return createMarker(block.first, m.type, m.value);
      });
      markers.sort((a, b) => a.sample - b.sample);
      subscriber.next(
        createSampleBlock({
          info: block.info,
          first: block.first,
          length: block.length,
          data: block.data,
          hostTime: block.hostTime,
          ...(block.gap ? { gap: block.gap } : {}),
          markers: [...(block.markers ?? []), ...markers].sort((a, b) => a.sample - b.sample),
        }),
      );
      options.onMarkers?.({ ...stats });
    };
    const flush = (all: boolean): void => {
      clearTimeout(timer);
      timer = undefined;
      const now = hostNowMs();
      while (held.length > 0 && (all || held[0]!.releaseAtMs <= now)) release(held.shift()!);
      if (held.length > 0) timer = setTimeout(() => flush(false), Math.max(1, held[0]!.releaseAtMs - now));
    };

    subs.push(
      lslSource({
        ...options,
        onAnchor: (sample, t) => {
          anchor = { sample, t };
          options.onAnchor?.(sample, t);
        },
      }).subscribe({
        next: (block) => {
          rate = block.info.sampleRateHz;
          if (unplaced.length > 0) for (const m of unplaced.splice(0)) place(m.t, m.type, m.value);
          held.push({ block, releaseAtMs: hostNowMs() + delayMs });
          if (!timer) flush(false);
        },
        error: (error: unknown) => {
          flush(true);
          subscriber.error(error);
        },
        complete: () => {
          signalDone = true;
          flush(true);
          subscriber.complete();
        },
      }),
    );
    for (const predicate of markerPredicates) {
      let type = '';
      let isString = true;
      let n = 1;
      subs.push(
        lslInlet({ config: options.config, predicate, ...(options.resolveTimeoutMs !== undefined ? { resolveTimeoutMs: options.resolveTimeoutMs } : {}) }).subscribe({
          next: (e) => {
            if (e.kind === 'connected') {
              if (e.info.nominalSrateHz > 0 && e.info.channelFormat !== 'string') {
                subscriber.error(new DeviceError(`LSL stream "${e.info.name}"`, `a marker stream must be irregular-rate (nominal rate 0) or of strings, but it is ${e.info.channelFormat} at ${e.info.nominalSrateHz} Hz (use it as the signal stream)`));
                return;
              }
              type = e.info.name;
              isString = e.info.channelFormat === 'string';
              n = Math.max(1, e.info.channelCount);
            } else if (e.kind === 'samples' && !signalDone) {
              const { batch } = e;
              for (let i = 0; i < batch.count; i++) place(batch.timestamps[i]!, type, markerValue(batch.strings, batch.values, n, i, isString));
              stats.received += batch.count;
              options.onMarkers?.({ ...stats });
            }
          },
          error: (error: unknown) => subscriber.error(error),
        }),
      );
    }
    return () => {
      clearTimeout(timer);
      subs.forEach((s) => s.unsubscribe());
    };
  });
}
