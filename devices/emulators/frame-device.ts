/**
 * FrameDevice — a high-channel-count front-end speaking the neurostream frame protocol
 * (docs/frame-protocol.md): intracortical-simulator data in frames of `frameScans` scans, sent in
 * real time as the owner advances the clock. It streams from power-up and takes no commands.
 *
 * Faults: `dropRate` (frames never sent; the sequence number still advances) and `bitErrorRate`.
 */
import { checkInteger, checkNumber } from '../../core/index.js';
import { FrameFormat } from '../protocols/frame/frame-constants.js';
import { FrameEncoder } from '../protocols/frame/frame-encoder.js';
import { IntracorticalSimulator, type IntracorticalSimulatorOptions } from '../simulators/intracortical-simulator.js';
import { Random } from '../simulators/random.js';
import { flipBits } from './fault-injection.js';

export interface FrameDeviceOptions {
  channels: number;
  sampleRateHz: number;
  format: FrameFormat;
  frameScans: number;
  seed?: number;
  dropRate?: number;
  bitErrorRate?: number;
  send: (bytes: Uint8Array) => void;
  startTime?: string;
}

/** µV per count the device reports for each integer format. */
export const FRAME_DEVICE_SCALE_UV: Record<FrameFormat, number> = { 1: 0.195, 2: 0.01, 3: 1 };

export class FrameDevice {
  simulator: IntracorticalSimulator;
  framesCounted = 0;
  framesDropped = 0;
  private readonly encoder: FrameEncoder;
  private readonly simulatorOptions: IntracorticalSimulatorOptions;
  private readonly frameScans: number;
  private readonly send: (bytes: Uint8Array) => void;
  private readonly dropRate: number;
  private readonly bitErrorRate: number;
  private readonly faults: Random;
  private startMs = NaN;
  private buffer = new Uint8Array(0);

  constructor(options: FrameDeviceOptions) {
    this.frameScans = checkInteger('option', 'frameScans', options.frameScans, { min: 1, max: 4096 });
    this.dropRate = checkNumber('option', 'dropRate', options.dropRate ?? 0, { min: 0, max: 1 });
    this.bitErrorRate = checkNumber('option', 'bitErrorRate', options.bitErrorRate ?? 0, { min: 0, max: 0.5 });
    this.simulatorOptions = {
      channels: options.channels,
      sampleRateHz: options.sampleRateHz,
      seed: options.seed ?? 1,
      ...(options.startTime ? { startTime: options.startTime } : {}),
    };
    this.simulator = new IntracorticalSimulator(this.simulatorOptions);
    this.encoder = new FrameEncoder({
      format: options.format,
      channels: options.channels,
      sampleRateHz: options.sampleRateHz,
      scaleUv: FRAME_DEVICE_SCALE_UV[options.format],
    });
    this.faults = new Random(options.seed ?? 1, 0xfa17);
    this.send = options.send;
  }

  /** Sends every frame due by `nowMs` (the first call starts the clock). */
  advanceTo(nowMs: number): void {
    const due = this.due(nowMs);
    const frames = due - this.framesCounted;
    if (frames <= 0) return;
    const size = this.encoder.frameBytes(this.frameScans);
    if (this.buffer.length < frames * size) this.buffer = new Uint8Array(frames * size);
    let at = 0;
    for (let k = 0; k < frames; k++) {
      const block = this.simulator.read(this.frameScans, 0);
      const sequence = this.framesCounted++;
      if (this.dropRate > 0 && this.faults.uniform() < this.dropRate) {
        this.framesDropped++;
        continue;
      }
      const timestampUs = BigInt(Math.round((block.first * 1e6) / this.encoder.sampleRateHz));
      at += this.encoder.write(this.buffer, at, block.data, this.frameScans, 0, this.frameScans, sequence, timestampUs);
    }
    if (at > 0) this.send(flipBits(this.buffer.slice(0, at), this.bitErrorRate, this.faults));
  }

  /**
   * Power-cycles the device (a USB-powered front-end restarts when replugged): its clock, sequence
   * number and signal start again from zero.
   */
  restart(): void {
    this.simulator = new IntracorticalSimulator(this.simulatorOptions);
    this.framesCounted = 0;
    this.startMs = NaN;
  }

  private due(nowMs: number): number {
    if (Number.isNaN(this.startMs)) this.startMs = nowMs;
    return Math.floor(((nowMs - this.startMs) * this.encoder.sampleRateHz) / 1000 / this.frameScans);
  }
}
