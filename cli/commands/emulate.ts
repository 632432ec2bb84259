/**
 * `neurostream emulate` — a device on a real serial port, for trying drivers without hardware:
 * socat makes a linked pseudo-terminal pair, the emulator plays one end in real time, and
 * `--link PATH` is the other end, opened like any serial device.
 */
import { lstatSync } from 'node:fs';
import { Command } from 'commander';
import { SerialPort } from 'serialport';
import { InvalidOptionError, checkInteger, checkNumber, hostNowMs } from '../../core/index.js';
import { CytonBoard, FrameDevice, IntanRhxEmulator, type PtyPair, startPtyPair, FRAME_FORMAT_NAMES, type FrameFormatName, CYTON_BAUD_RATE } from '../../devices/index.js';
import { choiceFlag, integerFlag, numberFlag } from '../parse-flag.js';

export const EMULATED_PROTOCOLS = ['cyton', 'frame', 'intan'] as const;

interface EmulateFlags {
  protocol: (typeof EMULATED_PROTOCOLS)[number];
  link?: string;
  daisy: boolean;
  channels?: number;
  rate?: number;
  format: FrameFormatName;
  frameMs: number;
  seed: number;
  mains: 50 | 60;
  bitErrorRate: number;
  dropRate: number;
  unplugAfter?: number;
  radioDropout?: string;
  replugAfter: number;
  duration?: number;
  commandPort: number;
  waveformPort: number;
  loopS?: number;
  impedanceKohm?: string;
}

/** Most bytes queued for a reader that is not reading before the emulator drops data, as a device would. */
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;

export function emulateCommand(): Command {
  return new Command('emulate')
    .description('emulate a device: cyton and frame on a pseudo-terminal pair (needs socat; open --link like a serial port), intan on loopback TCP')
    .option('--protocol <name>', `protocol: ${EMULATED_PROTOCOLS.join(' | ')}`, choiceFlag('--protocol', EMULATED_PROTOCOLS), 'cyton')
    .option('--link <path>', 'path of the serial device to create (default /tmp/neurostream-<protocol>)')
    .option('--daisy', 'cyton: a Cyton with a Daisy (16 channels)', false)
    .option('--channels <n>', 'frame: channels (1–1024, default 256)', integerFlag('--channels'))
    .option('--rate <hz>', 'frame: sample rate in Hz (default 30000)', numberFlag('--rate'))
    .option('--format <name>', 'frame: int16 | int24 | float32', choiceFlag('--format', Object.keys(FRAME_FORMAT_NAMES) as FrameFormatName[]), 'int16')
    .option('--frame-ms <ms>', 'frame: duration of one frame in ms', numberFlag('--frame-ms'), 1)
    .option('--seed <n>', 'seed of the simulated signals', integerFlag('--seed'), 1)
    .option('--mains <hz>', 'mains frequency: 50 | 60', (raw: string) => Number(choiceFlag('--mains', ['50', '60'] as const)(raw)) as 50 | 60, 60)
    .option('--bit-error-rate <p>', 'flip each bit sent with this probability', numberFlag('--bit-error-rate'), 0)
    .option('--drop-rate <p>', 'lose each packet/frame with this probability', numberFlag('--drop-rate'), 0)
    .option('--unplug-after <s>', 'make the device disappear after this many seconds (then replug it)', numberFlag('--unplug-after'))
    .option('--radio-dropout <at,for>', 'cyton: lose every packet for FOR seconds starting AT seconds into streaming (the dongle stays plugged in)')
    .option('--replug-after <s>', 'seconds the device stays unplugged', numberFlag('--replug-after'), 2)
    .option('--duration <s>', 'stop after this many seconds (default: until Ctrl-C)', numberFlag('--duration'))
    .option('--command-port <n>', 'intan: TCP command port on 127.0.0.1 (0: any free port)', integerFlag('--command-port'), 5000)
    .option('--waveform-port <n>', 'intan: TCP waveform port on 127.0.0.1 (0: any free port)', integerFlag('--waveform-port'), 5001)
    .option('--impedance-kohm <list>', "cyton: electrode impedance in kΩ that lead-off ('z' commands) measures: one value for all channels or one per channel, e.g. 5,10,20 (default 5)")
    .option('--loop-s <s>', 'frame, intan: simulate this many seconds once and play them in a loop, the clock counting on (a cheap emulator, for benchmarks)', numberFlag('--loop-s'))
    .action(async (flags: EmulateFlags) => {
      process.exitCode = await emulate(flags);
    });
}

interface Emulated {
  advanceTo(nowMs: number): void;
  /** Back from being unplugged at `nowMs`. */
  replug(nowMs: number): void;
  receive?(bytes: Uint8Array, nowMs: number): void;
  describe(): string;
  summary(): string;
  tickMs: number;
  baudRate: number;
}

function buildDevice(flags: EmulateFlags, send: (bytes: Uint8Array) => void): Emulated {
  const faults = { bitErrorRate: flags.bitErrorRate, dropRate: flags.dropRate };
  checkNumber('option', '--bit-error-rate', flags.bitErrorRate, { min: 0, max: 0.5 });
  checkNumber('option', '--drop-rate', flags.dropRate, { min: 0, max: 1 });
  if (flags.impedanceKohm !== undefined && flags.protocol !== 'cyton') {
    throw new InvalidOptionError('--impedance-kohm', 'no value for this protocol (only cyton)', flags.impedanceKohm);
  }
  if (flags.radioDropout !== undefined && flags.protocol !== 'cyton') {
    throw new InvalidOptionError('--radio-dropout', 'no value for this protocol (only cyton)', flags.radioDropout);
  }
  if (flags.protocol === 'cyton') {
    if (flags.channels !== undefined || flags.rate !== undefined) {
      throw new InvalidOptionError(flags.channels !== undefined ? '--channels' : '--rate', 'no value for --protocol cyton (8 channels at 250 Hz; --daisy for 16)', flags.channels ?? flags.rate);
    }
    let dropout: { atMs: number; forMs: number } | undefined;
    if (flags.radioDropout !== undefined) {
      const parts = flags.radioDropout.split(',').map(Number);
      if (parts.length !== 2 || !parts.every((v) => Number.isFinite(v) && v >= 0)) {
        throw new InvalidOptionError('--radio-dropout', 'AT,FOR in seconds, e.g. 2,1.5', flags.radioDropout);
      }
      dropout = { atMs: parts[0]! * 1000, forMs: parts[1]! * 1000 };
    }
    let impedanceKohm: number[] | undefined;
    if (flags.impedanceKohm !== undefined) {
      const channels = flags.daisy ? 16 : 8;
      impedanceKohm = flags.impedanceKohm.split(',').map((v) => (/^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : NaN));
      if (!impedanceKohm.every((v) => Number.isFinite(v) && v <= 10000) || (impedanceKohm.length !== 1 && impedanceKohm.length !== channels)) {
        throw new InvalidOptionError('--impedance-kohm', `one value or ${channels} comma-separated values in kΩ, 0–10000, e.g. 5,10,20,…`, flags.impedanceKohm);
      }
    }
    const board = new CytonBoard({
      daisy: flags.daisy,
      seed: flags.seed,
      mainsHz: flags.mains,
      send,
      ...faults,
      ...(dropout ? { dropout } : {}),
      ...(impedanceKohm ? { impedanceKohm: impedanceKohm.length === 1 ? impedanceKohm[0]! : impedanceKohm } : {}),
    });
    return {
      advanceTo: (t) => board.advanceTo(t),
      // The board runs on batteries: only the dongle was unplugged, the board kept counting.
      replug: (t) => board.skipTo(t),
      receive: (b, t) => board.receive(b, t),
      describe: () => `OpenBCI ${flags.daisy ? 'Cyton+Daisy (16 ch @ 125 Hz)' : 'Cyton (8 ch @ 250 Hz)'}`,
      summary: () =>
        `${board.packetsCounted} packets counted since the last 'b', ${board.packetsDropped} dropped on purpose, ` +
        `${board.packetsCorrupted} corrupted by bit errors (${board.packetsUnframeable} unframeable: header or stop byte; ${board.countersCorrupted} with a wrong sample counter); ` +
        `lead-off on: ${Array.from({ length: board.channels }, (_, c) => c + 1).filter((c) => board.leadOffOn(c - 1)).join(', ') || 'none'}`,
      tickMs: 4,
      baudRate: CYTON_BAUD_RATE,
    };
  }
  const channels = checkInteger('option', '--channels', flags.channels ?? 256, { min: 1, max: 1024 });
  const rate = checkNumber('option', '--rate', flags.rate ?? 30000, { min: 1000, max: 100000 });
  const frameScans = Math.round((checkNumber('option', '--frame-ms', flags.frameMs, { min: 0, exclusiveMin: true, max: 1000 }) * rate) / 1000);
  if (frameScans < 1 || frameScans > 4096) throw new InvalidOptionError('--frame-ms', 'a frame of 1 to 4096 scans at this rate', flags.frameMs);
  const loopS = flags.loopS === undefined ? undefined : checkNumber('option', '--loop-s', flags.loopS, { min: 0.1, max: 60 });
  const device = new FrameDevice({ channels, sampleRateHz: rate, format: FRAME_FORMAT_NAMES[flags.format], frameScans, seed: flags.seed, send, ...faults, ...(loopS !== undefined ? { loopS } : {}) });
  return {
    advanceTo: (t) => device.advanceTo(t),
    // A USB-powered front-end loses power when unplugged: it comes back restarted.
    replug: () => device.restart(),
    describe: () => `frame-protocol device (${channels} ch @ ${rate} Hz, ${flags.format}, ${frameScans} scans per frame)`,
    summary: () => `${device.framesCounted} frames counted, ${device.framesDropped} dropped on purpose`,
    tickMs: 1,
    baudRate: 921600,
  };
}

/** Intan RHX over loopback TCP: no pty, no faults; runs until stopped. */
async function emulateIntan(flags: EmulateFlags): Promise<number> {
  for (const [flag, value] of [['--link', flags.link], ['--unplug-after', flags.unplugAfter]] as const) {
    if (value !== undefined) throw new InvalidOptionError(flag, 'no value for --protocol intan (it serves TCP on 127.0.0.1)', value);
  }
  const rhx = new IntanRhxEmulator({
    commandPort: flags.commandPort,
    waveformPort: flags.waveformPort,
    channels: checkInteger('option', '--channels', flags.channels ?? 64, { min: 1, max: 1024 }),
    sampleRateHz: checkNumber('option', '--rate', flags.rate ?? 30000, { min: 1000, max: 30000 }),
    seed: flags.seed,
    ...(flags.loopS !== undefined ? { loopS: checkNumber('option', '--loop-s', flags.loopS, { min: 0.1, max: 60 }) } : {}),
  });
  const { commandPort, waveformPort } = await rhx.start();
  process.stdout.write(
    `emulating Intan RHX (${rhx.channels} channels A-000…, ${rhx.sampleRateHz} Hz) on 127.0.0.1: commands ${commandPort}, waveforms ${waveformPort}; Ctrl-C stops\n`,
  );
  return await new Promise<number>((resolve) => {
    const stop = async (reason: string): Promise<void> => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      clearTimeout(timer);
      await rhx.stop();
      process.stdout.write(`emulator stopped (${reason}): ${rhx.blocksSent} blocks in the last run\n`);
      resolve(0);
    };
    const onSignal = (signal: NodeJS.Signals): void => void stop(signal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const timer = flags.duration === undefined ? undefined : setTimeout(() => void stop('duration reached'), flags.duration * 1000);
  });
}

/**
 * socat replaces whatever is at --link with its link, and removes it on exit: only a link (an
 * earlier emulator's, left by a kill) may be there — never a file or directory of the user's.
 */
function checkLinkPath(link: string): void {
  let stat;
  try {
    stat = lstatSync(link);
  } catch {
    return; // nothing there
  }
  if (!stat.isSymbolicLink()) throw new InvalidOptionError(`--link ${link}`, 'a path that is free or an earlier emulator\'s link (socat replaces it, then removes it)', stat.isDirectory() ? 'an existing directory' : 'an existing file');
}

export async function emulate(flags: EmulateFlags): Promise<number> {
  if (flags.duration !== undefined) checkNumber('option', '--duration', flags.duration, { min: 0, exclusiveMin: true });
  if (flags.protocol === 'intan') return emulateIntan(flags);
  if (flags.loopS !== undefined && flags.protocol === 'cyton') throw new InvalidOptionError('--loop-s', 'no value for --protocol cyton (frame and intan play a loop)', flags.loopS);
  if (flags.unplugAfter !== undefined) checkNumber('option', '--unplug-after', flags.unplugAfter, { min: 0, exclusiveMin: true });
  checkNumber('option', '--replug-after', flags.replugAfter, { min: 0 });
  const link = flags.link ?? `/tmp/neurostream-${flags.protocol}`;
  checkLinkPath(link);
  let port: SerialPort | undefined;
  let overflowBytes = 0;
  const send = (bytes: Uint8Array): void => {
    if (!port?.isOpen) return; // unplugged: nothing reaches the host
    if (port.writableLength > MAX_QUEUED_BYTES) {
      overflowBytes += bytes.length;
      return;
    }
    port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  };
  const device = buildDevice(flags, send);

  let pair: PtyPair = await startPtyPair(link);
  const openInner = (): Promise<SerialPort> =>
    new Promise((resolve, reject) => {
      const p = new SerialPort({ path: pair.inner, baudRate: device.baudRate }, (e) => (e ? reject(e) : resolve(p)));
      p.on('data', (chunk: Buffer) => device.receive?.(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), hostNowMs()));
      p.on('error', () => {});
    });
  port = await openInner();
  process.stdout.write(`emulating ${device.describe()} on ${link} — open it as a serial port; Ctrl-C stops\n`);

  let ticker: ReturnType<typeof setInterval> | undefined = setInterval(() => device.advanceTo(hostNowMs()), device.tickMs);
  return await new Promise<number>((resolve) => {
    const timers: ReturnType<typeof setTimeout>[] = [];
    let stopping = false;
    const stop = async (reason: string): Promise<void> => {
      if (stopping) return;
      stopping = true;
      clearInterval(ticker);
      timers.forEach(clearTimeout);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (port?.isOpen) await new Promise<void>((r) => port!.close(() => r()));
      await pair.stop();
      const overflow = overflowBytes > 0 ? `, ${overflowBytes} bytes dropped because nobody was reading` : '';
      process.stdout.write(`emulator stopped (${reason}): ${device.summary()}${overflow}\n`);
      resolve(0);
    };
    const onSignal = (signal: NodeJS.Signals): void => void stop(signal);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    if (flags.duration !== undefined) timers.push(setTimeout(() => void stop('duration reached'), flags.duration * 1000));
    if (flags.unplugAfter !== undefined) {
      timers.push(
        setTimeout(async () => {
          clearInterval(ticker);
          ticker = undefined;
          const p = port;
          port = undefined;
          if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
          await pair.stop();
          process.stdout.write(`unplugged ${link}\n`);
          timers.push(
            setTimeout(async () => {
              if (stopping) return;
              pair = await startPtyPair(link);
              port = await openInner();
              device.replug(hostNowMs());
              ticker = setInterval(() => device.advanceTo(hostNowMs()), device.tickMs);
              process.stdout.write(`replugged ${link}\n`);
            }, flags.replugAfter * 1000),
          );
        }, flags.unplugAfter * 1000),
      );
    }
  });
}
