/**
 * `neurostream/session` — a session as a graph of streams: one typed {@link SessionDescription}
 * (from a session file or from flags) → a source, the processing stages and the sinks
 * (recorder, dashboard) subscribed to `blocks$`, `filtered$`, `features$`, `intents$`,
 * `markers$` and `health$`.
 */
export {
  SessionDescriptionSchema,
  SourceSchema,
  DecoderSchema,
  SESSION_DEFAULTS,
  MAX_CHAIN_WORKERS,
  isOffline,
  type SessionDescription,
  type SourceDescription,
  type DecoderDescription,
  type OnnxDecoderDescription,
} from './session-description.js';
export { loadSessionFile, loadSessionConfig, descriptionFromConfig, SessionConfigSchema, MAX_ALIAS_EXPANSIONS, LOG_LEVELS, type SessionConfig, type LoadedSessionConfig } from './session-file.js';
export {
  sessionGraph,
  byFirst,
  chainFor,
  BIN_MS,
  THRESHOLD_SETTLE_S,
  VALIDATION_MARKER,
  ACCURACY_MARKER,
  type SessionGraph,
  type SessionGraphOptions,
  type GraphDecoding,
  type FeatureEnvelope,
  type IntentEnvelope,
  type MarkerEnvelope,
  type MarkerOrigin,
  type DecoderStage,
  type ChainCounts,
} from './session-graph.js';
export { HoldBack, MAX_DECODER_BACKLOG } from './hold-back.js';
export { processingStatus, describeDecoder, recalibrationRefusal, type DecoderDescription as DashboardDecoderDescription } from './processing-status.js';
export {
  startSession,
  describeRecorded,
  describeSize,
  DRAIN_TIMEOUT_MS,
  HEALTH_INTERVAL_MAX_S,
  type SessionPipeline,
  type OpenedSource,
  type SessionHooks,
  type SessionStopped,
  type SessionOutcome,
  type RunningSession,
} from './start-session.js';
export { openReplay, type OpenedReplay, type OpenReplayOptions } from './open-replay.js';
export { SessionRecording, timestampedDirectory, type RecordingFailure, type SessionRecordingOptions } from './session-recording.js';
export { startSessionDashboard, DASHBOARD_DEFAULT_PORT, VIEWER_TOKEN_ENV, OPERATOR_TOKEN_ENV, type SessionDashboard, type DashboardFlags } from './session-dashboard.js';
export { loadSessionModel, type SessionModel } from './session-model.js';
export { readChannelMapFile } from './channel-map-file.js';
export { oipTokenFromEnv } from './oip-token-env.js';
export { SILENT_LOG, type SessionNotice, type SessionNotify, type SessionLog } from './session-notice.js';
export {
  measureImpedance,
  parseChannelList,
  leadOffChannelCount,
  ImpedanceMeasurementError,
  MAX_RESTARTS,
  type LeadOffDevice,
  type ChannelImpedance,
  type ImpedanceProgress,
  type ImpedanceMeasurementOptions,
} from './impedance-measurement.js';
export { openDevice, type OpenedDevice, type OpenDeviceOptions, type DeviceSourceDescription } from './open-device.js';
export type { PacketCounts } from './packet-counter.js';
export { startSessionLslOutlets, markerText, LSL_OUT_PREFIX, type SessionLslOutlets, type SessionLslOutletsOptions, type SessionLslOutletStats } from './session-lsl-outlets.js';
