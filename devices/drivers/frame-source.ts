/**
 * `frameSource` — a device speaking the neurostream frame protocol (docs/frame-protocol.md) on a
 * serial port, as a cold Observable of SampleBlocks in µV. The stream's channels, rate and scale
 * come from the first frame; one frame becomes one block.
 *
 * The device's clock numbers the samples: a frame's first sample index is its timestamp × rate
 * (plus an offset, below), so frames lost on the link or while the device was unplugged leave
 * exact gaps, and a stream joined late starts at the device's own sample number (the StreamInfo's
 * start time is set back accordingly). If the device's clock goes backwards (it restarted), the
 * offset is re-based so the stream continues, with the time the device was away (from this
 * host's clock) recorded as a gap. A frame that changes the stream's shape ends the stream with an
 * error saying what changed; so does a link on which no valid frame arrives in time.
 */
import { Observable } from 'rxjs';
import { type SampleBlock, type StreamInfo, createSampleBlock, createStreamInfo } from '../../core/index.js';
import { FrameParser, type FrameParserStats, type FrameView, decodeFrame } from '../protocols/frame/frame-parser.js';
import { deviceStreamId } from '../transport/device-id.js';
import { DeviceError, type DeviceLinkState, type ReconnectOptions, reconnectionAttempt, serialConnection } from '../transport/serial-connection.js';

export interface FrameSourceOptions {
  port: string;
  /** Serial baud rate (ignored by USB CDC-ACM devices and pseudo-terminals). Default 921600. */
  baudRate?: number;
  reconnect?: ReconnectOptions | false;
  /** Silence after which the link is reopened (the device streams continuously). Default 2000 ms. */
  stallTimeoutMs?: number;
  /** How long the first connection may go without a valid frame before it is an error. Default 5000 ms. */
  firstFrameTimeoutMs?: number;
  /** Stream id. Default `frame-<port name>`, e.g. `frame-ttyACM0`. */
  id?: string;
  onInfo?: (info: StreamInfo) => void;
  onParser?: (stats: Readonly<FrameParserStats>) => void;
  /** Called when the device is lost, at each attempt to reconnect it, and when frames arrive again. */
  onLink?: (state: DeviceLinkState) => void;
}

export function frameSource(options: FrameSourceOptions): Observable<SampleBlock> {
  return new Observable<SampleBlock>((subscriber) => {
    const path = options.port;
    const stallTimeoutMs = options.stallTimeoutMs ?? 2000;
    const firstFrameTimeoutMs = options.firstFrameTimeoutMs ?? 5000;
    let info: StreamInfo | undefined;
    let shape = '';
    /** Stream index = device sample + offset. */
    let offset = 0;
    let nextSample = -1;
    let lastFrameHostTime = NaN;
    let chunkTime = 0;
    let bytesSeen = 0;
    let stall: ReturnType<typeof setTimeout> | undefined;
    let currentReconnect: ((reason: string) => void) | undefined;
    let away: Extract<DeviceLinkState, { state: 'lost' }> | undefined;
    /** The serial connection's number for the open attempt whose connection was lost while streaming. */
    let lostAttempt = 0;
    let framesBefore = 0;

    const fail = (message: string): void => {
      if (!subscriber.closed) subscriber.error(new DeviceError(path, message));
    };

    const onFrame = (f: FrameView): void => {
      if (subscriber.closed) return;
      if (!(f.sampleRateHz > 0 && f.sampleRateHz <= 1e6) || !Number.isFinite(f.scaleUv) || f.scaleUv === 0) {
        fail(`frame header: expected a sample rate in (0, 1 MHz] and a non-zero scale, got ${f.sampleRateHz} Hz and ${f.scaleUv} µV/count`);
        return;
      }
      const frameShape = `${f.channels} channels, format ${f.format}, ${f.sampleRateHz} Hz, ${f.scaleUv} µV/count`;
      const deviceSample = Math.round((Number(f.timestampUs) * f.sampleRateHz) / 1e6);
      if (!info) {
        shape = frameShape;
        // Sample 0 of the stream is the device's sample 0: set the start time back to it.
        const startMs = Date.now() - (deviceSample * 1000) / f.sampleRateHz;
        info = createStreamInfo({
          id: options.id ?? deviceStreamId('frame', path),
          device: { name: 'frame', model: 'neurostream frame protocol v1', serial: path },
          channelNames: Array.from({ length: f.channels }, (_, c) => `ch${String(c + 1).padStart(4, '0')}`),
          channelKinds: 'extracellular',
          units: 'uV',
          sampleRateHz: f.sampleRateHz,
          adcScale: f.format === 3 ? 0 : Math.abs(f.scaleUv),
          adcBits: f.format === 1 ? 16 : f.format === 2 ? 24 : 0, // int16, int24; float32 has no ADC depth
          // decodeFrame: count × scaleUv, rounded once to float32 (a negative scale flips the sign: floats then).
          exactCounts: f.format !== 3 && f.scaleUv > 0,
          startTime: new Date(startMs).toISOString(),
        });
        options.onInfo?.(info);
        nextSample = deviceSample;
      } else if (frameShape !== shape) {
        fail(`the device changed its stream from ${shape} to ${frameShape}`);
        return;
      }
      let index = deviceSample + offset;
      if (index < nextSample) {
        // The device's clock went back: it restarted. Continue after the time it was away.
        const awayMs = Math.max(0, chunkTime - lastFrameHostTime);
        const away = Math.max(0, Math.round((awayMs * f.sampleRateHz) / 1000) - f.scans);
        offset = nextSample + away - deviceSample;
        index = deviceSample + offset;
      }
      const missing = index - nextSample;
      const data = new Float32Array(f.channels * f.scans);
      decodeFrame(f, data, f.scans, 0);
      const block = createSampleBlock({
        info,
        first: index,
        length: f.scans,
        data,
        hostTime: chunkTime,
        ...(missing > 0 ? { gap: { missing } } : {}),
      });
      nextSample = index + f.scans;
      lastFrameHostTime = chunkTime;
      subscriber.next(block);
    };
    const parser = new FrameParser({ onFrame });

    const firstFrameTimer = setTimeout(() => {
      if (!info) {
        const s = parser.stats;
        fail(
          `no valid frame within ${firstFrameTimeoutMs} ms — expected the neurostream frame protocol; ` +
            `received ${bytesSeen} bytes (${s.skippedBytes} skipped, ${s.crcErrors} CRC errors, ${s.badHeaders} bad headers)`,
        );
      }
    }, firstFrameTimeoutMs);

    const connection = serialConnection({
      path,
      baudRate: options.baudRate ?? 921600,
      ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}),
    }).subscribe({
      next: (event) => {
        if (event.type === 'lost') {
          clearTimeout(stall);
          currentReconnect = undefined;
          parser.reset();
          // Lost while streaming (or again, while coming back): say so, with the attempts
          // numbered by the serial connection alone (no attempt counted twice).
          if (!away && info) lostAttempt = event.attempt;
          away = away ?? (info ? { state: 'lost', reason: event.reason, attempt: 1, sinceMs: event.hostTime } : undefined);
          if (away) away = { ...away, attempt: reconnectionAttempt(event, lostAttempt) };
          if (away) options.onLink?.(away);
          return;
        }
        if (event.type === 'retrying') {
          if (away) {
            away = { ...away, attempt: reconnectionAttempt(event, lostAttempt) };
            options.onLink?.(away);
          }
          return;
        }
        if (event.type === 'open') currentReconnect = event.reconnect;
        clearTimeout(stall);
        const reconnect = currentReconnect;
        stall = setTimeout(() => reconnect?.(`no data for ${stallTimeoutMs} ms`), stallTimeoutMs);
        if (event.type === 'data') {
          chunkTime = event.hostTime;
          bytesSeen += event.bytes.length;
          try {
            parser.push(event.bytes);
          } catch (error) {
            subscriber.error(error);
            return;
          }
          options.onParser?.(parser.stats);
          if (away && parser.stats.frames > framesBefore) {
            away = undefined;
            options.onLink?.({ state: 'connected' });
          }
          framesBefore = parser.stats.frames;
        }
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
    return () => {
      clearTimeout(stall);
      clearTimeout(firstFrameTimer);
      connection.unsubscribe();
    };
  });
}
