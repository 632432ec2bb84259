/**
 * The `/metrics` figures of a publisher (the same as its health frames), gathered into the
 * snapshot that prometheus-metrics.ts renders.
 */
import type { StreamHealth } from '../../acquisition/health/stream-health.js';
import type { LatencyHistogram } from '../kernels/latency-histogram.js';
import { LATENCY_STAGES } from '../protocol/dashboard-frames.js';
import type { DashboardSessionStatus } from '../protocol/dashboard-messages.js';
import type { MetricsSnapshot } from './prometheus-metrics.js';
import type { PublisherStream } from './publisher-stream.js';

export interface MetricsSources {
  session: DashboardSessionStatus;
  snapshot: ReturnType<StreamHealth['snapshot']> | undefined;
  stream: PublisherStream | undefined;
  histogram: LatencyHistogram;
  dashboardClients: number;
  streamSubscribers: number;
  framesSkipped: number;
}

/** The snapshot `/metrics` renders. */
export function metricsSnapshot(m: MetricsSources): MetricsSnapshot {
  const { session, snapshot, stream, histogram } = m;
  return {
    samples: snapshot?.samples ?? 0,
    gapSamples: snapshot?.droppedSamples ?? 0,
    ...(session.packets ? { lostPackets: session.packets.lost, corruptPackets: session.packets.corrupt } : stream ? { lostPackets: stream.gaps } : {}),
    sampleRateHz: snapshot?.achievedRateHz ?? 0,
    nominalSampleRateHz: stream?.info.sampleRateHz ?? 0,
    lagMs: snapshot?.lagMs ?? 0,
    latency: LATENCY_STAGES.map((stage, k) => ({
      stage: stage.replace(/Ms$/, ''),
      p50: histogram.percentile(k, 0.5),
      p99: histogram.percentile(k, 0.99),
      count: histogram.total(k),
    })),
    ...(session.decoder
      ? {
          decoder: {
            name: session.decoder.name,
            provider: session.decoder.provider,
            backlog: session.decoder.backlog ?? 0,
            ...(session.decoder.validation?.metric === 'r2' ? { r2: session.decoder.validation.value } : {}),
            ...(session.decoder.validation?.metric === 'accuracy' ? { accuracy: session.decoder.validation.value } : {}),
          },
        }
      : {}),
    ...(session.recording ? { recording: { state: session.recording.state, bytes: session.recording.bytes, droppedSamples: session.recording.droppedSamples } } : {}),
    dashboardClients: m.dashboardClients,
    streamSubscribers: m.streamSubscribers,
    framesSkipped: m.framesSkipped,
    ...(session.quality ? { quality: session.quality.channels.map((q) => ({ channel: q.channel, status: q.status, lineNoiseDb: q.lineNoiseDb })) } : {}),
    ...(session.impedance ? { impedance: session.impedance.channels.map((z) => ({ channel: z.channel, ohms: z.impedanceKohm * 1000 })) } : {}),
  };
}
