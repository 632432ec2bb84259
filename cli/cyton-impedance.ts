/**
 * Electrode impedance of a Cyton on its own connection, the way the OpenBCI GUI measures it while
 * streaming: one connection, then channel by channel the lead-off current on, the 31.25 Hz
 * amplitude measured, the current off — session/impedance-measurement.ts does the measuring (a
 * live session's `measure-impedance` dashboard command uses the same module); here the board is
 * opened and closed (its end turns off any current still on).
 */
import { share } from 'rxjs';
import { cyton, type CytonControl } from '../devices/index.js';
import { measureImpedance, type ChannelImpedance } from '../session/index.js';

export { parseChannelList, type ChannelImpedance } from '../session/index.js';

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

export async function measureCytonImpedance(options: CytonImpedanceOptions): Promise<ChannelImpedance[]> {
  let control: CytonControl | undefined;
  const blocks$ = cyton({ port: options.port, reconnect: false, bannerTimeoutMs: 3000, bannerTries: 2, onControl: (c) => (control = c) }).pipe(share());
  // One subscription holds the connection open for the whole measurement; the measurement taps it.
  const held = blocks$.subscribe({ error: () => {} });
  try {
    return await measureImpedance(blocks$, control!, {
      channels: options.channels,
      seconds: options.seconds,
      ...(options.settleS !== undefined ? { settleS: options.settleS } : {}),
      channelsOption: '--channels',
      ...(options.onChannel ? { onChannel: options.onChannel } : {}),
    });
  } finally {
    held.unsubscribe();
  }
}
