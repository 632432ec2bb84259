/**
 * What the publisher keeps of the session's stream at screen resolution — the min/max ring of
 * the traces, the spectra, binned rates, intents and the latency histogram —
 * and the one description of it that every hello carries (pages and stream API subscribers).
 */
import { channelCount, type StreamInfo } from '../../core/stream-info.js';
import { BinnedRate } from '../kernels/binned-rate.js';
import { ColumnRing } from '../kernels/column-ring.js';
import { LATENCY_EDGES_MS, LatencyHistogram } from '../kernels/latency-histogram.js';
import type { MinMaxDecimator } from '../kernels/min-max-decimator.js';
import { HEALTH_METRICS, LATENCY_STAGES } from '../protocol/dashboard-frames.js';
import { MESSAGE_PROTOCOL, MessageType, type HelloBase } from '../protocol/dashboard-messages.js';
import { OPERATOR_COMMANDS } from '../server/command-protocol.js';
import type { DashboardClient } from '../server/dashboard-server.js';
import type { TraceViewLimits } from './trace-view.js';
import { BandPowerMonitor } from './band-power.js';
import { DisplaySignals, isExtracellular } from './display-signals.js';
import { KinematicsRing } from './intent-truth.js';

/** Base min/max columns kept per second of stream, at most (fewer for many channels). */
const BASE_COLUMNS_PER_SECOND = 1000;
/** Memory for the base min/max ring, bytes. */
const BASE_RING_BYTES = 64 * 1024 * 1024;
/** Intent and rate bins kept (at 20 ms bins: the longest window). */
export const BIN_RING = 1024;

/**
 * The decoded intents kept: values (then the task's truth for each bin, `truthRows` rows, when
 * known) and their latency split (acquisitionMs, featuresMs, decodeMs).
 */
export interface IntentRings {
  /** Rows `[0, dims)` the intent's values, then `truthRows` rows of truth. */
  values: ColumnRing;
  truthRows: number;
  /** One column of `values`, reused by every push. */
  row: Float32Array;
  latency: ColumnRing;
  binS: number;
  kind: string;
  dims: number;
}

export interface PublisherStream {
  readonly info: StreamInfo;
  /** The raw signal's min/max ring (the stream's clock for every page). */
  readonly base: MinMaxDecimator;
  /** What pages can be shown: raw, the session's filtered signal, display filters. */
  readonly displays: DisplaySignals;
  /** Band power of an EEG stream (none for extracellular streams). */
  readonly bandPower: BandPowerMonitor | undefined;
  readonly limits: TraceViewLimits;
  /** Samples in the first block (how the source delivers them: the latency thresholds scale with it). */
  readonly blockSamples: number;
  /** Blocks that arrived after a gap. */
  gaps: number;
  rate?: BinnedRate;
  intent?: IntentRings;
  /** The task's kinematics (the truth beside a continuous decoder's outputs), newest 20 s. */
  readonly truth: KinematicsRing;
}

/** The rings for a stream that has just started (the first block's info). */
export function createPublisherStream(info: StreamInfo, maxWindowS: number, maxViewChannels: number, blockSamples = 1): PublisherStream {
  const channels = channelCount(info);
  const perSecond = Math.max(1, Math.min(BASE_COLUMNS_PER_SECOND, Math.floor(info.sampleRateHz), Math.floor(BASE_RING_BYTES / (8 * channels * maxWindowS))));
  const limits: TraceViewLimits = { channels, baseColumnsPerSecond: perSecond, maxWindowS, maxViewChannels };
  const displays = new DisplaySignals(info, Math.round(perSecond * maxWindowS), maxWindowS);
  return {
    info,
    base: displays.raw.base,
    displays,
    bandPower: isExtracellular(info) ? undefined : new BandPowerMonitor(info),
    limits,
    blockSamples: Math.max(1, blockSamples),
    gaps: 0,
    truth: new KinematicsRing(),
  };
}

/** Rings for intents of `dims` dimensions and `kind`, in bins of `binS` s, with `truthRows` rows of the task's truth after the values. */
export function createIntentRings(dims: number, kind: string, binS: number, truthRows = 0): IntentRings {
  return { values: new ColumnRing(dims + truthRows, BIN_RING), truthRows, row: new Float32Array(dims + truthRows), latency: new ColumnRing(3, BIN_RING), binS, kind, dims };
}

/** Rings for rates of `channels` channels in bins of `binS` s. */
export function createRateRing(channels: number, binS: number): BinnedRate {
  return new BinnedRate({ channels, binSeconds: binS, columns: BIN_RING });
}

/** Stream time (s) of the newest sample received. */
export function streamTimeS(stream: PublisherStream): number {
  return stream.base.nextSample / stream.info.sampleRateHz;
}

/** What every hello says, to a page or to a stream API subscriber. */
export function helloBase(client: DashboardClient, stream: PublisherStream | undefined): HelloBase {
  return {
    type: MessageType.Hello,
    protocol: MESSAGE_PROTOCOL,
    role: client.role,
    commands: client.role === 'operator' ? [...OPERATOR_COMMANDS] : [],
    stream: stream
      ? { device: stream.info.device.name, channels: stream.info.channelNames, kinds: stream.info.channelKinds, units: stream.info.units, sampleRateHz: stream.info.sampleRateHz, adcScale: stream.info.adcScale, blockSamples: stream.blockSamples }
      : null,
    intent: stream?.intent ? { kind: stream.intent.kind, dims: stream.intent.dims, binS: stream.intent.binS } : null,
    histogram: { stages: LATENCY_STAGES, edgesMs: LATENCY_EDGES_MS },
    healthMetrics: HEALTH_METRICS,
  };
}

/** The latency histogram shared by the pages' frames and the metrics: rows LATENCY_STAGES. */
export function createLatencyHistogram(): LatencyHistogram {
  return new LatencyHistogram(LATENCY_STAGES.length);
}
