/** renderMetrics: the online-validation gauges — the running R² of a continuous decoder, the running accuracy of a trial decoder — only when known. */
import { describe, expect, it } from 'vitest';
import { renderMetrics, type MetricsSnapshot } from '../../../dashboard/publisher/prometheus-metrics.js';

const base: MetricsSnapshot = {
  samples: 1000,
  gapSamples: 0,
  sampleRateHz: 250,
  nominalSampleRateHz: 250,
  lagMs: 1,
  latency: [],
  dashboardClients: 0,
  streamSubscribers: 0,
  framesSkipped: 0,
};

describe('renderMetrics', () => {
  it('reports the decoder’s running R² or accuracy when the task gives the truth, and neither otherwise', () => {
    const decoder = { name: 'onnx:lda.onnx', provider: 'cpu', backlog: 0 };
    const none = renderMetrics({ ...base, decoder });
    expect(none).not.toMatch(/neurostream_decoder_(r2|accuracy)/);
    const r2 = renderMetrics({ ...base, decoder: { ...decoder, r2: 0.47 } });
    expect(r2).toContain('# TYPE neurostream_decoder_r2 gauge\nneurostream_decoder_r2 0.47\n');
    expect(r2).not.toContain('neurostream_decoder_accuracy');
    const accuracy = renderMetrics({ ...base, decoder: { ...decoder, accuracy: 0.85 } });
    expect(accuracy).toContain('# TYPE neurostream_decoder_accuracy gauge\nneurostream_decoder_accuracy 0.85\n');
    expect(accuracy).toMatch(/# HELP neurostream_decoder_accuracy Running accuracy of a trial decoder against the cues/);
  });
});
