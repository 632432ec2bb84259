/**
 * `neurostream serve` and `run --oip` facing the network: beyond loopback, serve needs a bearer
 * token (NEUROSTREAM_SERVE_TOKEN) and run sends it from an environment variable (never from its
 * command line, which ps shows); a model declaring a huge output is refused at once; a session
 * against a server that answers badly backs off and reports its state once; and `run --model` with
 * the default providers probes CUDA quietly and names the provider it chose once.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { oipModelMetadata } from '../../decoding/oip/oip-model-metadata.js';
import { OnnxDecoder } from '../../decoding/onnx/onnx-decoder.js';
import { startBadOipServer } from '../helpers/bad-oip-server.js';
import { runCli } from '../helpers/cli.js';
import { serveCli } from '../helpers/serve-cli.js';
import { sessionModel } from '../helpers/session-model.js';
import { hugeOutputModel } from '../decoding/onnx/declared-size-models.js';

const TOKEN = 'serve-token-'.repeat(4);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-serve-access-'));
}


const RUN = ['run', '--channels', '16', '--no-dashboard', '--providers', 'cpu'];

describe('serve beyond loopback: a bearer token', () => {
  it('refuses --host 0.0.0.0 without NEUROSTREAM_SERVE_TOKEN, and a token too short, with exit 2 and one line', async () => {
    const model = sessionModel(join(tempDir(), 'kalman.onnx'));
    const open = await runCli(['serve', model, '--host', '0.0.0.0', '--port', '0'], { env: { NEUROSTREAM_SERVE_TOKEN: '' } });
    expect(open.code).toBe(2);
    expect(open.stderr).toBe('neurostream: --host: expected a loopback address (127.0.0.1, ::1, localhost) unless NEUROSTREAM_SERVE_TOKEN holds the token callers must send, got "0.0.0.0" [NS_INVALID_OPTION]\n');
    const short = await runCli(['serve', model, '--host', '0.0.0.0', '--port', '0'], { env: { NEUROSTREAM_SERVE_TOKEN: 'short' } });
    expect(short.code).toBe(2);
    expect(short.stderr).toBe('neurostream: NEUROSTREAM_SERVE_TOKEN: expected a token of at least 16 non-space characters, got "a token of 5 characters" [NS_INVALID_OPTION]\n');
  }, 60_000);

  it('with the token: 401 to callers without it; run --oip sends it from --oip-token-env or a session file, and decodes on the server', async () => {
    const root = tempDir();
    const model = sessionModel(join(root, 'kalman.onnx'));
    const server = serveCli([model, '--host', '0.0.0.0'], { env: { NEUROSTREAM_SERVE_TOKEN: TOKEN } });
    const shown = await server.url;
    expect(shown).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    const url = shown.replace('0.0.0.0', '127.0.0.1'); // this machine: still beyond the loopback-only rule's bind
    try {
      expect((await fetch(`${url}/v2/models/kalman`)).status).toBe(401);
      expect((await fetch(`${url}/v2/models/kalman`, { headers: { Authorization: `bearer ${TOKEN}` } })).status).toBe(200);

      // No token: refused before the device starts, naming the server.
      const none = await runCli([...RUN, '--duration', '1', '--model', model, '--oip', url]);
      expect(none.code).toBe(2);
      expect(none.stderr).toMatch(/^neurostream: http:\/\/127\.0\.0\.1:\d+: expected no token needed, or one given \(--oip-token-env NAME, or the URL's credentials\), got "HTTP 401: missing token/);

      const viaEnv = await runCli([...RUN, '--duration', '2', '--model', model, '--oip', url, '--oip-token-env', 'LAB_OIP_TOKEN'], { timeoutMs: 60_000, env: { LAB_OIP_TOKEN: TOKEN } });
      expect(viaEnv.code, viaEnv.stderr).toBe(0);
      expect(viaEnv.stderr).toBe('');
      expect(viaEnv.stdout).toMatch(/decoder oip:kalman@127\.0\.0\.1:\d+ \(oip\): /);

      // A session file: the token's variable (tokenEnv) or the URL's credentials.
      for (const [key, decoder] of [
        ['tokenEnv', { type: 'oip', url, fallback: model, tokenEnv: 'LAB_OIP_TOKEN' }],
        ['url credentials', { type: 'oip', url: url.replace('//', `//:${TOKEN}@`), fallback: model }],
      ] as const) {
        const file = join(root, `session-${key.replace(' ', '-')}.json`);
        writeFileSync(file, JSON.stringify({ device: { type: 'intracortical', channels: 16 }, decoder: { ...decoder, providers: ['cpu'] }, outputs: { dashboard: false }, duration: 2 }));
        const r = await runCli(['run', file], { timeoutMs: 60_000, env: { LAB_OIP_TOKEN: TOKEN } });
        expect(r.code, `${key}: ${r.stderr}`).toBe(0);
        expect(r.stdout, key).toMatch(/decoder oip:kalman@127\.0\.0\.1:\d+ \(oip\): /);
        expect(r.stdout + r.stderr).not.toContain(TOKEN);
      }
    } finally {
      server.stop();
      expect((await server.result).code).toBe(0);
    }
  }, 180_000);

  it('never takes a token on the command line: --oip-token and credentials in a typed --oip URL are refused (exit 2, token not echoed)', async () => {
    const model = sessionModel(join(tempDir(), 'kalman.onnx'));
    const cases: [string[], RegExp][] = [
      [['--oip', 'http://127.0.0.1:9', '--oip-token', TOKEN], /^neurostream: --oip-token: expected the token in an environment variable named by --oip-token-env NAME \(a token on the command line is shown by ps to every user\), got "a token on the command line" \[NS_INVALID_OPTION\]\n$/],
      [['--oip', `http://:${TOKEN}@127.0.0.1:9`], /^neurostream: --oip: expected a URL without credentials on the command line \(ps shows it to every user\): .*, got "http:\/\/…@127\.0\.0\.1:9" \[NS_INVALID_OPTION\]\n$/],
      [['--oip', 'http://127.0.0.1:9', '--oip-token-env', 'NO_SUCH_TOKEN_VARIABLE'], /^neurostream: --oip-token-env: expected an environment variable that holds the token \(NO_SUCH_TOKEN_VARIABLE is not set\), got "NO_SUCH_TOKEN_VARIABLE" \[NS_INVALID_OPTION\]\n$/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli([...RUN, '--duration', '1', '--model', model, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain(TOKEN);
    }
  }, 60_000);
});

describe('serve: a model declaring a huge output', () => {
  it('is refused at once with one line naming the file, the output, the limit and the shape', async () => {
    const file = join(tempDir(), 'huge.onnx');
    writeFileSync(file, hugeOutputModel(25_000_000));
    const r = await runCli(['serve', file, '--port', '0', '--providers', 'cpu'], { timeoutMs: 30_000 });
    expect(r.signal).toBeNull(); // not killed by the timeout
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`neurostream: ${file} output "output": expected at most 65536 outputs (the limit on what a model may declare), got "shape [1, 100000000]" [NS_INVALID_DATA]\n`);
  }, 60_000);
});

describe('run --oip against a server that answers badly', () => {
  it('falls back once and backs off its retries instead of flipping every second', async () => {
    const root = tempDir();
    const model = sessionModel(join(root, 'kalman.onnx'));
    const local = await OnnxDecoder.load(model, { providers: ['cpu'] });
    const metadata = JSON.stringify(oipModelMetadata('kalman', local));
    await local.dispose();
    // Ready, with the right model, but every infer is a 500.
    const bad = await startBadOipServer('kalman', metadata, (res) => res.writeHead(500, { 'Content-Type': 'application/json' }).end('{"error":"GPU on fire"}'));
    const { inferTimes } = bad;
    try {
      const r = await runCli([...RUN, '--duration', '9', '--model', model, '--oip', bad.url], { timeoutMs: 90_000 });
      expect(r.code, r.stderr).toBe(0);
      // Our lines (the structured log, --log-level warn, has its own JSON lines beside them).
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('neurostream'));
      expect(r.stderr.split('\n').filter((l) => l.includes('"msg":"model server fallback"'))).toHaveLength(1);
      // One state change, said once: no "answers again" after every probe.
      expect(lines.filter((l) => l.includes('WARNING: model server'))).toHaveLength(1);
      expect(lines[0]).toMatch(/^neurostream run: WARNING: model server http:\/\/127\.0\.0\.1:\d+ \(kalman\) HTTP 500: GPU on fire: decoding locally with onnx:kalman\.onnx \(cpu\) until it answers again$/);
      expect(lines.filter((l) => l.includes('answers again after'))).toHaveLength(0);
      expect(lines).toHaveLength(1);
      // Tries after the first failure wait 1, 2, 4 s (doubling): each wait starts after the previous
      // infer's answer, so a gap between the server's receipts is never shorter than its wait (less
      // a timer's 1 ms rounding) — a slow machine only lengthens gaps. The old code tried once a
      // second (second gap ≈ 1 s, ~8 tries).
      expect(inferTimes.length).toBeGreaterThanOrEqual(2);
      inferTimes.slice(1).forEach((t, k) => expect(t - inferTimes[k]!, `gap ${k + 1}`).toBeGreaterThanOrEqual(1000 * 2 ** k - 50));
      expect(inferTimes.length).toBeLessThanOrEqual(5); // 0, 1, 3, 7 s fit in 9 s; being slower only means fewer
    } finally {
      await bad.close();
    }
  }, 120_000);
});

describe('run --model with the default providers', () => {
  it('probes CUDA quietly (no onnxruntime error line) and names the provider it chose once', async () => {
    const model = sessionModel(join(tempDir(), 'kalman.onnx'));
    const r = await runCli(['run', '--channels', '16', '--duration', '1.5', '--no-dashboard', '--model', model], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/onnxruntime/i);
    expect(r.stderr).toBe('');
    const chosen = r.stdout.split('\n').filter((l) => / runs on /.test(l));
    expect(chosen).toHaveLength(1);
    expect(chosen[0]).toMatch(/^model kalman\.onnx runs on (cuda|cpu)( \(cuda unavailable: .+\))?$/);
    const provider = / runs on (\w+)/.exec(chosen[0]!)![1]!;
    expect(r.stdout).toContain(`decoder onnx:kalman.onnx (${provider})`);
  }, 60_000);
});
