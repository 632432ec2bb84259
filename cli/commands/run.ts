/**
 * `neurostream run` — the main job: a live session. Today: a simulated device (intracortical
 * array or EEG headset) or a real one on a serial port (OpenBCI Cyton, frame protocol), with a
 * live status line; filters, decoders, recording and the dashboard plug into this same session
 * as they land.
 */
import { Command } from 'commander';
import type { Subscription } from 'rxjs';
import { StreamHealth } from '../../acquisition/health/stream-health.js';
import { NeurostreamError, type StreamInfo, checkNumber, hostNowMs } from '../../core/index.js';
import { DEVICE_NAMES, type DeviceName, deviceFromFlags } from '../device-factory.js';
import { LOG_LEVELS, type LogLevel, createLogger } from '../logger.js';
import { choiceFlag, integerFlag, numberFlag } from '../parse-flag.js';
import { SessionChain } from '../session-chain.js';
import { formatStatus, formatSummary } from '../status-line.js';

export interface RunFlags {
  device: DeviceName;
  port?: string;
  host?: string;
  commandPort?: number;
  waveformPort?: number;
  settings?: string;
  channels?: number;
  rate?: number;
  duration?: number;
  seed: number;
  mains: 50 | 60;
  blockMs: number;
  fast: boolean;
  statusInterval: number;
  logLevel: LogLevel;
  dsp: boolean;
}

export function runCommand(): Command {
  return new Command('run')
    .description('run a live session: stream a device in real time with a live status line')
    .option('--device <name>', `device: ${DEVICE_NAMES.join(' | ')}`, choiceFlag('--device', DEVICE_NAMES), 'intracortical')
    .option('--port <path>', 'serial port of a cyton or frame device (see `neurostream ports`)')
    .option('--settings <list>', 'cyton: channel settings sent before streaming, comma-separated, e.g. x1060110X,x2030110X')
    .option('--host <host>', 'intan: host running Intan RHX with Remote TCP Control (default 127.0.0.1)')
    .option('--command-port <n>', 'intan: RHX command port (default 5000)', integerFlag('--command-port'))
    .option('--waveform-port <n>', 'intan: RHX waveform port (default 5001)', integerFlag('--waveform-port'))
    .option('--channels <n>', 'channel count: intracortical 1–1024 (default 96); eeg 8 | 16 | 64 (default 8); intan A-000… (default 32)', integerFlag('--channels'))
    .option('--rate <hz>', 'simulators: sample rate in Hz (default: intracortical 30000; eeg 250, or 160 for 64 channels)', numberFlag('--rate'))
    .option('--duration <s>', 'stop after this many seconds (default: run until Ctrl-C)', numberFlag('--duration'))
    .option('--seed <n>', 'simulators: seed of the simulation', integerFlag('--seed'), 1)
    .option('--mains <hz>', 'simulators: mains frequency, 50 | 60', (raw: string) => Number(choiceFlag('--mains', ['50', '60'] as const)(raw)) as 50 | 60, 60)
    .option('--block-ms <ms>', 'simulators: block duration in ms (at least one sample)', numberFlag('--block-ms'), 1)
    .option('--fast', 'simulators: generate as fast as possible instead of in real time', false)
    .option('--no-dsp', 'stream only: no filters or features')
    .option('--status-interval <s>', 'seconds between status lines', numberFlag('--status-interval'), 1)
    .option('--log-level <level>', `log level on stderr: ${LOG_LEVELS.join(' | ')}`, choiceFlag('--log-level', LOG_LEVELS), 'warn')
    .action(async (flags: RunFlags) => {
      process.exitCode = await runSession(flags);
    });
}

export async function runSession(flags: RunFlags): Promise<number> {
  if (flags.duration !== undefined) checkNumber('option', '--duration', flags.duration, { min: 0, exclusiveMin: true });
  checkNumber('option', '--block-ms', flags.blockMs, { min: 0, exclusiveMin: true, max: 10_000 });
  checkNumber('option', '--status-interval', flags.statusInterval, { min: 0.05, max: 3600 });
  const log = createLogger(flags.logLevel);
  const simulated = flags.device === 'intracortical' || flags.device === 'eeg';
  const { label, source } = deviceFromFlags(flags, {
    pacing: flags.fast ? 'fast' : 'realtime',
    blockMs: flags.blockMs,
    ...(flags.duration !== undefined && simulated ? { durationS: flags.duration } : {}),
  });

  let info: StreamInfo | undefined;
  let health: StreamHealth | undefined;
  let failChain: (error: unknown) => void = () => {};
  const chain = flags.dsp ? new SessionChain(flags.mains, (e) => failChain(e)) : undefined;
  /** The status line: stream health, then what the processing chain reports. */
  const statusLine = (): string => {
    if (!info || !health) return `waiting for data from ${label}…`;
    const snapshot = health.snapshot(hostNowMs()); // (starts the next achieved-rate window)
    const extra = chain?.status(snapshot.elapsedMs / 1000);
    const line = formatStatus(info, snapshot);
    return extra ? `${line} | ${extra}` : line;
  };
  const tty = process.stdout.isTTY === true;
  const writeStatus = (line: string): void => {
    process.stdout.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  log.info({ device: flags.device, label }, 'session starting');

  return await new Promise<number>((resolve) => {
    let subscription: Subscription | undefined;
    let finished = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const finish = (reason: string, code: number): void => {
      if (finished) return;
      finished = true;
      clearInterval(statusTimer);
      timers.forEach(clearTimeout);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      subscription?.unsubscribe();
      chain?.stop();
      if (tty) process.stdout.write('\n');
      if (info && health) {
        const snapshot = health.snapshot(hostNowMs());
        const extra = chain?.status(snapshot.elapsedMs / 1000);
        process.stdout.write(`${formatSummary(info, snapshot, reason)}${extra ? `; ${extra}` : ''}\n`);
        log.info({ reason, ...snapshot }, 'session stopped');
      } else {
        process.stdout.write(`stopped (${reason}) before any data arrived from ${label}\n`);
      }
      resolve(code);
    };
    const onSignal = (signal: NodeJS.Signals): void => finish(signal, 0);
    failChain = (error: unknown) => {
      process.stderr.write(`neurostream run: processing failed: ${error instanceof Error ? error.message : String(error)}\n`);
      finish('error', 1);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const statusTimer = setInterval(() => writeStatus(statusLine()), flags.statusInterval * 1000);
    // Real devices run until told: --duration is wall time for them.
    if (flags.duration !== undefined && !simulated) timers.push(setTimeout(() => finish('duration reached', 0), flags.duration * 1000));
    subscription = source.subscribe({
      next: (block) => {
        if (!health) {
          info = block.info;
          health = new StreamHealth(info.sampleRateHz);
        }
        health.observe(block, hostNowMs());
        chain?.push(block);
      },
      error: (error: unknown) => {
        log.debug({ err: error }, 'session failed');
        const code = error instanceof NeurostreamError ? ` [${error.code}]` : '';
        process.stderr.write(`neurostream run: ${error instanceof Error ? error.message : String(error)}${code}\n`);
        finish('error', 1);
      },
      complete: () => finish(simulated ? 'duration reached' : 'device closed', 0),
    });
  });
}
