/**
 * CytonBoard — an OpenBCI Cyton (optionally with Daisy) as a byte-level peer: it answers commands
 * like firmware v3 (`v` banner ending in `$$$`, `b`/`s`, `d`, `x…X` channel settings with their
 * replies, channel on/off, `~` sample-rate query, `V`) and, while streaming, sends 33-byte packets
 * at 250 Hz carrying EEG-simulator data scaled by each channel's current gain. A Daisy board sends
 * channels 1–8 in odd packets and 9–16 in even ones (16-channel samples at 125 Hz).
 *
 * Lead-off: a `z C P N Z` command (answered `Success: Lead off set for C$$$`) adds to channel C the
 * voltage the ADS1299's 6 nA, 31.25 Hz lead-off current makes across the electrode's configured
 * impedance (`impedanceKohm`, default 5 kΩ each) plus the 2.2 kΩ series resistor: a sine of peak
 * (Z + 2.2 kΩ) × 6 nA, so the OpenBCI GUI's formula reads Z back. `v` and `d` turn it off.
 *
 * Faults, for testing receivers: `dropRate` (whole packets never sent; the counter still advances,
 * as when the radio loses them) and `bitErrorRate` (independent bit flips in every byte sent).
 *
 * Time is driven by the owner: `advanceTo(ms)` sends every packet due by then.
 */
import { InvalidOptionError, checkNumber } from '../../core/index.js';
import {
  CYTON_CHANNEL_LETTERS,
  CYTON_DEFAULT_GAIN,
  CYTON_GAINS,
  CYTON_LEAD_OFF_DRIVE_A,
  CYTON_LEAD_OFF_HZ,
  CYTON_PACKET_BYTES,
  CYTON_SAMPLE_RATE_HZ,
  CYTON_SERIES_RESISTOR_OHMS,
} from '../protocols/cyton/cyton-constants.js';
import { countsFromMicrovolts, writeCytonPacket } from '../protocols/cyton/cyton-encoder.js';
import { EegSimulator, type EegSimulatorOptions } from '../simulators/eeg-simulator.js';
import { Random } from '../simulators/random.js';
import { BitErrorChannel } from './fault-injection.js';

export interface CytonBoardOptions {
  daisy?: boolean;
  seed?: number;
  mainsHz?: 50 | 60;
  dropRate?: number;
  bitErrorRate?: number;
  /** Receives every byte the board sends. */
  send: (bytes: Uint8Array) => void;
  /** A radio dropout: packets due in [atMs, atMs + forMs) after streaming starts are lost. */
  dropout?: { atMs: number; forMs: number };
  startTime?: string;
  /** Electrode impedance per channel, kΩ, that lead-off measures (one value for all, or one per channel). Default 5. */
  impedanceKohm?: number | readonly number[];
}

const BANNER_HEAD = 'OpenBCI V3 8-16 channel\nOn Board ADS1299 Device ID: 0x3E\n';
const BANNER_DAISY = 'On Daisy ADS1299 Device ID: 0x3E\n';
const BANNER_TAIL = 'LIS3DH Device ID: 0x33\nFirmware: v3.1.2\n$$$';

/** The EEG simulator behind a board: 8 channels at 250 Hz, or 16 at 125 Hz with a Daisy. */
function simulatorOptions(options: Pick<CytonBoardOptions, 'daisy' | 'seed' | 'mainsHz' | 'startTime'>): EegSimulatorOptions {
  const daisy = options.daisy ?? false;
  return {
    channels: daisy ? 16 : 8,
    sampleRateHz: daisy ? CYTON_SAMPLE_RATE_HZ / 2 : CYTON_SAMPLE_RATE_HZ,
    seed: options.seed ?? 1,
    mainsHz: options.mainsHz ?? 60,
    ...(options.startTime ? { startTime: options.startTime } : {}),
  };
}

/** An emulated OpenBCI Cyton (or Cyton+Daisy) board at the byte level: it answers firmware commands and streams packets. */
export class CytonBoard {
  readonly daisy: boolean;
  readonly channels: number;
  /** Packets the board counted (sent or dropped) since the last `b`. */
  packetsCounted = 0;
  packetsDropped = 0;
  /**
   * The board's account of bit errors in the packets it sent since the last `b`: packets with any
   * bit flipped; of those, packets no receiver can frame (header or stop byte broken); and packets
   * framed intact but with a different sample counter.
   */
  packetsCorrupted = 0;
  packetsUnframeable = 0;
  countersCorrupted = 0;
  streaming = false;

  private readonly send: (bytes: Uint8Array) => void;
  private readonly dropRate: number;
  private readonly dropout: { atMs: number; forMs: number } | undefined;
  private readonly bitErrors: BitErrorChannel;
  private readonly faults: Random;
  private readonly simulatorOptions: EegSimulatorOptions;
  private simulator: EegSimulator;
  private readonly gains: number[];
  private readonly enabled: boolean[];
  /** Per channel: lead-off current on (either input). */
  private readonly leadOff: boolean[];
  /** Per channel: peak µV of the lead-off sine when on. */
  private readonly leadOffUv: number[];
  private command = '';
  private streamStartMs = 0;
  private counter = 0;
  private current: Float32Array = new Float32Array(0);
  private currentIndex = -1;

  constructor(options: CytonBoardOptions) {
    this.daisy = options.daisy ?? false;
    this.channels = this.daisy ? 16 : 8;
    this.send = options.send;
    this.dropRate = checkNumber('option', 'dropRate', options.dropRate ?? 0, { min: 0, max: 1 });
    const bitErrorRate = checkNumber('option', 'bitErrorRate', options.bitErrorRate ?? 0, { min: 0, max: 0.5 });
    this.dropout = options.dropout;
    const seed = options.seed ?? 1;
    this.faults = new Random(seed, 0xfa17);
    // Bit errors from their own random stream: where they fall depends on the seed alone.
    this.bitErrors = new BitErrorChannel(bitErrorRate, new Random(seed, 0xb17e));
    this.simulatorOptions = simulatorOptions(options);
    this.simulator = new EegSimulator(this.simulatorOptions);
    this.gains = new Array<number>(this.channels).fill(CYTON_DEFAULT_GAIN);
    this.enabled = new Array<boolean>(this.channels).fill(true);
    this.leadOff = new Array<boolean>(this.channels).fill(false);
    const z = options.impedanceKohm ?? 5;
    if (Array.isArray(z) && z.length !== this.channels) {
      throw new InvalidOptionError('impedanceKohm', `one value per channel (${this.channels})`, z);
    }
    this.leadOffUv = Array.from({ length: this.channels }, (_, c) => {
      const kohm = checkNumber('option', `impedanceKohm[${c}]`, Array.isArray(z) ? z[c] : z, { min: 0, max: 10000 });
      return (kohm * 1000 + CYTON_SERIES_RESISTOR_OHMS) * CYTON_LEAD_OFF_DRIVE_A * 1e6;
    });
  }

  /**
   * The simulator whose samples a board with these options sends (to check what a receiver decoded).
   *
   * @internal
   */
  static simulatorFor(options: Pick<CytonBoardOptions, 'daisy' | 'seed' | 'mainsHz' | 'startTime'>): EegSimulator {
    return new EegSimulator(simulatorOptions(options));
  }

  /** Bytes from the host. */
  receive(bytes: Uint8Array, nowMs: number): void {
    for (const b of bytes) this.command1(String.fromCharCode(b), nowMs);
  }

  private reply(text: string): void {
    if (!this.streaming) this.emit(new TextEncoder().encode(text));
  }

  private command1(ch: string, nowMs: number): void {
    if (this.command.length > 0) {
      // Inside a multi-byte x…X or z…Z command.
      this.command += ch;
      if (this.command[0] === 'x' && this.command.length === 9) {
        this.applyChannelSettings(this.command);
        this.command = '';
      } else if (this.command[0] === 'z' && this.command.length === 5) {
        this.applyLeadOff(this.command);
        this.command = '';
      }
      return;
    }
    switch (ch) {
      case 'x':
      case 'z':
        this.command = ch;
        return;
      case 'v':
        this.streaming = false;
        this.gains.fill(CYTON_DEFAULT_GAIN);
        this.enabled.fill(true);
        this.leadOff.fill(false);
        this.emit(new TextEncoder().encode(BANNER_HEAD + (this.daisy ? BANNER_DAISY : '') + BANNER_TAIL));
        return;
      case 'b':
        // Streaming restarts the sample counter and the signal from where the session is now.
        this.streaming = true;
        this.streamStartMs = nowMs;
        this.counter = 0;
        this.packetsCounted = 0;
        this.packetsDropped = 0;
        this.packetsCorrupted = 0;
        this.packetsUnframeable = 0;
        this.countersCorrupted = 0;
        this.simulator = new EegSimulator(this.simulatorOptions);
        this.currentIndex = -1;
        return;
      case 's':
        this.streaming = false;
        return;
      case 'd':
        this.gains.fill(CYTON_DEFAULT_GAIN);
        this.enabled.fill(true);
        this.leadOff.fill(false);
        this.reply('updating channel settings to default$$$');
        return;
      case 'V':
        this.reply('v3.1.2$$$');
        return;
      case '~':
        this.reply(`Sample rate is ${CYTON_SAMPLE_RATE_HZ}Hz$$$`);
        return;
      default: {
        const off = '12345678qwertyui'.indexOf(ch);
        const on = '!@#$%^&*QWERTYUI'.indexOf(ch);
        if (off >= 0 && off < this.channels) this.enabled[off] = false;
        else if (on >= 0 && on < this.channels) this.enabled[on] = true;
      }
    }
  }

  private applyChannelSettings(cmd: string): void {
    if (cmd[8] !== 'X') {
      this.reply('Failure: 9th char not X$$$');
      return;
    }
    const c = (CYTON_CHANNEL_LETTERS as readonly string[]).indexOf(cmd[1]!);
    const g = Number(cmd[3]);
    if (c < 0 || c >= this.channels || !Number.isInteger(g) || g < 0 || g >= CYTON_GAINS.length) {
      this.reply('Failure: Err: invalid channel settings$$$');
      return;
    }
    this.enabled[c] = cmd[2] === '0';
    this.gains[c] = CYTON_GAINS[g]!;
    this.reply(`Success: Channel set for ${c + 1}$$$`);
  }

  private applyLeadOff(cmd: string): void {
    if (cmd[4] !== 'Z') {
      this.reply('Failure: 5th char not Z$$$');
      return;
    }
    const c = (CYTON_CHANNEL_LETTERS as readonly string[]).indexOf(cmd[1]!);
    if (c < 0 || c >= this.channels || !/^[01]$/.test(cmd[2]!) || !/^[01]$/.test(cmd[3]!)) {
      this.reply('Failure: Err: invalid lead off settings$$$');
      return;
    }
    this.leadOff[c] = cmd[2] === '1' || cmd[3] === '1';
    this.reply(`Success: Lead off set for ${c + 1}$$$`);
  }

  /** Whether channel c (0-based) has its lead-off current on. */
  leadOffOn(c: number): boolean {
    return this.leadOff[c] ?? false;
  }

  /** Sends every packet due by `nowMs` while streaming. */
  advanceTo(nowMs: number): void {
    if (!this.streaming) return;
    const due = Math.floor(((nowMs - this.streamStartMs) * CYTON_SAMPLE_RATE_HZ) / 1000);
    const packets = due - this.packetsCounted;
    if (packets <= 0) return;
    const out = new Uint8Array(packets * CYTON_PACKET_BYTES);
    let at = 0;
    for (let k = 0; k < packets; k++) {
      const counter = this.counter;
      this.counter = (this.counter + 1) & 0xff;
      const packetIndex = this.packetsCounted++;
      const counts = this.packetCounts(packetIndex);
      const packetMs = (packetIndex * 1000) / CYTON_SAMPLE_RATE_HZ;
      const inDropout = this.dropout !== undefined && packetMs >= this.dropout.atMs && packetMs < this.dropout.atMs + this.dropout.forMs;
      if (inDropout || (this.dropRate > 0 && this.faults.uniform() < this.dropRate)) {
        this.packetsDropped++;
        continue;
      }
      const accel: [number, number, number] =
        packetIndex % 10 === 0 ? [Math.round(this.faults.normal() * 40), Math.round(this.faults.normal() * 40), 8000] : [0, 0, 0];
      writeCytonPacket(out, at, { counter, counts, accel });
      at += CYTON_PACKET_BYTES;
    }
    if (at === 0) return;
    const sent = out.subarray(0, at);
    let lastHit = -1;
    const hit: number[] = [];
    const received = this.bitErrors.apply(sent, (i) => {
      const packet = Math.floor(i / CYTON_PACKET_BYTES);
      if (packet !== lastHit) hit.push((lastHit = packet));
    });
    for (const packet of hit) {
      const o = packet * CYTON_PACKET_BYTES;
      this.packetsCorrupted++;
      const stop = received[o + CYTON_PACKET_BYTES - 1]!;
      if (received[o] !== sent[o] || stop < 0xc0 || stop > 0xcf) this.packetsUnframeable++;
      else if (received[o + 1] !== sent[o + 1]) this.countersCorrupted++;
    }
    this.send(received);
  }

  /** ADC counts of the 8 channels a packet carries. */
  private packetCounts(packetIndex: number): number[] {
    // Cyton: packet k carries sample k. Daisy: packets 2j−1 and 2j carry sample j−1
    // (the first packet after `b`, counter 0, is the invalid one: zeros).
    let sample: number;
    let half = 0;
    if (this.daisy) {
      if (packetIndex === 0) return new Array<number>(8).fill(0);
      sample = (packetIndex - 1) >> 1;
      half = (packetIndex - 1) & 1;
    } else {
      sample = packetIndex;
    }
    while (this.currentIndex < sample) {
      this.current = this.simulator.read(1, 0).data;
      this.currentIndex++;
    }
    const counts: number[] = [];
    const rateHz = this.daisy ? CYTON_SAMPLE_RATE_HZ / 2 : CYTON_SAMPLE_RATE_HZ;
    const phase = 2 * Math.PI * CYTON_LEAD_OFF_HZ * (sample / rateHz);
    for (let i = 0; i < 8; i++) {
      const c = half * 8 + i;
      const uV = this.current[c]! + (this.leadOff[c] ? this.leadOffUv[c]! * Math.sin(phase) : 0);
      counts.push(this.enabled[c] ? countsFromMicrovolts(uV, this.gains[c]!) : 0);
    }
    return counts;
  }

  private emit(bytes: Uint8Array): void {
    if (bytes.length > 0) this.send(this.bitErrors.apply(bytes));
  }

  /**
   * The link was down until `nowMs`: packets due meanwhile were never received (the board kept
   * counting them). Streaming resumes from here.
   */
  skipTo(nowMs: number): void {
    if (!this.streaming) return;
    const due = Math.floor(((nowMs - this.streamStartMs) * CYTON_SAMPLE_RATE_HZ) / 1000);
    while (this.packetsCounted < due) {
      this.packetCounts(this.packetsCounted++);
      this.counter = (this.counter + 1) & 0xff;
    }
  }
}
