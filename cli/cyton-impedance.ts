/**
 * Electrode impedance of a Cyton, channel by channel, the way the OpenBCI GUI measures it: for
 * each channel a connection that turns its lead-off current on (`z C 1 0 Z`: 6 nA at 31.25 Hz into
 * the positive input), `settleS` seconds discarded, then the 31.25 Hz amplitude over `seconds`
 * seconds → kΩ with the GUI's formula; at the end one connection that turns every measured
 * channel's lead-off off again (each answered `Success…` before the board streams).
 */
import { filter, firstValueFrom, lastValueFrom, map, retry, take, throwError, timer, toArray } from 'rxjs';
import { leadOffImpedanceOhms, toneAmplitude } from '../acquisition/index.js';
import { InvalidOptionError, type SampleBlock, type StreamInfo } from '../core/index.js';
import { CYTON_LEAD_OFF_DRIVE_A, CYTON_LEAD_OFF_HZ, CYTON_SERIES_RESISTOR_OHMS, cyton, cytonLeadOffCommand } from '../devices/index.js';

export interface CytonImpedanceOptions {
  port: string;
  /** Channels to measure, 1-based. */
  channels: readonly number[];
  /** Seconds measured per channel. */
  seconds: number;
  /** Seconds discarded after the lead-off current is turned on. Default 0.5. */
  settleS?: number;
  /** Called as each channel is done. */
  onChannel?: (result: ChannelImpedance) => void;
}

export interface ChannelImpedance {
  /** 1-based channel number. */
  readonly channel: number;
  readonly name: string;
  /** Peak amplitude at 31.25 Hz, µV. */
  readonly amplitudeUv: number;
  readonly impedanceKohm: number;
}

/** `1-8`, `1,3,5`, `2-4,7` → sorted unique channel numbers; throws naming `flag`. */
export function parseChannelList(flag: string, raw: string, max = 16): number[] {
  const out = new Set<number>();
  for (const part of raw.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 1 || hi > max || lo > hi) {
      throw new InvalidOptionError(flag, `channel numbers 1–${max} as a list or ranges, e.g. 1-8 or 1,3,5`, raw);
    }
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * One connection with these commands. The previous connection closes the port asynchronously (it
 * sends `s` first): while the port is still locked by it, opening is retried for up to 3 s.
 */
const source = (port: string, commands: string[], onInfo?: (info: StreamInfo) => void) =>
  cyton({ port, commands, reconnect: false, bannerTimeoutMs: 3000, bannerTries: 2, ...(onInfo ? { onInfo } : {}) }).pipe(
    retry({ count: 30, delay: (error: Error) => (/Cannot lock port/.test(error.message) ? timer(100) : throwError(() => error)) }),
  );

export async function measureCytonImpedance(options: CytonImpedanceOptions): Promise<ChannelImpedance[]> {
  const settleS = options.settleS ?? 0.5;
  const results: ChannelImpedance[] = [];
  try {
    for (const channel of options.channels) {
      let rate = 0;
      let row = -1;
      let name = '';
      let need = 0;
      const kept: number[] = [];
      let board: StreamInfo | undefined;
      const notOnBoard = (): InvalidOptionError | undefined => {
        const eeg = board?.channelKinds.filter((k) => k === 'eeg').length ?? Infinity;
        return channel > eeg ? new InvalidOptionError('--channels', `channels 1–${eeg} (the board on ${options.port} has ${eeg})`, channel) : undefined;
      };
      const samples = await lastValueFrom(
        source(options.port, [cytonLeadOffCommand(channel, { positive: true, negative: false })], (info) => (board = info)).pipe(
          map((block: SampleBlock) => {
            if (rate === 0) {
              rate = block.info.sampleRateHz;
              row = channel - 1;
              name = block.info.channelNames[row]!;
              need = Math.round((settleS + options.seconds) * rate);
            }
            const x = block.data.subarray(row * block.length, (row + 1) * block.length);
            for (let i = 0; i < x.length && kept.length < need; i++) kept.push(x[i]!);
            return kept.length;
          }),
          filter((n) => n >= need),
          take(1),
          map(() => kept),
        ),
      ).catch((error: unknown) => {
        // A board without this channel refuses its lead-off command: say so in terms of the flag.
        throw notOnBoard() ?? error;
      });
      const skip = Math.round(settleS * rate);
      const amplitudeUv = toneAmplitude(samples, skip, samples.length - skip, CYTON_LEAD_OFF_HZ, rate);
      const ohms = leadOffImpedanceOhms(amplitudeUv, { driveCurrentA: CYTON_LEAD_OFF_DRIVE_A, seriesResistanceOhms: CYTON_SERIES_RESISTOR_OHMS });
      const result = { channel, name, amplitudeUv, impedanceKohm: ohms / 1000 };
      results.push(result);
      options.onChannel?.(result);
    }
  } finally {
    if (results.length > 0) {
      // Lead-off off on every measured channel: the board answers each before it streams.
      const off = results.map((r) => cytonLeadOffCommand(r.channel, { positive: false, negative: false }));
      await firstValueFrom(source(options.port, off).pipe(take(1), toArray())).catch(() => undefined);
    }
  }
  return results;
}
