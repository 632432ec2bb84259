/**
 * `neurostream convert IN OUT --bids --subject 01 [--session 01] --task mi [--run 1]
 * [--format bdf|edf] [--shift-dates-days N] [--mains 50|60]` — IN (anything `convert` reads) as one
 * run of the BIDS dataset OUT, created or added to (recordings/bids). Everything is checked before
 * anything is written (labels, format, an existing run: exit 2); a progress bar runs on a
 * terminal; an interrupt removes what this run wrote and nothing that was there before.
 */
import { BidsExport, openInput, type CaptureProtocol } from '../../recordings/index.js';
import { InvalidOptionError } from '../../core/index.js';
import { BatchInterrupted, catchBatchInterrupts } from '../batch-interrupt.js';
import { startProgress } from '../progress.js';
import { scanRanges } from '../export-scan.js';

/** The flags of `convert` that a BIDS export reads. */
export interface ConvertBidsFlags {
  bids?: boolean;
  subject?: string;
  session?: string;
  task?: string;
  run?: number;
  format?: 'edf' | 'bdf';
  shiftDatesDays?: number;
  mains?: 50 | 60;
  protocol?: CaptureProtocol;
  daisy?: boolean;
  allowTruncated?: boolean;
  physicalRange?: readonly [number, number];
  allowClipping?: boolean;
  stream?: string;
}

/** The BIDS-only flags, refused without --bids. */
export const BIDS_ONLY_FLAGS = { subject: '--subject', session: '--session', task: '--task', run: '--run', format: '--format', shiftDatesDays: '--shift-dates-days', mains: '--mains' } as const;

/** Refuses a BIDS-only flag given without --bids. */
export function checkBidsFlagsUnused(flags: ConvertBidsFlags): void {
  for (const [key, flag] of Object.entries(BIDS_ONLY_FLAGS)) {
    if (flags[key as keyof typeof BIDS_ONLY_FLAGS] !== undefined) throw new InvalidOptionError(flag, '--bids as well (it names a BIDS run)', 'no --bids');
  }
}

export async function convertToBids(input: string, output: string, flags: ConvertBidsFlags): Promise<void> {
  if (flags.subject === undefined) throw new InvalidOptionError('--subject', 'a participant label with --bids (letters and digits, e.g. --subject 01)', 'none');
  if (flags.task === undefined) throw new InvalidOptionError('--task', 'a task label with --bids (letters and digits, e.g. --task mi)', 'none');
  const opened = openInput(input, { ...(flags.protocol ? { protocol: flags.protocol } : {}), ...(flags.daisy !== undefined ? { daisy: flags.daisy } : {}), ...(flags.allowTruncated ? { allowTruncated: true } : {}), ...(flags.stream !== undefined ? { stream: flags.stream } : {}) });
  const bids = new BidsExport(output, opened, {
    subject: flags.subject,
    task: flags.task,
    ...(flags.session !== undefined ? { session: flags.session } : {}),
    ...(flags.run !== undefined ? { run: flags.run } : {}),
    ...(flags.format ? { format: flags.format } : {}),
    ...(flags.shiftDatesDays !== undefined ? { shiftDatesDays: flags.shiftDatesDays } : {}),
    ...(flags.mains ? { mainsHz: flags.mains } : {}),
    ...(flags.physicalRange ? { physicalRange: flags.physicalRange } : {}),
    ...(flags.allowClipping ? { allowClipping: true } : {}),
    optionNames: { subject: '--subject', session: '--session', task: '--task', run: '--run', format: '--format', shiftDatesDays: '--shift-dates-days', allowClipping: '--allow-clipping', physicalRange: '--physical-range', out: 'OUT' },
  });
  for (const warning of opened.recording?.truncation.map((t) => t.text) ?? []) process.stderr.write(`neurostream convert: WARNING: ${warning}\n`);
  const interrupt = catchBatchInterrupts((signal) => {
    bids.discard();
    process.stderr.write(`neurostream convert: interrupted by ${signal} again: removed this run's files from ${output}\n`);
  });
  const total = bids.main.totalSamples;
  let result;
  try {
    await scanRanges(bids, interrupt);
    const progress = startProgress('exporting', total);
    let done = 0;
    try {
      bids.open();
      for (const block of bids.main.blocks()) {
        bids.write(block);
        progress.update((done += block.length + (block.gap?.missing ?? 0)));
        await interrupt.checkpoint();
      }
      result = bids.close();
      await interrupt.finish();
    } catch (error) {
      bids.discard(); // a run is written whole or not at all
      throw error;
    } finally {
      progress.stop();
    }
  } catch (error) {
    if (!(error instanceof BatchInterrupted)) throw error;
    process.stderr.write(`neurostream convert: ${error.message}: removed this run's files from ${output}\n`);
    process.exitCode = error.exitCode;
    return;
  } finally {
    interrupt.dispose();
  }
  for (const warning of result.warnings) process.stderr.write(`neurostream convert: warning: ${warning}\n`);
  for (const note of [...opened.notes, ...result.notes]) process.stderr.write(`neurostream convert: note: ${note}\n`);
  const info = bids.main.info;
  const bad = result.badChannels.length > 0 ? `, bad channels: ${result.badChannels.join(' ')}` : '';
  process.stdout.write(
    `exported ${opened.source} → ${output} (BIDS ${result.datatype}, ${bids.format.toUpperCase()}): ${bids.paths.data}: ${info.channelNames.length} ch @ ${info.sampleRateHz} Hz, ${result.records} records, ${result.events} events${bad}; wrote ${result.files.length} files\n`,
  );
}
