/**
 * `neurostream convert IN OUT [--protocol cyton|frame]` —
 *   - IN an EDF/BDF file, an OpenBCI GUI text file, a SpikeGLX `.bin` (with its `.meta`) or
 *     `.meta`, a raw device capture (`--protocol`) or a recording, OUT a new directory → a
 *     recording directory (session.json + Arrow files);
 *   - IN any of those, OUT ending in `.edf` or `.bdf` → an EDF+ or BDF+ file with the markers as
 *     annotations (physical/digital scaling: docs/edf.md). A first pass over the data finds each
 *     channel's range; the export never clips a sample unless `--allow-clipping` is given (then
 *     it says how many, per channel). `--physical-range MIN:MAX` fixes the range of the µV channels.
 *   - IN an XDF file → a recording (`--stream NAME` picks the signals); IN anything, OUT `.xdf` → XDF.
 *   - with `--bids --subject S --task T [--session N] [--run R]`: OUT a BIDS dataset (new or
 *     existing) that gets IN as one EEG/iEEG run (convert-bids.ts).
 *   - IN anything, OUT `.nwb` → an NWB 2.x file (`--compress`: gzip); IN an `.nwb` file → a recording.
 * Nothing existing is overwritten; an OUT with another extension is refused (a trailing `/` makes
 * any name a recording directory). A recording whose files hold less than its session.json says
 * is refused unless `--allow-truncated`; so is a SpikeGLX `.bin` shorter than its `.meta` says. Interrupted (SIGINT/SIGTERM/SIGHUP), it removes its
 * partial output and exits 128 + the signal's number. A progress bar runs on a terminal.
 */
import { existsSync, rmSync } from 'node:fs';
import { extname, sep } from 'node:path';
import { Command } from 'commander';
import { ErrorCode, InvalidOptionError, NeurostreamError } from '../../core/index.js';
import { EdfExport, withoutMarkers, openInput, type CaptureProtocol, type OpenedInput, checkNewFile, checkNewOutputDirectory, RecordingWriter, XdfExport, loadH5, NwbExport } from '../../recordings/index.js';
import { BatchInterrupted, catchBatchInterrupts, type BatchInterrupt } from '../batch-interrupt.js';
import { choiceFlag, integerFlag, physicalRangeFlag } from '../parse-flag.js';
import { startProgress } from '../progress.js';
import { scanRanges } from '../export-scan.js';
import { checkBidsFlagsUnused, convertToBids, type ConvertBidsFlags } from './convert-bids.js';

interface ConvertFlags extends ConvertBidsFlags {
  protocol?: CaptureProtocol;
  daisy?: boolean;
  allowTruncated?: boolean;
  physicalRange?: readonly [number, number];
  allowClipping?: boolean;
  stream?: string;
  compress?: boolean;
}

/** What OUT may be: its extension says which format is written. */
export const OUTPUT_KINDS = 'a new recording directory (a name without an extension, or ending in /), a .edf file (EDF+), a .bdf file (BDF+), a .xdf file (XDF) or a .nwb file (NWB 2.x)';

export function convertCommand(): Command {
  return new Command('convert')
    .description('convert EDF/BDF, OpenBCI text, XDF, NWB, SpikeGLX or raw device captures into a recording, or a recording into EDF+/BDF+, XDF or NWB')
    .argument('<in>', 'a recording directory, .edf/.bdf file, OpenBCI GUI .txt/.csv file, .xdf, .nwb, SpikeGLX .bin (with its .meta) or .meta, or raw capture (with --protocol)')
    .argument('<out>', 'a new directory (recording) or a new .edf/.bdf file')
    .option('--protocol <name>', 'IN is a raw byte capture of this device protocol: cyton | frame', choiceFlag('--protocol', ['cyton', 'frame'] as const))
    .option('--daisy', 'with --protocol cyton: the board had a Daisy (16 ch @ 125 Hz), whatever the capture\'s banner says')
    .option('--no-daisy', 'with --protocol cyton: the board had no Daisy (8 ch @ 250 Hz)')
    .option('--physical-range <min:max>', 'EDF/BDF out: this physical range (µV) for every µV channel, instead of the source\'s or one fitted to the data', physicalRangeFlag('--physical-range'))
    .option('--allow-clipping', 'EDF/BDF out: clip values outside the physical range (counted per channel) instead of refusing')
    .option('--stream <name>', 'IN is an XDF file: the stream (by name) to hold as the signals (default: the first regular-rate numeric one)')
    .option('--compress', 'NWB out: gzip-compress the sample datasets')
    .option('--allow-truncated', 'convert a recording whose files hold less than its session.json says, or a SpikeGLX .bin shorter than its .meta says (a warning, and a note in the output)')
    .option('--bids', 'OUT is a BIDS dataset (new, or one to add to): IN becomes one EEG (BDF/EDF) or iEEG (EDF) run')
    .option('--subject <label>', 'with --bids: the participant label (letters and digits), e.g. 01')
    .option('--session <label>', 'with --bids: the session label (default: no session level)')
    .option('--task <label>', 'with --bids: the task label (letters and digits), e.g. mi')
    .option('--run <index>', 'with --bids: the run index (default: no run entity)', integerFlag('--run'))
    .option('--format <edf|bdf>', 'with --bids: the data file\'s format (default: bdf for EEG, edf for iEEG)', choiceFlag('--format', ['edf', 'bdf'] as const))
    .option('--shift-dates-days <n>', 'with --bids: shift every date written by n days (de-identification)', integerFlag('--shift-dates-days'))
    .option('--mains <hz>', 'with --bids: the mains frequency (PowerLineFrequency; default: the recording\'s, else n/a): 50 | 60', (raw: string) => Number(choiceFlag('--mains', ['50', '60'] as const)(raw)) as 50 | 60)
    .action(async (input: string, output: string, flags: ConvertFlags) => {
      await convert(input, output, flags);
    });
}

/** The format OUT asks for, from its extension; anything else is refused, listing what is supported. */
function outputKind(output: string): 'recording' | 'edf' | 'bdf' | 'xdf' | 'nwb' {
  if (output.endsWith('/') || output.endsWith(sep)) return 'recording';
  const extension = extname(output).toLowerCase();
  if (extension === '') return 'recording';
  if (extension === '.xdf') return 'xdf';
  if (extension === '.nwb') return 'nwb';
  if (extension === '.edf' || extension === '.bdf') return extension === '.edf' ? 'edf' : 'bdf';
  throw new InvalidOptionError(`OUT ${output}`, OUTPUT_KINDS, `a ${extension} name (not a format convert writes)`);
}

export async function convert(input: string, output: string, flags: ConvertFlags): Promise<void> {
  if (flags.bids) return convertToBids(input, output, flags);
  checkBidsFlagsUnused(flags);
  const kind = outputKind(output);
  if (kind !== 'edf' && kind !== 'bdf' && (flags.physicalRange || flags.allowClipping)) {
    throw new InvalidOptionError(flags.physicalRange ? '--physical-range' : '--allow-clipping', 'an OUT ending in .edf or .bdf (a recording keeps every value as it is)', output);
  }
  if (flags.compress && kind !== 'nwb') throw new InvalidOptionError('--compress', 'an OUT ending in .nwb', output);
  if (kind === 'nwb' || extname(input).toLowerCase() === '.nwb') await loadH5();
  if (kind === 'recording') checkNewOutputDirectory(output, 'OUT');
  else checkNewFile(output, 'OUT');
  const opened = openInput(input, { ...(flags.protocol ? { protocol: flags.protocol } : {}), ...(flags.daisy !== undefined ? { daisy: flags.daisy } : {}), ...(flags.allowTruncated ? { allowTruncated: true } : {}), ...(flags.stream !== undefined ? { stream: flags.stream } : {}), ...(kind === 'recording' ? { strictValues: true } : {}) });
  const unkept = (opened as { unkept?: readonly string[] }).unkept ?? [];
  if (unkept.length > 0) throw new NeurostreamError(ErrorCode.InvalidData, `IN ${input}: a recording cannot hold ${unkept.length} of its objects, and nothing is dropped silently: ${unkept.join('; ')}`);
  // A file cut short — a recording's, or an imported file read with --allow-truncated (a SpikeGLX .bin shorter than its .meta) — is a WARNING, not a note.
  const warnings = [...new Set([...(opened.recording?.truncation.map((t) => t.text) ?? []), ...opened.notes.filter((n) => n.startsWith('TRUNCATED:'))])];
  for (const warning of warnings) process.stderr.write(`neurostream convert: WARNING: ${warning}\n`);
  // From here OUT is ours: a signal removes what was written of it (during the first passes over
  // the input, before anything is written, it just stops).
  const removePartial = (): string => {
    const written = existsSync(output);
    rmSync(output, { recursive: true, force: true });
    return written ? `removed the partial output ${output}` : `nothing was written to ${output}`;
  };
  const interrupt = catchBatchInterrupts((signal) => {
    const what = removePartial();
    process.stderr.write(`neurostream convert: interrupted by ${signal} again: ${what}\n`);
  });
  let summary: { line: string; notes: string[]; warnings?: string[] };
  try {
    summary = kind === 'recording' ? await toRecording(opened, output, interrupt) : kind === 'xdf' ? toXdf(opened, output) : kind === 'nwb' ? await toNwb(opened, output, flags, interrupt) : await toEdf(opened, output, kind, flags, interrupt);
    await interrupt.finish(); // a signal while the files were closed counts too: never exit 0 after one
  } catch (error) {
    if (!(error instanceof BatchInterrupted)) throw error;
    const what = removePartial();
    process.stderr.write(`neurostream convert: ${error.message}: ${what}\n`);
    process.exitCode = error.exitCode;
    return;
  } finally {
    interrupt.dispose();
  }
  for (const warning of summary.warnings ?? []) process.stderr.write(`neurostream convert: warning: ${warning}\n`);
  for (const note of summary.notes) if (!warnings.includes(note)) process.stderr.write(`neurostream convert: note: ${note}\n`);
  if (warnings.length > 0) process.stderr.write(`neurostream convert: WARNING: ${output} holds what was left of a TRUNCATED recording (its notes say so)\n`);
  process.stdout.write(`${summary.line}\n`);
}

function totalOf(opened: OpenedInput): number {
  return opened.streams.reduce((n, s) => n + s.totalSamples, 0);
}

async function toRecording(opened: OpenedInput, output: string, interrupt: BatchInterrupt): Promise<{ line: string; notes: string[] }> {
  const [main, ...others] = opened.streams;
  if (!main) {
    throw new InvalidOptionError(`IN ${opened.source}`, `signals to record (it holds only ${opened.markers.length} annotations; \`neurostream info\` lists them)`, 'no signals');
  }
  const writer = new RecordingWriter(output, {
    info: main.info,
    source: { path: opened.source, format: opened.format },
    notes: opened.notes,
    ...(opened.recording?.manifest.pipeline ? { pipeline: { ...opened.recording.manifest.pipeline } } : {}),
  });
  const progress = startProgress('converting', totalOf(opened));
  try {
    for (const stream of others) writer.addStream(stream.info, stream.file);
    writer.writeMarkers(opened.markers); // the markers once: the blocks' copies are left out below
    let done = 0;
    for (const [index, stream] of opened.streams.entries()) {
      for (const block of stream.blocks()) {
        writer.writeBlock(block.markers ? withoutMarkers(block) : block, index);
        if (writer.failed) break;
        done += block.length + (block.gap?.missing ?? 0);
        progress.update(done);
        await interrupt.checkpoint();
      }
    }
    for (const frame of opened.features?.() ?? []) {
      writer.writeFeatures(frame);
      await interrupt.checkpoint();
    }
    for (const intent of opened.intents?.() ?? []) {
      writer.writeIntent(intent);
      await interrupt.checkpoint();
    }
  } catch (error) {
    // The input broke part-way: what was converted is kept, ended properly, and marked failed.
    writer.abort(error instanceof Error ? error.message : String(error)); // (an interrupted one is then removed)
    throw error;
  } finally {
    progress.stop();
  }
  const failure = writer.close();
  if (failure) throw failure;
  const p = writer.progress;
  const streams = opened.streams.map((s) => `${s.info.channelNames.length} ch @ ${s.info.sampleRateHz} Hz`).join(' + ');
  return {
    line: `converted ${opened.source} (${opened.format}) → ${output}: ${streams}, ${p.samples} samples, ${p.markers} markers, ${(p.bytes / 1e6).toFixed(1)} MB`,
    notes: [...opened.notes],
  };
}

async function toEdf(opened: OpenedInput, output: string, format: 'edf' | 'bdf', flags: ConvertFlags, interrupt: BatchInterrupt): Promise<{ line: string; notes: string[]; warnings: string[] }> {
  const edf = new EdfExport(output, opened, {
    format,
    ...(flags.physicalRange ? { physicalRange: flags.physicalRange } : {}),
    ...(flags.allowClipping ? { allowClipping: true } : {}),
    optionNames: { allowClipping: '--allow-clipping', physicalRange: '--physical-range' },
  });
  const main = edf.main;
  await scanRanges(edf, interrupt);
  edf.open();
  const progress = startProgress('exporting', main.totalSamples);
  let done = 0;
  let result;
  try {
    for (const block of main.blocks()) {
      edf.write(block);
      done += block.length + (block.gap?.missing ?? 0);
      progress.update(done);
      await interrupt.checkpoint();
    }
  } finally {
    result = edf.close(); // an input that broke part-way still leaves a valid, shorter file
    progress.stop();
  }
  return {
    warnings: result.warnings,
    line: `exported ${opened.source} → ${output} (${format.toUpperCase()}+${result.discontinuous ? 'D' : 'C'}): ${main.info.channelNames.length} ch @ ${main.info.sampleRateHz} Hz, ${result.records} records, ${result.annotations} annotations`,
    notes: [...opened.notes, ...result.notes],
  };
}


function toXdf(opened: OpenedInput, output: string): { line: string; notes: string[] } {
  const result = new XdfExport(output, opened).run();
  const streams = result.streams.map((s) => `${s.name} (${s.samples})`).join(', ');
  return { line: `exported ${opened.source} → ${output} (XDF 1.0): ${streams}`, notes: [...opened.notes, ...result.notes] };
}

async function toNwb(opened: OpenedInput, output: string, flags: ConvertFlags, interrupt: BatchInterrupt): Promise<{ line: string; notes: string[] }> {
  const nwb = new NwbExport(output, opened, flags.compress ? { gzipLevel: 4 } : {});
  nwb.open();
  const progress = startProgress('exporting', totalOf(opened));
  let done = 0;
  try {
    for (const [index, stream] of opened.streams.entries()) {
      for (const block of stream.blocks()) {
        nwb.write(block, index);
        progress.update((done += block.length + (block.gap?.missing ?? 0)));
        await interrupt.checkpoint();
      }
    }
  } catch (error) {
    nwb.close();
    throw error;
  } finally {
    progress.stop();
  }
  const result = nwb.finish();
  const series = result.series.map((s) => `${s.name} (${s.channels} ch, ${s.samples} samples${s.timestamps ? ', timestamps' : ''})`).join(', ');
  return {
    line: `exported ${opened.source} → ${output} (NWB 2.6.0): ${series}, ${result.markers} markers, ${result.trials} trials, ${result.features} feature bins, ${result.intents} decoder outputs`,
    notes: [...opened.notes, ...result.notes],
  };
}
