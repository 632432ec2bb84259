/**
 * `intanSource` — Intan RHX's TCP waveform output as a cold Observable of SampleBlocks in µV.
 *
 * RHX (Network → Remote TCP Control, both ports connected) is the server. The client, as Intan's
 * own example does: `set runmode stop`, `get sampleratehertz`, `execute clearalldataoutputs`, then
 * `set <channel>.tcpdataoutputenabled true` for each channel (batched, `;`-separated), connects the
 * waveform port, and `set runmode run`. Channels are streamed in RHX's order (port A…H, then
 * index), whatever order they were asked for. One RHX block (128 frames) becomes one SampleBlock;
 * the frames' timestamps (uint32, unwrapped) are the stream's sample clock, so a discontinuity is
 * a gap of exactly the missing samples, and a block whose timestamps break the sequence once while
 * the next continues it is counted corrupt instead (IntanBlockSequence). A block boundary without RHX's magic number means the
 * stream does not match the channels enabled (another client changed them): the stream ends with
 * that error rather than deliver misframed data. If RHX closes a connection the stream ends with
 * an error (RHX runs on the same or a lab machine; there is no reconnect). On unsubscribe it sends
 * `set runmode stop` and closes both sockets.
 */
import { type Socket, connect } from 'node:net';
import { Observable } from 'rxjs';
import {
  type SampleBlock,
  type StreamInfo,
  InvalidOptionError,
  checkInteger,
  checkString,
  createSampleBlock,
  createStreamInfo,
  hostNowMs,
} from '../../core/index.js';
import {
  INTAN_AMPLIFIER_OFFSET,
  INTAN_AMPLIFIER_UV_PER_COUNT,
  INTAN_COMMAND_PORT,
  INTAN_FRAMES_PER_BLOCK,
  INTAN_WAVEFORM_PORT,
  intanChannelIndex,
} from '../protocols/intan/intan-constants.js';
import { IntanBlockSequence } from '../protocols/intan/intan-block-sequence.js';
import { IntanWaveformParser, type IntanParserStats } from '../protocols/intan/intan-waveform-parser.js';
import { deviceStreamId } from '../transport/device-id.js';
import { DeviceError } from '../transport/serial-connection.js';

export interface IntanSourceOptions {
  host: string;
  commandPort?: number;
  waveformPort?: number;
  /** Native amplifier channel names to stream, e.g. `A-000`, `B-017`. */
  channels: readonly string[];
  /** How long to wait for a connection or a reply. Default 5000 ms. */
  timeoutMs?: number;
  /** Pause after each command write, as Intan's example leaves (~0.1 s). Default 100 ms. */
  commandGapMs?: number;
  id?: string;
  onInfo?: (info: StreamInfo) => void;
  onParser?: (stats: Readonly<IntanLinkStats>) => void;
}

/** The waveform parser's counts, and the blocks whose timestamps were found corrupt. */
export interface IntanLinkStats extends IntanParserStats {
  /** Blocks whose timestamps broke the sequence once while the next block continued it (IntanBlockSequence). */
  corruptBlocks: number;
}

/** Channel-enable commands per write. */
const BATCH = 16;

export function intanSource(options: IntanSourceOptions): Observable<SampleBlock> {
  const host = checkString('option', 'host', options.host, { nonEmpty: true });
  const commandPort = checkInteger('option', 'commandPort', options.commandPort ?? INTAN_COMMAND_PORT, { min: 1, max: 65535 });
  const waveformPort = checkInteger('option', 'waveformPort', options.waveformPort ?? INTAN_WAVEFORM_PORT, { min: 1, max: 65535 });
  const timeoutMs = checkInteger('option', 'timeoutMs', options.timeoutMs ?? 5000, { min: 10 });
  const commandGapMs = checkInteger('option', 'commandGapMs', options.commandGapMs ?? 100, { min: 0 });
  if (!Array.isArray(options.channels) || options.channels.length === 0) {
    throw new InvalidOptionError('channels', 'at least one amplifier channel such as A-000', options.channels);
  }
  const seen = new Set<number>();
  options.channels.forEach((name, i) => {
    const index = intanChannelIndex(name);
    if (index < 0) throw new InvalidOptionError(`channels[${i}]`, 'an amplifier channel name such as A-000 (ports A–H, 000–127)', name);
    if (seen.has(index)) throw new InvalidOptionError(`channels[${i}]`, 'each channel once', name);
    seen.add(index);
  });
  // RHX sends enabled channels in its own order: port, then index.
  const channels = [...options.channels].map((n) => n.toUpperCase()).sort((a, b) => intanChannelIndex(a) - intanChannelIndex(b));
  const where = `${host}:${commandPort}`;

  return new Observable<SampleBlock>((subscriber) => {
    let command: Socket | undefined;
    let waveform: Socket | undefined;
    let closed = false;
    let replies = '';
    let onReply: (() => void) | undefined;

    const fail = (error: unknown): void => {
      if (closed || subscriber.closed) return;
      subscriber.error(error instanceof Error ? error : new DeviceError(where, String(error)));
    };
    const ensureOpen = (): void => {
      if (closed) throw new Error('unsubscribed');
    };

    const open = (port: number, what: string): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const s = connect({ host, port });
        s.setNoDelay(true);
        const timer = setTimeout(() => {
          s.destroy();
          reject(new DeviceError(`${host}:${port}`, `no connection to Intan RHX's ${what} port within ${timeoutMs} ms`));
        }, timeoutMs);
        s.once('connect', () => {
          clearTimeout(timer);
          if (closed) {
            s.destroy();
            reject(new Error('unsubscribed'));
          } else {
            resolve(s);
          }
        });
        s.once('error', (e: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(
            new DeviceError(
              `${host}:${port}`,
              `cannot connect to Intan RHX's ${what} port: ${e.code ?? e.message} — is RHX running with Remote TCP Control connected?`,
              { cause: e },
            ),
          );
        });
      });

    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

    const send = async (text: string): Promise<void> => {
      ensureOpen();
      command!.write(text);
      await pause(commandGapMs);
      ensureOpen();
      const error = /Error[^\n]*/.exec(replies);
      if (error) throw new DeviceError(where, `RHX refused "${text.length > 80 ? `${text.slice(0, 77)}...` : text}": ${error[0].trim()}`);
    };

    /** `get PARAM`: waits for "Return: PARAM value" and a short quiet spell (replies may arrive split). */
    const get = (param: string): Promise<string> =>
      new Promise((resolve, reject) => {
        ensureOpen();
        replies = '';
        const pattern = new RegExp(`Return: ${param}\\s+(\\S+)`, 'i');
        let settle: ReturnType<typeof setTimeout> | undefined;
        const timer = setTimeout(() => {
          onReply = undefined;
          clearTimeout(settle);
          reject(new DeviceError(where, `no reply to "get ${param}" within ${timeoutMs} ms — is this Intan RHX?${replies ? ` It said: ${JSON.stringify(replies.trim())}` : ''}`));
        }, timeoutMs);
        onReply = () => {
          if (/Error/.test(replies)) {
            clearTimeout(timer);
            onReply = undefined;
            reject(new DeviceError(where, `RHX refused "get ${param}": ${replies.trim()}`));
            return;
          }
          if (!pattern.test(replies)) return;
          clearTimeout(settle);
          settle = setTimeout(() => {
            clearTimeout(timer);
            onReply = undefined;
            const value = pattern.exec(replies)![1]!;
            replies = '';
            resolve(value);
          }, 30);
        };
        command!.write(`get ${param}`);
      });

    const start = async (): Promise<void> => {
      command = await open(commandPort, 'command');
      command.setEncoding('latin1');
      command.on('data', (text: string) => {
        replies += text;
        onReply?.();
      });
      command.on('close', () => fail(new DeviceError(where, 'RHX closed the command connection')));
      command.on('error', (e) => fail(new DeviceError(where, `command connection failed: ${e.message}`, { cause: e })));
      await send('set runmode stop');
      const rate = Number(await get('sampleratehertz'));
      if (!Number.isFinite(rate) || rate <= 0 || rate > 1e6) throw new DeviceError(where, `RHX reported a sample rate of ${rate}`);
      await send('execute clearalldataoutputs');
      for (let i = 0; i < channels.length; i += BATCH) {
        await send(channels.slice(i, i + BATCH).map((c) => `set ${c.toLowerCase()}.tcpdataoutputenabled true`).join(';'));
      }
      ensureOpen();

      const C = channels.length;
      let info: StreamInfo | undefined;
      // Places blocks on the sample clock; a block whose timestamps break the sequence waits one block (see IntanBlockSequence).
      const sequence = new IntanBlockSequence<Float32Array>(INTAN_FRAMES_PER_BLOCK, where, (first, missing, data) => {
        if (!info) {
          info = createStreamInfo({
            id: options.id ?? deviceStreamId('intan', host),
            device: { name: 'intan', model: 'Intan RHX (TCP waveform output)', serial: where },
            channelNames: channels,
            channelKinds: 'extracellular',
            units: 'uV',
            sampleRateHz: rate,
            adcScale: INTAN_AMPLIFIER_UV_PER_COUNT,
            adcBits: 16, // RHX sends the amplifier's 16-bit samples
            exactCounts: true, // (u16 − 32768) × 0.195 µV, rounded once to float32
            // Sample 0 is RHX's timestamp 0: set the start time back to it.
            startTime: new Date(Date.now() - (first * 1000) / rate).toISOString(),
          });
          options.onInfo?.(info);
        }
        subscriber.next(createSampleBlock({ info, first, length: INTAN_FRAMES_PER_BLOCK, data, hostTime: hostNowMs(), ...(missing > 0 ? { gap: { missing } } : {}) }));
      });
      const parser = new IntanWaveformParser({
        words: C,
        onBlock: ({ timestamps, values }) => {
          const raw = timestamps[0]!;
          if (((timestamps[INTAN_FRAMES_PER_BLOCK - 1]! - raw) >>> 0) !== INTAN_FRAMES_PER_BLOCK - 1) {
            fail(new DeviceError(where, `an RHX block's timestamps are not consecutive (${raw} … ${timestamps[INTAN_FRAMES_PER_BLOCK - 1]}): the stream does not match the ${C} channels enabled`));
            return;
          }
          // A new array per block: it becomes the SampleBlock's data (and may be held one block).
          const data = new Float32Array(C * INTAN_FRAMES_PER_BLOCK);
          for (let f = 0; f < INTAN_FRAMES_PER_BLOCK; f++) {
            for (let c = 0; c < C; c++) data[c * INTAN_FRAMES_PER_BLOCK + f] = (values[f * C + c]! - INTAN_AMPLIFIER_OFFSET) * INTAN_AMPLIFIER_UV_PER_COUNT;
          }
          try {
            sequence.push(raw, data);
          } catch (error) {
            fail(error);
          }
        },
      });
      const linkStats: IntanLinkStats = { ...parser.stats, corruptBlocks: 0 };
      waveform = await open(waveformPort, 'waveform');
      waveform.on('data', (chunk: Buffer) => {
        parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
        Object.assign(linkStats, parser.stats);
        linkStats.corruptBlocks = sequence.corruptBlocks;
        options.onParser?.(linkStats);
        if (parser.stats.magicMismatches > 0) {
          fail(new DeviceError(where, `RHX's waveform stream does not match the ${C} channels enabled (no magic number at a block boundary): did another client change the TCP outputs?`));
        }
      });
      waveform.on('close', () => {
        sequence.flush(); // a block still held is placed by its own timestamps before the stream ends
        fail(new DeviceError(where, 'RHX closed the waveform connection'));
      });
      waveform.on('error', (e) => fail(new DeviceError(where, `waveform connection failed: ${e.message}`, { cause: e })));
      await send('set runmode run');
    };

    start().catch((e: unknown) => {
      if (!closed) fail(e);
    });

    return () => {
      closed = true;
      onReply = undefined;
      waveform?.destroy();
      if (command && !command.destroyed) command.end('set runmode stop');
    };
  });
}
