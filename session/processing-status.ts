/**
 * What a session's processing reports: the status line's text for the chain and the decoder, what
 * the dashboard shows of the decoder, and whether an operator's recalibration can be taken now —
 * all read from the graph's figures and the decoder stage's read-only view.
 */
import type { DecoderState } from '../dashboard/index.js';
import type { CalibrateThenDecodeState, Decoder, DecoderValidation } from '../decoding/index.js';
import { BIN_MS, type DecoderStage, type SessionGraph } from './session-graph.js';

/** The decoder as the dashboard shows it. */
export interface DecoderDescription {
  name: string;
  provider: string;
  state: DecoderState;
  kind?: 'continuous' | 'discrete';
  outputs: readonly string[];
  backlog: number;
  validation?: DecoderValidation;
  status: string;
  /** While (re)calibrating: bins collected of those the calibration needs, and whether the model is being fitted. */
  calibration?: { collectedBins: number; neededBins: number; fitting: boolean };
}

/** The decoder as the dashboard shows it (undefined without one). */
export function describeDecoder(stage: DecoderStage | undefined): DecoderDescription | undefined {
  if (!stage) return undefined;
  if (stage.kind === 'trials') {
    const { score, queued } = stage.view.state();
    return {
      name: stage.decoder.name,
      provider: stage.decoder.provider,
      state: stage.failed() ? 'failed' : score ? 'decoding' : 'waiting',
      kind: 'discrete',
      outputs: stage.decoder.outputNames,
      backlog: queued,
      ...(score ? { validation: score.validation } : {}),
      status: trialStatus(stage.decoder, stage.view.state(), stage.failed()),
    };
  }
  const s = stage.view.state();
  const calibrating = (s.phase === 'waiting' && !s.given) || s.phase === 'collecting' || s.phase === 'calibrating' || (s.phase === 'decoding' && s.recalibrating);
  return {
    name: s.decoderName,
    provider: s.provider,
    state: decoderState(s),
    ...(s.kind ? { kind: s.kind } : {}),
    outputs: s.outputs,
    backlog: s.backlog,
    ...(s.validation ? { validation: s.validation } : {}),
    status: decoderStatus(s),
    ...(calibrating ? { calibration: { collectedBins: s.phase === 'calibrating' ? s.calibrationBins : s.collected, neededBins: Math.round((s.calibrateS * 1000) / BIN_MS), fitting: s.phase === 'calibrating' } } : {}),
  };
}

/** Why a recalibration cannot be taken now (undefined: it can). */
export function recalibrationRefusal(graph: SessionGraph, dsp: boolean): string | undefined {
  if (!dsp) return 'the session runs no processing (--no-dsp)';
  if (!graph.info()) return 'the stream has not started';
  const stage = graph.decoder();
  if (stage?.kind === 'trials') return 'the session decodes trials with a fixed model: nothing to recalibrate';
  if (!stage) return 'this session has no decoder to recalibrate (an EEG stream, or --decoder none)';
  return stage.view.recalibrationRefusal();
}

/**
 * The processing's part of the status line, e.g. `features 500 bins, 21.3 crossings/s/ch (…)`:
 * event rates per second of signal (the bins' span), not of wall time — a `--fast` or replayed
 * stream runs faster than real time, its neurons do not. Empty before the first block or without processing.
 */
export function processingStatus(graph: SessionGraph, dsp: boolean): string {
  const c = graph.chain();
  if (!dsp || c.chain === '') return '';
  const decoder = describeDecoder(graph.decoder());
  if (c.bins > 0 || c.featureChannels > 0) {
    const signalS = c.bins * c.binS;
    const perChannel = signalS > 0 && c.featureChannels > 0 ? c.crossings / c.featureChannels / signalS : 0;
    const features = `features ${c.bins} bins, ${perChannel.toFixed(1)} crossings/s/ch (${c.description})`;
    return decoder ? `${features} | ${decoder.status}` : features;
  }
  const filtered = `filtered ${c.filteredBlocks} blocks (${c.description})`;
  return decoder && decoder.kind === 'discrete' && graph.decoder()?.kind === 'trials' ? `${filtered} | ${decoder.status}` : filtered;
}

function trialStatus(decoder: Decoder, state: ReturnType<Extract<DecoderStage, { kind: 'trials' }>['view']['state']>, failed: boolean): string {
  const name = `decoder ${decoder.name} (${decoder.provider})`;
  if (failed) return `DECODER FAILED (${decoder.name})`;
  const { score, skipped, lastDecodeMs } = state;
  const gaps = skipped > 0 ? `, ${skipped} skipped (gap)` : '';
  const classes = decoder.outputNames;
  if (!score) return `${name}: waiting for a cue (${classes.join(' | ')})${gaps}`;
  const trials = score.validation.trials!;
  return (
    `${name}: accuracy ${(score.recentHits / trials).toFixed(2)} (${score.recentHits}/${trials} of the last trials, chance ${(1 / classes.length).toFixed(2)}; ` +
    `${score.correct}/${score.decoded} in all), ${lastDecodeMs.toFixed(2)} ms/trial${gaps}`
  );
}

/** Where the decoder stands, for the dashboard (the status text is for display). */
function decoderState(s: CalibrateThenDecodeState): DecoderState {
  switch (s.phase) {
    case 'waiting':
      return s.given ? 'waiting' : 'calibrating';
    case 'collecting':
    case 'calibrating':
      return 'calibrating';
    case 'no-truth':
      return 'none';
    case 'failed':
      return 'failed';
    case 'decoding':
      return s.recalibrating ? 'recalibrating' : 'decoding';
  }
}

/** The decoder's part of the status line. */
function decoderStatus(s: CalibrateThenDecodeState): string {
  switch (s.phase) {
    case 'waiting':
      return s.given ? `decoder ${s.given.name} (${s.given.provider}): waiting for the spike thresholds` : `decoder kalman: calibrating on 0 bins (${s.calibrateS} s)`;
    case 'collecting':
      return `decoder kalman: calibrating on ${s.collected} bins (${s.calibrateS} s)`;
    case 'calibrating':
      return `decoder kalman: fitting on ${s.calibrationBins} bins…${s.recalibrations > 0 ? ' (recalibration)' : ''}`;
    case 'no-truth':
      return s.calibrationBins > 0
        ? `decoder: none (only ${s.calibrationBins} bins with kinematics in the calibration window; 50 needed)`
        : 'decoder: none (the stream carries no kinematics to calibrate on)';
    case 'failed':
      return `DECODER FAILED: ${s.failure}`;
    case 'decoding': {
      const r2 = !s.scoresVelocity
        ? 'no velocity outputs to score'
        : s.r2 && s.r2.size >= 2
          ? `R² ${fmt(s.r2.meanR2)} (vx ${fmtR2(s.r2.validation.perDimension[0]!)}, vy ${fmtR2(s.r2.validation.perDimension[1]!)}, last ${s.r2.validation.windowS.toFixed(0)} s)`
          : 'R² —';
      const st = s.stats;
      const lag = st ? `, ${st.decodeMs.toFixed(2)} ms/bin${st.lagMs > 1 ? `, lag ${st.lagMs.toFixed(1)} ms` : ''}${st.dropped > 0 ? `, ${st.dropped} dropped` : ''}` : '';
      const waited = s.droppedWhileCalibrating > 0 ? `, ${s.droppedWhileCalibrating} bins dropped while calibrating` : '';
      const recalibrating = s.recalibrating ? `, recalibrating on ${s.collected} bins (${s.calibrateS} s)` : '';
      const note = s.note ? `, ${s.note}` : '';
      return `decoder ${s.decoderName} (${s.provider}): ${r2}${lag}${waited}${recalibrating}${note}`;
    }
  }
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '—';
}

/** A dimension's running R²: undefined (NaN) once scored only where its truth is still. */
function fmtR2(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '— (no variance)';
}
