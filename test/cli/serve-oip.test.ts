/**
 * `neurostream serve` and `run --oip` from the command line: a session decoding on a model server
 * over the Open Inference Protocol gives the same intents as the same model run locally; the
 * server's shutdown is graceful; a server that disappears mid-session hands decoding to the local
 * model, loudly, and the session carries on.
 */
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportOnnx } from '../../decoding/onnx/onnx-export.js';
import { openRecording } from '../../recordings/recording-reader.js';
import { runCli } from '../helpers/cli.js';
import { serveCli } from '../helpers/serve-cli.js';
import { sessionModel } from '../helpers/session-model.js';
import { randomKalman, TestRandom } from '../decoding/onnx/helpers.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-serve-'));
}


/** A loopback port that nothing listens on (free a moment ago). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('neurostream serve / run --oip', () => {
  it('serves a model; a session decoding on it gives the intents the local model gives, bit for bit', async () => {
    const root = tempDir();
    const model = sessionModel(join(root, 'kalman.onnx'));
    const server = serveCli([model]);
    const url = await server.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const meta = (await (await fetch(`${url}/v2/models/kalman`)).json()) as { inputs: { name: string }[] };
    expect(meta.inputs.map((i) => i.name)).toEqual(['input', 'state_in']);

    const local = join(root, 'local');
    const remote = join(root, 'remote');
    const args = ['run', '--channels', '16', '--duration', '4', '--no-dashboard', '--providers', 'cpu'];
    const [a, b] = [
      await runCli([...args, '--model', model, '--record', local], { timeoutMs: 60_000 }),
      // A generous per-bin timeout: on a loaded machine a 100 ms one sends bins to the local model, which this test is not about.
      await runCli([...args, '--model', model, '--oip', url, '--oip-timeout-ms', '2000', '--record', remote], { timeoutMs: 60_000 }),
    ];
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stderr).toBe('');
    expect(b.stdout).toMatch(/decoder oip:kalman@127\.0\.0\.1:\d+ \(oip\): /);
    const ours = openRecording(remote).intents();
    const theirs = openRecording(local).intents();
    expect(ours.length).toBe(150); // 3 s after the thresholds' first second, 20 ms bins
    expect(ours.map((i) => i.bin)).toEqual(theirs.map((i) => i.bin));
    ours.forEach((intent, i) => expect(Buffer.from(intent.values.buffer).equals(Buffer.from(theirs[i]!.values.buffer)), `bin ${intent.bin}`).toBe(true));

    server.stop();
    const stopped = await server.result;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/serving kalman \(onnx:kalman\.onnx on \w+, 1 onnxruntime thread per call, continuous,/);
    expect(stopped.stdout).toMatch(/SIGINT: finishing requests in flight…\nstopped: \d+ × HTTP 200/);
  }, 180_000);

  it('hands decoding to the local model when the server disappears mid-session, says so, and goes on', async () => {
    const root = tempDir();
    const model = sessionModel(join(root, 'kalman.onnx'));
    const server = serveCli([model]);
    const url = await server.url;
    const rec = join(root, 'rec');
    let killed = false;
    const r = await runCli(['run', '--channels', '16', '--duration', '5', '--no-dashboard', '--providers', 'cpu', '--model', model, '--oip', url, '--record', rec], {
      timeoutMs: 60_000,
      onStdout: (text) => {
        if (!killed && /\[ *2\.\d s\]/.test(text)) {
          killed = true;
          server.stop();
        }
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/WARNING: model server http:\/\/127\.0\.0\.1:\d+ \(kalman\) (unreachable \(ECONN(REFUSED|RESET)\)|the answer broke off \(.*\)|the connection closed under the request \(.*\)|HTTP 503: .*shutting down|no answer within 100 ms): decoding locally with onnx:kalman\.onnx \(cpu\) until it answers again/);
    expect(r.stdout).toMatch(/decoder oip:kalman@127\.0\.0\.1:\d+ \(cpu \(fallback: server unreachable\)\)/);
    // No bin was lost to the switch.
    const intents = openRecording(rec).intents();
    expect(intents.length).toBe(200);
    expect(intents.map((i) => i.bin)).toEqual(Array.from({ length: 200 }, (_, k) => 50 + k));
    await server.result;
  }, 120_000);

  it('starts on the local model while the server is down, says so, and moves to the server when it comes up', async () => {
    const root = tempDir();
    const model = sessionModel(join(root, 'kalman.onnx'));
    const port = await closedPort();
    const url = `http://127.0.0.1:${port}`;
    const rec = join(root, 'rec');
    let server: ReturnType<typeof serveCli> | undefined;
    // 16 s: the server starts at 1 s and takes a few seconds to load (more on a loaded machine); a
    // 1 s per-bin timeout keeps a cold server's first answers from counting as missed.
    const r = await runCli(['run', '--channels', '16', '--duration', '16', '--no-dashboard', '--providers', 'cpu', '--model', model, '--oip', url, '--oip-timeout-ms', '1000', '--record', rec], {
      timeoutMs: 90_000,
      onStdout: (text) => {
        if (!server && /\[ *1\.\d s\]/.test(text)) server = serveCli([model], { port }); // the platform's server comes up late
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`neurostream run: WARNING: model server ${url} (kalman) unreachable (ECONNREFUSED) at start: decoding locally with onnx:kalman.onnx (cpu) until it answers again\n`);
    expect(r.stderr).toMatch(new RegExp(`neurostream run: model server ${url.replace(/\./g, '\\.')} \\(kalman\\) answers again after \\d+\\.\\d s \\(\\d+ bins decoded locally meanwhile\\)\n`));
    expect(r.stdout).toMatch(/decoder oip:kalman@127\.0\.0\.1:\d+ \(cpu \(fallback: server unreachable\)\)/);
    expect(r.stdout).toMatch(/decoder oip:kalman@127\.0\.0\.1:\d+ \(oip\)/);
    // No bin was lost to either switch.
    const intents = openRecording(rec).intents();
    expect(intents.map((i) => i.bin)).toEqual(Array.from({ length: 16 * 50 - 50 }, (_, k) => 50 + k)); // every bin of 16 s after the 1 s of thresholds
    server!.stop();
    expect((await server!.result).code).toBe(0);

    // --oip-required: the same server down refuses to start.
    const refused = await runCli(['run', '--channels', '16', '--duration', '1', '--no-dashboard', '--providers', 'cpu', '--model', model, '--oip', `http://127.0.0.1:${await closedPort()}`, '--oip-required']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/\/v2\/health\/ready: expected a ready Open Inference Protocol server, got "unreachable \(ECONNREFUSED\)"/);
  }, 120_000);

  it('refuses what cannot work, before the device starts', async () => {
    const root = tempDir();
    const model = join(root, 'kalman.onnx');
    writeFileSync(model, exportOnnx(randomKalman(new TestRandom(3), 32, 4, 4)));
    const cases: [string[], RegExp][] = [
      [['run', '--duration', '1', '--oip', 'http://127.0.0.1:1'], /--oip: expected a --model to fall back on when the server cannot answer/],
      [['run', '--duration', '1', '--oip-model', 'x'], /--oip-model: expected an --oip server to find it on/],
      [['run', '--duration', '1', '--oip-required'], /--oip-required: expected an --oip server to require, got "no --oip"/],
      [['serve', join(root, 'none.onnx'), '--port', '0'], /none\.onnx: expected a readable ONNX model file/],
      [['serve', model, `kalman=${model}`, '--port', '0'], /models: expected each name once/],
      [['serve', model, '--port', '0', '--max-delay-ms', '5'], /--max-delay-ms: expected dynamic batching, turned on by --max-batch N, got "no --max-batch"/],
      [['serve', model, '--port', '0', '--max-batch', '0'], /--max-batch: expected .*1.*got 0/],
      [['serve', model, '--port', '0', '--intra-op-threads', '0'], /--intra-op-threads: expected an integer .*1.*got 0/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(message);
    }
  }, 60_000);

  it('serve --max-batch batches a model, says how it runs its rows, and answers concurrent sessions as the model does', async () => {
    const root = tempDir();
    const model = sessionModel(join(root, 'kalman.onnx'));
    const server = serveCli([model, '--max-batch', '8', '--max-delay-ms', '2', '--max-queue', '64', '--providers', 'cpu', '--intra-op-threads', '2']);
    const url = await server.url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const { OipDecoder } = await import('../../decoding/oip/oip-decoder.js');
    const { OnnxDecoder } = await import('../../decoding/onnx/onnx-decoder.js');
    const local = await OnnxDecoder.load(model, { providers: ['cpu'] });
    const r = new TestRandom(8);
    const clients = await Promise.all(Array.from({ length: 4 }, () => OipDecoder.connect({ url, model: 'kalman', timeoutMs: 5000, requireServer: true })));
    const sequences = clients.map(() => Array.from({ length: 10 }, () => Float32Array.from({ length: local.inputShape[0]! }, () => r.normal())));
    const got = await Promise.all(clients.map(async (c, i) => Promise.all(sequences[i]!.map((x) => c.decode(x)))));
    for (let i = 0; i < clients.length; i++) {
      local.reset();
      for (let k = 0; k < 10; k++) expect(Buffer.from((await local.decode(sequences[i]![k]!)).buffer).equals(Buffer.from(got[i]![k]!.buffer))).toBe(true);
      await clients[i]!.dispose();
    }
    await local.dispose();
    server.stop();
    const stopped = await server.result;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(/serving kalman \(onnx:kalman\.onnx on cpu, 2 onnxruntime threads per call, /);
    expect(stopped.stdout).toMatch(/batching kalman: up to 8 requests within 2 ms, 64 waiting at most \(batch dimension fixed at 1: rows run one by one in one queue\)/);
    // Without --max-delay-ms: Triton's default, no added delay.
    const plain = serveCli([model, '--max-batch', '4', '--providers', 'cpu']);
    expect(await plain.url).toMatch(/^http:/);
    plain.stop();
    const plainStopped = await plain.result;
    expect(plainStopped.stdout).toMatch(/batching kalman: up to 4 requests as they queue while the previous batch runs, 256 waiting at most/);
  }, 120_000);
});
