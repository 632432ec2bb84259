/**
 * `reReference(options)` — common-average (default) or common-median reference as an RxJS
 * operator. Channels are referenced within groups (default: one group of all neural channels —
 * kinds eeg, ecog, extracellular); aux and accelerometer channels pass through. `bad` channels are
 * re-referenced but left out of the reference. The layout is built from the stream's channel
 * names when the first block arrives (an unknown name is an error naming it); state and scratch
 * belong to the subscription.
 */
import { type OperatorFunction } from 'rxjs';
import { type SampleBlock, type StreamInfo, InvalidOptionError, changedValuesInfo, createSampleBlock } from '../../core/index.js';
import { operate, operatorObserver } from '../../core/operate.js';
import { type ReferenceLayout, commonAverageReference, commonMedianReference, createReferenceLayout } from '../kernels/re-reference.js';

export interface ReReferenceOptions {
  method?: 'average' | 'median';
  /** Channel names per group. Default: all neural channels in one group. */
  groups?: readonly (readonly string[])[];
  /** Channels excluded from the reference. */
  bad?: readonly string[];
}

const NEURAL = new Set(['eeg', 'ecog', 'extracellular']);

export function referenceLayoutFor(info: StreamInfo, options: ReReferenceOptions): ReferenceLayout {
  const index = new Map(info.channelNames.map((n, c) => [n, c]));
  const find = (name: string, where: string): number => {
    const c = index.get(name);
    if (c === undefined) throw new InvalidOptionError(where, `a channel of ${info.id} (${info.channelNames.slice(0, 4).join(', ')}…)`, name);
    return c;
  };
  const group = new Int32Array(info.channelNames.length).fill(-1);
  if (options.groups) {
    options.groups.forEach((names, g) => names.forEach((n, i) => (group[find(n, `groups[${g}][${i}]`)] = g)));
  } else {
    info.channelKinds.forEach((kind, c) => {
      if (NEURAL.has(kind)) group[c] = 0;
    });
  }
  const good = new Uint8Array(info.channelNames.length).fill(1);
  (options.bad ?? []).forEach((n, i) => (good[find(n, `bad[${i}]`)] = 0));
  return createReferenceLayout(group, good);
}

export function reReference(options: ReReferenceOptions = {}): OperatorFunction<SampleBlock, SampleBlock> {
  const median = (options.method ?? 'average') === 'median';
  return operate<SampleBlock, SampleBlock>((source, subscriber) => {
    let layout: ReferenceLayout | undefined;
    let scratch = new Float64Array(0);
    return source.subscribe(
      operatorObserver(subscriber, (block: SampleBlock) => {
        layout ??= referenceLayoutFor(block.info, options);
        const need = median ? block.info.channelNames.length : block.length;
        if (scratch.length < need) scratch = new Float64Array(need);
        const data = new Float32Array(block.data.length);
        if (median) commonMedianReference(layout, block.data, data, block.length, scratch);
        else commonAverageReference(layout, block.data, data, block.length, scratch);
        subscriber.next(createSampleBlock({ ...block, info: changedValuesInfo(block.info), data }));
      }),
    );
  });
}
