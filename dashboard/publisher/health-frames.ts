/**
 * The health and latency-histogram frames, as both a page and a stream API subscriber of `health`
 * receive them: the stream's health snapshot, the session's status and the client's own queue and
 * skipped frames, in the row order HEALTH_METRICS; the latency histogram's counts in LATENCY_STAGES.
 */
import type { StreamHealth } from '../../acquisition/health/stream-health.js';
import type { LatencyHistogram } from '../kernels/latency-histogram.js';
import { LATENCY_BINS } from '../kernels/latency-histogram.js';
import { FLAG_RESET, FrameType, HEALTH_METRICS, LATENCY_STAGES, createDashboardFrame } from '../protocol/dashboard-frames.js';
import type { DashboardSessionStatus } from '../protocol/dashboard-messages.js';
import type { DashboardClient } from '../server/dashboard-server.js';
import { streamTimeS, type PublisherStream } from './publisher-stream.js';

/** Status, health and histogram messages per second. */
export const STATUS_PER_SECOND = 2;

/** Gives each frame to a client its sequence number. */
export interface FrameSequence {
  sequence: number;
}

/** The next sequence number of `counter` (wraps at 2^32). */
export function nextSequence(counter: FrameSequence): number {
  const sequence = counter.sequence;
  counter.sequence = (sequence + 1) >>> 0;
  return sequence;
}

/** A health frame for `client` (its own skipped frames and queue), sample `tick` of the health series. */
export function healthFrame(
  counter: FrameSequence,
  tick: number,
  stream: PublisherStream,
  snapshot: ReturnType<StreamHealth['snapshot']> | undefined,
  histogram: LatencyHistogram,
  status: DashboardSessionStatus,
  client: DashboardClient,
): Uint8Array {
  const stats = client.stats();
  const stage = histogram.total(3) > 0 ? 3 : 0;
  const values: Record<(typeof HEALTH_METRICS)[number], number> = {
    lostPackets: status.packets?.lost ?? stream.gaps,
    corruptPackets: status.packets?.corrupt ?? NaN,
    gapSamples: snapshot?.droppedSamples ?? 0,
    latencyP50Ms: histogram.percentile(stage, 0.5),
    latencyP99Ms: histogram.percentile(stage, 0.99),
    droppedFrames: stats.skipped,
    clientQueueBytes: stats.bufferedAmount,
    sampleRateHz: snapshot?.achievedRateHz ?? 0,
    lagMs: snapshot?.lagMs ?? 0,
    maxLagMs: snapshot?.maxLagMs ?? 0,
    recordingBytes: status.recording?.bytes ?? NaN,
    recordingDroppedSamples: status.recording?.droppedSamples ?? NaN,
    decoderBacklogBins: status.decoder?.backlog ?? NaN,
  };
  const draft = createDashboardFrame(FrameType.Health, {
    sequence: nextSequence(counter),
    channels: HEALTH_METRICS.length,
    columns: 1,
    time: streamTimeS(stream),
    step: 1 / STATUS_PER_SECOND,
    firstColumn: tick >>> 0,
  });
  const out = draft.payloads[0]!;
  for (let r = 0; r < HEALTH_METRICS.length; r++) out[r] = values[HEALTH_METRICS[r]!];
  return draft.bytes;
}

/** The latency histogram as one whole frame (RESET). */
export function histogramFrame(counter: FrameSequence, histogram: LatencyHistogram): Uint8Array {
  const draft = createDashboardFrame(FrameType.Histogram, { sequence: nextSequence(counter), channels: LATENCY_STAGES.length, columns: LATENCY_BINS, time: 0, step: 0, firstColumn: 0, flags: FLAG_RESET });
  histogram.copyCounts(draft.payloads[0]!);
  return draft.bytes;
}
