/**
 * `neurostream run` — the main job: a live session. A simulated device (intracortical array or
 * EEG headset), a real one (OpenBCI Cyton, frame protocol, Intan RHX) or a session file, turned
 * into a session description (session/) and run there; here: the flags, the terminal's status
 * line and summary, and the process's signals. `replay` runs through the same function.
 */
import { Command } from 'commander';
import { filter, type Subscription } from 'rxjs';
import { ONNX_PROVIDERS } from '../../decoding/index.js';
import type { RecorderStatus } from '../../recordings/index.js';
import {
  describeRecorded,
  describeSize,
  loadSessionFile,
  openDevice,
  openReplay,
  startSession,
  type OpenedDevice,
  type OpenedSource,
  type RunningSession,
  type SessionDescription,
  type SessionNotice,
} from '../../session/index.js';
import { addDashboardFlags } from '../dashboard-flags.js';
import { DEVICE_NAMES, type DeviceName, asFlagError } from '../device-flags.js';
import { LOG_LEVELS, type LogLevel, createLogger } from '../logger.js';
import { writeTerminalControl } from '../terminal-output.js';
import { choiceFlag, integerFlag, numberFlag, positiveNumberFlag } from '../parse-flag.js';
import { descriptionFromFlags, type SessionFlags } from '../session-flags.js';
import { progressBar } from '../progress.js';
import { formatStatus, formatSummary } from '../status-line.js';
import { oipTokenOption, refuseTypedUrlCredentials } from '../oip-token.js';

export interface RunFlags extends SessionFlags {
  device: DeviceName;
  seed: number;
  mains: 50 | 60;
  blockMs: number;
  fast: boolean;
  statusInterval: number;
  logLevel: LogLevel;
  dsp: boolean;
  decoder: SessionDecoderName;
  calibrateS: number;
}

export const SESSION_DECODERS = ['kalman', 'none'] as const;
export type SessionDecoderName = (typeof SESSION_DECODERS)[number];

function formatRecorder(status: RecorderStatus): string {
  const size = `${(status.bytesWritten / 1e6).toFixed(1)} MB`;
  if (status.state === 'failed') return `REC FAILED (kept ${size})`;
  if (status.state === 'overflow') return `REC OVERFLOW: disk too slow, dropping (${size}, ${status.droppedSamples} dropped)`;
  return `rec ${size}${status.droppedSamples > 0 ? ` (${status.droppedSamples} dropped)` : ''}`;
}

/** What a session stopped by a second signal leaves undone, for its last line. */
function describeUnfinished(recordings: readonly string[], draining: boolean): string {
  const parts = [
    ...(draining ? ['the decoder\'s pending bins were not decoded'] : []),
    ...recordings.map((dir) => `the recording in ${dir} was not finalised (readable up to its last flush, ≤ 1 s old)`),
  ];
  return parts.length > 0 ? parts.join('; ') : 'every recording was finalised';
}

/**
 * Ends the process by `signal` (exit status 128 + its number), at once: not through
 * `process.exit`, which waits for worker threads — and a worker stuck in a system call (a hung
 * disk) would hold it forever. The default action of the signal cannot be held up.
 */
function exitBySignal(signal: NodeJS.Signals): void {
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
  // Should the signal be ignored (inherited), nothing may keep this process alive either.
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1000);
}

export function runCommand(): Command {
  return addDashboardFlags(new Command('run'))
    .description('run a live session: stream a device in real time with a live status line')
    .option('--device <name>', `device: ${DEVICE_NAMES.join(' | ')}`, choiceFlag('--device', DEVICE_NAMES), 'intracortical')
    .option('--port <path>', 'serial port of a cyton or frame device (see `neurostream ports`)')
    .option('--settings <list>', 'cyton: channel settings sent before streaming, comma-separated, e.g. x1060110X,x2030110X')
    .option('--host <host>', 'intan: host running Intan RHX with Remote TCP Control (default 127.0.0.1)')
    .option('--command-port <n>', 'intan: RHX command port (default 5000)', integerFlag('--command-port'))
    .option('--waveform-port <n>', 'intan: RHX waveform port (default 5001)', integerFlag('--waveform-port'))
    .option('--channels <n>', 'channel count: intracortical 1–1024 (default 96); eeg 8 | 16 | 64 (default 8); intan A-000… (default 32)', integerFlag('--channels'))
    .option('--rate <hz>', 'simulators: sample rate in Hz (default: intracortical 30000; eeg 250, or 160 for 64 channels)', numberFlag('--rate'))
    .option('--stream <name>', 'lsl: the signal stream, by name (see `neurostream lsl list`)')
    .option('--lsl-query <xpath>', "lsl: the signal stream, the first matching this LSL query, e.g. \"type='EEG'\"")
    .option('--lsl-markers <name>', 'lsl: a marker stream (irregular-rate, e.g. PsychoPy\'s), by name or query, whose samples become the session\'s markers; repeatable', (raw: string, previous: string[] | undefined) => [...(previous ?? []), raw])
    .option('--lsl-timeout-s <s>', 'lsl: seconds to wait for the streams to answer (default 10)', numberFlag('--lsl-timeout-s'))
    .option('--lsl-out', 'offer the session\'s signals, features, intents and markers as LSL outlets (neurostream-signals, -features, -intents, -markers)')
    .option('--lsl-name <prefix>', '--lsl-out: the outlets\' name prefix instead of neurostream')
    .option('--duration <s>', 'stop after this many seconds (default: run until Ctrl-C)', numberFlag('--duration'))
    .option('--seed <n>', 'simulators: seed of the simulation', integerFlag('--seed'), 1)
    .option('--mains <hz>', 'simulators: mains frequency, 50 | 60', (raw: string) => Number(choiceFlag('--mains', ['50', '60'] as const)(raw)) as 50 | 60, 60)
    .option('--block-ms <ms>', 'simulators: block duration in ms (at least one sample)', positiveNumberFlag('--block-ms', 10_000), 1)
    .option('--fast', 'simulators: generate as fast as possible instead of in real time', false)
    .option('--workers <n>', 'threads of the intracortical chain: 1 (this thread) or N ≥ 2 worker threads, at most the stream\'s channels (default: cores − 1 for streams of 64+ channels at 30 kHz, else 1)', integerFlag('--workers'))
    .option('--no-dsp', 'stream only: no filters or features')
    .option('--record <dir>', 'record the session (signals, markers, features, intents) into this new directory')
    .option('--decoder <name>', `live decoder of the intracortical task: ${SESSION_DECODERS.join(' | ')} (a Kalman filter calibrated on the first --calibrate-s seconds)`, choiceFlag('--decoder', SESSION_DECODERS), 'kalman')
    .option('--calibrate-s <s>', 'seconds of the task the live decoder is calibrated on', numberFlag('--calibrate-s'), 20)
    .option('--model <file>', 'decode live with this ONNX model (e.g. from `neurostream calibrate`) instead of calibrating')
    .option('--channel-map <file>', '--model: model channel name → stream channel name, a JSON object or two-column CSV (names also match after normalising case, trailing dots and 10-20 aliases)')
    .option('--providers <list>', `--model: execution providers in order of preference, from ${ONNX_PROVIDERS.join(', ')} (default cuda,cpu)`)
    .option('--oip <url>', 'decode on this Open Inference Protocol server (Triton, KServe, MLServer, `neurostream serve`), falling back to --model locally when it cannot answer')
    .option('--oip-model <name>', '--oip: the model\'s name on the server (default: --model\'s file name without .onnx)')
    .option('--oip-timeout-ms <ms>', '--oip: how long a bin may wait for the server before the local model decodes it', integerFlag('--oip-timeout-ms'), 100)
    .option('--oip-required', '--oip: refuse to start while the server cannot answer (default: start on --model and move to the server once it answers)')
    .option('--oip-token-env <name>', '--oip: the environment variable holding the bearer token the server requires (never the token itself: ps shows the command line)')
    .addOption(oipTokenOption())
    .option('--recordings-dir <dir>', 'where recordings started from the dashboard go, one new session-<UTC time> directory each', 'recordings')
    .option('--status-interval <s>', 'seconds between status lines', numberFlag('--status-interval'), 1)
    .option('--log-level <level>', `log level on stderr: ${LOG_LEVELS.join(' | ')}`, choiceFlag('--log-level', LOG_LEVELS), 'warn')
    .argument('[config]', 'a session file (YAML or JSON: device, stages, decoder, outputs; see docs/session-config.md); flags given here override it')
    .action(async (configPath: string | undefined, flags: RunFlags, command: Command) => {
      if (command.getOptionValueSource('oip') === 'cli') refuseTypedUrlCredentials(flags.oip);
      const typed = (key: string): boolean => command.getOptionValueSource(key) === 'cli';
      if (configPath === undefined) {
        process.exitCode = await runDescription(descriptionFromFlags(flags, { typed }), flags.logLevel);
        return;
      }
      // The file's session, with the flags typed on the command line winning.
      const file = loadSessionFile(configPath);
      const description = descriptionFromFlags(flags, { base: file.description, typed });
      process.exitCode = await runDescription(description, typed('logLevel') ? flags.logLevel : (file.logLevel ?? flags.logLevel));
    });
}

/**
 * Runs the session a description describes, in the terminal: the status line each interval, the
 * summary at the end, SIGINT/SIGTERM to stop (a second one while finishing leaves at once, saying
 * what is left undone). The exit status: 0, or 1 when the source, the processing or a recording failed.
 */
export async function runDescription(description: SessionDescription, logLevel: LogLevel): Promise<number> {
  const log = createLogger(logLevel);
  const tty = process.stdout.isTTY === true;
  const notify = (notice: SessionNotice): void => {
    if (notice.kind === 'model') process.stdout.write(`${notice.text}\n`);
    else if (notice.kind === 'operator') process.stdout.write(`${tty ? '\n' : ''}${notice.text}\n`);
    else process.stderr.write(`${tty ? '\n' : ''}neurostream run: ${notice.kind === 'warning' ? 'WARNING: ' : ''}${notice.text}\n`);
  };
  const source = description.source;
  let device: OpenedDevice | undefined;
  let replayed: ReturnType<typeof openReplay> | undefined;
  let open: (holdBack: Parameters<Parameters<typeof startSession>[1]['open']>[0]) => OpenedSource;
  if (source.type === 'replay') {
    // Every consumer the CLI attaches copies what it keeps: a replay at max speed reuses its memory.
    replayed = openReplay(description, { reuseMemory: true });
    description = replayed.description;
    const { recording, totalSamples } = replayed;
    const warnings = recording.truncation.map((t) => t.text);
    // What opening found now (a session not finalised); what reading finds (files cut short) at the end.
    for (const note of recording.notes) process.stderr.write(`neurostream replay: ${warnings.includes(note) ? 'WARNING' : 'note'}: ${note}\n`);
    const bar = progressBar(totalSamples);
    const rate = recording.info.sampleRateHz;
    const speed = source.speed;
    const r = replayed;
    open = (holdBack) => ({
      ...r.open(holdBack),
      status: () => `replay ${bar(r.reached())} ${(r.reached() / rate).toFixed(1)}/${(totalSamples / rate).toFixed(1)} s at ${speed === 'max' ? 'max speed' : `${speed}x`}`,
    });
  } else {
    // Simulators end by themselves at the duration; real devices run until told.
    try {
      device = openDevice(source, description.durationS !== undefined && source.type === 'simulate' ? { durationS: description.durationS } : {});
    } catch (error) {
      throw asFlagError(error);
    }
    const chosen = device;
    open = () => chosen;
  }
  const noted = replayed?.recording.notes.length ?? 0;
  let session: RunningSession | undefined;
  const code = await new Promise<number>((resolve, reject) => {
    let statusLines: Subscription | undefined;
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (!session) return;
      if (session.finishing()) {
        // A second Ctrl-C while the session is being finalised (a hung disk, a stuck decoder): leave now, loudly.
        const { recordings, draining } = session.unfinished();
        process.stderr.write(`neurostream run: ${signal} ${signalled ? 'again' : 'while finishing'}: exiting now; ${describeUnfinished(recordings, draining)}\n`);
        exitBySignal(signal);
        return;
      }
      signalled = true;
      session.stop(signal, 0);
    };
    const writeStatus = (line: string): void => {
      if (!tty) process.stdout.write(`${line}\n`);
      else {
        writeTerminalControl(process.stdout, '\r');
        process.stdout.write(line);
        writeTerminalControl(process.stdout, '\x1b[K');
      }
    };
    startSession(description, {
      notify,
      log,
      open,
      onStopped: ({ reason, info, health, processing }) => {
        statusLines?.unsubscribe();
        if (tty) process.stdout.write('\n');
        if (info && health) {
          process.stdout.write(`${formatSummary(info, health, reason)}${processing ? `; ${processing}` : ''}\n`);
          log.info({ reason, ...health }, 'session stopped');
        } else {
          process.stdout.write(`stopped (${reason}) before any data arrived from ${session?.label ?? 'the source'}\n`);
        }
      },
    }).then((started) => {
      session = started;
      const s = started;
      if (s.dashboard) process.stdout.write(`${s.dashboard.describe().join('\n')}\n`);
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      /** The status line, on every health snapshot: stream health, then what the processing, the recorder and the source report. */
      // The graph's snapshots come at most every half second (the dashboard's); the terminal takes one per --status-interval.
      const every = Math.max(1, Math.round(description.statusIntervalS / s.healthIntervalS));
      statusLines = s.graph.health$.pipe(filter((_, i) => (i + 1) % every === 0)).subscribe((health) => {
        const info = s.graph.info();
        if (!info || !health) {
          writeStatus(`waiting for data from ${s.label}…`);
          return;
        }
        const rec = s.recorderStatus();
        const extra = [s.processingStatus(), rec && formatRecorder(rec), s.sourceStatus()].filter(Boolean).join(' | ');
        const line = formatStatus(info, health, device?.link?.());
        writeStatus(extra ? `${line} | ${extra}` : line);
      });
      void s.done.then((outcome) => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        let exit = outcome.code;
        for (const failure of outcome.failures) {
          process.stderr.write(`neurostream run: RECORDING INCOMPLETE in ${failure.dir}: ${failure.message}\n`);
          exit = exit || 1;
        }
        for (const status of outcome.recordings) {
          if (status.incomplete) {
            process.stderr.write(`neurostream run: RECORDING INCOMPLETE in ${status.dir}: ${status.error ?? 'the recorder failed'}; kept ${describeSize(status)} (readable)\n`);
            exit = exit || 1;
          } else {
            process.stdout.write(`recorded ${describeRecorded(status)}\n`);
          }
        }
        resolve(exit);
      });
    }, reject);
  });
  for (const note of replayed?.recording.notes.slice(noted) ?? []) process.stderr.write(`neurostream replay: note: ${note}\n`);
  return code;
}
