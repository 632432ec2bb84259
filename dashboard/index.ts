/**
 * `neurostream/dashboard` — the live browser dashboard: `startDashboard` serves the page and
 * streams SampleBlocks, FeatureFrames and Intents to it; the server and publisher underneath are
 * exported for sessions that wire them by hand.
 *
 * @packageDocumentation
 */
export { startDashboard, type StartDashboardOptions, type Dashboard } from './start-dashboard.js';
export {
  startDashboardServer,
  STREAM_TOPICS,
  CloseCode,
  type DashboardServer,
  type DashboardServerOptions,
  type CommandHandler,
  type ViewHandler,
  type DashboardClient,
  type DashboardClientStats,
  type DashboardCommand,
  type DashboardCommandName,
  type DashboardRole,
  type StreamTopic,
} from './server/dashboard-server.js';
export { OPERATOR_COMMANDS, type DashboardViewRequest } from './server/command-protocol.js';
export type { ClientKind, DashboardFrame } from './server/client-channel.js';
export type { StaticMount } from './server/static-files.js';
export {
  DashboardPublisher,
  type DashboardPublisherOptions,
  type DashboardSessionStatus,
  type DashboardRecordingStatus,
  type DashboardDecoderStatus,
} from './publisher/dashboard-publisher.js';
export type { DashboardQualityStatus, ChannelQualityStatus, DashboardImpedanceStatus, DecoderCalibrationProgress, IntentTruthDescription } from './protocol/dashboard-messages.js';
export {
  MessageType,
  type DecoderState,
  type PageHello,
  type StreamHello,
  type StatusMessage,
  type ViewMessage,
  type MarkerMessage,
  type IntentDescription,
  type StreamDescription,
} from './protocol/dashboard-messages.js';
export { FrameType, FRAME_TYPE_NAMES, type FrameTypeName } from './protocol/dashboard-frames.js';
export {
  SESSION_STATES,
  sessionStateOf,
  describeSessionState,
  describeReplayPosition,
  type SessionState,
  type SessionStateFields,
  type SessionFacts,
  type ReplayPosition,
  type DeviceLinkLost,
} from './protocol/session-state.js';
export { latencyBudget, latencyKind, latencyStageWords, type LatencyBudget, type LatencyBudgetInput } from './protocol/latency-budget.js';
export type { DisplayOffer, DisplayChoice, BandDescription } from './protocol/dashboard-messages.js';
export type { SessionStateKind } from './protocol/session-state.js';
