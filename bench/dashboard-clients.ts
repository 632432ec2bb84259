/**
 * The browser side of the dashboard benchmark, in its own process (as browsers are): N WebSocket
 * clients that ask for a view and count what they receive per second, plus `stalled` raw clients
 * that complete the handshake, ask for the same view and then never read again.
 *
 * argv[2]: JSON `{ port, token, clients, stalled, view, warmupS, measureS }`. Prints one JSON line:
 * `{ clients: [{ tracesPerS, framesPerS, bytesPerS, sequenceGaps }] }`.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { WebSocket } from 'ws';

interface Plan {
  port: number;
  token: string;
  clients: number;
  stalled: number;
  view: { channels: number[]; windowS: number; columns: number };
  /** The view the stalled clients ask for (default: `view`). */
  stalledView?: { channels: number[]; windowS: number; columns: number };
  warmupS: number;
  measureS: number;
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const request = JSON.stringify({ type: 'view', ...plan.view });

interface Counter {
  traces: number;
  frames: number;
  bytes: number;
  gaps: number;
  last: number;
  counting: boolean;
}

function client(): Promise<Counter> {
  const counter: Counter = { traces: 0, frames: 0, bytes: 0, gaps: 0, last: -1, counting: false };
  const ws = new WebSocket(`ws://127.0.0.1:${plan.port}/ws?token=${plan.token}`);
  ws.on('message', (data: Buffer, binary) => {
    if (!binary) {
      const message = JSON.parse(data.toString()) as { type: string; stream?: unknown };
      // Ask for the view once the stream is described.
      if (message.type === 'hello' && message.stream) ws.send(request);
      if (counter.counting) counter.bytes += data.length;
      return;
    }
    const sequence = data.readUInt32LE(8);
    if (counter.last >= 0 && sequence !== ((counter.last + 1) >>> 0)) counter.gaps++;
    counter.last = sequence;
    if (!counter.counting) return;
    counter.frames++;
    counter.bytes += data.length;
    if (data[5] === 1) counter.traces++;
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(counter));
    ws.once('error', reject);
  });
}

/** A client that says hello, asks for the view, and stops reading (a frozen browser tab). */
function stalledClient(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(plan.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.once('connect', () => {
      socket.write(
        `GET /ws?token=${plan.token} HTTP/1.1\r\nHost: 127.0.0.1:${plan.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    let head = '';
    const onData = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      const payload = Buffer.from(plan.stalledView ? JSON.stringify({ type: 'view', ...plan.stalledView }) : request, 'utf8');
      const header = payload.length < 126 ? Buffer.from([0x81, 0x80 | payload.length]) : Buffer.from([0x81, 0xfe, payload.length >> 8, payload.length & 0xff]);
      socket.write(Buffer.concat([header, Buffer.alloc(4), payload]));
      socket.pause();
      if (head.startsWith('HTTP/1.1 101')) resolve();
      else reject(new Error(head.split('\r\n', 1)[0]));
    };
    socket.on('data', onData);
  });
}

const counters = await Promise.all(Array.from({ length: plan.clients }, () => client()));
await Promise.all(Array.from({ length: plan.stalled }, () => stalledClient()));
process.stdout.write('connected\n');
await new Promise((r) => setTimeout(r, plan.warmupS * 1000));
const started = performance.now();
for (const c of counters) c.counting = true;
await new Promise((r) => setTimeout(r, plan.measureS * 1000));
const seconds = (performance.now() - started) / 1000;
for (const c of counters) c.counting = false;
process.stdout.write(
  `${JSON.stringify({
    clients: counters.map((c) => ({ tracesPerS: c.traces / seconds, framesPerS: c.frames / seconds, bytesPerS: c.bytes / seconds, sequenceGaps: c.gaps })),
  })}\n`,
);
process.exit(0);
