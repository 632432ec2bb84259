/**
 * `frameSource` — a device speaking the neurostream frame protocol (docs/frame-protocol.md) on a
 * serial port, as a cold Observable of SampleBlocks in µV. The stream's channels, rate and scale
 * come from the first frame; one frame becomes one block.
 *
 * The device's clock is the stream's clock: a frame's first sample index is its timestamp × rate,
 * so a stream joined late starts at the device's own sample number, and frames lost on the link
 * or while the device was unplugged leave exact gaps (the sequence number counts lost frames for
 * the statistics). If the device's clock goes backwards (it restarted), samples continue from the
 * last index. A frame that changes the stream's shape ends the stream with an error saying what
 * changed.
 */
import { Observable } from 'rxjs';
import { type SampleBlock, type StreamInfo, createSampleBlock, createStreamInfo, utcNowIso } from '../../core/index.js';
import { FrameParser, type FrameParserStats, type FrameView, decodeFrame } from '../protocols/frame/frame-parser.js';
import { DeviceError, type ReconnectOptions, serialConnection } from '../transport/serial-connection.js';

export interface FrameSourceOptions {
  port: string;
  /** Serial baud rate (ignored by USB CDC-ACM devices and pseudo-terminals). Default 921600. */
  baudRate?: number;
  reconnect?: ReconnectOptions | false;
  /** Silence after which the link is reopened (the device streams continuously). Default 2000 ms. */
  stallTimeoutMs?: number;
  id?: string;
  onInfo?: (info: StreamInfo) => void;
  onParser?: (stats: Readonly<FrameParserStats>) => void;
}

export function frameSource(options: FrameSourceOptions): Observable<SampleBlock> {
  return new Observable<SampleBlock>((subscriber) => {
    const path = options.port;
    let info: StreamInfo | undefined;
    let shape = '';
    let nextSample = -1;
    let chunkTime = 0;
    let stall: ReturnType<typeof setTimeout> | undefined;
    const stallTimeoutMs = options.stallTimeoutMs ?? 2000;

    const onFrame = (f: FrameView): void => {
      const frameShape = `${f.channels} channels, format ${f.format}, ${f.sampleRateHz} Hz, ${f.scaleUv} µV/count`;
      if (!info) {
        shape = frameShape;
        info = createStreamInfo({
          id: options.id ?? `frame-${path}`,
          device: { name: 'frame', model: 'neurostream frame protocol v1', serial: path },
          channelNames: Array.from({ length: f.channels }, (_, c) => `ch${String(c + 1).padStart(4, '0')}`),
          channelKinds: 'extracellular',
          units: 'uV',
          sampleRateHz: f.sampleRateHz,
          adcScale: f.format === 3 ? 0 : f.scaleUv,
          startTime: utcNowIso(),
        });
        options.onInfo?.(info);
      } else if (frameShape !== shape) {
        subscriber.error(new DeviceError(path, `the device changed its stream from ${shape} to ${frameShape}`));
        return;
      }
      const deviceSample = Math.round((Number(f.timestampUs) * f.sampleRateHz) / 1e6);
      let missing = 0;
      if (nextSample < 0) nextSample = deviceSample;
      else if (deviceSample > nextSample) missing = deviceSample - nextSample;
      nextSample += missing;
      const data = new Float32Array(f.channels * f.scans);
      decodeFrame(f, data, f.scans, 0);
      const block = createSampleBlock({
        info,
        first: nextSample,
        length: f.scans,
        data,
        hostTime: chunkTime,
        ...(missing > 0 ? { gap: { missing } } : {}),
      });
      nextSample += f.scans;
      subscriber.next(block);
    };
    const parser = new FrameParser({ onFrame });
    let currentReconnect: ((reason: string) => void) | undefined;

    const connection = serialConnection({
      path,
      baudRate: options.baudRate ?? 921600,
      ...(options.reconnect !== undefined ? { reconnect: options.reconnect } : {}),
    }).subscribe({
      next: (event) => {
        if (event.type !== 'lost') {
          clearTimeout(stall);
          const reconnect = event.type === 'open' ? event.reconnect : currentReconnect;
          currentReconnect = reconnect;
          stall = setTimeout(() => reconnect?.(`no data for ${stallTimeoutMs} ms`), stallTimeoutMs);
        }
        if (event.type === 'data') {
          chunkTime = event.hostTime;
          parser.push(event.bytes);
          options.onParser?.(parser.stats);
        } else if (event.type === 'lost') {
          clearTimeout(stall);
          currentReconnect = undefined;
          parser.resetSequence();
        }
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
    return () => {
      clearTimeout(stall);
      connection.unsubscribe();
    };
  });
}
