/**
 * `simulatorSource` — a SimulatedDevice as a cold Observable of SampleBlocks.
 *
 * Each subscription creates its own device (state per subscription) and emits blocks of
 * `blockSamples` samples, either paced to the wall clock like real hardware (`realtime`: a block
 * is emitted once its last sample is due, so a slow process shows up as lag, never as a slower
 * clock) or as fast as the generator runs (`fast`). Emission yields to the event loop at least
 * every `sliceMs` so that signals, timers and unsubscription are never starved. The stream
 * completes after `durationSamples` samples (the last block may be shorter), or never.
 */
import { Observable } from 'rxjs';
import { type SampleBlock, checkInteger, checkOneOf, hostNowMs } from '../core/index.js';
import type { SimulatedDevice } from './simulators/simulated-device.js';

export const PACINGS = ['realtime', 'fast'] as const;
export type Pacing = (typeof PACINGS)[number];

export interface SimulatorSourceOptions {
  pacing: Pacing;
  /** Samples per block (per channel), ≥ 1. */
  blockSamples: number;
  /** Total samples before completion; omitted: run until unsubscribed. */
  durationSamples?: number;
  /** Longest stretch of emission before yielding to the event loop, ms. Default 20. */
  sliceMs?: number;
}

/** Validates the pacing options shared by the simulator sources; an absent duration is Infinity. */
export function checkPacing(options: Omit<SimulatorSourceOptions, 'sliceMs'>): {
  pacing: Pacing;
  blockSamples: number;
  durationSamples: number;
} {
  return {
    pacing: checkOneOf('option', 'pacing', options.pacing, PACINGS),
    blockSamples: checkInteger('option', 'blockSamples', options.blockSamples, { min: 1, max: 10_000_000 }),
    durationSamples:
      options.durationSamples === undefined
        ? Infinity
        : checkInteger('option', 'durationSamples', options.durationSamples, { min: 1 }),
  };
}

export function simulatorSource(create: () => SimulatedDevice, options: SimulatorSourceOptions): Observable<SampleBlock> {
  const { pacing, blockSamples, durationSamples: total } = checkPacing(options);
  const sliceMs = options.sliceMs ?? 20;

  return new Observable<SampleBlock>((subscriber) => {
    const device = create();
    const fs = device.info.sampleRateHz;
    const t0 = hostNowMs();
    let timeout: ReturnType<typeof setTimeout> | undefined;
    let immediate: ReturnType<typeof setImmediate> | undefined;

    /** Samples whose time has come. */
    const available = (now: number): number =>
      pacing === 'fast' ? total : Math.min(total, Math.floor(((now - t0) * fs) / 1000));

    const pump = (): void => {
      timeout = undefined;
      immediate = undefined;
      const sliceStart = hostNowMs();
      let now = sliceStart;
      for (;;) {
        if (subscriber.closed) return;
        const position = device.position;
        if (position >= total) {
          subscriber.complete();
          return;
        }
        const ready = available(now);
        const length = Math.min(blockSamples, total - position);
        if (ready - position < length) break; // next block not due yet
        subscriber.next(device.read(length, now));
        now = hostNowMs();
        if (now - sliceStart >= sliceMs) {
          immediate = setImmediate(pump);
          return;
        }
      }
      const nextDueMs = t0 + ((device.position + Math.min(blockSamples, total - device.position)) * 1000) / fs;
      timeout = setTimeout(pump, Math.max(0, nextDueMs - hostNowMs()));
    };

    immediate = setImmediate(pump);
    return () => {
      if (timeout !== undefined) clearTimeout(timeout);
      if (immediate !== undefined) clearImmediate(immediate);
    };
  });
}
