/**
 * `neurostream info IN [--json]` — what a recording or file holds: format, streams (channels,
 * rate, samples, duration, gaps), markers by type, and notes. The JSON form's keys are
 * documented in docs/recording-format.md (`info --json`).
 */
import { extname } from 'node:path';
import { Command } from 'commander';
import { from } from 'rxjs';
import { type SignalQualityStatus, signalQuality } from '../../acquisition/index.js';
import type { SampleBlock, StreamInfo } from '../../core/index.js';
import { loadH5, openInput, type CaptureProtocol, type OpenedInput, type RecordedGap } from '../../recordings/index.js';
import { choiceFlag } from '../parse-flag.js';

interface InfoFlags {
  json: boolean;
  mains: 50 | 60;
  protocol?: CaptureProtocol;
  daisy?: boolean;
}

export interface InfoGap {
  sample: number;
  missing: number;
  cause?: RecordedGap['cause'];
}

export interface InfoStream {
  file?: string;
  id: string;
  device: StreamInfo['device'];
  channels: number;
  channelNames: readonly string[];
  channelKinds: readonly string[];
  units: readonly string[];
  sampleRateHz: number;
  startTime: string;
  firstSample: number;
  endSample: number;
  samples: number;
  durationS: number;
  gaps: InfoGap[];
  missingSamples: number;
  /** Recordings: how the channels are stored, per channel (`float32`, `int16` or `int32` counts). */
  storage?: string[];
  /** Signal quality of the neural channels over the whole stream; absent where none can be judged. */
  quality?: InfoQuality;
}

/** Per neural channel, seconds of 1 s windows in each signal-quality status (acquisition's signalQuality). */
export interface InfoQuality {
  mainsHz: number;
  windowS: number;
  channels: {
    channel: string;
    seconds: Record<SignalQualityStatus, number>;
    /** Median over the windows of mains power relative to 1–40 Hz power, dB (null: no 1–40 Hz power anywhere). */
    lineNoiseDbMedian: number | null;
    /** Where the channel was first railed / flat, s from the stream's start (absent: never). */
    firstRailedS?: number;
    firstFlatS?: number;
  }[];
}

export interface InfoReport {
  path: string;
  format: string;
  status?: string;
  sessionId?: string;
  softwareVersion?: string;
  streams: InfoStream[];
  markers: { count: number; clockHz: number; byType: Record<string, number>; byText: Record<string, number>; first: { sample: number; type: string; value: unknown }[] };
  files?: Record<string, string>;
  pipeline?: Record<string, unknown>;
  notes: string[];
  /** Files holding less than session.json says (samples as the manifest says and as read); absent when whole. */
  truncated?: { file: string; manifestSamples?: number; fileSamples?: number; cutBytes: number }[];
}

export function infoCommand(): Command {
  return new Command('info')
    .description('describe a recording or an EDF/BDF, OpenBCI text, XDF, NWB, SpikeGLX or raw capture file: channels, rate, duration, gaps, markers')
    .argument('<in>', 'a recording directory, .edf/.bdf, OpenBCI .txt/.csv, .xdf, .nwb, SpikeGLX .bin (with its .meta) or .meta, or raw capture (with --protocol)')
    .option('--json', 'print JSON (keys in docs/recording-format.md)', false)
    .option('--mains <hz>', 'mains frequency for the line-noise figure of the signal-quality summary: 50 | 60', (raw: string) => Number(choiceFlag('--mains', ['50', '60'] as const)(raw)) as 50 | 60, 60)
    .option('--protocol <name>', 'IN is a raw byte capture of this device protocol: cyton | frame', choiceFlag('--protocol', ['cyton', 'frame'] as const))
    .option('--daisy', 'with --protocol cyton: the board had a Daisy (16 ch @ 125 Hz), whatever the capture\'s banner says')
    .option('--no-daisy', 'with --protocol cyton: the board had no Daisy (8 ch @ 250 Hz)')
    .action(async (input: string, flags: InfoFlags) => {
      if (extname(input).toLowerCase() === '.nwb') await loadH5();
      // A recording cut short is described as it is, and says so (TRUNCATED), never refused here.
      const report = describeInput(
        openInput(input, { allowTruncated: true, ...(flags.protocol ? { protocol: flags.protocol } : {}), ...(flags.daisy !== undefined ? { daisy: flags.daisy } : {}) }),
        { mainsHz: flags.mains },
      );
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatInfo(report));
    });
}

/** Scans the samples (the truth about gaps) unless a finalised recording's manifest already states them. */
function scanStream(blocks: Iterable<SampleBlock>): { first: number; end: number; samples: number; gaps: InfoGap[] } {
  let first = -1;
  let end = 0;
  let samples = 0;
  const gaps: InfoGap[] = [];
  for (const block of blocks) {
    if (first < 0) first = block.first;
    else if (block.first > end) gaps.push({ sample: block.first, missing: block.first - end });
    samples += block.length;
    end = block.first + block.length;
  }
  return { first: Math.max(first, 0), end, samples, gaps };
}

/**
 * Signal quality over a whole stream (railed, flat, line noise per 1 s window); undefined for a
 * stream without neural channels or too slow to see the mains.
 */
export function streamQuality(stream: { info: StreamInfo; blocks(): Iterable<SampleBlock> }, mainsHz: 50 | 60): InfoQuality | undefined {
  const { info } = stream;
  if (!info.channelKinds.some((k) => k === 'eeg' || k === 'ecog' || k === 'extracellular') || info.sampleRateHz <= 2 * (mainsHz + 2)) return undefined;
  const rows = new Map<string, { seconds: Record<SignalQualityStatus, number>; db: number[]; firstRailedS?: number; firstFlatS?: number }>();
  const start = { sample: -1 };
  from(stream.blocks())
    .pipe(signalQuality({ mainsHz }))
    .subscribe((r) => {
      const seconds = (r.sample - r.windowStart) / r.sampleRateHz;
      if (start.sample < 0) start.sample = r.windowStart;
      const atS = (r.windowStart - start.sample) / r.sampleRateHz;
      for (const q of r.channels) {
        let row = rows.get(q.channel);
        if (!row) rows.set(q.channel, (row = { seconds: { railed: 0, flat: 0, 'line-noise': 0, ok: 0 }, db: [] }));
        row.seconds[q.status] += seconds;
        if (q.lineNoiseDb !== null) row.db.push(q.lineNoiseDb);
        if (q.status === 'railed' && row.firstRailedS === undefined) row.firstRailedS = atS;
        if (q.status === 'flat' && row.firstFlatS === undefined) row.firstFlatS = atS;
      }
    });
  const median = (v: number[]): number | null => (v.length === 0 ? null : [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!);
  return {
    mainsHz,
    windowS: 1,
    channels: [...rows].map(([channel, r]) => ({
      channel,
      seconds: r.seconds,
      lineNoiseDbMedian: median(r.db),
      ...(r.firstRailedS !== undefined ? { firstRailedS: r.firstRailedS } : {}),
      ...(r.firstFlatS !== undefined ? { firstFlatS: r.firstFlatS } : {}),
    })),
  };
}

export function describeInput(opened: OpenedInput, options: { mainsHz?: 50 | 60 } = {}): InfoReport {
  const manifest = opened.recording?.manifest;
  const truncation = opened.recording?.truncation ?? [];
  // A finalised recording's manifest is trusted unless its files hold less: then the files are read.
  const trusted = manifest?.status === 'complete' && truncation.length === 0;
  const streams = opened.streams.map((stream, index): InfoStream => {
    const recorded = manifest?.streams[index];
    const scan = trusted && recorded
      ? {
          first: recorded.endSample - recorded.samples - recorded.gaps.reduce((n, g) => n + g.missing, 0),
          end: recorded.endSample,
          samples: recorded.samples,
          gaps: recorded.gaps.map((g) => ({ ...g })),
        }
      : scanStream(stream.blocks());
    const { info } = stream;
    const quality = options.mainsHz === undefined ? undefined : streamQuality(stream, options.mainsHz);
    const storage = opened.recording?.storage[index];
    return {
      ...(recorded ? { file: recorded.file } : {}),
      ...(storage ? { storage: storage.map((c) => c.type) } : {}),
      id: info.id,
      device: info.device,
      channels: info.channelNames.length,
      channelNames: info.channelNames,
      channelKinds: info.channelKinds,
      units: info.units,
      sampleRateHz: info.sampleRateHz,
      startTime: info.startTime,
      firstSample: scan.first,
      endSample: scan.end,
      samples: scan.samples,
      durationS: scan.samples / info.sampleRateHz,
      gaps: scan.gaps,
      missingSamples: scan.gaps.reduce((n, g) => n + g.missing, 0),
      ...(quality ? { quality } : {}),
    };
  });
  const markers = opened.markers;
  const byType: Record<string, number> = {};
  const byText: Record<string, number> = {};
  for (const m of markers) {
    byType[m.type] = (byType[m.type] ?? 0) + 1;
    if (typeof m.value === 'string') byText[m.value] = (byText[m.value] ?? 0) + 1;
  }
  return {
    path: opened.source,
    format: opened.format,
    ...(manifest ? { status: manifest.status, sessionId: manifest.sessionId, softwareVersion: manifest.softwareVersion, files: { ...manifest.files } } : {}),
    ...(manifest?.pipeline ? { pipeline: { ...manifest.pipeline } } : {}),
    streams,
    markers: {
      count: markers.length,
      clockHz: opened.markerClockHz,
      byType,
      byText,
      first: markers.slice(0, 10).map((m) => ({ sample: m.sample, type: m.type, value: m.value })),
    },
    notes: [...opened.notes, ...((opened as { unkept?: readonly string[] }).unkept ?? []).map((u) => `NOT KEPT by convert (it refuses the file): ${u}`)],
    ...(truncation.length > 0
      ? { truncated: truncation.map((t) => ({ file: t.path, ...(t.manifestSamples !== undefined ? { manifestSamples: t.manifestSamples, fileSamples: t.fileSamples } : {}), cutBytes: t.cutBytes })) }
      : {}),
  };
}

function list(names: readonly string[], max = 8): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')}, … (${names.length - max} more)`;
}

function counts(values: readonly string[]): string {
  const c = new Map<string, number>();
  for (const v of values) c.set(v, (c.get(v) ?? 0) + 1);
  return [...c].map(([k, n]) => `${k} ×${n}`).join(', ');
}

export function formatInfo(report: InfoReport): string {
  const lines = [`${report.path}`, `  format: ${report.format}${report.sessionId ? `, session ${report.sessionId}` : ''}`];
  for (const t of report.truncated ?? []) {
    lines.push(`  TRUNCATED: ${t.file}: ${t.manifestSamples !== undefined ? `manifest says ${t.manifestSamples} samples, file holds ${t.fileSamples}` : `ends in ${t.cutBytes} bytes of a batch cut short`} (the figures below are what the files hold)`);
  }
  if (report.streams.length === 0) lines.push('  streams: none (annotations only)');
  for (const s of report.streams) {
    lines.push(
      `  stream ${s.id}${s.file ? ` (${s.file})` : ''}: ${s.channels} channels at ${s.sampleRateHz} Hz from ${s.device.name}${s.device.model ? ` (${s.device.model})` : ''}`,
      `    channels: ${list(s.channelNames)} — ${counts(s.channelKinds)}; units ${counts(s.units)}`,
      ...(s.storage ? [`    stored as ${counts(s.storage.map((t) => (t === 'float32' ? 'float32' : `${t} counts`)))}${s.storage.some((t) => t !== 'float32') ? ' (format version 2: value = count × scale)' : ''}`] : []),
      `    start ${s.startTime}; ${s.samples} samples = ${s.durationS.toFixed(3)} s (samples ${s.firstSample}–${s.endSample})`,
      `    gaps: ${s.gaps.length === 0 ? 'none' : `${s.gaps.length}, ${s.missingSamples} samples missing — ${s.gaps.slice(0, 6).map((g) => `${g.missing} before ${g.sample}${g.cause ? ` (${g.cause})` : ''}`).join('; ')}${s.gaps.length > 6 ? '; …' : ''}`}`,
    );
    const assessed = s.quality?.channels.some((q) => Object.values(q.seconds).some((v) => v > 0)) ?? false;
    if (s.quality && !assessed) lines.push(`    signal quality: not assessed (no whole ${s.quality.windowS} s window of samples)`);
    if (s.quality && assessed) {
      lines.push(`    signal quality (${s.quality.windowS} s windows; line noise = ${s.quality.mainsHz} Hz vs 1–40 Hz power):`);
      const sec = (v: number): string => `${Math.round(v)} s`.padStart(6);
      for (const q of s.quality.channels) {
        const firsts = [q.firstRailedS !== undefined ? `first railed at ${q.firstRailedS.toFixed(0)} s` : '', q.firstFlatS !== undefined ? `first flat at ${q.firstFlatS.toFixed(0)} s` : ''].filter(Boolean).join(', ');
        lines.push(
          `      ${q.channel.padEnd(8)} railed ${sec(q.seconds.railed)}  flat ${sec(q.seconds.flat)}  line noise ${sec(q.seconds['line-noise'])}  ok ${sec(q.seconds.ok)}` +
            `  mains ${q.lineNoiseDbMedian === null ? '—' : `${q.lineNoiseDbMedian.toFixed(1)} dB`}${firsts ? `  (${firsts})` : ''}`,
        );
      }
    }
  }
  const types = Object.entries(report.markers.byType).map(([t, n]) => `${t} ×${n}`).join(', ');
  const texts = Object.entries(report.markers.byText);
  const textList = texts.slice(0, 12).map(([t, n]) => `"${t}" ×${n}`).join(', ') + (texts.length > 12 ? `, … (${texts.length - 12} more)` : '');
  lines.push(`  markers: ${report.markers.count}${types ? ` (${types})` : ''}${texts.length > 0 ? `; texts ${textList}` : ''}`);
  if (report.pipeline) lines.push(`  pipeline: ${JSON.stringify(report.pipeline)}`);
  for (const note of report.notes) lines.push(`  note: ${note}`);
  return `${lines.join('\n')}\n`;
}
