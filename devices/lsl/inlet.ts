/**
 * An LSL inlet: resolves a stream, opens its data feed over TCP (data protocol 110, or 100 when
 * the stream or `UseProtocolVersion` says so), checks the test
 * patterns, decodes samples incrementally, reads the full info (description), measures the clock
 * offset with time probes, and — like liblsl's `recover` — re-resolves and reconnects when the
 * outlet goes away and comes back (same source id, or same name and type when it has none).
 */
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { Observable } from 'rxjs';
import { DeviceError } from '../transport/serial-connection.js';
import { InvalidDataError } from '../../core/errors.js';
import { bindAddress, resolveStreams } from './discovery.js';
import { feedRequestText, parseFeedResponse, type FeedResponse } from './feed-handshake.js';
import type { LslConfig } from './lsl-config.js';
import { LslArchiveDecoder } from './portable-archive.js';
import { LslSampleDecoder, TEST_PATTERN_TIMESTAMP, testPatternValues, type LslSampleBatch } from './sample-codec.js';
import { LSL_VALUE_BYTES, parseStreamInfo, type LslStreamInfo } from './stream-info.js';
import { measureTimeCorrection, type TimeCorrection } from './time-probe.js';

/** What an inlet emits. Timestamps in `samples` are already on the local clock (correction added). */
export type LslInletEvent =
  | { kind: 'connected'; info: LslStreamInfo; connection: number; feed: FeedResponse }
  | { kind: 'correction'; correction: TimeCorrection }
  | { kind: 'samples'; batch: LslSampleBatch; correctionS: number }
  | { kind: 'lost'; reason: string; connection: number };

export interface LslInletOptions {
  config: LslConfig;
  /** XPath predicate selecting the stream (`name='X'`). */
  predicate: string;
  /** Give up when nothing answers within this long (first resolve). Default 10 s. */
  resolveTimeoutMs?: number;
  /** Reconnect when the outlet goes (default true). */
  recover?: boolean;
  /** Time probes at connect and every `config.timeUpdateIntervalS` (default true). */
  timeCorrection?: boolean;
  /** Request big-endian values (to exercise the outlet's byte-order conversion). Default: little. */
  requestBigEndian?: boolean;
  /** Claim no subnormal support (the outlet then asks us to suppress them). */
  noSubnormals?: boolean;
}

function escapeLiteral(s: string): string {
  return s.includes("'") ? `"${s}"` : `'${s}'`;
}

/** The predicate that finds the same stream again after its outlet restarted (liblsl inlet_connection::try_recover). */
export function recoverPredicate(info: LslStreamInfo): string {
  const parts = [`name=${escapeLiteral(info.name)}`, `type=${escapeLiteral(info.type)}`, `channel_count=${info.channelCount}`];
  if (info.sourceId !== '') parts.push(`source_id=${escapeLiteral(info.sourceId)}`);
  return parts.join(' and ');
}

/** Reads the full info (header + description) over a fresh TCP connection. */
export function fetchFullInfo(address: string, port: number, timeoutMs = 5000): Promise<LslStreamInfo> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: address, port });
    const timer = setTimeout(() => socket.destroy(new Error(`no full info from ${address}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.write('LSL:fullinfo\r\n'));
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(parseStreamInfo(Buffer.concat(chunks).toString('utf8'), `LSL full info from ${address}:${port}`));
      } catch (e) {
        reject(e);
      }
    });
  });
}

function sameValues(a: LslSampleBatch, expected: number[] | string[], n: number, index: number, format: string): boolean {
  if (a.timestamps[index] !== TEST_PATTERN_TIMESTAMP) return false;
  for (let c = 0; c < n; c++) {
    const got = format === 'string' ? a.strings[index * n + c] : a.values[index * n + c];
    const want = format === 'float32' ? Math.fround(expected[c] as number) : expected[c];
    if (got !== want) return false;
  }
  return true;
}

/**
 * Opens one data feed to `info` and calls `onBatch` for every chunk of samples until the
 * connection ends. Resolves when it ends cleanly (outlet gone), rejects on protocol errors.
 */
export function openFeed(
  info: LslStreamInfo,
  options: { requestBigEndian?: boolean; noSubnormals?: boolean; lastTimestamp?: number; protocolVersion?: number },
  onConnected: (feed: FeedResponse) => void,
  onBatch: (batch: LslSampleBatch) => void,
): { done: Promise<string>; close: () => void } {
  let socket: Socket | undefined;
  const done = new Promise<string>((resolve, reject) => {
    const what = `LSL stream "${info.name}"`;
    socket = connect({ host: info.v4address || '127.0.0.1', port: info.v4dataPort });
    socket.setNoDelay(true);
    let head = Buffer.alloc(0);
    let decoder: LslSampleDecoder | LslArchiveDecoder | undefined;
    let response: FeedResponse | undefined;
    let tests = 0;
    let uidChecked = false;
    const n = info.channelCount;
    // As liblsl's data_receiver: the lower of our version and the stream's; 100 uses the old request line.
    const proposed = Math.min(options.protocolVersion ?? 110, info.version);
    const archive = (): LslArchiveDecoder =>
      new LslArchiveDecoder({ format: info.channelFormat, channelCount: n, nominalSrateHz: info.nominalSrateHz, what: `${what} (data protocol 100)` }, options.lastTimestamp ?? 0);
    socket.on('connect', () => {
      if (proposed < 110) {
        const maxBuffered = 360 * Math.max(1, Math.ceil(info.nominalSrateHz || 100));
        socket!.write(`LSL:streamfeed\r\n${maxBuffered} 0\r\n`);
        response = { status: 200, statusLine: '(data protocol 100: no response head)', uid: info.uid, littleEndian: true, suppressSubnormals: false, dataProtocolVersion: 100 };
        decoder = archive();
        return;
      }
      socket!.write(
        feedRequestText({
          protocolVersion: proposed,
          uid: info.uid,
          nativeByteOrder: options.requestBigEndian ? 4321 : 1234,
          endianPerformance: 0,
          hasIeee754Floats: true,
          supportsSubnormals: !options.noSubnormals,
          valueSize: LSL_VALUE_BYTES[info.channelFormat],
          maxBufferLength: 360 * Math.max(1, Math.ceil(info.nominalSrateHz || 100)),
          maxChunkLength: 0,
          hostname: hostname(),
          sourceId: info.sourceId,
          sessionId: info.sessionId,
        }),
      );
    });
    socket.on('data', (data: Buffer) => {
      try {
        let rest: Uint8Array = data;
        if (!decoder) {
          head = Buffer.concat([head, data]);
          const end = head.indexOf('\r\n\r\n');
          if (end < 0) {
            if (head.length > 65536) throw new InvalidDataError(`${what} feed response`, 'a header ending in an empty line', `${head.length} bytes without one`);
            return;
          }
          response = parseFeedResponse(head.subarray(0, end).toString('latin1'), what);
          if (response.status !== 200) throw new DeviceError(what, `the outlet refused the feed: ${response.statusLine}`);
          if (response.uid !== undefined && response.uid !== info.uid) throw new DeviceError(what, `the outlet serves uid ${response.uid}, not ${info.uid}`);
          if (response.dataProtocolVersion > proposed) {
            throw new DeviceError(what, `the outlet chose data protocol ${response.dataProtocolVersion}, above the ${proposed} asked for`);
          }
          decoder =
            response.dataProtocolVersion < 110
              ? archive()
              : new LslSampleDecoder(
                  { format: info.channelFormat, channelCount: n, nominalSrateHz: info.nominalSrateHz, littleEndian: response.littleEndian, suppressSubnormals: response.suppressSubnormals },
                  options.lastTimestamp ?? 0,
                );
          rest = head.subarray(end + 4);
        }
        if (tests < 2) {
          const batch = decoder.push(rest, 2 - tests);
          if (decoder instanceof LslArchiveDecoder && !uidChecked && decoder.shortinfo !== undefined) {
            // Protocol 100 carries the shortinfo in the archive: it must be the stream we resolved.
            const uid = parseStreamInfo(decoder.shortinfo, `${what} archive shortinfo`).uid;
            if (uid !== info.uid) throw new DeviceError(what, `the outlet serves uid ${uid}, not ${info.uid}`);
            uidChecked = true;
          }
          for (let i = 0; i < batch.count; i++) {
            if (!sameValues(batch, testPatternValues(info.channelFormat, n, tests === 0 ? 4 : 2), n, i, info.channelFormat)) {
              throw new InvalidDataError(`${what} test pattern`, 'the samples liblsl sends before the data', 'different values (the formats disagree)');
            }
            tests++;
          }
          decoder.samples = 0;
          if (tests < 2) return;
          // Data timestamps are deduced from the data alone (liblsl starts from 0), not from the test patterns.
          decoder.resetTimestamp(options.lastTimestamp ?? 0);
          onConnected(response!);
          rest = new Uint8Array(0);
        }
        const batch = decoder.push(rest);
        if (batch.count > 0) onBatch(batch);
      } catch (error) {
        socket!.destroy();
        reject(error);
      }
    });
    socket.on('error', (e) => resolve(e.message));
    socket.on('close', () => resolve('the outlet closed the connection'));
  });
  return { done, close: () => socket?.destroy() };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A cold Observable of inlet events: subscribing resolves the stream (failing with a
 * {@link DeviceError} when nothing matches within `resolveTimeoutMs`), connects, and keeps the
 * feed — reconnecting after the outlet goes when `recover` is on; unsubscribing closes it.
 */
export function lslInlet(options: LslInletOptions): Observable<LslInletEvent> {
  return new Observable<LslInletEvent>((subscriber) => {
    let stopped = false;
    let feed: { close: () => void } | undefined;
    let correctionS = 0;
    let timer: NodeJS.Timeout | undefined;
    const { config } = options;
    const run = async (): Promise<void> => {
      const first = await resolveStreams({ config, predicate: options.predicate, timeoutMs: options.resolveTimeoutMs ?? 10_000, minimum: 1 });
      if (first.length === 0) {
        throw new DeviceError('LSL', `no stream matching ${options.predicate} answered within ${(options.resolveTimeoutMs ?? 10_000) / 1000} s (resolve scope ${config.resolveScope}, settings from ${config.source})`);
      }
      let target = first[0]!;
      const predicate = recoverPredicate(target);
      let lastTimestamp = 0;
      for (let connection = 1; !stopped; connection++) {
        let info = target;
        try {
          const full = await fetchFullInfo(target.v4address || '127.0.0.1', target.v4dataPort);
          info = { ...full, v4address: target.v4address };
        } catch {
          // The header from discovery still works; the description is missing until the next connect.
        }
        const measure = async (): Promise<void> => {
          const c = await measureTimeCorrection({
            address: info.v4address || '127.0.0.1',
            port: info.v4servicePort,
            bindAddress: bindAddress(config),
            count: config.timeProbeCount,
            intervalMs: config.timeProbeIntervalS * 1000,
            maxRttMs: config.timeProbeMaxRttS * 1000,
            minProbes: config.timeUpdateMinProbes,
          });
          if (c && !stopped) {
            correctionS = c.correctionS;
            subscriber.next({ kind: 'correction', correction: c });
          }
        };
        if (options.timeCorrection !== false) {
          await measure();
          timer = setInterval(() => void measure(), config.timeUpdateIntervalS * 1000);
        }
        if (stopped) return;
        const f = openFeed(
          info,
          { ...(options.requestBigEndian ? { requestBigEndian: true } : {}), ...(options.noSubnormals ? { noSubnormals: true } : {}), lastTimestamp, protocolVersion: config.useProtocolVersion },
          (feedResponse) => subscriber.next({ kind: 'connected', info, connection, feed: feedResponse }),
          (batch) => {
            lastTimestamp = batch.timestamps[batch.count - 1]!;
            const local = new Float64Array(batch.count);
            for (let i = 0; i < batch.count; i++) local[i] = batch.timestamps[i]! + correctionS;
            subscriber.next({ kind: 'samples', batch: { ...batch, timestamps: local }, correctionS });
          },
        );
        feed = f;
        const reason = await f.done;
        clearInterval(timer);
        if (stopped) return;
        subscriber.next({ kind: 'lost', reason, connection });
        if (options.recover === false) {
          subscriber.complete();
          return;
        }
        // Re-resolve until the stream is back (liblsl keeps trying too).
        for (;;) {
          if (stopped) return;
          const again = await resolveStreams({ config, predicate, timeoutMs: 1000, minimum: 1 });
          if (again.length > 0) {
            target = again[0]!;
            break;
          }
          await sleep(200);
        }
      }
    };
    run().catch((error: unknown) => {
      if (!stopped) subscriber.error(error);
    });
    return () => {
      stopped = true;
      clearInterval(timer);
      feed?.close();
    };
  });
}
