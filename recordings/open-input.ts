/**
 * openInput — any file or directory neurostream reads, as an ImportedRecording: a recording
 * directory (session.json + Arrow files), an EDF/EDF+/BDF/BDF+ file, an OpenBCI GUI text
 * recording, an XDF or NWB file, a SpikeGLX recording (a `.bin` with its `.meta` beside it, or
 * the `.meta`), or a raw device byte capture (with the protocol named: a `.bin` is then a capture). What `convert` and `info`
 * accept; a path that is none of these is one error saying what was expected.
 */
import { statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { InvalidOptionError } from '../core/index.js';
import { readEdf } from './edf/edf-reader.js';
import type { ImportedRecording } from './imported-recording.js';
import { readDeviceCapture } from './import/device-capture.js';
import { readOpenBciText } from './import/openbci-text.js';
import { hasSpikeGlxMeta, readSpikeGlx } from './import/spikeglx/spikeglx-import.js';
import { readXdf } from './import/xdf/xdf-import.js';
import { h5Loaded, loadH5 } from './nwb/h5.js';
import { readNwb } from './nwb/nwb-import.js';
import { isRecordingDir, openRecording, type Recording } from './recording-reader.js';

export type CaptureProtocol = 'cyton' | 'frame';

export interface OpenInputOptions {
  /** Read the file as a raw byte capture of this device protocol. */
  protocol?: CaptureProtocol;
  /** With `protocol: 'cyton'`: the board had a Daisy (16 channels at 125 Hz) or not, instead of what the capture's banner says. */
  daisy?: boolean;
  /**
   * A recording directory holding less than its session.json says, or a SpikeGLX `.bin` shorter
   * than its `.meta` says, is read (and says so: TRUNCATED) instead of refused.
   */
  allowTruncated?: boolean;
  /** XDF: the stream to hold as the signals (by name). */
  stream?: string;
  /** XDF: refuse values a recording cannot hold exactly (convert to a recording does; info does not). */
  strictValues?: boolean;
}

export interface OpenedInput extends ImportedRecording {
  /** Set when the input is a neurostream recording directory. */
  readonly recording?: Recording;
}

const EDF_EXTENSIONS = ['.edf', '.bdf'];
const TEXT_EXTENSIONS = ['.txt', '.csv'];

export const INPUT_KINDS =
  'a recording directory, an EDF/BDF file (.edf, .bdf), an OpenBCI GUI text file (.txt, .csv), an XDF file (.xdf), an NWB 2.x file (.nwb), a SpikeGLX recording (a .bin with its .meta beside it, or the .meta), or a raw device capture with --protocol cyton|frame';

export function openInput(path: string, options: OpenInputOptions = {}): OpenedInput {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    throw new InvalidOptionError('input', `an existing file or directory: ${INPUT_KINDS}`, `${path} (${(error as { code?: string }).code ?? 'unreadable'})`);
  }
  if (options.stream !== undefined && extname(path).toLowerCase() !== '.xdf') throw new InvalidOptionError('--stream', 'an XDF input (.xdf)', path);
  if (isDirectory) {
    if (!isRecordingDir(path)) throw new InvalidOptionError('input', `${INPUT_KINDS}; this directory has no session.json`, path);
    return fromRecording(openRecording(path, options.allowTruncated ? { allowTruncated: true } : {}));
  }
  if (options.daisy !== undefined && options.protocol !== 'cyton') {
    throw new InvalidOptionError(options.daisy ? '--daisy' : '--no-daisy', 'a raw Cyton capture (with --protocol cyton)', options.protocol ? `--protocol ${options.protocol}` : path);
  }
  if (options.protocol) return readDeviceCapture(path, { protocol: options.protocol, ...(options.daisy !== undefined ? { daisy: options.daisy } : {}) });
  const extension = extname(path).toLowerCase();
  if (EDF_EXTENSIONS.includes(extension)) return readEdf(path);
  if (TEXT_EXTENSIONS.includes(extension)) return readOpenBciText(path);
  if (extension === '.nwb') {
    if (!h5Loaded()) throw new InvalidOptionError('input', 'openInputAsync for an NWB file (its HDF5 library loads asynchronously), or await loadH5() first', path);
    return readNwb(path);
  }
  if (extension === '.meta') return readSpikeGlx(path, options.allowTruncated ? { allowTruncated: true } : {});
  if (extension === '.bin') {
    if (!hasSpikeGlxMeta(path)) {
      throw new InvalidOptionError('input', `a SpikeGLX .bin with its .meta beside it (no ${basename(path).replace(/\.bin$/i, '.meta')} there), or a raw device capture with --protocol cyton|frame`, path);
    }
    return readSpikeGlx(path, options.allowTruncated ? { allowTruncated: true } : {});
  }
  if (extension === '.xdf') return readXdf(path, { ...(options.stream !== undefined ? { stream: options.stream } : {}), ...(options.strictValues ? { strictValues: true } : {}) });
  throw new InvalidOptionError('input', INPUT_KINDS, path);
}

/** `openInput`, loading the HDF5 library first when `path` is an NWB file. */
export async function openInputAsync(path: string, options: OpenInputOptions = {}): Promise<OpenedInput> {
  if (extname(path).toLowerCase() === '.nwb') await loadH5();
  return openInput(path, options);
}

/** A recording directory seen through the importer contract. */
export function fromRecording(recording: Recording): OpenedInput {
  const { manifest } = recording;
  return {
    source: recording.dir,
    format: `neurostream recording${manifest.status === 'complete' ? '' : manifest.status === 'recording' ? ' (not finalised: the session was killed?)' : ' (failed)'}${recording.truncation.length > 0 ? ' — TRUNCATED (files cut short after they were written)' : ''}`,
    streams: manifest.streams.map((stream, index) => ({
      info: recording.streamInfos[index]!,
      totalSamples: stream.endSample,
      blocks: () => recording.blocks({ stream: index, markers: false }),
    })),
    get markers() {
      return recording.markers();
    },
    markerClockHz: recording.info.sampleRateHz,
    features: () => recording.streamFeatures(),
    intents: () => recording.streamIntents(),
    get notes() {
      return [...manifest.notes, ...recording.notes];
    },
    recording,
  };
}
