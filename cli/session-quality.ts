/**
 * Signal quality of a session's raw blocks (acquisition's `signalQuality`, 1 s windows, the
 * session's mains frequency): the newest report for the dashboard's status and `/metrics`, and a
 * `signal-quality` marker (`EXG3 railed`, `EXG3 ok`) wherever a channel's status changes, for the
 * recording and the traces.
 */
import { Subject } from 'rxjs';
import { type SignalQualityReport, signalQuality, signalQualityMarkers } from '../acquisition/index.js';
import type { Marker, SampleBlock } from '../core/index.js';
import type { DashboardQualityStatus } from '../dashboard/protocol/dashboard-messages.js';

export class SessionQuality {
  private readonly blocks = new Subject<SampleBlock>();
  private latest: SignalQualityReport | undefined;

  constructor(private readonly mainsHz: 50 | 60, onMarker: (marker: Marker) => void, onError: (error: unknown) => void) {
    const reports = new Subject<SignalQualityReport>();
    reports.subscribe((r) => (this.latest = r));
    reports.pipe(signalQualityMarkers()).subscribe({ next: onMarker, error: onError });
    this.blocks.pipe(signalQuality({ mainsHz })).subscribe({ next: (r) => reports.next(r), error: onError });
  }

  /** Off for a stream too slow to see the mains (a rate at most 2 × (mains + 2) Hz). */
  private off: boolean | undefined;

  push(block: SampleBlock): void {
    this.off ??= block.info.sampleRateHz <= 2 * (this.mainsHz + 2);
    if (!this.off) this.blocks.next(block);
  }

  /** The newest window's verdicts for the dashboard (undefined before the first window). */
  status(): DashboardQualityStatus | undefined {
    const r = this.latest;
    if (!r) return undefined;
    return { sample: r.sample, mainsHz: r.mainsHz, channels: r.channels.map((q) => ({ channel: q.channel, status: q.status, lineNoiseDb: q.lineNoiseDb, peakFraction: q.peakFraction })) };
  }
}
