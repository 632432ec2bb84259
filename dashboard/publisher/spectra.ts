/**
 * Spectra for the pages: the Welch spectra of the monitored channels are refreshed a few channels
 * per frame tick (every channel within SPECTRUM_REFRESH_S, so no tick computes them all), and sent
 * to a page as one whole frame (RESET) once a second when any has changed since it last got them.
 */
import { FLAG_RESET, FrameType, createDashboardFrame } from '../protocol/dashboard-frames.js';
import { nextSequence, type FrameSequence } from './health-frames.js';
import type { DisplaySignal } from './display-signals.js';
import { streamTimeS, type PublisherStream } from './publisher-stream.js';

/** Seconds over which every monitored channel's spectrum is refreshed. */
export const SPECTRUM_REFRESH_S = 2;

/** Computes this tick's share of the spectra of every display some page is shown. */
export function refreshSpectra(stream: PublisherStream, framesPerSecond: number): void {
  for (const display of stream.displays.all()) {
    if (display.users <= 0) continue;
    const perTick = Math.ceil(display.spectrum.channels / (SPECTRUM_REFRESH_S * framesPerSecond));
    display.spectrum.compute(perTick);
  }
}

/** Whether spectra are sent in round `tick` (once a second). */
export function spectrumDue(tick: number, framesPerSecond: number): boolean {
  return tick % framesPerSecond === 0;
}

/** The spectra of what a page is shown as one frame: `[channels × bins]` µV²/Hz, bin i at i · binHz. */
export function spectrumFrame(counter: FrameSequence, stream: PublisherStream, display: DisplaySignal): Uint8Array {
  const sp = display.spectrum;
  const draft = createDashboardFrame(FrameType.Spectrum, { sequence: nextSequence(counter), channels: sp.channels, columns: sp.bins, time: streamTimeS(stream), step: sp.binHz, firstColumn: 0, flags: FLAG_RESET });
  sp.copySpectra(draft.payloads[0]!);
  return draft.bytes;
}
