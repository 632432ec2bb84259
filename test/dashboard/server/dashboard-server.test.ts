import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../../core/errors.js';
import { startDashboardServer, type DashboardServer } from '../../../dashboard/server/dashboard-server.js';
import { openClient, refusal, stalledClient, waitFor, wsUrl, type TestClient } from './ws-clients.js';

const VIEWER = 'v'.repeat(32);
const OPERATOR = 'o'.repeat(32);

let server: DashboardServer | undefined;
const clients: TestClient[] = [];
const rawSockets: Socket[] = [];

async function start(options: Parameters<typeof startDashboardServer>[0] = {}): Promise<DashboardServer> {
  server = await startDashboardServer({ port: 0, viewerToken: VIEWER, operatorToken: OPERATOR, ...options });
  return server;
}

async function open(token: string, options: Parameters<typeof openClient>[1] = {}): Promise<TestClient> {
  const client = await openClient(wsUrl(server!.port, token), options);
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const s of rawSockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
});

describe('startDashboardServer: options', () => {
  it('binds 127.0.0.1 by default and reports its URLs with random 64-hex tokens', async () => {
    server = await startDashboardServer({ port: 0 });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    const viewer = new URL(server.viewerUrl).searchParams.get('token');
    const operator = new URL(server.operatorUrl).searchParams.get('token');
    expect(viewer).toMatch(/^[0-9a-f]{64}$/);
    expect(operator).toMatch(/^[0-9a-f]{64}$/);
    expect(viewer).not.toBe(operator);
    const client = await openClient(wsUrl(server.port, operator!));
    clients.push(client);
    await waitFor(() => server!.clients().length === 1);
    expect(server.clients()[0]).toMatchObject({ role: 'operator', sent: 0, skipped: 0 });
  });

  it('refuses a non-loopback host unless both tokens are given, naming --host', async () => {
    for (const options of [{ host: '0.0.0.0' }, { host: '0.0.0.0', viewerToken: VIEWER }, { host: '192.168.1.20', operatorToken: OPERATOR }]) {
      const error = await startDashboardServer({ port: 0, ...options }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe('--host');
    }
    server = await startDashboardServer({ host: '0.0.0.0', port: 0, viewerToken: VIEWER, operatorToken: OPERATOR });
    expect(server.url).toBe(`http://0.0.0.0:${server.port}/`);
  });

  it.each([
    [{ port: -1 }, 'port'],
    [{ port: 70000 }, 'port'],
    [{ port: 1.5 }, 'port'],
    [{ maxMessageBytes: 0 }, 'maxMessageBytes'],
    [{ maxMessagesPerSecond: 0 }, 'maxMessagesPerSecond'],
    [{ maxBufferedBytes: -1 }, 'maxBufferedBytes'],
    [{ viewerToken: 'short' }, 'viewerToken'],
    [{ viewerToken: VIEWER, operatorToken: VIEWER }, 'operatorToken'],
    [{ allowedOrigins: ['not a url'] }, 'allowedOrigins[0]'],
    [{ staticDir: '/definitely/not/here' }, 'staticDir'],
  ])('rejects %o naming %s', async (options, option) => {
    const error = await startDashboardServer(options as Parameters<typeof startDashboardServer>[0]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe(option);
    expect((error as Error).message).not.toContain(VIEWER);
  });

  it('reports a port in use as an InvalidOptionError on port', async () => {
    const first = await start();
    const error = await startDashboardServer({ port: first.port }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect((error as InvalidOptionError).option).toBe('port');
  });
});

describe('dashboard server: access', () => {
  it('closes a missing or wrong token at once with 4401 "bad or missing token" (a reason browsers can read), sending nothing', async () => {
    await start();
    let connections = 0;
    server!.onConnection(() => connections++);
    for (const token of [undefined, '', 'x'.repeat(32), VIEWER.slice(1)]) {
      const client = await openClient(wsUrl(server!.port, token));
      expect(await client.closed).toEqual({ code: 4401, reason: 'bad or missing token' });
      expect(client.messages).toEqual([]);
      expect(client.binaryFrames).toBe(0);
    }
    expect(connections).toBe(0);
    expect(server!.broadcast({ type: 'hello' })).toEqual({ sent: 0, skipped: 0 });
    expect(server!.clients()).toEqual([]);
  });

  it('refuses upgrades on other paths', async () => {
    await start();
    expect((await refusal(wsUrl(server!.port, VIEWER, '/other'))).status).toBe(404);
  });

  it('checks the Origin: absent, own or allowed pass; others get 403 "origin not allowed"', async () => {
    await start({ allowedOrigins: ['https://lab.example.org'] });
    const port = server!.port;
    expect(await refusal(wsUrl(port, OPERATOR), { origin: 'http://evil.example' })).toEqual({
      status: 403,
      body: 'origin not allowed\n',
    });
    // DNS rebinding: a foreign name pointing at 127.0.0.1 carries a foreign origin.
    expect((await refusal(wsUrl(port, OPERATOR), { origin: `http://evil.example:${port}` })).status).toBe(403);
    await open(VIEWER);
    await open(VIEWER, { origin: `http://127.0.0.1:${port}` });
    await open(VIEWER, { origin: `http://localhost:${port}` });
    await open(OPERATOR, { origin: 'https://lab.example.org' });
    await waitFor(() => server!.clients().length === 4);
  });
});

describe('dashboard server: commands', () => {
  it("refuses a viewer's operator commands with a forbidden error, keeping it connected", async () => {
    await start();
    const calls: string[] = [];
    server!.onCommand((command) => void calls.push(command.name));
    const viewer = await open(VIEWER);
    for (const name of ['start-recording', 'stop-recording', 'add-marker', 'recalibrate']) {
      const reply = viewer.next((m) => m['id'] === name);
      viewer.ws.send(JSON.stringify({ type: 'command', name, id: name }));
      expect(await reply).toMatchObject({ type: 'error', id: name, code: 'forbidden' });
    }
    expect(calls).toEqual([]);
    expect(viewer.ws.readyState).toBe(viewer.ws.OPEN);
  });

  it("passes an operator's command to the handler and acks with its result", async () => {
    await start();
    const seen: unknown[] = [];
    server!.onCommand(async (command, client) => {
      seen.push({ command, role: client.role });
      return { recording: '/tmp/session-1' };
    });
    const operator = await open(OPERATOR);
    const reply = operator.next((m) => m['type'] === 'ack');
    operator.ws.send(JSON.stringify({ type: 'command', name: 'start-recording', id: 7, note: 'baseline' }));
    expect(await reply).toEqual({ type: 'ack', id: 7, name: 'start-recording', result: { recording: '/tmp/session-1' } });
    expect(seen).toEqual([
      { command: { type: 'command', name: 'start-recording', id: 7, note: 'baseline' }, role: 'operator' },
    ]);
  });

  it('answers unknown commands, invalid JSON, handler failures and a missing handler with errors', async () => {
    await start();
    const operator = await open(OPERATOR);
    const ask = async (text: string): Promise<Record<string, unknown>> => {
      const reply = operator.next((m) => m['type'] === 'error');
      operator.ws.send(text);
      return reply;
    };
    expect(await ask('{"type":"command","name":"start-recording","id":"a"}')).toMatchObject({ id: 'a', code: 'unavailable' });
    server!.onCommand(() => {
      throw new Error('disk full');
    });
    expect(await ask('{"type":"command","name":"self-destruct","id":1}')).toMatchObject({ id: 1, code: 'unknown-command' });
    expect(await ask('{not json')).toMatchObject({ id: null, code: 'bad-message' });
    expect(await ask('[1,2]')).toMatchObject({ code: 'bad-message' });
    expect(await ask('{"type":"hello"}')).toMatchObject({ code: 'bad-message' });
    expect(await ask('{"type":"command","name":"stop-recording","id":2}')).toEqual({
      type: 'error',
      id: 2,
      code: 'command-failed',
      message: 'disk full',
    });
    expect(operator.ws.readyState).toBe(operator.ws.OPEN);
  });

  it('closes with 1009 on a message over maxMessageBytes', async () => {
    await start({ maxMessageBytes: 1024 });
    const operator = await open(OPERATOR);
    operator.ws.send(JSON.stringify({ type: 'command', name: 'add-marker', value: 'x'.repeat(2000) }));
    expect((await operator.closed).code).toBe(1009);
  });

  it('closes with 1003 on a binary message', async () => {
    await start();
    const operator = await open(OPERATOR);
    operator.ws.send(new Uint8Array([1, 2, 3]));
    expect((await operator.closed).code).toBe(1003);
  });

  it('closes with 4429 "too many messages" past the rate limit, leaving others connected', async () => {
    await start({ maxMessagesPerSecond: 5 });
    const noisy = await open(VIEWER);
    const quiet = await open(VIEWER);
    for (let i = 0; i < 20; i += 1) noisy.ws.send('{"type":"command","name":"recalibrate"}');
    expect(await noisy.closed).toEqual({ code: 4429, reason: 'too many messages' });
    expect(noisy.messages.length).toBeLessThanOrEqual(5);
    expect(quiet.ws.readyState).toBe(quiet.ws.OPEN);
  });
});

describe('dashboard server: frames to clients', () => {
  it('broadcasts binary frames as binary and objects as JSON text to every client', async () => {
    await start();
    const a = await open(VIEWER);
    const b = await open(OPERATOR);
    await waitFor(() => server!.clients().length === 2);
    const binaryA = new Promise<Buffer>((resolve) => a.ws.once('message', (d: Buffer, bin) => bin && resolve(d)));
    expect(server!.broadcast(new Uint8Array([1, 2, 3, 250]))).toEqual({ sent: 2, skipped: 0 });
    expect([...(await binaryA)]).toEqual([1, 2, 3, 250]);
    const textA = a.next((m) => m['type'] === 'stats');
    const textB = b.next((m) => m['type'] === 'stats');
    server!.broadcast({ type: 'stats', dropped: 0 });
    expect(await textA).toEqual({ type: 'stats', dropped: 0 });
    expect(await textB).toEqual({ type: 'stats', dropped: 0 });
    await waitFor(() => b.binaryFrames === 1);
    expect(server!.clients().map((c) => [c.role, c.sent, c.skipped])).toEqual([
      ['viewer', 2, 0],
      ['operator', 2, 0],
    ]);
  });

  it('sends to one client through onConnection / the handler client', async () => {
    await start();
    server!.onConnection((client) => client.send({ type: 'hello', role: client.role }));
    const viewer = await openClient(wsUrl(server!.port, VIEWER));
    clients.push(viewer);
    await waitFor(() => viewer.messages.length === 1);
    expect(viewer.messages).toEqual([{ type: 'hello', role: 'viewer' }]);
  });

  it('skips frames for a stalled client, bounded, while another client receives every frame', async () => {
    const maxBufferedBytes = 64 * 1024;
    await start({ maxBufferedBytes });
    const reader = await open(VIEWER);
    rawSockets.push(await stalledClient(server!.port, VIEWER));
    await waitFor(() => server!.clients().length === 2);
    const frame = new Uint8Array(64 * 1024).fill(7);
    let broadcasts = 0;
    // Loopback kernel buffers hold several MB before the server's own buffer grows.
    while (broadcasts < 4000) {
      server!.broadcast(frame);
      broadcasts += 1;
      await waitFor(() => reader.binaryFrames === broadcasts);
      const stalled = server!.clients()[1]!;
      expect(stalled.bufferedAmount).toBeLessThanOrEqual(maxBufferedBytes + frame.length + 1024);
      if (stalled.skipped >= 20) break;
    }
    const [fast, slow] = server!.clients();
    expect(fast).toMatchObject({ role: 'viewer', sent: broadcasts, skipped: 0 });
    expect(slow!.skipped).toBeGreaterThanOrEqual(20);
    expect(slow!.sent + slow!.skipped).toBe(broadcasts);
    expect(reader.binaryFrames).toBe(broadcasts);
  });
});

describe('dashboard server: HTTP', () => {
  let dir: string;
  let root: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ns-dashboard-'));
    root = join(dir, 'public');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'secret.txt'), 'top secret');
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>dash</title>');
    writeFileSync(join(root, 'app.js'), 'export {};');
    writeFileSync(join(root, 'style.css'), 'body{}');
    writeFileSync(join(root, 'data.json'), '{}');
    writeFileSync(join(root, 'icon.svg'), '<svg/>');
    writeFileSync(join(root, 'sub', 'index.html'), 'sub');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function get(path: string, method = 'GET'): Promise<{ status: number; type: string | undefined; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: server!.port, path, method }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves /healthz and static files with their content types', async () => {
    await start({ staticDir: root });
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok' });
    expect(await get('/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>dash</title>' });
    expect(await get('/?token=abc')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(await get('/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'export {};' });
    expect(await get('/style.css')).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
    expect(await get('/data.json')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    expect(await get('/icon.svg')).toMatchObject({ status: 200, type: 'image/svg+xml' });
    expect(await get('/sub/')).toMatchObject({ status: 200, body: 'sub' });
    expect(await get('/missing.js')).toMatchObject({ status: 404 });
    expect(await get('/app.js', 'POST')).toMatchObject({ status: 405 });
  });

  it('refuses path traversal with 404', async () => {
    await start({ staticDir: root });
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/sub/../../secret.txt', '/%2e%2e%5csecret.txt', '/app.js%00.html']) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(response.body).not.toContain('top secret');
    }
  });

  it('serves nothing but /healthz without a staticDir', async () => {
    await start();
    expect((await get('/')).status).toBe(404);
    expect((await get('/healthz')).status).toBe(200);
  });
});

describe('dashboard server: /metrics access', () => {
  it('accepts Authorization with the Bearer scheme in any case (HTTP schemes are case-insensitive), and 401 without a good token', async () => {
    await start();
    server!.onMetrics(() => 'neurostream_up 1\n');
    const metrics = (authorization?: string): Promise<Response> => fetch(`${server!.url}metrics`, authorization ? { headers: { Authorization: authorization } } : {});
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const r = await metrics(`${scheme} ${VIEWER}`);
      expect(r.status, scheme).toBe(200);
      expect(await r.text()).toBe('neurostream_up 1\n');
    }
    expect((await metrics(`Bearer ${OPERATOR}`)).status).toBe(200);
    for (const bad of [undefined, `bearer ${'x'.repeat(32)}`, `Basic ${VIEWER}`, VIEWER]) {
      const r = await metrics(bad);
      expect(r.status, String(bad)).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer');
    }
  });
});

describe('dashboard server: close', () => {
  it('closes clients with 1001, frees the port, leaves no handles and is idempotent', async () => {
    const baseline = process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length;
    const s = await start();
    const port = s.port;
    const viewer = await open(VIEWER);
    const stalled = await stalledClient(port, OPERATOR);
    rawSockets.push(stalled);
    await waitFor(() => s.clients().length === 2);
    const started = Date.now();
    await Promise.all([s.close(), s.close()]);
    expect(Date.now() - started).toBeLessThan(3000);
    expect((await viewer.closed).code).toBe(1001);
    expect(s.clients()).toEqual([]);
    stalled.destroy();
    await waitFor(() => process.getActiveResourcesInfo().filter((r) => r.startsWith('TCP')).length <= baseline);
    // The port is free again.
    await new Promise<void>((resolve, reject) => {
      const probe = createTcpServer();
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
    });
    await s.close();
    expect(s.broadcast({ type: 'late' })).toEqual({ sent: 0, skipped: 0 });
  });
});
