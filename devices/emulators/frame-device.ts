/**
 * FrameDevice — a high-channel-count front-end speaking the neurostream frame protocol
 * (docs/frame-protocol.md): intracortical-simulator data in frames of `frameScans` scans, sent in
 * real time as the owner advances the clock. It streams from power-up and takes no commands.
 *
 * Faults: `dropRate` (frames never sent; the sequence number still advances) and `bitErrorRate`.
 *
 * `loopS` makes the device cheap, for benchmarks where it must not compete with the pipeline for
 * the CPU: the first `loopS` seconds are simulated and encoded once (at power-up) and played in a
 * loop — sequence numbers and timestamps keep counting (each frame's CRC recomputed), the signals
 * repeat.
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
  /** Simulate this many seconds once and play them in a loop (default: simulate live). */
  loopS?: number;
}

/** µV per count the device reports for each integer format. */
export const FRAME_DEVICE_SCALE_UV: Record<FrameFormat, number> = { 1: 0.195, 2: 0.01, 3: 1 };

/** An emulated device speaking the frame protocol: intracortical-simulator data in frames, with optional faults. */
export class FrameDevice {
  /** @internal The simulator whose samples the device sends. */
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
  /** The loop's encoded frames (at power-up), and how many. */
  private loop: { bytes: Uint8Array; frames: number } | undefined;

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
    if (options.loopS !== undefined) this.makeLoop(checkNumber('option', 'loopS', options.loopS, { min: 0.01, max: 60 }));
  }

  /** Simulates and encodes `loopS` seconds from the simulator's start: the loop. */
  private makeLoop(loopS: number): void {
    const frames = Math.max(1, Math.round((loopS * this.encoder.sampleRateHz) / this.frameScans));
    const size = this.encoder.frameBytes(this.frameScans);
    const bytes = new Uint8Array(frames * size);
    for (let k = 0; k < frames; k++) {
      const block = this.simulator.read(this.frameScans, 0);
      this.encoder.write(bytes, k * size, block.data, this.frameScans, 0, this.frameScans, k, this.timestampUs(block.first));
    }
    this.loop = { bytes, frames };
  }

  private timestampUs(firstScan: number): bigint {
    return BigInt(Math.round((firstScan * 1e6) / this.encoder.sampleRateHz));
  }

  /** Sends every frame due by `nowMs` (the first call starts the clock). */
  advanceTo(nowMs: number): void {
    const due = this.due(nowMs);
    const frames = due - this.framesCounted;
    if (frames <= 0) return;
    const size = this.encoder.frameBytes(this.frameScans);
    if (this.buffer.length < frames * size) this.buffer = new Uint8Array(frames * size);
    let at = 0;
    const loop = this.loop;
    for (let k = 0; k < frames; k++) {
      const block = loop ? undefined : this.simulator.read(this.frameScans, 0);
      const sequence = this.framesCounted++;
      if (this.dropRate > 0 && this.faults.uniform() < this.dropRate) {
        this.framesDropped++;
        continue;
      }
      if (loop) {
        // The loop's frame, renumbered: sequence, timestamp, and the CRC over both.
        const from = (sequence % loop.frames) * size;
        this.buffer.set(loop.bytes.subarray(from, from + size), at);
        this.encoder.renumber(this.buffer, at, this.frameScans, sequence, this.timestampUs(sequence * this.frameScans));
        at += size;
        continue;
      }
      at += this.encoder.write(this.buffer, at, block!.data, this.frameScans, 0, this.frameScans, sequence, this.timestampUs(block!.first));
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
    this.startMs = NaN; // (a loop, when there is one, is the same signal from the start)
  }

  private due(nowMs: number): number {
    if (Number.isNaN(this.startMs)) this.startMs = nowMs;
    return Math.floor(((nowMs - this.startMs) * this.encoder.sampleRateHz) / 1000 / this.frameScans);
  }
}
