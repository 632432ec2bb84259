/**
 * Electrode impedance from a streaming device's lead-off current, channel by channel, the way the
 * OpenBCI GUI measures it while streaming: for each channel the current is turned on (its
 * positive input), `settleS` seconds are discarded, the drive frequency's amplitude is measured
 * over `seconds` seconds of the streamed samples (acquisition's `toneAmplitude`), the current is
 * turned off again, and the GUI's formula gives kΩ (`leadOffImpedanceOhms`). A gap in the stream
 * during a channel's window (a lost packet, a reconnection whose soft reset turned the current
 * off) starts that channel again, at most {@link MAX_RESTARTS} times. Whatever happens, the
 * current of the channel being measured is turned off before the promise settles (a stream that
 * has already stopped is the driver's to clean up: its end turns every current off).
 *
 * `neurostream impedance` (its own connection) and a live session's `measure-impedance` dashboard
 * command (the session's connection) both measure here.
 */
import type { Observable, Subscription } from 'rxjs';
import { leadOffImpedanceOhms, toneAmplitude } from '../acquisition/index.js';
import { ErrorCode, InvalidOptionError, NeurostreamError, checkNumber, type SampleBlock, type StreamInfo } from '../core/index.js';
import type { CytonControl } from '../devices/index.js';

/** How often a channel's window is started again after a gap before the measurement gives up. */
export const MAX_RESTARTS = 3;

/** A device that drives a lead-off current while it streams (a Cyton's {@link CytonControl}). */
export type LeadOffDevice = Pick<CytonControl, 'leadOff' | 'setLeadOff'>;

/** A measurement that could not finish: the stream ended, stalled or kept losing samples. */
export class ImpedanceMeasurementError extends NeurostreamError {
  constructor(message: string) {
    super(ErrorCode.DeviceFailure, message);
  }
}

export interface ChannelImpedance {
  /** 1-based channel number. */
  readonly channel: number;
  readonly name: string;
  /** Peak amplitude at the drive frequency, µV. */
  readonly amplitudeUv: number;
  readonly impedanceKohm: number;
}

/** Where a measurement is: channel `index` (0-based) of `of` has its current on. */
export interface ImpedanceProgress {
  readonly channel: number;
  readonly name: string;
  readonly index: number;
  readonly of: number;
}

export interface ImpedanceMeasurementOptions {
  /** Channels to measure, 1-based (checked against the stream's EEG channels). */
  channels: readonly number[];
  /** Seconds measured per channel. */
  seconds: number;
  /** Seconds discarded after the current is turned on. Default 0.5. */
  settleS?: number;
  /** What errors call the channel list (e.g. `--channels`). Default `channels`. */
  channelsOption?: string;
  /** Longest wait for one channel's samples, ms. Default 4 × (settle + seconds) + 5 s. */
  channelTimeoutMs?: number;
  /** A channel's current was turned on. */
  onProgress?: (progress: ImpedanceProgress) => void;
  /** A channel is done. */
  onChannel?: (result: ChannelImpedance) => void;
}

/** `1-8`, `1,3,5`, `2-4,7` → sorted unique channel numbers; throws naming `option`. */
export function parseChannelList(option: string, raw: string, max = 16): number[] {
  const out = new Set<number>();
  for (const part of raw.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || lo < 1 || hi > max || lo > hi) {
      throw new InvalidOptionError(option, `channel numbers 1–${max} as a list or ranges, e.g. 1-8 or 1,3,5`, raw);
    }
    for (let c = lo; c <= hi; c++) out.add(c);
  }
  return [...out].sort((a, b) => a - b);
}

/** The stream's neural channels a lead-off current can drive (the `eeg` ones, in order). */
export function leadOffChannelCount(info: StreamInfo): number {
  return info.channelKinds.filter((k) => k === 'eeg').length;
}

/** Waits for blocks: the next one (for the stream's info), or `need` contiguous samples of one row. */
class BlockTap {
  info: StreamInfo | undefined;
  private next = 0;
  private waiter: { onBlock(block: SampleBlock): void; onEnd(error: Error): void } | undefined;
  private ended: Error | undefined;
  private readonly subscription: Subscription;

  constructor(blocks$: Observable<SampleBlock>, info: StreamInfo | undefined) {
    this.info = info;
    this.subscription = blocks$.subscribe({
      next: (block) => {
        this.info = block.info;
        this.next = block.first + block.length;
        this.waiter?.onBlock(block);
      },
      // A source that fails before its first block (not the device expected) fails in its own words.
      error: (error: unknown) =>
        this.end(
          this.info || !(error instanceof Error)
            ? new ImpedanceMeasurementError(`the stream failed during the impedance measurement: ${error instanceof Error ? error.message : String(error)}`)
            : error,
        ),
      complete: () => this.end(new ImpedanceMeasurementError('the stream ended during the impedance measurement')),
    });
  }

  private end(error: Error): void {
    this.ended ??= error;
    this.waiter?.onEnd(error);
  }

  private wait<T>(timeoutMs: number, what: string, onBlock: (block: SampleBlock, done: (value: T | Error) => void) => void): Promise<T> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise<T>((resolve, reject) => {
      const done = (value: T | Error): void => {
        clearTimeout(timer);
        this.waiter = undefined;
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      const timer = setTimeout(() => done(new ImpedanceMeasurementError(`no ${what} within ${(timeoutMs / 1000).toFixed(1)} s: the stream stalled`)), timeoutMs);
      this.waiter = { onBlock: (block) => onBlock(block, done), onEnd: (error) => done(error) };
    });
  }

  /** The stream's info: known already, or from its next block. */
  async streamInfo(timeoutMs: number): Promise<StreamInfo> {
    return this.info ?? this.wait<StreamInfo>(timeoutMs, 'samples', (block, done) => done(block.info));
  }

  /**
   * `need` contiguous samples of row `row` from the first block that starts at or after the
   * sample where this call was made; null when a gap broke them.
   */
  samples(row: number, need: number, timeoutMs: number, what: string): Promise<Float64Array | null> {
    const from = this.next;
    const kept = new Float64Array(need);
    let n = 0;
    return this.wait<Float64Array | null>(timeoutMs, what, (block, done) => {
      if (block.first < from) return; // in flight when the current was switched: settling covers the rest
      if (n > 0 && block.gap) {
        done(null);
        return;
      }
      const x = block.data.subarray(row * block.length, (row + 1) * block.length);
      for (let i = 0; i < x.length && n < need; i++) kept[n++] = x[i]!;
      if (n >= need) done(kept);
    });
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

/**
 * Measures each channel in `options.channels` in turn over the device's own stream `blocks$`
 * (hot or cold: it is subscribed once, for the measurement). Resolves with every channel's
 * impedance, in order; rejects with one clear error (a channel the stream does not have, a stream
 * that ended or stalled). See the module description.
 */
export async function measureImpedance(blocks$: Observable<SampleBlock>, device: LeadOffDevice, options: ImpedanceMeasurementOptions & { info?: StreamInfo }): Promise<ChannelImpedance[]> {
  const seconds = checkNumber('option', 'seconds', options.seconds, { min: 0, exclusiveMin: true, max: 60 });
  const settleS = checkNumber('option', 'settleS', options.settleS ?? 0.5, { min: 0, max: 10 });
  const option = options.channelsOption ?? 'channels';
  const timeoutMs = options.channelTimeoutMs ?? 4000 * (settleS + seconds) + 5000;
  const tap = new BlockTap(blocks$, options.info);
  const results: ChannelImpedance[] = [];
  let on: number | undefined;
  try {
    const info = await tap.streamInfo(timeoutMs);
    const eeg = leadOffChannelCount(info);
    const rows = info.channelKinds.flatMap((k, c) => (k === 'eeg' ? [c] : []));
    for (const channel of options.channels) {
      if (!Number.isInteger(channel) || channel < 1 || channel > eeg) {
        throw new InvalidOptionError(option, `channels 1–${eeg} (the ${info.device.model || info.device.name} streaming has ${eeg})`, channel);
      }
    }
    const rate = info.sampleRateHz;
    const { frequencyHz } = device.leadOff;
    if (frequencyHz >= rate / 2) throw new InvalidOptionError('sample rate', `above ${2 * frequencyHz} Hz to see the ${frequencyHz} Hz lead-off current`, rate);
    const skip = Math.round(settleS * rate);
    const length = Math.max(4, Math.round(seconds * rate));
    for (const [index, channel] of options.channels.entries()) {
      const row = rows[channel - 1]!;
      const name = info.channelNames[row]!;
      let samples: Float64Array | null = null;
      for (let attempt = 0; samples === null; attempt++) {
        if (attempt > MAX_RESTARTS) throw new ImpedanceMeasurementError(`${name}: the stream lost samples during each of ${attempt} tries of the impedance measurement`);
        await device.setLeadOff(channel, { positive: true, negative: false });
        on = channel;
        if (attempt === 0) options.onProgress?.({ channel, name, index, of: options.channels.length });
        samples = await tap.samples(row, skip + length, timeoutMs, `${name} samples`);
      }
      await device.setLeadOff(channel, { positive: false, negative: false });
      on = undefined;
      const amplitudeUv = toneAmplitude(samples, skip, length, frequencyHz, rate);
      const ohms = leadOffImpedanceOhms(amplitudeUv, device.leadOff);
      const result: ChannelImpedance = { channel, name, amplitudeUv, impedanceKohm: ohms / 1000 };
      results.push(result);
      options.onChannel?.(result);
    }
    return results;
  } finally {
    tap.close();
    // A channel cut short: its current off (a stopped stream's driver has turned it off already).
    if (on !== undefined) await device.setLeadOff(on, { positive: false, negative: false }).catch(() => undefined);
  }
}
