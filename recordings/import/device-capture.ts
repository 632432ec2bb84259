/**
 * `readDeviceCapture` — raw bytes captured from a device's serial port (`cat /dev/ttyUSB0 >
 * capture.bin`, or what neurostream's emulators send) decoded with the project's own incremental
 * parsers, as an ImportedRecording with the live drivers' blocks and gaps:
 *
 *   - 'cyton': OpenBCI Cyton 33-byte packets (CytonParser): 8 EXG channels at 250 Hz, or 16 at
 *     125 Hz with a Daisy (from `daisy`, else from the last clean `v` banner in the capture, read
 *     strictly by parseCytonBanner as the live driver reads it: a garbled one never makes a Daisy), then
 *     AccelX/Y/Z in g. µV from each channel's gain (the capture does not carry the gains: 24
 *     unless `gains` says otherwise). Gaps from the packet counter. Board text (the banner,
 *     command replies) is skipped and noted.
 *   - 'frame': the neurostream frame protocol (docs/frame-protocol.md): channels, format, scale
 *     and rate from the frame headers; gaps from the frame timestamps.
 *
 * Corrupt bytes are resynchronised past and counted in the notes. A capture in which no packet or
 * frame is found within `searchBytes` (1 MiB by default) is one error naming the file, what was
 * expected and what was seen (including whether the bytes are the other protocol).
 *
 * Opening decodes the file once (to check it and count samples); `blocks()` decodes it again
 * lazily, 1 MiB at a time.
 */
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import {
  type SampleBlock,
  type StreamInfo,
  InvalidDataError,
  InvalidOptionError,
  checkInteger,
  checkNumber,
  checkOneOf,
  createStreamInfo,
} from '../../core/index.js';
import { parseCytonBanner } from '../../devices/protocols/cyton/cyton-banner.js';
import {
  CYTON_ACCEL_G_PER_COUNT,
  CYTON_CHANNELS,
  CYTON_DAISY_CHANNELS,
  CYTON_DEFAULT_GAIN,
  CYTON_GAINS,
  CYTON_HEADER,
  CYTON_HEADER_WIRED,
  CYTON_SAMPLE_RATE_HZ,
  microvoltsPerCount,
} from '../../devices/protocols/cyton/cyton-constants.js';
import { CytonParser } from '../../devices/protocols/cyton/cyton-parser.js';
import { FrameParser } from '../../devices/protocols/frame/frame-parser.js';
import type { ImportedRecording } from '../imported-recording.js';
import { BlockAssembler } from '../../core/block-assembler.js';
import { CytonCaptureDecoder, type CytonCaptureSettings } from './cyton-capture-decoder.js';
import { fileChunks } from './file-chunks.js';
import { FrameCaptureDecoder, type FrameShape, describeShape } from './frame-capture-decoder.js';

export type CaptureProtocol = 'cyton' | 'frame';

export interface DeviceCaptureOptions {
  protocol: CaptureProtocol;
  /**
   * Cyton: the rate the board was set to, when not its default (250 Hz; 125 Hz with a Daisy).
   * Frame: the rate the frames must declare (checked; the headers carry it).
   */
  sampleRateHz?: number;
  /** Cyton: a Daisy board (16 channels). Default: detected from a banner in the capture, else false. */
  daisy?: boolean;
  /** Cyton: gain of every EXG channel, or one per channel (1, 2, 4, 6, 8, 12, 24). Default 24. */
  gains?: number | readonly number[];
  /** Cyton: packet header, 0xA0 through the dongle (default) or 0x41 for a board wired to a UART. */
  header?: number;
  /** UTC ISO time of the first sample. Default: the file's modification time less the duration. */
  startTime?: string;
  id?: string;
  /** Samples per block. Default: about one second (at most 2²⁰ values per block). */
  blockLength?: number;
  /** Bytes searched for the first packet or frame before the capture is refused. Default 1 MiB. */
  searchBytes?: number;
}

const DEFAULT_SEARCH_BYTES = 1 << 20;

export function readDeviceCapture(path: string, options: DeviceCaptureOptions): ImportedRecording {
  const protocol = checkOneOf('option', 'protocol', options.protocol, ['cyton', 'frame'] as const);
  const searchBytes = checkInteger('option', 'searchBytes', options.searchBytes ?? DEFAULT_SEARCH_BYTES, { min: 64 });
  if (options.sampleRateHz !== undefined) checkNumber('option', 'sampleRateHz', options.sampleRateHz, { min: 0, exclusiveMin: true, max: 1e6 });
  if (options.blockLength !== undefined) checkInteger('option', 'blockLength', options.blockLength, { min: 1 });
  return protocol === 'cyton' ? readCytonCapture(path, options, searchBytes) : readFrameCapture(path, options, searchBytes);
}

// ---------------------------------------------------------------------------------------------
// Cyton

function readCytonCapture(path: string, options: DeviceCaptureOptions, searchBytes: number): ImportedRecording {
  const header = checkOneOf('option', 'header', options.header ?? CYTON_HEADER, [CYTON_HEADER, CYTON_HEADER_WIRED]);
  const notes: string[] = [];

  // Probe: the first packets within searchBytes (two with consecutive counters: random bytes
  // can pass for one packet), and any board text before them (a banner).
  const texts: string[] = [];
  let found = false;
  let accepted = 0;
  const probe = new CytonParser({
    header,
    onSample: (sample) => {
      if (accepted++ > 0 && sample.missedBefore === 0) found = true;
    },
    onText: (t) => texts.push(t),
  });
  let probed = 0;
  for (const chunk of fileChunks(path)) {
    const n = Math.min(chunk.length, searchBytes - probed);
    probe.push(chunk.subarray(0, n));
    probed += n;
    if (found || probed >= searchBytes) break;
  }
  if (!found) probe.push(Uint8Array.of(header)); // confirm a lone packet at the very end
  if (!found) throw noData(path, 'cyton', probed, `${probe.stats.skippedBytes} bytes skipped, ${probe.stats.resyncs} candidate packets rejected`);

  // The board's banners, read strictly as the live driver reads them (the link has no checksum:
  // a garbled banner, or two run together because a `$$$` was lost, never makes a Daisy).
  const bannerTexts = texts.filter((t) => /OpenBCI/.test(t));
  const banner = bannerTexts
    .map(parseCytonBanner)
    .filter((b) => b !== null)
    .at(-1);
  const bannerDaisy = banner?.daisy ?? false;
  const daisy = options.daisy ?? bannerDaisy;
  if (options.daisy === undefined) {
    notes.push(
      banner
        ? `board banner in the capture: ${daisy ? 'Cyton + Daisy' : 'Cyton'}`
        : bannerTexts.length > 0
          ? `board banner in the capture garbled (${JSON.stringify(bannerTexts.at(-1)!.slice(-120))}): a Cyton without Daisy assumed (pass --daisy for 16 channels)`
          : 'no board banner in the capture: a Cyton without Daisy assumed (pass --daisy for 16 channels)',
    );
  } else if (banner && bannerDaisy !== daisy) {
    notes.push(`--${daisy ? '' : 'no-'}daisy given, but the banner in the capture says ${bannerDaisy ? 'with' : 'without'} a Daisy`);
  }
  const eeg = daisy ? CYTON_DAISY_CHANNELS : CYTON_CHANNELS;
  const gains = cytonGains(options.gains, eeg);
  if (options.gains === undefined) notes.push(`gains not in the capture: ${CYTON_DEFAULT_GAIN} (the board's default) for every channel`);
  const nominal = daisy ? CYTON_SAMPLE_RATE_HZ / 2 : CYTON_SAMPLE_RATE_HZ;
  const rateHz = options.sampleRateHz ?? nominal;
  if (rateHz !== nominal) notes.push(`sample rate ${rateHz} Hz as given (the protocol's default is ${nominal} Hz)`);
  const settings: CytonCaptureSettings = { daisy, header, gains };

  const provisional = cytonInfo(options.id ?? `cyton-${stem(path)}`, daisy, gains, rateHz, '1970-01-01T00:00:00.000Z');
  // Pass 1: decode everything, keep only the counts.
  const replies: string[] = [];
  const counter = new BlockAssembler(provisional, 4096, null);
  const scan = new CytonCaptureDecoder(settings, counter, (t) => replies.push(t));
  for (const chunk of fileChunks(path)) scan.push(chunk);
  scan.end();
  const s = scan.parser.stats;
  const totalSamples = counter.next;
  notes.push(
    `${s.packets} packets; ${s.droppedSamples} samples lost by the packet counter (${s.droppedPackets} packets lost, ${s.corruptPackets} received corrupt; counted modulo ${daisy ? '128 pairs' : '256'} — a longer loss is undercounted by whole periods: a capture has no times to tell)`,
  );
  if (s.skippedBytes > 0) notes.push(`${s.skippedBytes} bytes outside packets skipped (${s.resyncs} candidate packets rejected)`);
  if (replies.length > 0) notes.push(`${replies.length} board text repl${replies.length > 1 ? 'ies' : 'y'} skipped, first: ${JSON.stringify(replies[0]!.slice(0, 80))}`);

  const startTime = chooseStartTime(path, options.startTime, totalSamples, rateHz, notes);
  const info = cytonInfo(provisional.id, daisy, gains, rateHz, startTime);
  const blockLength = options.blockLength ?? Math.max(1, Math.round(rateHz));
  return {
    source: path,
    format: daisy ? 'cyton+daisy capture' : 'cyton capture',
    streams: [
      {
        info,
        totalSamples,
        blocks: () =>
          decodeBlocks(path, info, blockLength, (assembler) => new CytonCaptureDecoder(settings, assembler)),
      },
    ],
    markers: [],
    markerClockHz: rateHz,
    notes,
  };
}

function cytonGains(given: number | readonly number[] | undefined, channels: number): number[] {
  const list = given === undefined ? CYTON_DEFAULT_GAIN : given;
  const gains = typeof list === 'number' ? new Array<number>(channels).fill(list) : [...list];
  if (gains.length !== channels) throw new InvalidOptionError('gains', `one gain or ${channels} (one per EXG channel)`, given);
  gains.forEach((g, c) => checkOneOf('option', `gains[${c}]`, g, CYTON_GAINS));
  return gains;
}

function cytonInfo(id: string, daisy: boolean, gains: readonly number[], rateHz: number, startTime: string): StreamInfo {
  const eeg = gains.length;
  return createStreamInfo({
    id,
    device: { name: 'cyton', model: daisy ? 'OpenBCI Cyton+Daisy' : 'OpenBCI Cyton', serial: '' },
    channelNames: [...Array.from({ length: eeg }, (_, c) => `EXG${c + 1}`), 'AccelX', 'AccelY', 'AccelZ'],
    channelKinds: [...new Array<'eeg'>(eeg).fill('eeg'), 'accel', 'accel', 'accel'],
    units: [...new Array<'uV'>(eeg).fill('uV'), 'g', 'g', 'g'],
    sampleRateHz: rateHz,
    adcScale: [...gains.map((g) => microvoltsPerCount(g)), CYTON_ACCEL_G_PER_COUNT, CYTON_ACCEL_G_PER_COUNT, CYTON_ACCEL_G_PER_COUNT],
    adcBits: [...gains.map(() => 24), 16, 16, 16],
    exactCounts: true, // CytonSampleWriter: counts × the channel's fixed gain's µV per count
    startTime,
  });
}

// ---------------------------------------------------------------------------------------------
// Frame protocol

function readFrameCapture(path: string, options: DeviceCaptureOptions, searchBytes: number): ImportedRecording {
  const notes: string[] = [];
  // Pass 1: decode everything (counting only); the first frame must come within searchBytes.
  const scan = new FrameCaptureDecoder(path, () => null);
  let read = 0;
  for (const chunk of fileChunks(path)) {
    scan.push(chunk);
    read += chunk.length;
    if (!scan.shape && read >= searchBytes) break;
  }
  scan.end();
  const shape = scan.shape;
  const s = scan.parser.stats;
  if (!shape) {
    throw noData(path, 'frame', read, `${s.skippedBytes} bytes skipped, ${s.crcErrors} CRC errors, ${s.badHeaders} bad headers`);
  }
  if (options.sampleRateHz !== undefined && options.sampleRateHz !== shape.sampleRateHz) {
    throw new InvalidDataError(`${path}: frame headers`, `a sample rate of ${options.sampleRateHz} Hz (sampleRateHz)`, `${shape.sampleRateHz} Hz`);
  }
  const totalSamples = scan.samples;
  notes.push(`frames: ${describeShape(shape)}; sample 0 is the device's sample ${scan.origin}`);
  notes.push(`${s.frames} frames; ${s.lostFrames + s.corruptFrames} missing by the sequence number (${s.lostFrames} lost, ${s.corruptFrames} received corrupt; gaps from the frame timestamps)`);
  if (s.skippedBytes > 0 || s.crcErrors > 0 || s.badHeaders > 0) {
    notes.push(`${s.skippedBytes} bytes skipped, ${s.crcErrors} CRC errors, ${s.badHeaders} bad headers`);
  }
  if (scan.restarts.length > 0) {
    notes.push(
      `the device clock went back ${scan.restarts.length} time(s) (a restart), first at sample ${scan.restarts[0]!.sample}: continued without a gap, as the time away is unknown in a capture`,
    );
  }
  const rateHz = shape.sampleRateHz;
  const startTime = chooseStartTime(path, options.startTime, totalSamples, rateHz, notes);
  const info = frameInfo(options.id ?? `frame-${stem(path)}`, shape, startTime);
  const blockLength =
    options.blockLength ?? Math.max(1, Math.min(Math.round(rateHz), Math.floor((1 << 20) / shape.channels)));
  return {
    source: path,
    format: 'frame protocol v1 capture',
    streams: [
      {
        info,
        totalSamples,
        blocks: () =>
          decodeBlocks(path, info, blockLength, (assembler) => new FrameCaptureDecoder(path, () => assembler)),
      },
    ],
    markers: [],
    markerClockHz: rateHz,
    notes,
  };
}

function frameInfo(id: string, shape: FrameShape, startTime: string): StreamInfo {
  return createStreamInfo({
    id,
    device: { name: 'frame', model: 'neurostream frame protocol v1', serial: '' },
    channelNames: Array.from({ length: shape.channels }, (_, c) => `ch${String(c + 1).padStart(4, '0')}`),
    channelKinds: 'extracellular',
    units: 'uV',
    sampleRateHz: shape.sampleRateHz,
    adcScale: shape.format === 3 ? 0 : Math.abs(shape.scaleUv),
    adcBits: shape.format === 1 ? 16 : shape.format === 2 ? 24 : 0,
    exactCounts: shape.format !== 3 && shape.scaleUv > 0, // decodeFrame: count × scaleUv
    startTime,
  });
}

// ---------------------------------------------------------------------------------------------
// Shared

interface Decoder {
  push(chunk: Uint8Array): void;
  end(): void;
}

function* decodeBlocks(
  path: string,
  info: StreamInfo,
  blockLength: number,
  makeDecoder: (assembler: BlockAssembler) => Decoder,
): Generator<SampleBlock, void, undefined> {
  const out: SampleBlock[] = [];
  const decoder = makeDecoder(new BlockAssembler(info, blockLength, (b) => out.push(b)));
  for (const chunk of fileChunks(path)) {
    decoder.push(chunk);
    yield* out;
    out.length = 0;
  }
  decoder.end();
  yield* out;
}

/**
 * No packet/frame found: one error naming the file, what was expected and what the bytes are —
 * the other protocol if they parse as it, else their first bytes.
 */
function noData(path: string, protocol: CaptureProtocol, bytes: number, stats: string): InvalidDataError {
  const expected =
    protocol === 'cyton'
      ? `OpenBCI Cyton packets (33 bytes: 0xA0, counter, 8 × 24-bit samples, 6 aux bytes, stop byte 0xC0–0xCF) within the first ${bytes} bytes`
      : `neurostream frame-protocol frames (sync AA 55 4E 53, 32-byte header, payload, CRC-32C) within the first ${bytes} bytes`;
  if (bytes === 0) return new InvalidDataError(path, expected, 'an empty file');
  const other = otherProtocol(path, protocol, bytes);
  const seen = other
    ? `${other}: use protocol '${protocol === 'cyton' ? 'frame' : 'cyton'}'`
    : `no ${protocol === 'cyton' ? 'packet' : 'frame'}; first bytes ${firstBytes(path)}`;
  return new InvalidDataError(`${path} (${bytes} bytes read: ${stats})`, expected, seen);
}

function otherProtocol(path: string, protocol: CaptureProtocol, bytes: number): string | null {
  let count = 0;
  const push =
    protocol === 'cyton'
      ? ((p: FrameParser) => (b: Uint8Array) => p.push(b))(new FrameParser({ onFrame: () => count++ }))
      : ((p: CytonParser) => (b: Uint8Array) => p.push(b))(new CytonParser({ onSample: () => count++ }));
  let read = 0;
  for (const chunk of fileChunks(path)) {
    const n = Math.min(chunk.length, bytes - read);
    push(chunk.subarray(0, n));
    read += n;
    if (read >= bytes) break;
  }
  if (count < 2) return null;
  return protocol === 'cyton' ? `${count} frame-protocol frames` : `${count} Cyton packets`;
}

function firstBytes(path: string): string {
  for (const chunk of fileChunks(path, 8)) {
    return Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' ');
  }
  return '';
}

function chooseStartTime(path: string, given: string | undefined, samples: number, rateHz: number, notes: string[]): string {
  if (given !== undefined) return given;
  const end = statSync(path).mtimeMs;
  const iso = new Date(end - (samples * 1000) / rateHz).toISOString();
  notes.push(`no wall-clock time in the capture: start time ${iso} estimated as the file's modification time less its duration`);
  return iso;
}

function stem(path: string): string {
  return basename(path).replace(/\.[^.]*$/, '');
}
