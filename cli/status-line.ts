/**
 * The live one-line status of a session, and its closing summary.
 */
import type { HealthSnapshot } from '../acquisition/index.js';
import { channelCount, type StreamInfo } from '../core/index.js';
import type { DeviceLinkState } from '../devices/index.js';

function rateText(hz: number): string {
  return hz >= 1000 ? `${(hz / 1000).toFixed(hz % 1000 === 0 ? 0 : 1)} kHz` : `${hz} Hz`;
}

function samplesPerSecond(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(1)} kS/s` : `${v.toFixed(1)} S/s`;
}

/** `link`: a serial device's connection; while it is lost the line says so after the device. */
export function formatStatus(info: StreamInfo, h: HealthSnapshot, link?: DeviceLinkState): string {
  const pct = (100 * h.achievedRateHz) / info.sampleRateHz;
  return [
    `[${(h.elapsedMs / 1000).toFixed(1).padStart(6)} s] ${info.device.name} ${channelCount(info)} ch @ ${rateText(info.sampleRateHz)}`,
    ...(link?.state === 'lost' ? [`device lost, reconnecting (attempt ${link.attempt})`] : []),
    `${samplesPerSecond(h.achievedRateHz)}/ch (${pct.toFixed(1)}%)`,
    `blocks ${h.blocks}`,
    `dropped ${h.droppedSamples}`,
    `lag ${h.lagMs.toFixed(1)} ms (max ${h.maxLagMs.toFixed(1)} ms)`,
  ].join(' | ');
}

export function formatSummary(info: StreamInfo, h: HealthSnapshot, reason: string): string {
  const seconds = h.elapsedMs / 1000;
  const mean = seconds > 0 ? h.samples / seconds : 0;
  return (
    `stopped (${reason}) after ${seconds.toFixed(2)} s: ${h.samples} samples/ch in ${h.blocks} blocks ` +
    `(${samplesPerSecond(mean)}/ch, ${((100 * mean) / info.sampleRateHz).toFixed(1)}% of ${rateText(info.sampleRateHz)}), ` +
    `${h.droppedSamples} dropped, max lag ${h.maxLagMs.toFixed(1)} ms`
  );
}
