/**
 * `neurostream/recordings` — recording directories (Arrow IPC files + session.json: `record`,
 * `openRecording`, `replay`), EDF+/BDF+ files (`readEdf`, `writeEdf`) and the other formats
 * neurostream reads (`openInput`; SpikeGLX `.bin`/`.meta`: `readSpikeGlx`), BIDS EEG/iEEG datasets (`writeBids`), and NWB 2.x files
 * (`writeNwb`, `NwbExport`; `loadH5` loads the HDF5 library they need, once).
 *
 * @packageDocumentation
 */
export { record, type RecordOptions } from './record-operator.js';
export { replay, type ReplayStreamOptions } from './replay.js';
export { openRecording, isRecordingDir, TruncatedRecordingError, type Recording, type OpenRecordingOptions, type ReadBlocksOptions, type TruncatedFile } from './recording-reader.js';
export type { SignalColumn } from './arrow/arrow-stream-file-reader.js';
export { signalColumnTypes, type SignalColumnType } from './arrow/signal-columns.js';
export { replaySource, checkReplaySpeed, type ReplayOptions, type ReplaySpeed } from './replay-source.js';
export { Recorder, type RecorderOptions, type RecorderEvent, type RecorderState, type RecorderStatus } from './recorder.js';
export { RecordingWriter, type RecordingWriterOptions, type RecordingProgress } from './recording-writer.js';
export type { ChannelDataRange, EdfChannelScaling, EdfRangeOrigin } from './edf/edf-scaling.js';
export { RecordingError } from './recording-error.js';
export type { SessionManifest, RecordedStream, RecordedGap, RecordingStatus } from './session-manifest.js';
export { readEdf, type ReadEdfOptions } from './edf/edf-reader.js';
export { writeEdf, type WriteEdfOptions, type WriteEdfResult } from './edf/write-edf.js';
export type { EdfExportOptions } from './edf/edf-export.js';
export { EdfWriter, type EdfWriterOptions, type EdfWriterStats, type EdfPatient, type EdfRecordingId } from './edf/edf-writer.js';
export { openInput, openInputAsync, type OpenInputOptions, type OpenedInput, type CaptureProtocol } from './open-input.js';
export type { ImportedRecording, ImportedStream } from './imported-recording.js';
export { checkNewFile, writeNewFile, checkNewOutputDirectory, checkExistingWritableDirectory, removeQuietly } from './new-output.js';
export { makeDirectory } from './new-directory.js';
export { EdfExport, withoutMarkers } from './edf/edf-export.js';
export { readXdf, type ReadXdfImportOptions, type XdfStreamSummary } from './import/xdf/xdf-import.js';
export { readXdfFile, readXdfChunks, type XdfFile, type XdfStream, type ReadXdfOptions } from './import/xdf/xdf-file.js';
export { XdfChunkParser, XDF_FORMATS, type XdfFormat, type XdfChunk, type XdfChunkParserOptions } from './import/xdf/xdf-chunk-parser.js';
export { XdfExport, type XdfExportInput, type XdfExportResult } from './import/xdf/xdf-export.js';
export type { XdfTruncation, XdfValues, XdfStreamLayout } from './import/xdf/xdf-chunk-parser.js';
export type { Segment } from './import/xdf/xdf-sync.js';
export { writeBids, type WriteBidsOptions } from './bids/write-bids.js';
export { BidsExport, BIDS_VERSION, type BidsExportOptions, type BidsExportResult } from './bids/bids-export.js';
export { checkBidsLabel, bidsRunPaths, type BidsEntities, type BidsDatatype, type BidsRunPaths } from './bids/bids-names.js';
export { NwbExport, writeNwb, trialsFromMarkers, type NwbExportInput, type NwbExportOptions, type NwbExportResult } from './nwb/nwb-export.js';
export { loadH5 } from './nwb/h5.js';
export { readNwb, type NwbInput } from './nwb/nwb-import.js';
export { readSpikeGlx, spikeGlxPaths, type SpikeGlxOptions } from './import/spikeglx/spikeglx-import.js';
export { readSpikeGlxMeta, parseSpikeGlxMeta, SpikeGlxMeta } from './import/spikeglx/spikeglx-meta.js';
