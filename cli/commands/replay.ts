/**
 * `neurostream replay DIR [--speed 1|10|max]` — feeds a recording through the same session as
 * `run`: the same processing (taken from the recording's session.json unless overridden), the
 * same status line, and optionally a new recording (`--record`) — which is how a replay is shown
 * to reproduce the live session's features bit for bit.
 */
import { Command } from 'commander';
import { InvalidOptionError, checkNumber } from '../../core/index.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { checkReplaySpeed, replaySource, type ReplaySpeed } from '../../recordings/replay-source.js';
import { LOG_LEVELS, type LogLevel } from '../logger.js';
import { choiceFlag, numberFlag, positiveNumberFlag } from '../parse-flag.js';
import { addDashboardFlags } from '../session-dashboard.js';
import { runSession, type SessionPipeline } from './run.js';
import { progressBar } from '../progress.js';

export interface ReplayFlags {
  speed: ReplaySpeed;
  dsp?: boolean;
  mains?: 50 | 60;
  record?: string;
  blockMs: number;
  statusInterval: number;
  logLevel: LogLevel;
  dashboard?: boolean | number;
  dashboardHost?: string;
  recordingsDir?: string;
  allowTruncated?: boolean;
}

function speedFlag(raw: string): ReplaySpeed {
  return checkReplaySpeed(raw === 'max' ? raw : Number(raw));
}

export function replayCommand(): Command {
  return addDashboardFlags(new Command('replay'))
    .description('replay a recording through the live pipeline (same processing, status line, recording)')
    .argument('<dir>', 'recording directory (from `run --record` or `convert`)')
    .option('--speed <x>', 'multiple of real time (1, 10, …) or max', speedFlag, 1 as ReplaySpeed)
    .option('--dsp', 'run the processing chain (default: as the recorded session did)')
    .option('--no-dsp', 'stream only: no filters or features')
    .option('--mains <hz>', 'mains frequency, 50 | 60 (default: as recorded)', (raw: string) => Number(choiceFlag('--mains', ['50', '60'] as const)(raw)) as 50 | 60)
    .option('--record <dir>', 'record the replayed session into this new directory')
    .option('--recordings-dir <dir>', 'where recordings started from the dashboard go, one new session-<UTC time> directory each', 'recordings')
    .option('--block-ms <ms>', 'block duration when paced', positiveNumberFlag('--block-ms', 10_000), 10)
    .option('--status-interval <s>', 'seconds between status lines', numberFlag('--status-interval'), 1)
    .option('--allow-truncated', 'replay a recording whose files hold less than its session.json says (with a warning)')
    .option('--log-level <level>', `log level on stderr: ${LOG_LEVELS.join(' | ')}`, choiceFlag('--log-level', LOG_LEVELS), 'warn')
    .action(async (dir: string, flags: ReplayFlags) => {
      process.exitCode = await replay(dir, flags);
    });
}

export async function replay(dir: string, flags: ReplayFlags): Promise<number> {
  checkNumber('option', '--block-ms', flags.blockMs, { min: 0, exclusiveMin: true, max: 10_000 }); // (from a session file)
  const recording = openRecording(dir, flags.allowTruncated ? { allowTruncated: true } : {});
  const warnings = recording.truncation.map((t) => t.text);
  const recorded = recording.manifest.pipeline as Partial<SessionPipeline> | undefined;
  const mains = flags.mains ?? recorded?.mainsHz ?? 60;
  if (mains !== 50 && mains !== 60) throw new InvalidOptionError(`${dir}/session.json pipeline.mainsHz`, '50 or 60', mains);
  const dsp = flags.dsp ?? recorded?.dsp ?? true;
  // The Kalman filter calibrates again on the replayed stream; a model (`onnx`) is given below.
  const decoder = recorded?.decoder === 'kalman' ? 'kalman' : 'none';
  const calibrateS = recorded?.calibrateS ?? 20;
  const stream = recording.streams[0]!;
  const total = stream.endSample;
  let reached = 0;
  const bar = progressBar(total);
  // A consumer slower than the replay (an ONNX model, or the disk of --record, at --speed max)
  // holds the replay back rather than drop anything: the replayed intents are then the live ones,
  // and the new recording the old one, bit for bit. The session says when one is busy.
  let busy: () => boolean = () => false;
  const source = replaySource(recording, {
    speed: flags.speed,
    blockMs: flags.blockMs,
    onProgress: (end) => (reached = end),
    holdBack: () => busy(),
  });
  // What opening found now (a session not finalised); what reading finds (files cut short) at the end.
  const noted = recording.notes.length;
  for (const note of recording.notes) process.stderr.write(`neurostream replay: ${warnings.includes(note) ? 'WARNING' : 'note'}: ${note}\n`);
  const code = await runSession(
    {
      device: 'intracortical', // not used: the input below replaces the device
      seed: 0,
      mains,
      blockMs: flags.blockMs,
      fast: false,
      statusInterval: flags.statusInterval,
      logLevel: flags.logLevel,
      dsp,
      decoder,
      calibrateS,
      // The model the session ran, checked by its hash, on the provider it ran on.
      ...(recorded?.model !== undefined ? { model: recorded.model } : {}),
      ...(recorded?.modelSha256 !== undefined ? { modelSha256: recorded.modelSha256 } : {}),
      ...(recorded?.providers !== undefined ? { providers: recorded.providers.join(',') } : {}),
      ...(recorded?.channelMap !== undefined ? { channelPairs: recorded.channelMap } : {}),
      ...(flags.record !== undefined ? { record: flags.record } : {}),
      ...(flags.dashboard !== undefined ? { dashboard: flags.dashboard } : {}),
      ...(flags.dashboardHost !== undefined ? { dashboardHost: flags.dashboardHost } : {}),
      ...(flags.recordingsDir !== undefined ? { recordingsDir: flags.recordingsDir } : {}),
    },
    {
      label: `recording ${dir}`,
      source,
      completeReason: 'end of recording',
      offline: true,
      bindHoldBack: (fn) => (busy = fn),
      replay: () => ({ positionS: reached / recording.info.sampleRateHz, durationS: total / recording.info.sampleRateHz, speed: flags.speed }),
      status: () => `replay ${bar(reached)} ${(reached / recording.info.sampleRateHz).toFixed(1)}/${(total / recording.info.sampleRateHz).toFixed(1)} s at ${flags.speed === 'max' ? 'max speed' : `${flags.speed}x`}`,
    },
  );
  for (const note of recording.notes.slice(noted)) process.stderr.write(`neurostream replay: note: ${note}\n`);
  return code;
}
