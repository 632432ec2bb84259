/**
 * UDP stream discovery (liblsl `resolve_attempt_udp`, `udp_server`). A resolver sends
 *
 *     LSL:shortinfo\r\n<query>\r\n<return port> <query id>\r\n
 *
 * to each discovery target (the configured multicast/broadcast/machine addresses at the
 * multicast port, and every known peer on each port of the port range); each outlet whose info
 * matches the query answers `<query id>\r\n<shortinfo XML>` to the sender's address at the
 * return port. Outlets' unicast servers also answer time probes (see time-probe.ts).
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { discoveryTargets, type LslConfig } from './lsl-config.js';
import { compileLslQuery } from './lsl-query.js';
import { parseStreamInfo, type LslStreamInfo } from './stream-info.js';

/** The query text liblsl sends for a predicate: the session id, then the predicate. */
export function sessionQuery(config: LslConfig, predicate?: string): string {
  const session = `session_id='${config.sessionId}'`;
  return predicate && predicate.trim() !== '' ? `${session} and (${predicate})` : session;
}

/** The discovery request datagram. */
export function shortinfoQueryMessage(query: string, returnPort: number, queryId: string): string {
  return `LSL:shortinfo\r\n${query}\r\n${returnPort} ${queryId}\r\n`;
}

/** Splits a request datagram into its method line and the rest. */
export function parseUdpRequest(text: string): { method: string; rest: string } {
  const nl = text.indexOf('\n');
  return nl < 0 ? { method: text.trim(), rest: '' } : { method: text.slice(0, nl).trim(), rest: text.slice(nl + 1) };
}

/** Parses the body of an `LSL:shortinfo` request: the query line, the return port and the query id. */
export function parseShortinfoRequest(rest: string): { query: string; returnPort: number; queryId: string } | undefined {
  const nl = rest.indexOf('\n');
  if (nl < 0) return undefined;
  const query = rest.slice(0, nl).trim();
  const [port, id] = rest.slice(nl + 1).trim().split(/\s+/);
  const returnPort = Number(port);
  if (!Number.isInteger(returnPort) || returnPort < 1 || returnPort > 65535 || !id) return undefined;
  return { query, returnPort, queryId: id };
}

/** Address a socket binds to: loopback alone when discovery is machine-scoped, else the listen address or any. */
export function bindAddress(config: LslConfig): string {
  if (config.listenAddress !== '' && isIP(config.listenAddress) === 4) return config.listenAddress;
  return config.resolveScope === 'machine' ? '127.0.0.1' : '0.0.0.0';
}

export interface ResolveOptions {
  config: LslConfig;
  /** An XPath predicate (`name='EEG'`); the session id is added. Empty: every stream. */
  predicate?: string;
  /** How long to listen for replies. */
  timeoutMs: number;
  /** Return as soon as this many streams answered (default: wait the whole timeout). */
  minimum?: number;
  signal?: AbortSignal;
}

/** One discovery round: every stream that answered, keyed by uid, with its address filled in. */
export function resolveStreams(options: ResolveOptions): Promise<LslStreamInfo[]> {
  const { config } = options;
  const query = sessionQuery(config, options.predicate);
  compileLslQuery(query); // a malformed predicate is refused here, before anything is sent
  const queryId = String(randomInt(1, 2 ** 47));
  const targets = discoveryTargets(config);
  const results = new Map<string, LslStreamInfo>();
  return new Promise((resolve, reject) => {
    const socket: Socket = createSocket({ type: 'udp4' });
    let wave: NodeJS.Timeout | undefined;
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(wave);
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', finish);
      socket.close();
      resolve([...results.values()]);
    };
    socket.on('error', (error) => {
      if (done) return;
      done = true;
      clearInterval(wave);
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
    socket.on('message', (msg, rinfo) => {
      const text = msg.toString('utf8');
      const nl = text.indexOf('\n');
      if (nl < 0 || text.slice(0, nl).trim() !== queryId) return;
      let info: LslStreamInfo;
      try {
        info = parseStreamInfo(text.slice(nl + 1), `LSL reply from ${rinfo.address}`);
      } catch {
        return; // liblsl drops a malformed reply too
      }
      if (!results.has(info.uid)) results.set(info.uid, { ...info, v4address: info.v4address || rinfo.address });
      if (options.minimum !== undefined && results.size >= options.minimum) finish();
    });
    const sendWave = (): void => {
      const message = Buffer.from(shortinfoQueryMessage(query, socket.address().port, queryId));
      for (const t of targets) socket.send(message, t.port, t.address, () => undefined);
    };
    socket.bind(0, bindAddress(config), () => {
      if (targets.some((t) => t.address === '255.255.255.255')) socket.setBroadcast(true);
      if (targets.some((t) => isMulticast(t.address))) {
        socket.setMulticastTTL(Math.max(0, Math.min(255, config.multicastTtl)));
        if (config.interfaces[0]) socket.setMulticastInterface(config.interfaces[0]);
      }
      sendWave();
      wave = setInterval(sendWave, Math.max(100, config.multicastMinRttS * 1000));
      timer = setTimeout(finish, options.timeoutMs);
      if (options.signal?.aborted) finish();
      options.signal?.addEventListener('abort', finish);
    });
  });
}

/** Whether an IPv4 address is a multicast group. */
export function isMulticast(address: string): boolean {
  const first = Number(address.split('.')[0]);
  return isIP(address) === 4 && first >= 224 && first <= 239;
}
