/**
 * `iirFilter(design)` — an RxJS operator that filters every channel of a SampleBlock stream with
 * an IIR cascade. The cascade is designed from the stream's own sample rate (`design(rateHz)`,
 * never a default) when the first block arrives; the filter state is created per subscription and
 * dropped on teardown, so two subscribers never share a filter. Each output block is a new array
 * (blocks are immutable); index, gap, markers and arrival time pass through unchanged.
 */
import { type OperatorFunction } from 'rxjs';
import { type SampleBlock, type StreamInfo, InvalidDataError, changedValuesInfo, channelCount, createSampleBlock } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';
import type { Sos } from '../filters/butterworth.js';
import { createSosState, sosFilter } from '../filters/sos-filter.js';

export function iirFilter(design: (sampleRateHz: number) => Sos): OperatorFunction<SampleBlock, SampleBlock> {
  return operate<SampleBlock, SampleBlock>((source, subscriber) => {
    let info: StreamInfo | undefined;
    let sos: Sos | undefined;
    let state: Float64Array | undefined;
    const subscription = source.subscribe(
      operatorObserver(subscriber, (block: SampleBlock) => {
        if (!info) {
          info = block.info;
          sos = design(info.sampleRateHz);
          state = createSosState(sos, channelCount(info));
        } else if (block.info !== info && block.info.id !== info.id) {
          throw new InvalidDataError('SampleBlock.info', `the stream ${info.id} this filter was designed for`, block.info.id);
        }
        const channels = channelCount(info);
        const data = new Float32Array(channels * block.length);
        sosFilter(sos!, state!, block.data, data, channels, block.length);
        subscriber.next(
          createSampleBlock({
            info: changedValuesInfo(block.info),
            first: block.first,
            length: block.length,
            data,
            hostTime: block.hostTime,
            ...(block.gap ? { gap: block.gap } : {}),
            ...(block.markers ? { markers: block.markers } : {}),
          }),
        );
      }),
    );
    return () => {
      subscription.unsubscribe();
      state = undefined;
    };
  });
}
