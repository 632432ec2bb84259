/**
 * An LSL signal stream as a neurostream device: a cold Observable<SampleBlock>. Channel labels,
 * units and kinds come from the stream's description (`desc/channels/channel`), the rate from its
 * header; timestamps are put on the local clock with the measured offset, and sample indices are
 * counted from them at the nominal rate (with the offset measured when the connection began, so
 * that its later re-estimates cannot read as lost samples), so a stretch the outlet did not
 * deliver (a restart, a lost connection) becomes an explicit gap of the samples its timestamps say are missing.
 */
import { Observable } from 'rxjs';
import { createSampleBlock, createStreamInfo, type ChannelKind, type ChannelUnit, type SampleBlock, type StreamInfo } from '../../core/index.js';
import { hostNowMs, utcNowIso } from '../../core/clock.js';
import { DeviceError, type DeviceLinkState } from '../transport/serial-connection.js';
import { lslInlet, type LslInletOptions } from './inlet.js';
import { channelDescriptions, type LslStreamInfo } from './stream-info.js';

const UNITS: Record<string, ChannelUnit> = { microvolts: 'uV', microvolt: 'uV', uv: 'uV', µv: 'uV', millivolts: 'mV', mv: 'mV', volts: 'V', v: 'V', g: 'g' };
const KINDS: Record<string, ChannelKind> = { eeg: 'eeg', ecog: 'ecog', seeg: 'ecog', extracellular: 'extracellular', accel: 'accel', acc: 'accel' };

/** The neurostream StreamInfo for an LSL stream's full info. */
export function streamInfoFromLsl(info: LslStreamInfo): StreamInfo {
  const described = channelDescriptions(info);
  const n = info.channelCount;
  const at = (c: number) => (described.length === n ? described[c] : undefined);
  return createStreamInfo({
    id: `lsl:${info.sourceId || info.uid}`,
    device: { name: 'lsl', model: `LSL ${info.type || 'stream'} "${info.name}" (${info.channelFormat}) on ${info.hostname}`, serial: info.sourceId },
    channelNames: Array.from({ length: n }, (_, c) => at(c)?.label || `ch${c + 1}`),
    channelKinds: Array.from({ length: n }, (_, c) => KINDS[(at(c)?.type || info.type).toLowerCase()] ?? 'aux'),
    units: Array.from({ length: n }, (_, c) => UNITS[(at(c)?.unit ?? '').toLowerCase()] ?? 'count'),
    sampleRateHz: info.nominalSrateHz,
    startTime: utcNowIso(),
  });
}

/** Counters a caller can show: connections made and samples the timestamps say were never delivered. */
export interface LslSourceStats {
  connections: number;
  missingSamples: number;
  correctionS: number;
}

/** What {@link lslSource} reports besides its blocks. */
export interface LslSourceHooks {
  onStats?: (s: LslSourceStats) => void;
  /** The link to the outlet: lost (with the reconnection attempts so far) and connected again, as a serial device's. */
  onLink?: (state: DeviceLinkState) => void;
  /**
   * Each block's first sample and its timestamp on the local clock (correction applied): the
   * stream's sample clock, which markers of other streams are placed on.
   */
  onAnchor?: (sample: number, localTimestampS: number) => void;
}

/**
 * Opens the stream the predicate selects as SampleBlocks. Refuses (one {@link DeviceError})
 * a string or irregular-rate stream: those are markers, not signals.
 */
export function lslSource(options: LslInletOptions & LslSourceHooks): Observable<SampleBlock> {
  return new Observable<SampleBlock>((subscriber) => {
    let info: StreamInfo | undefined;
    let period = 0;
    let firstTs = 0;
    let next = 0; // index of the next sample expected
    const stats: LslSourceStats = { connections: 0, missingSamples: 0, correctionS: 0 };
    let lostSinceMs: number | undefined;
    let connectionCorrectionS: number | undefined;
    const sub = lslInlet(options).subscribe({
      next: (e) => {
        if (e.kind === 'lost') {
          lostSinceMs ??= hostNowMs();
          options.onLink?.({ state: 'lost', reason: e.reason, attempt: e.connection, sinceMs: lostSinceMs });
        } else if (e.kind === 'connected') {
          stats.connections = e.connection;
          connectionCorrectionS = undefined;
          if (lostSinceMs !== undefined) {
            lostSinceMs = undefined;
            options.onLink?.({ state: 'connected' });
          }
          if (!info) {
            if (e.info.channelFormat === 'string' || e.info.nominalSrateHz <= 0) {
              subscriber.error(new DeviceError(`LSL stream "${e.info.name}"`, `a regular-rate numeric stream is needed as the signal source, but it is ${e.info.channelFormat} at ${e.info.nominalSrateHz || 'an irregular'} rate (markers: use it as a marker stream)`));
              return;
            }
            info = streamInfoFromLsl(e.info);
            period = 1 / e.info.nominalSrateHz;
          }
          options.onStats?.({ ...stats });
        } else if (e.kind === 'correction') {
          stats.correctionS = e.correction.correctionS;
        } else if (e.kind === 'samples' && info) {
          const { batch, correctionS } = e;
          const n = info.channelNames.length;
          // Samples are numbered with the offset measured when this connection began: it is
          // re-estimated every few seconds and moves by tens of µs, more than half a sample
          // period at 30 kHz, which must not read as a lost (or repeated) sample. A new
          // connection (perhaps an outlet on another machine) takes its own offset.
          connectionCorrectionS ??= correctionS;
          const base = connectionCorrectionS;
          const raw = (i: number): number => batch.timestamps[i]! - correctionS + base;
          if (next === 0 && firstTs === 0) firstTs = raw(0);
          // Split the batch where its timestamps jump: each run is one block, a jump is a gap.
          let start = 0;
          while (start < batch.count) {
            const index = Math.round((raw(start) - firstTs) / period);
            const missing = Math.max(0, index - next);
            let end = start + 1;
            while (end < batch.count && Math.round((raw(end) - raw(end - 1)) / period) <= 1) end++;
            const length = end - start;
            const data = new Float32Array(length * n);
            for (let i = 0; i < length; i++) for (let c = 0; c < n; c++) data[c * length + i] = batch.values[(start + i) * n + c]!;
            if (missing > 0) stats.missingSamples += missing;
            options.onAnchor?.(next + missing, batch.timestamps[start]!);
            subscriber.next(createSampleBlock({ info, first: next + missing, length, data, hostTime: hostNowMs(), ...(missing > 0 ? { gap: { missing } } : {}) }));
            next += missing + length;
            start = end;
          }
          if (stats.missingSamples > 0) options.onStats?.({ ...stats });
        }
      },
      error: (err) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
    return () => sub.unsubscribe();
  });
}
