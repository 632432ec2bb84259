/**
 * `serialConnection` — a real OS serial port (node-serialport) as a cold Observable of connection
 * events, reconnecting with exponential back-off when the device disappears.
 *
 * Events: `open` (with a `write` function for this connection), `data` (bytes and their arrival
 * time), `lost` (the device went away; a reconnect follows), `retrying` (an attempt to reopen it
 * failed; another follows). Every attempt to open the port is numbered, 1 for the first, one more
 * for each: `open` and `retrying` carry the number of the attempt that succeeded or failed, `lost`
 * the number of the attempt whose connection was lost — the next attempt is always that number
 * plus one, so a driver counts its reconnection attempts from these numbers alone (no event is
 * counted twice). The first open must succeed — a port
 * that cannot be opened at start is an error naming the path and the system's reason; after that,
 * the connection keeps trying until unsubscribed. Bytes are passed on as they arrive; nothing here
 * parses them.
 */
import { Observable } from 'rxjs';
import { SerialPort } from 'serialport';
import { ErrorCode, NeurostreamError, checkInteger, checkString, hostNowMs } from '../../core/index.js';

export interface ReconnectOptions {
  /** First retry delay. Default 250 ms. */
  initialDelayMs?: number;
  /** Longest retry delay. Default 1000 ms. */
  maxDelayMs?: number;
}

export interface SerialConnectionOptions {
  path: string;
  baudRate: number;
  /** `false`: end the stream with an error when the device disappears. Default: reconnect. */
  reconnect?: ReconnectOptions | false;
}

export type ConnectionEvent =
  | {
      type: 'open';
      /** This open attempt's number (1 for the first; see above). */
      attempt: number;
      write: (data: Uint8Array | string) => Promise<void>;
      /** Drop this connection and reconnect (e.g. the device went silent). */
      reconnect: (reason: string) => void;
      hostTime: number;
    }
  | { type: 'data'; bytes: Uint8Array; hostTime: number }
  /** `attempt`: the number of the open attempt whose connection was lost; the next is `attempt + 1`. */
  | { type: 'lost'; attempt: number; reason: string; hostTime: number }
  /** `attempt`: the number of the open attempt that failed; the next is `attempt + 1`. */
  | { type: 'retrying'; attempt: number; reason: string; hostTime: number };

/**
 * The reconnection attempt under way after `event` (1 for the first after the loss), for a device
 * lost from the connection whose open attempt was numbered `lostAttempt`.
 */
export function reconnectionAttempt(event: { attempt: number }, lostAttempt: number): number {
  return event.attempt + 1 - lostAttempt;
}

/**
 * Where a driver stands with its device, for status displays: streaming, or lost since `sinceMs`
 * (host time) with attempt `attempt` at reconnecting it under way.
 */
export type DeviceLinkState = { state: 'connected' } | { state: 'lost'; reason: string; attempt: number; sinceMs: number };

/** A device that cannot be opened or fails while open. */
export class DeviceError extends NeurostreamError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(ErrorCode.DeviceFailure, `${path}: ${message}`, options);
    this.path = path;
  }
}

/** node-serialport's open errors read "Error: <reason>, cannot open <path>": keep the reason. */
function systemReason(error: Error, path: string): string {
  return error.message.replace(/^(Error: )+/, '').replace(`, cannot open ${path}`, '');
}

export function serialConnection(options: SerialConnectionOptions): Observable<ConnectionEvent> {
  const path = checkString('option', 'port', options.path, { nonEmpty: true });
  const baudRate = checkInteger('option', 'baudRate', options.baudRate, { min: 50, max: 16_000_000 });
  const reconnect = options.reconnect === false ? false : options.reconnect ?? {};
  const initialDelayMs = reconnect ? checkInteger('option', 'reconnect.initialDelayMs', reconnect.initialDelayMs ?? 250, { min: 1 }) : 0;
  const maxDelayMs = reconnect ? checkInteger('option', 'reconnect.maxDelayMs', reconnect.maxDelayMs ?? 1000, { min: initialDelayMs }) : 0;

  return new Observable<ConnectionEvent>((subscriber) => {
    let port: SerialPort | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let everOpened = false;
    let delay = initialDelayMs;
    let closed = false;
    /** Ports that opened and have not been lost yet, with their open attempt's number. */
    const live = new WeakMap<SerialPort, number>();

    const scheduleRetry = (): void => {
      if (closed) return;
      timer = setTimeout(open, delay);
      delay = Math.min(maxDelayMs, delay * 2);
    };

    const open = (): void => {
      timer = undefined;
      attempt++;
      const p = new SerialPort({ path, baudRate, autoOpen: false });
      port = p;
      p.open((error) => {
        if (closed) {
          if (!error) p.close();
          return;
        }
        if (error) {
          port = undefined;
          if (!everOpened || !reconnect) {
            subscriber.error(new DeviceError(path, `cannot open serial port: ${systemReason(error, path)}`, { cause: error }));
          } else {
            subscriber.next({ type: 'retrying', attempt, reason: systemReason(error, path), hostTime: hostNowMs() });
            scheduleRetry();
          }
          return;
        }
        everOpened = true;
        live.set(p, attempt);
        delay = initialDelayMs;
        const write = (data: Uint8Array | string): Promise<void> =>
          new Promise((resolve, reject) => {
            p.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
            p.drain((e) => (e ? reject(new DeviceError(path, `write failed: ${e.message}`, { cause: e })) : resolve()));
          });
        subscriber.next({ type: 'open', attempt, write, reconnect: (reason) => lose(p, reason), hostTime: hostNowMs() });
      });
      p.on('data', (chunk: Buffer) => {
        if (!closed && port === p) {
          subscriber.next({ type: 'data', bytes: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), hostTime: hostNowMs() });
        }
      });
      // After opening, any error or close means the device is gone (open errors are handled above).
      p.on('error', (error: Error) => lose(p, error.message));
      p.on('close', (error: Error | null) => lose(p, error?.message ?? 'port closed'));
    };

    /** The connection through `p` is over: say so once, then reconnect or end. */
    const lose = (p: SerialPort, reason: string): void => {
      const lostAttempt = live.get(p);
      if (closed || lostAttempt === undefined) return;
      live.delete(p);
      port = undefined;
      if (p.isOpen) p.close(() => {});
      if (!reconnect) {
        subscriber.error(new DeviceError(path, `device disconnected (${reason})`));
        return;
      }
      subscriber.next({ type: 'lost', attempt: lostAttempt, reason, hostTime: hostNowMs() });
      scheduleRetry();
    };

    open();
    return () => {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      if (port?.isOpen) port.close();
    };
  });
}
