/**
 * `cytonSource` — an OpenBCI Cyton (or Cyton + Daisy) on a serial port as a cold Observable of
 * SampleBlocks: 8 or 16 EEG channels in µV, then AccelX/Y/Z in g (held between the board's 25 Hz
 * updates), at 250 Hz (125 Hz with a Daisy).
 *
 * On every (re)connection, from a clean slate (nothing read on an earlier connection or attempt
 * carries over): `s`, then `v` and the banner up to `$$$` (which tells whether a Daisy is
 * attached; a garbled banner — the link has no checksum — is asked for again, up to
 * `bannerTries` times), then the configured channel-setting commands one by one (each must be
 * answered `Success…`), then `b`, and a new CytonParser for the stream. A board that comes back
 * as another kind (with or without a Daisy) ends the stream with an error naming both: it is not
 * the stream that was being recorded. Bytes → CytonParser → µV with each channel's tracked gain.
 * Samples lost on the radio link (from the packet counter) and while the device was away (from
 * the time it was gone) are reported as gaps on the stream's sample clock, never papered over;
 * a packet whose counter alone was corrupted keeps its place (see CytonParser).
 *
 * Each incoming chunk of bytes becomes one block (split where a gap falls), stamped with the
 * chunk's arrival time.
 */
import { Observable, type Subscription } from 'rxjs';
import { BlockAssembler } from '../../core/block-assembler.js';
import { type SampleBlock, type StreamInfo, InvalidOptionError, checkInteger, createStreamInfo, utcNowIso } from '../../core/index.js';
import {
  CYTON_ACCEL_G_PER_COUNT,
  CYTON_BAUD_RATE,
  CYTON_DEFAULT_GAIN,
  CYTON_LEAD_OFF_DRIVE_A,
  CYTON_LEAD_OFF_HZ,
  CYTON_SAMPLE_RATE_HZ,
  CYTON_SERIES_RESISTOR_OHMS,
  microvoltsPerCount,
} from '../protocols/cyton/cyton-constants.js';
import { parseCytonBanner } from '../protocols/cyton/cyton-banner.js';
import { cytonLeadOffCommand, type LeadOffSetting } from '../protocols/cyton/cyton-lead-off.js';
import { CytonGainTracker } from '../protocols/cyton/cyton-gain-tracker.js';
import { CytonParser, type CytonParserStats, type CytonSample } from '../protocols/cyton/cyton-parser.js';
import { CytonSampleWriter } from '../protocols/cyton/cyton-sample-writer.js';
import { deviceStreamId } from '../transport/device-id.js';
import { DeviceError, type DeviceLinkState, type ReconnectOptions, reconnectionAttempt, serialConnection } from '../transport/serial-connection.js';

export interface CytonSourceOptions {
  port: string;
  /**
   * Channel-setting (`x1060110X`) and lead-off (`z110Z`, see cytonLeadOffCommand) commands sent
   * before streaming, each answered `Success…`.
   */
  commands?: readonly string[];
  /** How long to wait for the banner after `v`. Default 5000 ms. */
  bannerTimeoutMs?: number;
  /** How many times `v` is sent on one connection while the banner comes back garbled or not at all. Default 3. */
  bannerTries?: number;
  /** How long to wait for each command's reply. Default 2000 ms. */
  replyTimeoutMs?: number;
  /** Silence while streaming after which the link is reopened. Default 2000 ms. */
  stallTimeoutMs?: number;
  reconnect?: ReconnectOptions | false;
  /** Stream id. Default `cyton-<port name>`, e.g. `cyton-ttyUSB0`. */
  id?: string;
  /** Called once, with the stream's info, when the board has identified itself. */
  onInfo?: (info: StreamInfo) => void;
  /** Live counters of the byte parser (updated in place; a new parser on each reconnection). */
  onParser?: (stats: Readonly<CytonParserStats>) => void;
  /** Called when the device is lost, at each attempt to reconnect it, and when it streams again. */
  onLink?: (state: DeviceLinkState) => void;
  /**
   * Called once per subscription, before anything is opened, with the commands the board takes
   * while it streams (see {@link CytonControl}).
   */
  onControl?: (control: CytonControl) => void;
}

/** The lead-off signal a board drives into an electrode: what an impedance is computed from. */
export interface LeadOffSignal {
  /** Frequency of the lead-off current, Hz (Cyton: 31.25). */
  readonly frequencyHz: number;
  /** Its amplitude, A (Cyton: 6 nA). */
  readonly driveCurrentA: number;
  /** The resistor in series with every electrode, Ω (Cyton: 2.2 kΩ). */
  readonly seriesResistanceOhms: number;
}

/**
 * Commands to an opened Cyton while it streams (the OpenBCI GUI's impedance check runs this way):
 * valid for the subscription that gave it. The firmware does not answer commands while streaming,
 * so a command is done once written. A reconnection's soft reset (`v`) turns every lead-off
 * current off; so does the end of the subscription (before `s`), so a session that stops while
 * measuring never leaves a current on.
 */
export interface CytonControl {
  readonly leadOff: LeadOffSignal;
  /**
   * Turns channel `channel`'s (1-based) lead-off current on or off. Rejects (DeviceError) while
   * the board is not streaming (not started yet, away, or stopped), and for a channel the board
   * does not have (InvalidOptionError).
   */
  setLeadOff(channel: number, setting: LeadOffSetting): Promise<void>;
  /** Channels (1-based) whose lead-off current this subscription has on now. */
  leadOffChannels(): number[];
}

/** The Cyton's lead-off signal (ADS1299 at 6 nA, f_DR/4 = 31.25 Hz; 2.2 kΩ in series on the board). */
export const CYTON_LEAD_OFF: LeadOffSignal = Object.freeze({
  frequencyHz: CYTON_LEAD_OFF_HZ,
  driveCurrentA: CYTON_LEAD_OFF_DRIVE_A,
  seriesResistanceOhms: CYTON_SERIES_RESISTOR_OHMS,
});

/** What a Cyton is, in words, for errors. */
const boardKind = (daisy: boolean): string => (daisy ? 'OpenBCI Cyton+Daisy (16 ch @ 125 Hz)' : 'OpenBCI Cyton (8 ch @ 250 Hz)');

type Phase = { kind: 'banner' } | { kind: 'command'; index: number } | { kind: 'streaming' } | { kind: 'away' };

export function cytonSource(options: CytonSourceOptions): Observable<SampleBlock> {
  const bannerTimeoutMs = checkInteger('option', 'bannerTimeoutMs', options.bannerTimeoutMs ?? 5000, { min: 10 });
  const replyTimeoutMs = checkInteger('option', 'replyTimeoutMs', options.replyTimeoutMs ?? 2000, { min: 10 });
  const stallTimeoutMs = checkInteger('option', 'stallTimeoutMs', options.stallTimeoutMs ?? 2000, { min: 10 });
  const bannerTries = checkInteger('option', 'bannerTries', options.bannerTries ?? 3, { min: 1, max: 100 });
  const commands = options.commands ?? [];
  commands.forEach((c, i) => {
    if (!/^x[1-8QWERTYUI][01][0-6][0-7][01][01][01]X$/.test(c) && !/^z[1-8QWERTYUI][01][01]Z$/.test(c)) {
      throw new InvalidOptionError(`commands[${i}]`, 'a channel setting like x1060110X or a lead-off setting like z110Z', c);
    }
  });

  return new Observable<SampleBlock>((subscriber) => {
    const path = options.port;
    let info: StreamInfo | undefined;
    let daisy: boolean | undefined;
    let phase: Phase = { kind: 'banner' };
    let write: ((data: string) => Promise<void>) | undefined;
    let reconnect: ((reason: string) => void) | undefined;
    let streamedBefore = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let text = '';
    let handshakeBytes = 0;
    /** `v` sent on this connection so far. */
    let bannerTry = 0;
    /** The link while the device is away: lost since when, which reconnection attempt. */
    let away: Extract<DeviceLinkState, { state: 'lost' }> | undefined;
    /** The serial connection's number for the open attempt whose connection was lost while streaming. */
    let lostAttempt = 0;
    let gains: CytonGainTracker | undefined;
    let streamParser: CytonParser | undefined;
    // Block building: one block per chunk of bytes (split where a gap falls), stamped with its arrival.
    let assembler: BlockAssembler | undefined;
    let writer: CytonSampleWriter | undefined;
    let lastSampleHostTime = NaN;
    let counterPeriod = 256;
    /** Samples (about) in the chunk being parsed. */
    let chunkSamples = 0;
    let stopped = false;
    /** Channels (1-based) with their lead-off current on (set while streaming). */
    const leadOffOn = new Set<number>();
    let awaySince = NaN;
    let chunkTime = 0;

    const fail = (error: Error): void => subscriber.error(error);

    /**
     * Waits for a reply. Without one, the first connection fails with what was seen; a later one
     * (the device came back but is not answering yet) is reopened.
     */
    const setTimer = (ms: number, what: string): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (phase.kind === 'banner' && bannerTry < bannerTries) {
          askBanner(); // the banner (or its `$$$`) may have been lost to bit errors: ask again
          return;
        }
        if (streamedBefore && reconnect) {
          reconnect(`no reply to ${what}`);
          return;
        }
        const seen = text.length > 0 ? `: ${JSON.stringify(text.slice(-120))}` : '';
        fail(new DeviceError(path, `no reply to ${what} within ${ms} ms — expected an OpenBCI Cyton; received ${handshakeBytes} bytes${seen}`));
      }, ms);
    };

    /** While streaming, silence means the link is dead even if the OS has not said so. */
    const watch = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => reconnect?.(`no data for ${stallTimeoutMs} ms`), stallTimeoutMs);
    };

    /** Reads the handshake's text; a new one for each `v`, so no text of an earlier try or connection carries over. */
    let textParser = new CytonParser({ onSample: () => {}, onText: (t) => onText(t) });

    const send = (data: string): void => {
      write?.(data).catch(fail);
    };

    /** Sends `v` with a clean text state and waits for the banner. */
    const askBanner = (): void => {
      bannerTry++;
      text = '';
      textParser = new CytonParser({ onSample: () => {}, onText: (t) => onText(t) });
      setTimer(bannerTimeoutMs, "'v' (soft reset)");
      send('v');
    };

    const startStreaming = (): void => {
      watch();
      streamedBefore = true;
      phase = { kind: 'streaming' };
      // A new parser per stream: no bytes, text or counter of the last connection carry over.
      streamParser = new CytonParser({ daisy: daisy!, onSample });
      send('b');
    };

    const sendCommand = (index: number): void => {
      if (index >= commands.length) {
        startStreaming();
        return;
      }
      phase = { kind: 'command', index };
      gains!.sent(commands[index]!);
      setTimer(replyTimeoutMs, `command ${commands[index]}`);
      send(commands[index]!);
    };

    const onText = (reply: string): void => {
      text = reply;
      if (phase.kind === 'banner') {
        if (!/OpenBCI/.test(reply)) return; // stray text: keep waiting for the banner
        const banner = parseCytonBanner(reply);
        if (!banner) {
          // Garbled (bit errors, or a lost `$$$` ran two replies together): never guess the board from it.
          if (bannerTry < bannerTries) askBanner();
          else if (streamedBefore && reconnect) reconnect(`garbled banner ${JSON.stringify(reply.slice(-120))}`);
          else fail(new DeviceError(path, `the reply to 'v' (soft reset) is not an OpenBCI Cyton banner after ${bannerTries} tries: ${JSON.stringify(reply.slice(-160))}`));
          return;
        }
        const detected = banner.daisy;
        if (daisy !== undefined && detected !== daisy) {
          fail(new DeviceError(path, `the board changed kind on reconnection: it was an ${boardKind(daisy)}, it came back as an ${boardKind(detected)}; not continuing the stream with a different device`));
          return;
        }
        if (daisy === undefined) {
          daisy = detected;
          info = buildInfo(daisy, options.id ?? deviceStreamId('cyton', path), path);
          gains = new CytonGainTracker(daisy ? 16 : 8);
          counterPeriod = daisy ? 128 : 256;
          assembler = new BlockAssembler(info, 256, (block) => subscriber.next(block), { hostTime: 'arrival', grow: true });
          // Steps of gain 24's µV per count (the declared adcScale): exact counts at every gain.
          writer = new CytonSampleWriter(Array.from({ length: daisy ? 16 : 8 }, (_, c) => gains!.gain(c)), new Array<number>(daisy ? 16 : 8).fill(CYTON_DEFAULT_GAIN));
          options.onInfo?.(info);
        } else {
          gains!.sent('d'); // `v` resets the board's channel settings
          gains!.commit();
        }
        sendCommand(0);
      } else if (phase.kind === 'command') {
        if (/^Success/.test(reply)) {
          gains!.commit();
          sendCommand(phase.index + 1);
        } else if (/^Failure/.test(reply)) {
          gains!.revert();
          fail(new DeviceError(path, `the board refused ${commands[phase.index]}: ${reply}`));
        }
      }
    };

    const flush = (): void => assembler?.flush();

    const onSample = (s: CytonSample): void => {
      let missed = s.missedBefore;
      const elapsed = Number.isNaN(lastSampleHostTime) ? 0 : Math.round(((chunkTime - lastSampleHostTime) * info!.sampleRateHz) / 1000) - 1;
      if (away) {
        away = undefined;
        options.onLink?.({ state: 'connected' });
      }
      if (!Number.isNaN(awaySince)) {
        // Back after the device was away: the samples it made meanwhile are lost.
        missed += Math.max(0, elapsed);
        awaySince = NaN;
      } else if (lastSampleHostTime < chunkTime && elapsed - chunkSamples > counterPeriod / 2) {
        // The counter wraps every 256 packets (128 Daisy pairs, ~1 s): a longer radio dropout is
        // ambiguous by whole periods. Take the count closest to the time that passed, less the
        // samples this chunk carries (a host that paused reads them all at once: no dropout).
        missed += counterPeriod * Math.max(0, Math.round((elapsed - chunkSamples - missed) / counterPeriod));
      }
      assembler!.gap(missed);
      writer!.write(s, assembler!);
      lastSampleHostTime = chunkTime;
    };

    options.onControl?.({
      leadOff: CYTON_LEAD_OFF,
      leadOffChannels: () => [...leadOffOn].sort((a, b) => a - b),
      setLeadOff: async (channel, setting) => {
        const w = write;
        if (stopped || !w || phase.kind !== 'streaming') {
          throw new DeviceError(path, `cannot set lead-off on channel ${channel}: the board is not streaming (${stopped ? 'stopped' : phase.kind === 'away' ? 'device lost' : 'still starting'})`);
        }
        const eeg = daisy ? 16 : 8;
        if (!Number.isInteger(channel) || channel < 1 || channel > eeg) throw new InvalidOptionError('channel', `a channel 1–${eeg} of this ${boardKind(daisy!)}`, channel);
        const command = cytonLeadOffCommand(channel, setting);
        if (setting.positive || setting.negative) leadOffOn.add(channel);
        else leadOffOn.delete(channel);
        await w(command);
      },
    });

    const connection: Subscription = serialConnection({
      path,
      baudRate: CYTON_BAUD_RATE,
      ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}),
    }).subscribe({
      next: (event) => {
        if (stopped) return;
        if (event.type === 'open') {
          write = event.write;
          reconnect = event.reconnect;
          leadOffOn.clear(); // the `v` below turns every lead-off current off
          // A new connection starts from a clean slate: no text, bytes or replies of the last one.
          phase = { kind: 'banner' };
          handshakeBytes = 0;
          bannerTry = 0;
          send('s');
          askBanner();
        } else if (event.type === 'lost') {
          clearTimeout(timer);
          write = undefined;
          reconnect = undefined;
          if (phase.kind === 'streaming') {
            // A packet held for its counter is decided from its counter alone (nothing will
            // follow it now) — before the device is marked away, so its sample (and the gap its
            // counter tells) lands on the clock before the time the device is away.
            streamParser?.resetCounter();
            if (streamParser) options.onParser?.(streamParser.stats);
          }
          if (away) {
            // The device came back but did not stream again: the next attempt follows (numbered
            // by the serial connection alone, so no attempt is counted twice).
            away = { ...away, attempt: reconnectionAttempt(event, lostAttempt) };
          } else if (phase.kind === 'streaming') {
            awaySince = event.hostTime;
            lostAttempt = event.attempt;
            away = { state: 'lost', reason: event.reason, attempt: reconnectionAttempt(event, lostAttempt), sinceMs: event.hostTime };
          }
          phase = { kind: 'away' };
          flush();
          if (away) options.onLink?.(away);
        } else if (event.type === 'retrying') {
          if (away) {
            away = { ...away, attempt: reconnectionAttempt(event, lostAttempt) };
            options.onLink?.(away);
          }
        } else if (phase.kind === 'streaming') {
          watch();
          chunkTime = event.hostTime;
          assembler!.arrivalMs = chunkTime;
          chunkSamples = Math.floor(event.bytes.length / 33 / (daisy ? 2 : 1));
          for (let c = 0; c < (daisy ? 16 : 8); c++) writer!.setGain(c, gains!.gain(c));
          streamParser!.push(event.bytes);
          options.onParser?.(streamParser!.stats);
          flush();
        } else if (phase.kind !== 'away') {
          handshakeBytes += event.bytes.length;
          textParser.push(event.bytes);
        }
      },
      error: fail,
      complete: () => subscriber.complete(),
    });

    return () => {
      stopped = true;
      clearTimeout(timer);
      // Stop the board streaming before closing, as a courtesy to the next user of the port —
      // but never wait more than 250 ms for a device that no longer drains.
      const w = write;
      write = undefined;
      if (w && phase.kind === 'streaming') {
        const close = setTimeout(() => connection.unsubscribe(), 250);
        // Any lead-off current still on (a measurement cut short) is turned off first.
        const off = [...leadOffOn].map((c) => cytonLeadOffCommand(c, { positive: false, negative: false })).join('');
        leadOffOn.clear();
        void w(`${off}s`)
          .catch(() => {})
          .finally(() => {
            clearTimeout(close);
            connection.unsubscribe();
          });
      } else {
        connection.unsubscribe();
      }
    };
  });
}

function buildInfo(daisy: boolean, id: string, path: string): StreamInfo {
  const eeg = daisy ? 16 : 8;
  return createStreamInfo({
    id,
    device: { name: 'cyton', model: daisy ? 'OpenBCI Cyton+Daisy' : 'OpenBCI Cyton', serial: path },
    channelNames: [...Array.from({ length: eeg }, (_, c) => `EXG${c + 1}`), 'AccelX', 'AccelY', 'AccelZ'],
    channelKinds: [...new Array<'eeg'>(eeg).fill('eeg'), 'accel', 'accel', 'accel'],
    units: [...new Array<'uV'>(eeg).fill('uV'), 'g', 'g', 'g'],
    sampleRateHz: daisy ? CYTON_SAMPLE_RATE_HZ / 2 : CYTON_SAMPLE_RATE_HZ,
    adcScale: [...new Array<number>(eeg).fill(microvoltsPerCount(CYTON_DEFAULT_GAIN)), CYTON_ACCEL_G_PER_COUNT, CYTON_ACCEL_G_PER_COUNT, CYTON_ACCEL_G_PER_COUNT],
    // The ADS1299's 24-bit samples; the accelerometer's 16-bit values.
    adcBits: [...new Array<number>(eeg).fill(24), 16, 16, 16],
    // CytonSampleWriter's values are whole steps of adcScale (a gain below 24 takes several steps
    // per count, so an EXG column needs more than 24 bits' headroom: int32 has it).
    exactCounts: true,
    startTime: utcNowIso(),
  });
}
