/**
 * Band power for EEG pages (the OpenBCI GUI's band-power widget): delta, theta, alpha, beta and
 * gamma power per channel, from acquisition's `bandPower` operator (Welch over the last 2 s,
 * every 0.5 s) run on the session's filtered signal when it has one (else the raw signal), and
 * sent to the pages as band-power frames (type 8) whenever a new window is done.
 */
import { Subject, type Subscription } from 'rxjs';
import type { FeatureFrame } from '../../core/feature-frame.js';
import type { SampleBlock } from '../../core/sample-block.js';
import { channelCount, type StreamInfo } from '../../core/stream-info.js';
import { bandPower } from '../../acquisition/index.js';
import { FrameType, createDashboardFrame } from '../protocol/dashboard-frames.js';
import type { BandDescription } from '../protocol/dashboard-messages.js';
import { nextSequence, type FrameSequence } from './health-frames.js';

/** The clinical EEG bands (Hz); gamma stops below 50 Hz mains. */
export const CLINICAL_BANDS: readonly BandDescription[] = [
  { name: 'delta', loHz: 1, hiHz: 4 },
  { name: 'theta', loHz: 4, hiHz: 8 },
  { name: 'alpha', loHz: 8, hiHz: 13 },
  { name: 'beta', loHz: 13, hiHz: 30 },
  { name: 'gamma', loHz: 30, hiHz: 45 },
];
export const BAND_POWER_WINDOW_S = 2;
export const BAND_POWER_STEP_S = 0.5;

export class BandPowerMonitor {
  readonly bands: BandDescription[];
  readonly channels: number;
  /** What the power is computed from (the session's filter's label, or "raw"). */
  source = 'raw';
  /** Increases with each new window. */
  version = 0;
  private latest: FeatureFrame | undefined;
  private input = new Subject<SampleBlock>();
  private subscription: Subscription;

  constructor(private readonly info: StreamInfo) {
    this.bands = CLINICAL_BANDS.filter((b) => b.hiHz < info.sampleRateHz / 2);
    this.channels = channelCount(info);
    this.subscription = this.subscribe();
  }

  /** A block of the signal the power is computed from. */
  push(block: SampleBlock): void {
    this.input.next(block);
  }

  /** From now on the power is computed from another signal (the session's filtered blocks): the window starts again. */
  switchSource(source: string): void {
    this.subscription.unsubscribe();
    this.input = new Subject<SampleBlock>();
    this.subscription = this.subscribe();
    this.source = source;
  }

  /** The newest window as a frame: `[channels × bands]` µV². */
  frame(counter: FrameSequence): Uint8Array | undefined {
    const f = this.latest;
    if (!f) return undefined;
    const draft = createDashboardFrame(FrameType.BandPower, {
      sequence: nextSequence(counter),
      channels: this.channels,
      columns: this.bands.length,
      time: (f.t0 + BAND_POWER_WINDOW_S * this.info.sampleRateHz) / this.info.sampleRateHz,
      step: 0,
      firstColumn: f.bin,
    });
    // The operator's values are band-major [bands × channels]; the frame is channel-major [channels × bands].
    const out = draft.payloads[0]!;
    const B = this.bands.length;
    const C = this.channels;
    for (let b = 0; b < B; b++) for (let c = 0; c < C; c++) out[c * B + b] = f.values[b * C + c]!;
    return draft.bytes;
  }

  close(): void {
    this.subscription.unsubscribe();
  }

  private subscribe(): Subscription {
    return this.input.pipe(bandPower({ bands: this.bands, windowS: BAND_POWER_WINDOW_S, stepS: BAND_POWER_STEP_S })).subscribe({
      next: (frame) => {
        this.latest = frame;
        this.version++;
      },
    });
  }
}
