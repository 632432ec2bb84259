/**
 * An LSL outlet: a TCP data server (data protocols 110 and 100, plus `LSL:shortinfo` and `LSL:fullinfo`
 * requests), a UDP unicast server on the service port (discovery and time probes) and UDP
 * responders on the multicast port for each discovery address, as liblsl's `stream_outlet_impl`.
 * Pushing never waits: each consumer's socket buffer is capped, and a consumer that falls that
 * far behind is disconnected and counted in {@link LslOutlet.droppedConsumers}.
 */
import { randomUUID } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { bindAddress, isMulticast, parseShortinfoRequest, parseUdpRequest } from './discovery.js';
import { decideFeed, feedResponseText, parseFeedRequest } from './feed-handshake.js';
import type { LslConfig } from './lsl-config.js';
import { lslClock } from './lsl-clock.js';
import { compileLslQuery } from './lsl-query.js';
import { encodeArchivePreamble, encodeArchiveSamples } from './portable-archive.js';
import { encodeSamples, TEST_PATTERN_TIMESTAMP, testPatternValues } from './sample-codec.js';
import { element, type XmlElement } from '../../core/xml.js';
import { fullInfoXml, shortInfoXml, streamInfoElement, type LslChannelFormat, type LslStreamInfo } from './stream-info.js';
import { timeProbeReply } from './time-probe.js';

export interface LslOutletOptions {
  config: LslConfig;
  name: string;
  type: string;
  channelCount: number;
  nominalSrateHz: number;
  channelFormat: LslChannelFormat;
  sourceId?: string;
  /** The `<desc>` element (channels, units, manufacturer …). */
  desc?: XmlElement;
  /** A consumer with more than this many bytes unsent is dropped (default 32 MiB). */
  maxBufferedBytes?: number;
  /**
   * The clock this outlet's time probes answer with and its `created_at` (default
   * {@link lslClock}). Tests give it an offset to prove that inlets correct for it; the
   * timestamps pushed must then be on the same clock.
   */
  clock?: () => number;
}

async function bindInRange<T>(config: LslConfig, tryPort: (port: number) => Promise<T | 'in-use'>): Promise<T> {
  for (let port = config.basePort; port < config.basePort + config.portRange; port++) {
    const r = await tryPort(port);
    if (r !== 'in-use') return r;
  }
  if (config.allowRandomPorts) {
    const r = await tryPort(0);
    if (r !== 'in-use') return r;
  }
  throw new Error(`every port from ${config.basePort} to ${config.basePort + config.portRange - 1} is taken (PortRange in lsl_api.cfg)`);
}

function listenTcp(server: Server, port: number, host: string): Promise<number | 'in-use'> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (e.code === 'EADDRINUSE') resolve('in-use');
      else reject(e);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as { port: number }).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function bindUdp(port: number, host: string, reuseAddr: boolean): Promise<UdpSocket | 'in-use'> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: 'udp4', reuseAddr });
    const onError = (e: NodeJS.ErrnoException): void => {
      socket.close();
      if (e.code === 'EADDRINUSE') resolve('in-use');
      else reject(e);
    };
    socket.once('error', onError);
    socket.bind(port, host, () => {
      socket.off('error', onError);
      socket.on('error', () => undefined);
      resolve(socket);
    });
  });
}

interface Consumer {
  socket: Socket;
  /** Data protocol of this feed: 110 (sample-codec.ts) or 100 (portable-archive.ts). */
  protocol: number;
}

/** An outlet offering one stream. Create with {@link openLslOutlet}. */
export class LslOutlet {
  readonly info: LslStreamInfo;
  readonly #server: Server;
  readonly #udp: UdpSocket[];
  readonly #consumers = new Set<Consumer>();
  readonly #maxBuffered: number;
  readonly #clock: () => number;
  readonly #matches = new Map<string, boolean>();
  #droppedConsumers = 0;
  #samplesPushed = 0;
  #waiters: (() => void)[] = [];

  /** @internal */
  constructor(info: LslStreamInfo, server: Server, udp: UdpSocket[], maxBuffered: number, clock: () => number = lslClock) {
    this.info = info;
    this.#clock = clock;
    this.#server = server;
    this.#udp = udp;
    this.#maxBuffered = maxBuffered;
    server.on('connection', (s) => this.#serve(s));
    for (const u of udp) u.on('message', (msg, rinfo) => this.#udpRequest(u, msg, rinfo.address, rinfo.port, u === udp[0]));
  }

  /** Consumers currently receiving data. */
  get consumers(): number {
    return this.#consumers.size;
  }

  /** Consumers disconnected because they fell more than the buffer cap behind. */
  get droppedConsumers(): number {
    return this.#droppedConsumers;
  }

  /** Bytes queued for the slowest consumer (0 with none): a producer that may wait can pace itself on it. */
  get bufferedBytes(): number {
    let most = 0;
    for (const c of this.#consumers) most = Math.max(most, c.socket.writableLength);
    return most;
  }

  /** Samples pushed so far. */
  get samplesPushed(): number {
    return this.#samplesPushed;
  }

  /** Resolves true once a consumer is connected, false after `timeoutMs`. */
  waitForConsumers(timeoutMs: number): Promise<boolean> {
    if (this.#consumers.size > 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Sends samples (sample-major values) to every consumer without waiting. `timestamps` are on
   * this machine's LSL clock ({@link lslClock}); DEDUCED_TIMESTAMP (−1) lets the inlet deduce one.
   */
  push(timestamps: ArrayLike<number>, values: ArrayLike<number> | readonly string[]): void {
    this.#samplesPushed += timestamps.length;
    if (this.#consumers.size === 0 || timestamps.length === 0) return;
    const o = { format: this.info.channelFormat, channelCount: this.info.channelCount, littleEndian: true };
    let v110: Uint8Array | undefined;
    let v100: Uint8Array | undefined;
    for (const c of this.#consumers) {
      if (c.protocol >= 110) this.#send(c, (v110 ??= encodeSamples(o, timestamps, values)));
      else this.#send(c, (v100 ??= encodeArchiveSamples(o, timestamps, values)));
    }
  }

  #send(c: Consumer, bytes: Uint8Array): void {
    if (c.socket.writableLength + bytes.length > this.#maxBuffered) {
      this.#consumers.delete(c);
      this.#droppedConsumers++;
      c.socket.destroy();
      return;
    }
    c.socket.write(bytes);
  }

  #matchesQuery(query: string): boolean {
    let m = this.#matches.get(query);
    if (m === undefined) {
      try {
        m = compileLslQuery(query)(streamInfoElement(this.info));
      } catch {
        m = false;
      }
      if (this.#matches.size < 100) this.#matches.set(query, m);
    }
    return m;
  }

  #udpRequest(socket: UdpSocket, msg: Buffer, address: string, port: number, timeServices: boolean): void {
    const t1 = this.#clock();
    const { method, rest } = parseUdpRequest(msg.toString('utf8'));
    if (method === 'LSL:shortinfo') {
      const req = parseShortinfoRequest(rest);
      if (req && this.#matchesQuery(req.query)) socket.send(`${req.queryId}\r\n${shortInfoXml(this.info)}`, req.returnPort, address, () => undefined);
    } else if (method === 'LSL:timedata' && timeServices) {
      const reply = timeProbeReply(rest, t1, this.#clock());
      if (reply) socket.send(reply, port, address, () => undefined);
    }
  }

  #serve(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf('\r\n');
      if (nl < 0) {
        if (buf.length > 65536) socket.destroy();
        return;
      }
      const method = buf.subarray(0, nl).toString('latin1').trim();
      if (method === 'LSL:fullinfo') {
        socket.off('data', onData);
        socket.end(fullInfoXml(this.info));
      } else if (method === 'LSL:shortinfo') {
        const end = buf.indexOf('\r\n', nl + 2);
        if (end < 0) return;
        socket.off('data', onData);
        const query = buf.subarray(nl + 2, end).toString('utf8').trim();
        if (this.#matchesQuery(query)) socket.end(shortInfoXml(this.info));
        else socket.end();
      } else if (method.startsWith('LSL:streamfeed/')) {
        const headerEnd = buf.indexOf('\r\n\r\n', nl);
        if (headerEnd < 0) return;
        socket.off('data', onData);
        const headers = buf.subarray(nl + 2, Math.max(nl + 2, headerEnd)).toString('latin1').split('\r\n');
        const decision = decideFeed(this.info, parseFeedRequest(method, headers), this.info.version);
        socket.write(feedResponseText(this.info, decision, this.info.version));
        if (decision.status !== 200) {
          socket.end();
          return;
        }
        this.#startFeed(socket, decision.dataProtocolVersion);
      } else if (method === 'LSL:streamfeed') {
        // Data protocol 100 (liblsl 1.00 framing): one line "MAX_BUFFERED MAX_CHUNK", no response head.
        const end = buf.indexOf('\r\n', nl + 2);
        if (end < 0) return;
        socket.off('data', onData);
        this.#startFeed(socket, 100);
      } else {
        socket.end(); // unknown request
      }
    };
    socket.on('data', onData);
  }

  /** Sends the test patterns (after the archive preamble for protocol 100) and adds the consumer. */
  #startFeed(socket: Socket, protocol: number): void {
    const n = this.info.channelCount;
    const fmt = this.info.channelFormat;
    const patterns = [...testPatternValues(fmt, n, 4), ...testPatternValues(fmt, n, 2)] as number[] | string[];
    const ts = [TEST_PATTERN_TIMESTAMP, TEST_PATTERN_TIMESTAMP];
    if (protocol >= 110) socket.write(encodeSamples({ format: fmt, channelCount: n, littleEndian: true }, ts, patterns));
    else {
      socket.write(encodeArchivePreamble(shortInfoXml(this.info)));
      socket.write(encodeArchiveSamples({ format: fmt, channelCount: n }, ts, patterns, true));
    }
    const consumer: Consumer = { socket, protocol };
    this.#consumers.add(consumer);
    socket.on('close', () => this.#consumers.delete(consumer));
    socket.on('data', () => undefined); // an inlet sends nothing more; keep the socket flowing
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /** Stops serving: closes every consumer and socket. */
  async close(): Promise<void> {
    for (const c of this.#consumers) c.socket.destroy();
    this.#consumers.clear();
    for (const u of this.#udp) u.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Opens an outlet: binds its TCP and UDP ports in the configured range and starts answering. */
export async function openLslOutlet(options: LslOutletOptions): Promise<LslOutlet> {
  const { config } = options;
  const host = bindAddress(config);
  const server = createServer();
  const dataPort = await bindInRange(config, (p) => listenTcp(server, p, host));
  const unicast = await bindInRange(config, (p) => bindUdp(p, host, false));
  const udp: UdpSocket[] = [unicast];
  for (const address of config.multicastAddresses) {
    try {
      const multicast = isMulticast(address);
      const listen = multicast || address === '255.255.255.255' ? (config.listenAddress || '0.0.0.0') : host;
      const r = await bindUdp(config.multicastPort, listen, true);
      if (r === 'in-use') continue;
      if (multicast) {
        const interfaces = config.interfaces.length > 0 ? config.interfaces : [undefined];
        for (const i of interfaces) {
          try {
            r.addMembership(address, i);
          } catch {
            // liblsl goes on when one interface cannot join
          }
        }
      }
      udp.push(r);
    } catch {
      // liblsl logs and goes on without this responder
    }
  }
  const info: LslStreamInfo = {
    name: options.name,
    type: options.type,
    channelCount: options.channelCount,
    nominalSrateHz: options.nominalSrateHz,
    channelFormat: options.channelFormat,
    sourceId: options.sourceId ?? '',
    version: config.useProtocolVersion,
    createdAt: (options.clock ?? lslClock)(),
    uid: randomUUID(),
    sessionId: config.sessionId,
    hostname: hostname(),
    v4address: '',
    v4dataPort: dataPort,
    v4servicePort: unicast.address().port,
    v6address: '',
    v6dataPort: 0,
    v6servicePort: 0,
    desc: options.desc ?? element('desc'),
  };
  return new LslOutlet(info, server, udp, options.maxBufferedBytes ?? 32 * 1024 * 1024, options.clock);
}
