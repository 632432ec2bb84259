/**
 * Time-correction probes (liblsl `time_receiver`, `udp_server::process_timedata_request`). The
 * inlet sends `LSL:timedata\r\n<wave id> <t0>\r\n` to the outlet's service port; the outlet
 * answers ` <wave id> <t0> <t1> <t2>` (t1: when it received the probe, t2: when it answered,
 * both on its clock). The estimate with the smallest round trip wins:
 * offset = ((t1 − t0) + (t2 − t3)) / 2 is the outlet's clock minus ours, and the correction
 * added to the outlet's timestamps is −offset.
 */
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { lslClock } from './lsl-clock.js';

/** The probe datagram an inlet sends. */
export function timeProbeMessage(waveId: number, t0: number): string {
  return `LSL:timedata\r\n${waveId} ${t0}\r\n`;
}

/** The reply an outlet sends for a probe body (`<wave id> <t0>`), stamping t1 (received) and t2 (now). */
export function timeProbeReply(body: string, t1: number, t2: number): string | undefined {
  const [wave, t0] = body.trim().split(/\s+/);
  if (wave === undefined || t0 === undefined || !/^-?\d+$/.test(wave) || !Number.isFinite(Number(t0))) return undefined;
  return ` ${wave} ${t0} ${t1} ${t2}`;
}

/** One measurement: correction (s) to add to the outlet's timestamps, and the round trip it came from. */
export interface TimeCorrection {
  correctionS: number;
  rttS: number;
  /** The outlet's clock at the midpoint of the best probe. */
  remoteTimeS: number;
  probes: number;
}

/**
 * Sends `count` probes `intervalMs` apart to the outlet's service port and returns the best
 * estimate, or undefined when fewer than `minProbes` replies came back within the wave.
 */
export function measureTimeCorrection(options: {
  address: string;
  port: number;
  bindAddress: string;
  count?: number;
  intervalMs?: number;
  maxRttMs?: number;
  minProbes?: number;
}): Promise<TimeCorrection | undefined> {
  const count = options.count ?? 8;
  const intervalMs = options.intervalMs ?? 64;
  const waitMs = (options.maxRttMs ?? 128) + intervalMs * count;
  const minProbes = options.minProbes ?? 6;
  const waveId = randomInt(1, 2 ** 31 - 1);
  const estimates: { rtt: number; offset: number; remote: number }[] = [];
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    let sent = 0;
    let ticker: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearInterval(ticker);
      socket.close();
      if (estimates.length < minProbes) return resolve(undefined);
      const best = estimates.reduce((a, b) => (b.rtt < a.rtt ? b : a));
      resolve({ correctionS: -best.offset, rttS: best.rtt, remoteTimeS: best.remote, probes: estimates.length });
    };
    socket.on('error', () => undefined);
    socket.on('message', (msg) => {
      const t3 = lslClock();
      const [wave, t0, t1, t2] = msg.toString('utf8').trim().split(/\s+/).map(Number);
      if (wave !== waveId || ![t0, t1, t2].every((v) => Number.isFinite(v))) return;
      estimates.push({ rtt: t3 - t0! - (t2! - t1!), offset: (t1! - t0! + (t2! - t3)) / 2, remote: (t2! + t1!) / 2 });
    });
    socket.bind(0, options.bindAddress, () => {
      const send = (): void => {
        if (sent++ >= count) return clearInterval(ticker);
        socket.send(timeProbeMessage(waveId, lslClock()), options.port, options.address, () => undefined);
      };
      send();
      ticker = setInterval(send, intervalMs);
      setTimeout(finish, waitMs);
    });
  });
}
