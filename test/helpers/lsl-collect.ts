/** Collects an LSL inlet's events until enough samples arrived (tests of devices/lsl). */
import { lslInlet, type LslInletEvent } from '../../devices/lsl/inlet.js';

export interface Collected {
  timestamps: number[];
  values: number[];
  strings: string[];
  deduced: number;
  corrections: number[];
  info?: Extract<LslInletEvent, { kind: 'connected' }>['info'];
  feed?: Extract<LslInletEvent, { kind: 'connected' }>['feed'];
}

/** Subscribes an inlet with `options` and gathers samples until `expected` arrived (or the feed ends). */
export function collectInlet(options: Parameters<typeof lslInlet>[0], expected: number): Promise<Collected> {
  const got: Collected = { timestamps: [], values: [], strings: [], deduced: 0, corrections: [] };
  return new Promise<Collected>((resolve, reject) => {
    const sub = lslInlet(options).subscribe({
      next: (e) => {
        if (e.kind === 'connected') {
          got.info = e.info;
          got.feed = e.feed;
        }
        if (e.kind === 'correction') got.corrections.push(e.correction.correctionS);
        if (e.kind === 'samples') {
          got.timestamps.push(...e.batch.timestamps);
          for (const v of e.batch.values) got.values.push(v);
          got.strings.push(...e.batch.strings);
          got.deduced += e.batch.deduced;
          if (got.timestamps.length >= expected) {
            sub.unsubscribe();
            resolve(got);
          }
        }
      },
      error: reject,
      complete: () => resolve(got),
    });
  });
}
