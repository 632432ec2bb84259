/** Loopback WebSocket clients for the dashboard server tests. */
import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { WebSocket, type ClientOptions } from 'ws';

export function wsUrl(port: number, token: string | undefined, path = '/ws'): string {
  return `ws://127.0.0.1:${port}${path}${token === undefined ? '' : `?token=${encodeURIComponent(token)}`}`;
}

/** An open client that records every message it receives (text parsed as JSON). */
export interface TestClient {
  ws: WebSocket;
  messages: unknown[];
  binaryFrames: number;
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the next text message that satisfies `match`. */
  next(match?: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

export async function openClient(url: string, options: ClientOptions = {}): Promise<TestClient> {
  const ws = new WebSocket(url, options);
  const client: TestClient = {
    ws,
    messages: [],
    binaryFrames: 0,
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    next(match = () => true) {
      return new Promise((resolve) => {
        const listener = (data: Buffer, isBinary: boolean): void => {
          if (isBinary) return;
          const message = JSON.parse(data.toString()) as Record<string, unknown>;
          if (match(message)) {
            ws.off('message', listener);
            resolve(message);
          }
        };
        ws.on('message', listener);
      });
    },
  };
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) client.binaryFrames += 1;
    else client.messages.push(JSON.parse(data.toString()));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  return client;
}

/** Attempts an upgrade that the server should refuse; resolves with the HTTP status and body. */
export function refusal(url: string, options: ClientOptions = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('the server accepted the connection'));
    });
    ws.on('error', () => {});
    ws.on('unexpected-response', (req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
  });
}

/**
 * A raw TCP client that completes the WebSocket handshake and then never reads again: the
 * slowest consumer there is.
 */
export function stalledClient(port: number, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.once('connect', () => {
      socket.write(
        `GET /ws?token=${token} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      if (head.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(`handshake refused: ${head.split('\r\n', 1)[0]}`));
    };
    socket.on('data', onData);
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}
