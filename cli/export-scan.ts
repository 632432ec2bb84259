/**
 * The first pass of an EDF/BDF export (plain or inside a BIDS run): each channel's range is
 * scanned with a progress bar, so nothing is clipped unless asked for; only where something would
 * be clipped, a second pass counts how many per channel, and the export refuses with that count.
 * Nothing is written yet: a signal just stops it.
 */
import type { SampleBlock } from '../core/index.js';
import type { BatchInterrupt } from './batch-interrupt.js';
import { startProgress } from './progress.js';

/** What the range scan needs of an export (EdfExport, BidsExport). */
export interface RangeScanned {
  readonly main: { readonly totalSamples: number; blocks(): Iterable<SampleBlock> };
  scan(block: SampleBlock): void;
  clipSuspected(): boolean;
  countClipped(block: SampleBlock): void;
  /** Throws the refusal when something would be clipped and clipping was not allowed. */
  refuseClipping(): void;
}

/** Scans every channel's range (and counts what would be clipped), before anything is written. */
export async function scanRanges(exporter: RangeScanned, interrupt: BatchInterrupt): Promise<void> {
  const scan = startProgress('scanning', exporter.main.totalSamples);
  let scanned = 0;
  try {
    for (const block of exporter.main.blocks()) {
      exporter.scan(block);
      scan.update((scanned += block.length + (block.gap?.missing ?? 0)));
      await interrupt.checkpoint();
    }
  } finally {
    scan.stop();
  }
  if (exporter.clipSuspected()) {
    // Second pass, only when something would be clipped: how many, per channel (for the refusal).
    for (const block of exporter.main.blocks()) {
      exporter.countClipped(block);
      await interrupt.checkpoint();
    }
    exporter.refuseClipping();
  }
}
