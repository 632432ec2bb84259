/**
 * `startDashboard(options)` — the live dashboard (dashboard/page/) served on one port, fed by the
 * streams given: the server (dashboard-server.ts) and the publisher (dashboard-publisher.ts) that
 * the CLI's sessions use, wired to Observables. Imports no device: any source will do.
 */
import type { Observable, Subscription } from 'rxjs';
import { type FeatureFrame, type Intent, type SampleBlock, InvalidOptionError, checkInteger, checkNumber } from '../core/index.js';
import { DashboardPublisher, type DashboardPublisherOptions, type DashboardSessionStatus } from './publisher/dashboard-publisher.js';
import { type CommandHandler, type DashboardServer, type DashboardServerOptions, startDashboardServer } from './server/dashboard-server.js';
import { dashboardPageMounts } from './server/page-mounts.js';

/** Options of {@link startDashboard}: the server's (host, port, tokens, limits) and what to show. */
export interface StartDashboardOptions extends DashboardServerOptions {
  /** What the page calls the session (its title). Default `neurostream`. */
  label?: string;
  /** The acquired (or filtered) blocks: traces, spectra, health and markers. The first block describes the stream. */
  blocks?: Observable<SampleBlock>;
  /** Feature frames (for the stream API; and the rate heatmap, see `rateChannels`). Needs `binMs`. */
  features?: Observable<FeatureFrame>;
  /**
   * How many leading values of each feature frame are spike counts per channel, shown as the rate
   * heatmap: for `spikeFeatures`, the number of channels (its `tc:*` rows). Default 0: no heatmap.
   */
  rateChannels?: number;
  /** Decoded intents: the decoder panel and the latency histograms. Needs `binMs`. */
  intents?: Observable<Intent>;
  /** Width of the feature bins (the bins of `features` and `intents`), ms. */
  binMs?: number;
  /**
   * Recording, decoder and packet status shown on the page, asked twice a second. The state
   * follows the blocks (waiting, then live, then ended); a `replay` position makes it a replay,
   * a `link` (a device away) makes it `device-lost` until the link is gone again.
   */
  status?: () => Partial<Omit<DashboardSessionStatus, 'state'>>;
  /** Operator commands from the page (start-recording, stop-recording, add-marker, recalibrate). */
  onCommand?: CommandHandler;
  /** Frame rate and view limits of the publisher. */
  publisher?: Omit<DashboardPublisherOptions, 'status'>;
}

/** A running dashboard. */
export interface Dashboard {
  /** `http://host:port/` */
  readonly url: string;
  /** The page with the viewer token (watch only). */
  readonly viewerUrl: string;
  /** The page with the operator token (may send commands). */
  readonly operatorUrl: string;
  /** The port bound (the one picked, when `port` was 0). */
  readonly port: number;
  readonly server: DashboardServer;
  /** Push blocks, frames, intents or markers by hand (what the `blocks`/`features`/`intents` streams do). */
  readonly publisher: DashboardPublisher;
  /** Stops following the streams, tells the pages the session ended, and closes the server. */
  close(): Promise<void>;
}

/**
 * Starts the dashboard on `port` (default 8787; 0 picks a free one) on loopback (default
 * 127.0.0.1; another address needs `viewerToken` and `operatorToken`), and subscribes to the
 * streams given — subscribe them to a shared source (`share()`), since the dashboard is one more
 * consumer. A port that is taken rejects with an InvalidOptionError naming it.
 *
 * @example
 * ```ts
 * const blocks$ = simulate({ kind: 'eeg', channels: 8 }).pipe(share());
 * const dashboard = await startDashboard({ port: 0, blocks: blocks$ });
 * console.log(dashboard.operatorUrl);
 * ```
 */
export async function startDashboard(options: StartDashboardOptions = {}): Promise<Dashboard> {
  const { label = 'neurostream', blocks, features, intents, binMs, rateChannels = 0, status, onCommand, publisher: publisherOptions, ...serverOptions } = options;
  checkInteger('option', 'rateChannels', rateChannels, { min: 0 });
  let binS = 0;
  if (features || intents) {
    if (binMs === undefined) throw new InvalidOptionError('binMs', 'the width of the feature bins (ms), with features or intents', undefined);
    binS = checkNumber('option', 'binMs', binMs, { min: 0, exclusiveMin: true }) / 1000;
  }
  const server = await startDashboardServer({ mounts: dashboardPageMounts(), ...serverOptions });
  let state: 'waiting' | 'started' | 'ended' = 'waiting';
  const session = (): DashboardSessionStatus => {
    const extra = status?.() ?? {};
    const typed = state === 'ended' ? 'ended' : extra.link ? 'device-lost' : state === 'waiting' ? 'waiting' : extra.replay ? 'replay' : 'live';
    return { label, recording: null, decoder: null, ...extra, state: typed };
  };
  const publisher = new DashboardPublisher(server, { ...publisherOptions, status: session });
  const removeCommand = onCommand ? server.onCommand(onCommand) : undefined;
  const subscriptions: Subscription[] = [];
  if (blocks) {
    subscriptions.push(
      blocks.subscribe({
        next: (block) => {
          state = 'started';
          publisher.pushBlock(block);
        },
        error: () => (state = 'ended'),
        complete: () => (state = 'ended'),
      }),
    );
  }
  if (features) subscriptions.push(features.subscribe({ next: (frame) => publisher.pushFeatures(frame, binS, rateChannels), error: () => {} }));
  if (intents) subscriptions.push(intents.subscribe({ next: (intent) => publisher.pushIntent(intent, binS), error: () => {} }));
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    viewerUrl: server.viewerUrl,
    operatorUrl: server.operatorUrl,
    port: server.port,
    server,
    publisher,
    close() {
      closing ??= (async () => {
        for (const s of subscriptions) s.unsubscribe();
        removeCommand?.();
        state = 'ended';
        publisher.close(session());
        await server.close();
      })();
      return closing;
    },
  };
}
