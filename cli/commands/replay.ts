/**
 * `neurostream replay DIR [--speed 1|10|max]` — feeds a recording through the same session as
 * `run`: the same processing (taken from the recording's session.json unless overridden), the
 * same status line, and optionally a new recording (`--record`) — which is how a replay is shown
 * to reproduce the live session's features bit for bit. `--model FILE` or `--decoder kalman|none`
 * decode it with another decoder, exactly as `run` would.
 */
import { Command } from 'commander';
import { ONNX_PROVIDERS } from '../../decoding/index.js';
import { checkReplaySpeed, type ReplaySpeed } from '../../recordings/index.js';
import { LOG_LEVELS, type LogLevel } from '../logger.js';
import { choiceFlag, integerFlag, numberFlag, positiveNumberFlag } from '../parse-flag.js';
import { addDashboardFlags } from '../dashboard-flags.js';
import { descriptionFromFlags, type SessionFlags } from '../session-flags.js';
import { SESSION_DECODERS, runDescription } from './run.js';

export interface ReplayFlags extends SessionFlags {
  speed: ReplaySpeed;
  blockMs: number;
  statusInterval: number;
  logLevel: LogLevel;
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
    .option('--workers <n>', 'threads of the intracortical chain: 1 (this thread) or N ≥ 2 worker threads, at most the stream\'s channels (default: cores − 1 for streams of 64+ channels at 30 kHz, else 1)', integerFlag('--workers'))
    .option('--mains <hz>', 'mains frequency, 50 | 60 (default: as recorded)', (raw: string) => Number(choiceFlag('--mains', ['50', '60'] as const)(raw)) as 50 | 60)
    .option('--decoder <name>', `decode with: ${SESSION_DECODERS.join(' | ')} (default: as the recorded session did)`, choiceFlag('--decoder', SESSION_DECODERS))
    .option('--calibrate-s <s>', '--decoder kalman: seconds of the task it is calibrated on (default 20)', numberFlag('--calibrate-s'))
    .option('--model <file>', 'decode with this ONNX model instead of the recorded session\'s decoder')
    .option('--channel-map <file>', '--model: model channel name → stream channel name, a JSON object or two-column CSV')
    .option('--providers <list>', `--model: execution providers in order of preference, from ${ONNX_PROVIDERS.join(', ')} (default cuda,cpu)`)
    .option('--record <dir>', 'record the replayed session into this new directory')
    .option('--recordings-dir <dir>', 'where recordings started from the dashboard go, one new session-<UTC time> directory each', 'recordings')
    .option('--lsl-out', 'offer the replayed session\'s signals, features, intents and markers as LSL outlets (neurostream-signals, -features, -intents, -markers)')
    .option('--lsl-name <prefix>', '--lsl-out: the outlets\' name prefix instead of neurostream')
    .option('--block-ms <ms>', 'block duration when paced', positiveNumberFlag('--block-ms', 10_000), 10)
    .option('--status-interval <s>', 'seconds between status lines', numberFlag('--status-interval'), 1)
    .option('--allow-truncated', 'replay a recording whose files hold less than its session.json says (with a warning)')
    .option('--log-level <level>', `log level on stderr: ${LOG_LEVELS.join(' | ')}`, choiceFlag('--log-level', LOG_LEVELS), 'warn')
    .action(async (dir: string, flags: ReplayFlags) => {
      process.exitCode = await replay(dir, flags);
    });
}

/** Replays the recording in `dir` as `run` would run it live. */
export async function replay(dir: string, flags: ReplayFlags): Promise<number> {
  return await runDescription(descriptionFromFlags(flags, { replayOf: dir }), flags.logLevel);
}
