/**
 * `intanSource` — Intan RHX's TCP waveform output as a cold Observable of SampleBlocks in µV.
 *
 * RHX (Network → Remote TCP Control, both ports connected) is the server. The client, as Intan's
 * own example does: `set runmode stop`, `get sampleratehertz`, `execute clearalldataoutputs`, then
 * `set <channel>.tcpdataoutputenabled true` for each channel, connects the waveform port, and
 * `set runmode run`. One RHX block (128 frames) becomes one SampleBlock; the frames' timestamps
 * are the stream's sample clock, so a discontinuity is a gap of exactly the missing samples. On
 * unsubscribe it sends `set runmode stop` and closes both sockets.
 */
import { type Socket, connect } from 'node:net';
import { Observable } from 'rxjs';
import {
  type SampleBlock,
  type StreamInfo,
  checkInteger,
  checkString,
  createSampleBlock,
  createStreamInfo,
  hostNowMs,
  utcNowIso,
} from '../../core/index.js';
import {
  INTAN_AMPLIFIER_OFFSET,
  INTAN_AMPLIFIER_UV_PER_COUNT,
  INTAN_COMMAND_PORT,
  INTAN_FRAMES_PER_BLOCK,
  INTAN_WAVEFORM_PORT,
} from '../protocols/intan/intan-constants.js';
import { IntanWaveformParser, type IntanParserStats } from '../protocols/intan/intan-waveform-parser.js';
import { DeviceError } from '../transport/serial-connection.js';

export interface IntanSourceOptions {
  host: string;
  commandPort?: number;
  waveformPort?: number;
  /** Native channel names to stream, e.g. `A-000`. */
  channels: readonly string[];
  /** How long to wait for each reply. Default 3000 ms. */
  replyTimeoutMs?: number;
  /** Pause after each `set`/`execute`, as Intan's example leaves. Default 20 ms. */
  commandGapMs?: number;
  id?: string;
  onInfo?: (info: StreamInfo) => void;
  onParser?: (stats: Readonly<IntanParserStats>) => void;
}

const CHANNEL = /^[A-H]-\d{3}$/;

export function intanSource(options: IntanSourceOptions): Observable<SampleBlock> {
  const host = checkString('option', 'host', options.host, { nonEmpty: true });
  const commandPort = checkInteger('option', 'commandPort', options.commandPort ?? INTAN_COMMAND_PORT, { min: 1, max: 65535 });
  const waveformPort = checkInteger('option', 'waveformPort', options.waveformPort ?? INTAN_WAVEFORM_PORT, { min: 1, max: 65535 });
  const replyTimeoutMs = checkInteger('option', 'replyTimeoutMs', options.replyTimeoutMs ?? 3000, { min: 10 });
  const commandGapMs = checkInteger('option', 'commandGapMs', options.commandGapMs ?? 20, { min: 0 });
  const channels = options.channels;
  if (channels.length === 0) throw new DeviceError(`${host}:${commandPort}`, 'channels: expected at least one channel such as A-000');
  channels.forEach((c, i) => {
    if (!CHANNEL.test(c)) throw new DeviceError(`${host}:${commandPort}`, `channels[${i}]: expected a native channel name such as A-000, got ${JSON.stringify(c)}`);
  });
  const where = `${host}:${commandPort}`;

  return new Observable<SampleBlock>((subscriber) => {
    let command: Socket | undefined;
    let waveform: Socket | undefined;
    let closed = false;
    let replies = '';
    let waiter: ((line: string) => void) | undefined;

    const fail = (message: string, cause?: unknown): void => {
      if (!closed) subscriber.error(new DeviceError(where, message, cause === undefined ? undefined : { cause }));
    };

    const open = (port: number, what: string): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = connect({ host, port }, () => resolve(s));
        s.setNoDelay(true);
        s.once('error', (e: NodeJS.ErrnoException) =>
          reject(
            new DeviceError(
              `${host}:${port}`,
              `cannot connect to Intan RHX's ${what} port: ${e.code ?? e.message} — is RHX running with Remote TCP Control connected?`,
              { cause: e },
            ),
          ),
        );
      });

    const send = async (text: string): Promise<void> => {
      command!.write(text);
      await new Promise((r) => setTimeout(r, commandGapMs));
      if (/^Error/m.test(replies)) throw new DeviceError(where, `RHX refused "${text}": ${replies.trim()}`);
    };

    const get = (param: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new DeviceError(where, `no reply to "get ${param}" within ${replyTimeoutMs} ms — is this Intan RHX?`));
        }, replyTimeoutMs);
        waiter = (line) => {
          clearTimeout(timer);
          waiter = undefined;
          const m = new RegExp(`^Return: ${param}\\s+(.*)$`, 'i').exec(line);
          if (m) resolve(m[1]!.trim());
          else reject(new DeviceError(where, `unexpected reply to "get ${param}": ${JSON.stringify(line)}`));
        };
        command!.write(`get ${param}`);
      });

    const start = async (): Promise<void> => {
      command = await open(commandPort, 'command');
      command.setEncoding('latin1');
      command.on('data', (text: string) => {
        replies += text;
        if (waiter && /Return:|Error/.test(replies)) {
          const line = replies.trim();
          replies = '';
          waiter(line);
        }
      });
      command.on('close', () => fail('RHX closed the command connection'));
      command.on('error', (e) => fail(`command connection failed: ${e.message}`, e));
      await send('set runmode stop');
      const rate = Number(await get('sampleratehertz'));
      if (!Number.isFinite(rate) || rate <= 0) throw new DeviceError(where, `RHX reported a sample rate of ${rate}`);
      await send('execute clearalldataoutputs');
      for (const c of channels) await send(`set ${c.toLowerCase()}.tcpdataoutputenabled true`);

      const info = createStreamInfo({
        id: options.id ?? `intan-${host}`,
        device: { name: 'intan', model: 'Intan RHX (TCP waveform output)', serial: where },
        channelNames: channels,
        channelKinds: 'extracellular',
        units: 'uV',
        sampleRateHz: rate,
        adcScale: INTAN_AMPLIFIER_UV_PER_COUNT,
        startTime: utcNowIso(),
      });
      options.onInfo?.(info);
      const C = channels.length;
      let next = -1;
      const parser = new IntanWaveformParser({
        words: C,
        onBlock: ({ timestamps, values }) => {
          const first = timestamps[0]!;
          const data = new Float32Array(C * INTAN_FRAMES_PER_BLOCK);
          for (let f = 0; f < INTAN_FRAMES_PER_BLOCK; f++) {
            for (let c = 0; c < C; c++) data[c * INTAN_FRAMES_PER_BLOCK + f] = (values[f * C + c]! - INTAN_AMPLIFIER_OFFSET) * INTAN_AMPLIFIER_UV_PER_COUNT;
          }
          const missing = next >= 0 && first > next ? first - next : 0;
          if (first < 0 || (next >= 0 && first < next)) {
            fail(`RHX timestamps went from ${next - 1} back to ${first}: the run was restarted`);
            return;
          }
          next = first + INTAN_FRAMES_PER_BLOCK;
          subscriber.next(
            createSampleBlock({ info, first, length: INTAN_FRAMES_PER_BLOCK, data, hostTime: hostNowMs(), ...(missing > 0 ? { gap: { missing } } : {}) }),
          );
        },
      });
      waveform = await open(waveformPort, 'waveform');
      waveform.on('data', (chunk: Buffer) => {
        parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        options.onParser?.(parser.stats);
        if (parser.stats.magicMismatches > 3 && parser.stats.blocks === 0) {
          fail(`the waveform stream does not match the ${C} channels enabled (magic number not found at block boundaries)`);
        }
      });
      waveform.on('close', () => fail('RHX closed the waveform connection'));
      waveform.on('error', (e) => fail(`waveform connection failed: ${e.message}`, e));
      await send('set runmode run');
    };

    start().catch((e: unknown) => (e instanceof DeviceError ? !closed && subscriber.error(e) : fail(String(e), e)));

    return () => {
      closed = true;
      waveform?.destroy();
      if (command && !command.destroyed) {
        command.end('set runmode stop');
      }
    };
  });
}
