/**
 * ImportedRecording — what every importer (EDF+/BDF+, OpenBCI GUI text, raw device captures,
 * SpikeGLX, XDF, NWB) hands to the recording writer and to `neurostream info`: one or more sample streams read
 * lazily in blocks, plus the file's events as Markers.
 *
 * Contract:
 *   - `streams[0]` is the main stream (the one `replay` feeds and `signals.arrows` holds). Files
 *     whose signals have different sample rates give one stream per rate (a StreamInfo has one
 *     rate); the others are written as `signals-<rate>hz.arrows`.
 *   - `blocks()` can be called more than once; each call reads the file again from the start and
 *     yields SampleBlocks in sample order with bounded memory (never the whole file at once).
 *     Discontinuities (EDF+D record jumps, OpenBCI sample-index jumps) are `gap`s on the block
 *     that follows them, never papered over.
 *   - Blocks may carry their markers too (a block stream is then self-contained, as live); a
 *     consumer that writes `markers` must not also write the blocks' copies.
 *   - `markers` are on a sample clock of `markerClockHz` — `streams[0]`'s rate when there is a
 *     stream; annotation-only files (no signals) pick a clock that keeps their onsets exact.
 *     Sorted by sample.
 *   - `features` / `intents`, where the file holds a session's feature frames and decoder outputs
 *     (NWB files we wrote): re-readable, in bin order.
 *   - `notes` are human-readable remarks about things the importer repaired or skipped (e.g. a
 *     truncated last line); `info` prints them and the recording keeps them in session.json.
 */
import type { FeatureFrame, Intent, Marker, SampleBlock, StreamInfo } from '../core/index.js';

export interface ImportedStream {
  readonly info: StreamInfo;
  /** Samples in the stream, counting gaps as missing (for progress bars and `info`). */
  readonly totalSamples: number;
  /** File name for an extra stream (default `signals-<rate>hz.arrows`); XDF streams are named by their stream id. */
  readonly file?: string;
  blocks(): Iterable<SampleBlock>;
}

export interface ImportedRecording {
  /** The file it came from. */
  readonly source: string;
  /** What it was read as, e.g. `EDF+C`, `BDF+`, `OpenBCI GUI v6 text`, `cyton capture`. */
  readonly format: string;
  readonly streams: readonly ImportedStream[];
  readonly markers: readonly Marker[];
  readonly markerClockHz: number;
  readonly notes: readonly string[];
  /** The session's feature frames, where the file holds them (in bin order, re-readable). */
  features?(): Iterable<FeatureFrame>;
  /** The session's decoder outputs, where the file holds them (in bin order, re-readable). */
  intents?(): Iterable<Intent>;
}
