/**
 * `decimate(factor)` — lower a stream's sample rate by an integer factor: an anti-alias
 * Butterworth low-pass (order 8, cut-off 0.8 × the new Nyquist frequency, causal) and then every
 * `factor`-th sample of the stream's clock (samples whose index is a multiple of `factor`), so the
 * output clock is the input clock ÷ factor and the same samples are kept however the input is
 * blocked. The output is a new stream: its StreamInfo has the new rate and id `<id>/<factor>`.
 * Gaps are carried over in output samples; markers move to the output sample at or after theirs.
 */
import { type OperatorFunction } from 'rxjs';
import {
  type Marker,
  type SampleBlock,
  type StreamInfo,
  changedValuesInfo,
  channelCount,
  checkInteger,
  createMarker,
  createSampleBlock,
  createStreamInfo,
} from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';
import { designButterworth, type Sos } from '../filters/butterworth.js';
import { createSosState, sosFilter } from '../filters/sos-filter.js';

export function decimate(factor: number, options: { order?: number } = {}): OperatorFunction<SampleBlock, SampleBlock> {
  const q = checkInteger('option', 'decimation factor', factor, { min: 2, max: 10_000 });
  const order = options.order ?? 8;
  return operate<SampleBlock, SampleBlock>((source, subscriber) => {
    let info: StreamInfo | undefined;
    let sos: Sos | undefined;
    let state: Float64Array | undefined;
    let filtered = new Float32Array(0);
    let nextOut = -1;
    let pendingMarkers: Marker[] = [];
    return source.subscribe(
      operatorObserver(subscriber, (block: SampleBlock) => {
        const C = channelCount(block.info);
        if (!info) {
          const inInfo = block.info;
          sos = designButterworth({ type: 'lowpass', order, cutoffHz: (0.8 * inInfo.sampleRateHz) / 2 / q, sampleRateHz: inInfo.sampleRateHz });
          state = createSosState(sos, C);
          info = createStreamInfo({
            ...changedValuesInfo(inInfo),
            id: `${inInfo.id}/${q}`,
            sampleRateHz: inInfo.sampleRateHz / q,
            adcScale: inInfo.adcScale,
            channelKinds: inInfo.channelKinds,
            units: inInfo.units,
          });
        }
        const L = block.length;
        if (filtered.length < C * L) filtered = new Float32Array(C * L);
        sosFilter(sos!, state!, block.data, filtered, C, L);
        // Kept: input indices that are multiples of q.
        const outFirst = Math.ceil(block.first / q);
        const outEnd = Math.ceil((block.first + L) / q);
        const n = outEnd - outFirst;
        for (const m of block.markers ?? []) pendingMarkers.push(m);
        if (n <= 0) return;
        const data = new Float32Array(C * n);
        const offset = outFirst * q - block.first;
        for (let c = 0; c < C; c++) for (let k = 0; k < n; k++) data[c * n + k] = filtered[c * L + offset + k * q]!;
        const missing = nextOut >= 0 && outFirst > nextOut ? outFirst - nextOut : 0;
        nextOut = outEnd;
        const markers = pendingMarkers.map((m) => createMarker(Math.min(outEnd - 1, Math.max(outFirst, Math.ceil(m.sample / q))), m.type, m.value));
        pendingMarkers = [];
        subscriber.next(
          createSampleBlock({
            info,
            first: outFirst,
            length: n,
            data,
            hostTime: block.hostTime,
            ...(missing > 0 ? { gap: { missing } } : {}),
            ...(markers.length ? { markers } : {}),
          }),
        );
      }),
    );
  });
}
