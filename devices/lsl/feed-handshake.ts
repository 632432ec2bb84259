/**
 * The TCP stream-feed handshake of LSL protocol 1.10 (liblsl `data_receiver::data_thread`,
 * `client_session::handle_read_feedparams`). The inlet sends
 * `LSL:streamfeed/110 UID` and header lines (byte order, endian performance, IEEE-754 floats,
 * subnormal support, value size, protocol version, buffer and chunk lengths) ending in an empty
 * line; the outlet answers `LSL/110 200 OK` with `UID`, `Byte-Order`, `Suppress-Subnormals` and
 * `Data-Protocol-Version`, then two test-pattern samples, then data. When the data protocol is
 * 100 (or the inlet sent the old request line `LSL:streamfeed` followed by one line
 * `MAX_BUFFERED MAX_CHUNK`, without headers and without a response head), what follows is a
 * portable archive (portable-archive.ts).
 */
import { InvalidDataError } from '../../core/errors.js';
import { LSL_VALUE_BYTES, type LslStreamInfo } from './stream-info.js';

/** What an inlet asks for. */
export interface FeedRequest {
  protocolVersion: number;
  uid: string;
  /** 1234 (little-endian) or 4321 (big-endian). */
  nativeByteOrder: number;
  endianPerformance: number;
  hasIeee754Floats: boolean;
  supportsSubnormals: boolean;
  valueSize: number;
  maxBufferLength: number;
  maxChunkLength: number;
  hostname?: string;
  sourceId?: string;
  sessionId?: string;
}

/** Builds the request text an inlet sends. */
export function feedRequestText(r: FeedRequest): string {
  const lines = [
    `LSL:streamfeed/${r.protocolVersion} ${r.uid}`,
    `Native-Byte-Order: ${r.nativeByteOrder}`,
    `Endian-Performance: ${Math.floor(r.endianPerformance)}`,
    `Has-IEEE754-Floats: ${r.hasIeee754Floats ? 1 : 0}`,
    `Supports-Subnormals: ${r.supportsSubnormals ? 1 : 0}`,
    `Value-Size: ${r.valueSize}`,
    `Data-Protocol-Version: ${r.protocolVersion}`,
    `Max-Buffer-Length: ${r.maxBufferLength}`,
    `Max-Chunk-Length: ${r.maxChunkLength}`,
    ...(r.hostname !== undefined ? [`Hostname: ${r.hostname}`] : []),
    ...(r.sourceId !== undefined ? [`Source-Id: ${r.sourceId}`] : []),
    ...(r.sessionId !== undefined ? [`Session-Id: ${r.sessionId}`] : []),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** Splits header lines into lower-case keys and trimmed values (text after `;` dropped, as liblsl does). */
export function parseHeaderLines(lines: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let line of lines) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const semi = line.indexOf(';');
    if (semi >= 0) line = line.slice(0, semi);
    out.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return out;
}

/** What the outlet answered. */
export interface FeedResponse {
  status: number;
  statusLine: string;
  uid?: string;
  littleEndian: boolean;
  suppressSubnormals: boolean;
  dataProtocolVersion: number;
}

const truthy = (v: string | undefined): boolean => v !== undefined && (v === '1' || v.toLowerCase() === 'true');

/**
 * Reads the outlet's response head (status line + headers, without the blank line). `what`
 * names the stream in errors. A status ≥ 400 is returned, not thrown: the caller decides.
 */
export function parseFeedResponse(head: string, what: string): FeedResponse {
  const lines = head.split('\r\n');
  const statusLine = lines[0] ?? '';
  const parts = statusLine.trim().split(/\s+/);
  if (parts.length < 3 || !parts[0]!.startsWith('LSL/')) throw new InvalidDataError(`${what} feed response`, '"LSL/<version> <status> <text>"', statusLine);
  const status = Number(parts[1]);
  if (!Number.isInteger(status)) throw new InvalidDataError(`${what} feed response`, 'a numeric status', parts[1]);
  const h = parseHeaderLines(lines.slice(1));
  let order = Number(h.get('byte-order') ?? '1234');
  if (order === 0) order = 1234;
  if (order !== 1234 && order !== 4321) throw new InvalidDataError(`${what} Byte-Order`, '1234 or 4321', h.get('byte-order'));
  const version = Number(h.get('data-protocol-version') ?? '100');
  return {
    status,
    statusLine,
    ...(h.has('uid') ? { uid: h.get('uid')! } : {}),
    littleEndian: order === 1234,
    suppressSubnormals: truthy(h.get('suppress-subnormals')),
    dataProtocolVersion: version,
  };
}

/** What an outlet makes of an inlet's request. */
export interface ParsedFeedRequest {
  protocolVersion: number;
  uid: string;
  byteOrder: number;
  endianPerformance: number;
  hasIeee754Floats: boolean;
  supportsSubnormals: boolean;
  valueSize: number | undefined;
  maxBufferLength: number;
  maxChunkLength: number;
}

/** Parses the request line `LSL:streamfeed/110 UID` and its headers (outlet side). */
export function parseFeedRequest(requestLine: string, headerLines: readonly string[]): ParsedFeedRequest {
  const parts = requestLine.trim().split(/\s+/);
  const version = Number(parts[0]!.slice('LSL:streamfeed/'.length));
  const h = parseHeaderLines(headerLines);
  const num = (key: string, def: number): number => {
    const v = h.get(key);
    const n = v === undefined ? def : Number(v);
    return Number.isFinite(n) ? n : def;
  };
  return {
    protocolVersion: Number.isFinite(version) ? version : 100,
    uid: parts[1] ?? '',
    byteOrder: num('native-byte-order', 1234),
    endianPerformance: num('endian-performance', 0),
    hasIeee754Floats: h.has('has-ieee754-floats') ? truthy(h.get('has-ieee754-floats')) : true,
    supportsSubnormals: h.has('supports-subnormals') ? truthy(h.get('supports-subnormals')) : true,
    valueSize: h.has('value-size') ? num('value-size', 0) : undefined,
    maxBufferLength: num('max-buffer-length', 0),
    maxChunkLength: num('max-chunk-length', 0),
  };
}

/** The outlet's decision: which protocol, byte order and subnormal handling this feed uses. */
export interface FeedDecision {
  status: number;
  text: string;
  dataProtocolVersion: number;
  littleEndian: boolean;
  suppressSubnormals: boolean;
}

/**
 * Decides as liblsl's outlet does (`client_session::handle_read_feedparams`): the data protocol
 * is the lower of the outlet's (`ownVersion`, from `UseProtocolVersion`) and the inlet's, and
 * drops to 100 (the portable archive) when the inlet's value size differs or it lacks IEEE-754
 * floats. This outlet always sends its own byte order (little-endian; the inlet converts).
 */
export function decideFeed(info: LslStreamInfo, req: ParsedFeedRequest, ownVersion = 110): FeedDecision {
  const base = { dataProtocolVersion: 110, littleEndian: true, suppressSubnormals: false };
  if (Math.floor(req.protocolVersion / 100) > Math.floor(ownVersion / 100)) return { ...base, status: 505, text: 'Version not supported' };
  if (req.uid !== '' && req.uid !== info.uid) return { ...base, status: 404, text: 'Not found' };
  let version = Math.min(ownVersion, req.protocolVersion);
  const size = LSL_VALUE_BYTES[info.channelFormat];
  if ((info.channelFormat !== 'string' && req.valueSize !== undefined && req.valueSize !== size) || !req.hasIeee754Floats) version = 100;
  const isFloat = info.channelFormat === 'float32' || info.channelFormat === 'double64';
  return { ...base, status: 200, text: 'OK', dataProtocolVersion: version, suppressSubnormals: version >= 110 && isFloat && !req.supportsSubnormals };
}

/** The response head an outlet writes for its decision. */
export function feedResponseText(info: LslStreamInfo, d: FeedDecision, ownVersion = 110): string {
  if (d.status !== 200) return `LSL/${ownVersion} ${d.status} ${d.text}\r\n\r\n`;
  return (
    `LSL/${ownVersion} 200 OK\r\nUID: ${info.uid}\r\nByte-Order: ${d.littleEndian ? 1234 : 4321}\r\n` +
    `Suppress-Subnormals: ${d.suppressSubnormals ? 1 : 0}\r\nData-Protocol-Version: ${d.dataProtocolVersion}\r\n\r\n`
  );
}
