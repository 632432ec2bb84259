/**
 * The session's figures in the Prometheus text exposition format (version 0.0.4): what `/metrics`
 * answers, for the platform's monitoring. Names follow Prometheus conventions (`_total` counters,
 * base units in the name); a value that is not known is left out rather than reported as 0.
 */

export interface MetricsSnapshot {
  /** Samples per channel received, lost in gaps. */
  samples: number;
  gapSamples: number;
  lostPackets?: number;
  corruptPackets?: number;
  sampleRateHz: number;
  nominalSampleRateHz: number;
  lagMs: number;
  /** Latency quantiles (ms) per stage over the recent values, and counts since the start. */
  latency: { stage: string; p50: number; p99: number; count: number }[];
  decoder?: { name: string; provider: string; backlog: number; r2?: number; accuracy?: number };
  recording?: { state: string; bytes: number; droppedSamples: number };
  dashboardClients: number;
  streamSubscribers: number;
  framesSkipped: number;
  /** Signal quality per neural channel, newest window. */
  quality?: { channel: string; status: string; lineNoiseDb: number | null }[];
  /** Last measured electrode impedances, Ω. */
  impedance?: { channel: string; ohms: number }[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function number(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

export function renderMetrics(m: MetricsSnapshot): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge' | 'summary', help: string, samples: [labels: Record<string, string>, value: number][]): void => {
    if (samples.length === 0) return;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const keys = Object.keys(labels);
      const text = keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabel(labels[k]!)}"`).join(',')}}`;
      lines.push(`${name}${text} ${number(value)}`);
    }
  };
  metric('neurostream_samples_total', 'counter', 'Samples per channel received from the device.', [[{}, m.samples]]);
  metric('neurostream_gap_samples_total', 'counter', 'Samples per channel lost in gaps the device reported.', [[{}, m.gapSamples]]);
  if (m.lostPackets !== undefined) metric('neurostream_lost_packets_total', 'counter', 'Packets the device parser counted as lost.', [[{}, m.lostPackets]]);
  if (m.corruptPackets !== undefined) metric('neurostream_corrupt_packets_total', 'counter', 'Packets the device parser rejected as corrupt.', [[{}, m.corruptPackets]]);
  metric('neurostream_sample_rate_hertz', 'gauge', 'Sample rate achieved per channel over the last half second.', [[{}, m.sampleRateHz]]);
  metric('neurostream_nominal_sample_rate_hertz', 'gauge', 'The stream\'s nominal sample rate.', [[{}, m.nominalSampleRateHz]]);
  metric('neurostream_lag_seconds', 'gauge', 'How far the samples received trail real time.', [[{}, m.lagMs / 1000]]);
  const withValues = m.latency.filter((l) => l.count > 0);
  metric(
    'neurostream_latency_seconds',
    'summary',
    'Latency per stage, from the last byte of a packet (acquisition, features, decode; total = the three).',
    withValues.flatMap((l) => [
      [{ stage: l.stage, quantile: '0.5' }, l.p50 / 1000],
      [{ stage: l.stage, quantile: '0.99' }, l.p99 / 1000],
    ]),
  );
  if (withValues.length > 0) lines.push(...withValues.map((l) => `neurostream_latency_seconds_count{stage="${escapeLabel(l.stage)}"} ${l.count}`));
  if (m.decoder) {
    metric('neurostream_decoder_info', 'gauge', 'The decoder that runs and where (its execution provider, or the model server).', [[{ name: m.decoder.name, provider: m.decoder.provider }, 1]]);
    metric('neurostream_decoder_backlog_bins', 'gauge', 'Bins waiting to be decoded.', [[{}, m.decoder.backlog]]);
    if (m.decoder.r2 !== undefined) metric('neurostream_decoder_r2', 'gauge', 'Running R² of the decoded velocity against the task\'s truth (online validation).', [[{}, m.decoder.r2]]);
    if (m.decoder.accuracy !== undefined) metric('neurostream_decoder_accuracy', 'gauge', 'Running accuracy of a trial decoder against the cues, over its last trials (online validation).', [[{}, m.decoder.accuracy]]);
  }
  if (m.recording) {
    metric('neurostream_recording_info', 'gauge', 'The recording\'s state (recording, overflow, failed, …).', [[{ state: m.recording.state }, 1]]);
    metric('neurostream_recording_bytes', 'gauge', 'Bytes the recording holds on disk.', [[{}, m.recording.bytes]]);
    metric('neurostream_recording_dropped_samples_total', 'counter', 'Samples the recorder dropped because the disk could not keep up.', [[{}, m.recording.droppedSamples]]);
  } else {
    metric('neurostream_recording_info', 'gauge', 'The recording\'s state (recording, overflow, failed, …).', [[{ state: 'off' }, 1]]);
  }
  if (m.quality && m.quality.length > 0) {
    metric('neurostream_channel_railed', 'gauge', 'Whether the channel is railed (at or above 90 % of full scale) in the newest 1 s window.', m.quality.map((q) => [{ channel: q.channel }, q.status === 'railed' ? 1 : 0]));
    metric('neurostream_channel_flat', 'gauge', 'Whether the channel has not changed for a second or more.', m.quality.map((q) => [{ channel: q.channel }, q.status === 'flat' ? 1 : 0]));
    metric('neurostream_channel_line_noise', 'gauge', 'Whether mains power exceeds the 1–40 Hz power in the newest window.', m.quality.map((q) => [{ channel: q.channel }, q.status === 'line-noise' ? 1 : 0]));
    const db = m.quality.filter((q) => q.lineNoiseDb !== null);
    metric('neurostream_channel_line_noise_ratio_db', 'gauge', 'Mains power relative to the 1–40 Hz power in the newest window, dB.', db.map((q) => [{ channel: q.channel }, q.lineNoiseDb!]));
  }
  if (m.impedance && m.impedance.length > 0) {
    metric('neurostream_electrode_impedance_ohms', 'gauge', 'Electrode impedance last measured with the lead-off current.', m.impedance.map((z) => [{ channel: z.channel }, z.ohms]));
  }
  metric('neurostream_dashboard_clients', 'gauge', 'Dashboard pages connected.', [[{}, m.dashboardClients]]);
  metric('neurostream_stream_subscribers', 'gauge', 'Stream API subscribers connected.', [[{}, m.streamSubscribers]]);
  metric('neurostream_frames_skipped_total', 'counter', 'Frames not sent to clients that were behind.', [[{}, m.framesSkipped]]);
  return `${lines.join('\n')}\n`;
}
