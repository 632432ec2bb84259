/**
 * `neurostream/devices` — where SampleBlocks come from: simulators and hardware, each a cold
 * Observable<SampleBlock> (a subscription starts the device, an unsubscription stops it).
 *
 * @packageDocumentation
 */
export { simulate, type SimulateOptions, type SimulateCommonOptions, type SimulateIntracorticalOptions, type SimulateEegOptions } from './simulate.js';
export { cyton, frameDevice, intan } from './hardware.js';
export { CYTON_LEAD_OFF, type CytonSourceOptions, type CytonControl, type LeadOffSignal } from './drivers/cyton-source.js';
export type { FrameSourceOptions } from './drivers/frame-source.js';
export type { IntanSourceOptions, IntanLinkStats } from './drivers/intan-source.js';
export type { CytonParserStats } from './protocols/cyton/cyton-parser.js';
export type { FrameParserStats } from './protocols/frame/frame-parser.js';
export type { IntanParserStats } from './protocols/intan/intan-waveform-parser.js';
export { DeviceError, type DeviceLinkState, type ReconnectOptions } from './transport/serial-connection.js';
export { listPorts, type PortEntry, type PortList } from './transport/list-ports.js';
export { SimulatorWorkerError } from './worker-simulator-source.js';
export type { EegSimulatorOptions, EegCue } from './simulators/eeg-simulator.js';
export type { IntracorticalSimulatorOptions, LfpRhythm } from './simulators/intracortical-simulator.js';
export type { CentreOutTaskOptions } from './simulators/centre-out-task.js';
export { cytonLeadOffCommand, parseCytonLeadOffCommand, type LeadOffSetting } from './protocols/cyton/cyton-lead-off.js';
export { CYTON_LEAD_OFF_HZ, CYTON_LEAD_OFF_DRIVE_A, CYTON_SERIES_RESISTOR_OHMS } from './protocols/cyton/cyton-constants.js';
export { lslInlet, fetchFullInfo, recoverPredicate, type LslInletEvent, type LslInletOptions } from './lsl/inlet.js';
export { openLslOutlet, LslOutlet, type LslOutletOptions } from './lsl/outlet.js';
export { resolveStreams, type ResolveOptions } from './lsl/discovery.js';
export { loadLslConfig, readLslConfigFile, lslConfigFromIni, defaultLslConfig, LSL_LOOPBACK_INI, discoveryTargets, type LslConfig, type LslResolveScope } from './lsl/lsl-config.js';
export { lslClock } from './lsl/lsl-clock.js';
export { channelDescriptions, channelsDesc, parseStreamInfo, fullInfoXml, shortInfoXml, LSL_CHANNEL_FORMATS, type LslStreamInfo, type LslChannelFormat, type LslChannelDescription } from './lsl/stream-info.js';
export { LslSampleDecoder, encodeSamples, assertSafeInt64, DEDUCED_TIMESTAMP, type LslSampleBatch } from './lsl/sample-codec.js';
export { LslArchiveDecoder, encodeArchivePreamble, encodeArchiveSamples } from './lsl/portable-archive.js';
export { measureTimeCorrection, type TimeCorrection } from './lsl/time-probe.js';
export { intanChannelName } from './protocols/intan/intan-constants.js';
export { CYTON_BAUD_RATE } from './protocols/cyton/cyton-constants.js';
export { FRAME_FORMAT_NAMES, type FrameFormatName } from './protocols/frame/frame-constants.js';
export { SIMULATOR_KINDS, type SimulatorKind } from './simulators/simulator-spec.js';
export { CytonBoard, type CytonBoardOptions } from './emulators/cyton-board.js';
export { FrameDevice, type FrameDeviceOptions } from './emulators/frame-device.js';
export { IntanRhxEmulator, type IntanRhxEmulatorOptions } from './emulators/intan-rhx-emulator.js';
export { startPtyPair, PtyError, type PtyPair } from './emulators/pty-pair.js';
export type { FrameFormat } from './protocols/frame/frame-constants.js';
export type { FeedResponse } from './lsl/feed-handshake.js';
export type { LslCodecOptions } from './lsl/sample-codec.js';
export { lslSource, streamInfoFromLsl, type LslSourceStats, type LslSourceHooks } from './lsl/lsl-source.js';
export { lslSessionSource, lslPredicateOf, checkLslQuery, LSL_MARKER_DELAY_MS, type LslSessionSourceOptions, type LslMarkerStats } from './lsl/lsl-session-source.js';
