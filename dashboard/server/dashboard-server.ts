/**
 * The dashboard's HTTP + WebSocket server, on one port: static files and `/healthz` over HTTP,
 * a WebSocket at `/ws?token=…`. Tokens and origins are checked before the upgrade is accepted;
 * the token decides the role (viewer or operator). Frames to clients are never queued without
 * bound and never awaited: a client that falls behind has frames skipped and counted.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { InvalidOptionError } from '../../core/errors.js';
import { bearerToken } from '../../core/bearer-auth.js';
import { isLoopbackHost, roleForToken, urlHost } from './access-tokens.js';
import {
  ClientChannel,
  STREAM_TOPICS,
  encodeFrame,
  type ClientKind,
  type StreamTopic,
  type DashboardClient,
  type DashboardClientStats,
  type DashboardFrame,
} from './client-channel.js';
import { errorReply, parseCommandMessage, type DashboardCommand, type DashboardViewRequest } from './command-protocol.js';
import { resolveDashboardOptions, type DashboardServerOptions, type ResolvedDashboardOptions } from './server-options.js';
import { sendText, serveStatic } from './static-files.js';
import { TokenBucket } from './token-bucket.js';

export type { DashboardServerOptions } from './server-options.js';
export type { ClientKind, DashboardClient, DashboardClientStats, DashboardFrame, StreamTopic } from './client-channel.js';
export { STREAM_TOPICS } from './client-channel.js';
export type { DashboardCommand, DashboardCommandName, DashboardViewRequest } from './command-protocol.js';
export type { DashboardRole } from './access-tokens.js';

/** Handles an operator's command; its (awaited) return value is sent back as the ack's `result`. */
export type CommandHandler = (command: DashboardCommand, client: DashboardClient) => unknown;
/** Handles a client's view request; a thrown error's message is sent back as a `bad-message` error. */
export type ViewHandler = (view: DashboardViewRequest, client: DashboardClient) => void;

/** Close codes this server uses besides the standard ones (1001 going away, 1003, 1009 too big). */
export const CloseCode = {
  GoingAway: 1001,
  UnsupportedData: 1003,
  MessageTooBig: 1009,
  /** A missing or wrong token: the handshake completes so that a browser can read this reason. */
  BadToken: 4401,
  /** A stream API request the server cannot serve (an unknown topic). */
  BadRequest: 4400,
  TooManyMessages: 4429,
} as const;

export interface DashboardServer {
  /** `http://host:port/` */
  readonly url: string;
  /** The page URL with the viewer token. */
  readonly viewerUrl: string;
  /** The page URL with the operator token. */
  readonly operatorUrl: string;
  readonly host: string;
  readonly port: number;
  /** Sends a frame to every client that is keeping up; returns how many got it and how many skipped it. */
  broadcast(frame: DashboardFrame): { sent: number; skipped: number };
  /** Registers the command handler (replacing any earlier one); returns a function that removes it. */
  onCommand(handler: CommandHandler): () => void;
  /** Registers what `/metrics` answers (Prometheus text), replacing any earlier one; returns a function that removes it. */
  onMetrics(render: () => string): () => void;
  /** Registers the view handler (replacing any earlier one); returns a function that removes it. */
  onView(handler: ViewHandler): () => void;
  /** Calls `listener` for each client that connects from now on; returns a function that removes it. */
  onConnection(listener: (client: DashboardClient) => void): () => void;
  /** Per-client counters, in connection order. */
  clients(): DashboardClientStats[];
  /** Closes every client (1001) and the HTTP server; resolves when all sockets are gone. Idempotent. */
  close(): Promise<void>;
}

/** How long close() lets clients answer the close handshake before cutting them off. */
const CLOSE_GRACE_MS = 500;

function rejectUpgrade(socket: Duplex, status: number, statusText: string, reason: string): void {
  const body = `${reason}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\n` +
      'Connection: close\r\n' +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Dashboard-Reason: ${reason}\r\n` +
      '\r\n' +
      body,
  );
}

function ownOrigins(host: string, port: number): Set<string> {
  const origins = new Set([`http://${urlHost(host)}:${port}`]);
  if (isLoopbackHost(host)) {
    for (const h of ['127.0.0.1', 'localhost', '[::1]']) origins.add(`http://${h}:${port}`);
  }
  return origins;
}

function listen(server: Server, options: ResolvedDashboardOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
        reject(new InvalidOptionError('port', 'a free port this process may bind', options.port));
      } else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') {
        reject(new InvalidOptionError('--host', 'an address of this machine', options.host));
      } else {
        reject(error);
      }
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : options.port);
    });
  });
}

export async function startDashboardServer(options: DashboardServerOptions = {}): Promise<DashboardServer> {
  const config = resolveDashboardOptions(options);
  const channels = new Map<WebSocket, ClientChannel>();
  const connectionListeners = new Set<(client: DashboardClient) => void>();
  let commandHandler: CommandHandler | undefined;
  let viewHandler: ViewHandler | undefined;
  let metricsRenderer: (() => string) | undefined;
  let nextClientId = 1;
  let origins = new Set<string>();
  let closing: Promise<void> | undefined;

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: config.maxMessageBytes,
  });

  const http = createServer((req, res) => {
    const pathname = (req.url ?? '/').split('?', 1)[0];
    if (pathname === '/healthz') {
      if (req.method === 'GET' || req.method === 'HEAD') sendText(res, 200, 'ok');
      else sendText(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    if (pathname === '/metrics') {
      serveMetrics(req, res);
      return;
    }
    serveStatic(config.mounts, req, res).catch(() => {
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  // The dashboard needs no large headers or slow clients: keep HTTP limits tight.
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (closing !== undefined) {
      rejectUpgrade(socket, 503, 'Service Unavailable', 'server closing');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    if (url.pathname !== '/ws' && url.pathname !== '/stream') {
      rejectUpgrade(socket, 404, 'Not Found', 'no WebSocket here; use /ws (dashboard) or /stream (stream API)');
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !origins.has(origin) && !config.allowedOrigins.includes(origin)) {
      rejectUpgrade(socket, 403, 'Forbidden', 'origin not allowed');
      return;
    }
    const role = roleForToken(url.searchParams.get('token'), {
      viewer: config.viewerToken,
      operator: config.operatorToken,
    });
    if (role === undefined) {
      // Completing the handshake only to close it is what lets a browser see why (the WebSocket
      // API hides a refused upgrade's status and body). Nothing is sent before the close.
      wss.handleUpgrade(req, socket, head, (ws) => {
        ws.on('error', () => {});
        ws.close(CloseCode.BadToken, 'bad or missing token');
      });
      return;
    }
    if (url.pathname === '/stream') {
      // Topics: a comma-separated list; all of them when absent. An unknown one is refused with its name.
      const asked = (url.searchParams.get('topics') ?? STREAM_TOPICS.join(',')).split(',').map((t) => t.trim()).filter(Boolean);
      const unknown = asked.find((t) => !(STREAM_TOPICS as readonly string[]).includes(t));
      if (unknown !== undefined || asked.length === 0) {
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.on('error', () => {});
          ws.close(CloseCode.BadRequest, `unknown topic "${(unknown ?? '').slice(0, 40)}"; topics: ${STREAM_TOPICS.join(', ')}`.slice(0, 120));
        });
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req, role, 'stream', new Set(asked as StreamTopic[])));
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req, role, 'dashboard', new Set()));
  });

  function accept(ws: WebSocket, req: IncomingMessage, role: 'viewer' | 'operator', kind: ClientKind, topics: Set<StreamTopic>): void {
    const remote = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const channel = new ClientChannel(nextClientId++, role, remote, ws, config.maxBufferedBytes, kind, topics);
    const bucket = new TokenBucket(config.maxMessagesPerSecond, Math.max(1, config.maxMessagesPerSecond));
    channels.set(ws, channel);
    ws.on('error', () => {
      // Protocol errors (e.g. message too big → 1009) are answered by ws closing the socket.
    });
    ws.on('close', () => channels.delete(ws));
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (ws.readyState !== ws.OPEN) return;
      if (!bucket.take()) {
        ws.close(CloseCode.TooManyMessages, 'too many messages');
        return;
      }
      if (isBinary) {
        ws.close(CloseCode.UnsupportedData, 'JSON text messages only');
        return;
      }
      handleMessage(channel, rawText(data));
    });
    for (const listener of connectionListeners) {
      try {
        listener(channel);
      } catch {
        // A faulty listener must not take the connection (or the server) down.
      }
    }
  }

  function handleMessage(channel: ClientChannel, text: string): void {
    const parsed = parseCommandMessage(text, channel.role);
    if (!parsed.ok) {
      channel.send(parsed.reply);
      return;
    }
    if (parsed.view !== undefined) {
      try {
        viewHandler?.(parsed.view, channel);
      } catch (error) {
        channel.send(errorReply(null, 'bad-message', error instanceof Error ? error.message : 'bad view request'));
      }
      return;
    }
    const { command } = parsed;
    const id = command.id ?? null;
    const handler = commandHandler;
    if (handler === undefined) {
      channel.send(errorReply(id, 'unavailable', `${command.name} is not available in this session`));
      return;
    }
    Promise.resolve()
      .then(() => handler(command, channel))
      .then(
        (result) => channel.send(result === undefined ? { type: 'ack', id, name: command.name } : { type: 'ack', id, name: command.name, result }),
        (error: unknown) =>
          channel.send(
            errorReply(id, 'command-failed', error instanceof Error ? error.message : `${command.name} failed`),
          ),
      );
  }

  /**
   * Prometheus text format. Needs a token (viewer or operator) like everything but /healthz: as
   * `Authorization: Bearer <token>` (Prometheus' `authorization` / `bearer_token` settings) or `?token=`.
   */
  function serveMetrics(req: IncomingMessage, res: import('node:http').ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'method not allowed\n', { Allow: 'GET, HEAD' });
      return;
    }
    const bearer = bearerToken(req.headers.authorization);
    const query = new URL(req.url ?? '/', 'http://dashboard.invalid').searchParams.get('token');
    if (roleForToken(bearer ?? query, { viewer: config.viewerToken, operator: config.operatorToken }) === undefined) {
      sendText(res, 401, 'bad or missing token\n', { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    const render = metricsRenderer;
    if (!render) {
      sendText(res, 404, 'no metrics in this session\n');
      return;
    }
    let text: string;
    try {
      text = render();
    } catch {
      sendText(res, 500, 'metrics failed\n');
      return;
    }
    sendText(res, 200, text, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  }

  const port = await listen(http, config);
  origins = ownOrigins(config.host, port);
  const base = `http://${urlHost(config.host)}:${port}/`;

  function close(): Promise<void> {
    closing ??= new Promise<void>((resolve) => {
      const sockets = [...channels.keys()];
      for (const ws of sockets) ws.close(CloseCode.GoingAway, 'server closing');
      const cutoff = setTimeout(() => {
        for (const ws of sockets) ws.terminate();
        http.closeAllConnections();
      }, CLOSE_GRACE_MS);
      cutoff.unref();
      const waitForClients = Promise.all(
        sockets.map((ws) =>
          ws.readyState === ws.CLOSED ? undefined : new Promise<void>((done) => ws.once('close', () => done())),
        ),
      );
      const httpClosed = new Promise<void>((done) => http.close(() => done()));
      http.closeIdleConnections();
      wss.close();
      void Promise.all([waitForClients, httpClosed]).then(() => {
        clearTimeout(cutoff);
        resolve();
      });
    });
    return closing;
  }

  return {
    url: base,
    viewerUrl: `${base}?token=${config.viewerToken}`,
    operatorUrl: `${base}?token=${config.operatorToken}`,
    host: config.host,
    port,
    broadcast(frame) {
      const encoded = encodeFrame(frame);
      let sent = 0;
      let skipped = 0;
      for (const channel of channels.values()) {
        if (channel.sendEncoded(encoded)) sent += 1;
        else skipped += 1;
      }
      return { sent, skipped };
    },
    onCommand(handler) {
      commandHandler = handler;
      return () => {
        if (commandHandler === handler) commandHandler = undefined;
      };
    },
    onMetrics(render) {
      metricsRenderer = render;
      return () => {
        if (metricsRenderer === render) metricsRenderer = undefined;
      };
    },
    onView(handler) {
      viewHandler = handler;
      return () => {
        if (viewHandler === handler) viewHandler = undefined;
      };
    },
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    clients() {
      return [...channels.values()].map((c) => c.stats());
    },
    close,
  };
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
