/**
 * `neurostream run` — the main job: a live session. Today: a simulated device (intracortical
 * array or EEG headset) streamed in real time, with a live status line; filters, decoders,
 * recording and the dashboard plug into this same session as they land.
 */
import { Command } from 'commander';
import type { Subscription } from 'rxjs';
import { StreamHealth } from '../../acquisition/health/stream-health.js';
import { InvalidOptionError, checkNumber, hostNowMs } from '../../core/index.js';
import { PACINGS } from '../../devices/simulator-source.js';
import { workerSimulatorSource } from '../../devices/worker-simulator-source.js';
import { DEVICE_NAMES, type DeviceName, simulatorFromFlags } from '../device-factory.js';
import { LOG_LEVELS, type LogLevel, createLogger } from '../logger.js';
import { choiceFlag, integerFlag, numberFlag } from '../parse-flag.js';
import { formatStatus, formatSummary } from '../status-line.js';

export interface RunFlags {
  device: DeviceName;
  channels?: number;
  rate?: number;
  duration?: number;
  seed: number;
  mains: 50 | 60;
  blockMs: number;
  fast: boolean;
  statusInterval: number;
  logLevel: LogLevel;
}

export function runCommand(): Command {
  return new Command('run')
    .description('run a live session: stream a device in real time with a live status line')
    .option('--device <name>', `device: ${DEVICE_NAMES.join(' | ')}`, choiceFlag('--device', DEVICE_NAMES), 'intracortical')
    .option('--channels <n>', 'channel count (intracortical 1–1024, default 96; eeg 8 | 16 | 64, default 8)', integerFlag('--channels'))
    .option('--rate <hz>', 'sample rate in Hz (default: intracortical 30000; eeg 250, or 160 for 64 channels)', numberFlag('--rate'))
    .option('--duration <s>', 'stop after this many seconds of signal (default: run until Ctrl-C)', numberFlag('--duration'))
    .option('--seed <n>', 'seed of the simulation', integerFlag('--seed'), 1)
    .option('--mains <hz>', 'mains frequency: 50 | 60', (raw: string) => Number(choiceFlag('--mains', ['50', '60'] as const)(raw)) as 50 | 60, 60)
    .option('--block-ms <ms>', 'block duration in ms (at least one sample)', numberFlag('--block-ms'), 1)
    .option('--fast', 'generate as fast as possible instead of in real time', false)
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
  const { spec, info } = simulatorFromFlags(flags);
  const fs = info.sampleRateHz;
  const blockSamples = Math.max(1, Math.round((flags.blockMs * fs) / 1000));
  const durationSamples = flags.duration === undefined ? undefined : Math.max(1, Math.round(flags.duration * fs));
  if (durationSamples !== undefined && !Number.isSafeInteger(durationSamples)) {
    throw new InvalidOptionError('--duration', 'a duration of at most 2^53 samples', flags.duration);
  }
  const pacing = flags.fast ? PACINGS[1] : PACINGS[0];
  // The simulator generates on the other core; this thread only consumes.
  const source = workerSimulatorSource(spec, {
    pacing,
    blockSamples,
    ...(durationSamples !== undefined ? { durationSamples } : {}),
  });

  const health = new StreamHealth(fs);
  const tty = process.stdout.isTTY === true;
  const writeStatus = (line: string): void => {
    process.stdout.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  log.info({ stream: info.id, device: info.device, channels: info.channelNames.length, sampleRateHz: fs, blockSamples, pacing }, 'session starting');

  return await new Promise<number>((resolve) => {
    let subscription: Subscription | undefined;
    let finished = false;
    const finish = (reason: string, code: number): void => {
      if (finished) return;
      finished = true;
      clearInterval(statusTimer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      subscription?.unsubscribe();
      const snapshot = health.snapshot(hostNowMs());
      if (tty) process.stdout.write('\n');
      process.stdout.write(`${formatSummary(info, snapshot, reason)}\n`);
      log.info({ reason, ...snapshot }, 'session stopped');
      resolve(code);
    };
    const onSignal = (signal: NodeJS.Signals): void => finish(signal, 0);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const statusTimer = setInterval(() => writeStatus(formatStatus(info, health.snapshot(hostNowMs()))), flags.statusInterval * 1000);
    subscription = source.subscribe({
      next: (block) => health.observe(block, hostNowMs()),
      error: (error: unknown) => {
        log.error({ err: error }, 'session failed');
        process.stderr.write(`neurostream run: ${error instanceof Error ? error.message : String(error)}\n`);
        finish('error', 1);
      },
      complete: () => finish('duration reached', 0),
    });
  });
}
