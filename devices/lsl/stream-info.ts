/**
 * An LSL stream's header (liblsl's `stream_info`): parsed from and written as the `<info>` XML of
 * shortinfo (header only, empty `<desc/>`) and fullinfo (header + description) messages.
 */
import { InvalidDataError } from '../../core/errors.js';
import { child, childText, element, parseXml, serializeXml, type XmlElement } from '../../core/xml.js';

/** LSL channel formats, named as in the XML. */
export const LSL_CHANNEL_FORMATS = ['float32', 'double64', 'string', 'int32', 'int16', 'int8', 'int64'] as const;
export type LslChannelFormat = (typeof LSL_CHANNEL_FORMATS)[number];

/** Bytes per value on the wire (0 for strings, which are length-prefixed). */
export const LSL_VALUE_BYTES: Record<LslChannelFormat, number> = { float32: 4, double64: 8, string: 0, int32: 4, int16: 2, int8: 1, int64: 8 };

/** A stream's header. Rates are in Hz; 0 means irregular (markers). */
export interface LslStreamInfo {
  name: string;
  type: string;
  channelCount: number;
  nominalSrateHz: number;
  channelFormat: LslChannelFormat;
  sourceId: string;
  /** Protocol version × 100 (1.10 → 110). */
  version: number;
  /** The outlet's clock (s) when it was created. */
  createdAt: number;
  uid: string;
  sessionId: string;
  hostname: string;
  v4address: string;
  v4dataPort: number;
  v4servicePort: number;
  v6address: string;
  v6dataPort: number;
  v6servicePort: number;
  /** The `<desc>` element (empty in shortinfo). */
  desc: XmlElement;
}

/** One channel as the XDF meta-data conventions describe it (`desc/channels/channel`). */
export interface LslChannelDescription {
  label: string;
  unit: string;
  type: string;
}

function int(info: XmlElement, name: string, min: number, max: number, what: string): number {
  const text = childText(info, name).trim();
  const v = Number.parseInt(text, 10);
  if (!/^[-+]?\d/.test(text) || !Number.isFinite(v) || v < min || v > max) {
    throw new InvalidDataError(`${what} <${name}>`, `an integer from ${min} to ${max}`, text);
  }
  return v;
}

/** Parses a shortinfo or fullinfo message. `what` names the message's origin in errors. */
export function parseStreamInfo(xml: string, what = 'LSL stream info'): LslStreamInfo {
  const root = parseXml(xml, what);
  const info = root.name === 'info' ? root : undefined;
  if (!info) throw new InvalidDataError(what, 'an <info> root element', `<${root.name}>`);
  const name = childText(info, 'name');
  if (name === '') throw new InvalidDataError(`${what} <name>`, 'a non-empty stream name', name);
  const format = childText(info, 'channel_format').trim() as LslChannelFormat;
  if (!LSL_CHANNEL_FORMATS.includes(format)) throw new InvalidDataError(`${what} <channel_format>`, LSL_CHANNEL_FORMATS.join(', '), format);
  const srate = Number(childText(info, 'nominal_srate'));
  if (!Number.isFinite(srate) || srate < 0) throw new InvalidDataError(`${what} <nominal_srate>`, 'a rate ≥ 0 Hz', childText(info, 'nominal_srate'));
  const version = Math.round(Number(childText(info, 'version')) * 100);
  if (!(version > 0)) throw new InvalidDataError(`${what} <version>`, 'a protocol version > 0', childText(info, 'version'));
  const uid = childText(info, 'uid');
  if (uid === '') throw new InvalidDataError(`${what} <uid>`, 'a non-empty uid', uid);
  return {
    name,
    type: childText(info, 'type'),
    channelCount: int(info, 'channel_count', 0, 2 ** 31 - 1, what),
    nominalSrateHz: srate,
    channelFormat: format,
    sourceId: childText(info, 'source_id'),
    version,
    createdAt: Number(childText(info, 'created_at')) || 0,
    uid,
    sessionId: childText(info, 'session_id'),
    hostname: childText(info, 'hostname'),
    v4address: childText(info, 'v4address'),
    v4dataPort: int(info, 'v4data_port', 0, 65535, what),
    v4servicePort: int(info, 'v4service_port', 0, 65535, what),
    v6address: childText(info, 'v6address'),
    v6dataPort: int(info, 'v6data_port', 0, 65535, what),
    v6servicePort: int(info, 'v6service_port', 0, 65535, what),
    desc: child(info, 'desc') ?? element('desc'),
  };
}

/** liblsl writes doubles with 16 significant digits and a decimal point. */
function lslDouble(v: number): string {
  const s = v.toPrecision(16);
  return s.includes('.') || s.includes('e') ? s : `${s}.`;
}

/** The `<info>` element of a stream info (with `desc`, or its own description), as queries see it. */
export function streamInfoElement(info: LslStreamInfo, desc: XmlElement = info.desc): XmlElement {
  const leaf = (name: string, value: string | number): XmlElement => element(name, String(value));
  return element('info', '', [
    leaf('name', info.name),
    leaf('type', info.type),
    leaf('channel_count', info.channelCount),
    leaf('channel_format', info.channelFormat),
    leaf('source_id', info.sourceId),
    leaf('nominal_srate', lslDouble(info.nominalSrateHz)),
    leaf('version', lslDouble(info.version / 100)),
    leaf('created_at', lslDouble(info.createdAt)),
    leaf('uid', info.uid),
    leaf('session_id', info.sessionId),
    leaf('hostname', info.hostname),
    leaf('v4address', info.v4address),
    leaf('v4data_port', info.v4dataPort),
    leaf('v4service_port', info.v4servicePort),
    leaf('v6address', info.v6address),
    leaf('v6data_port', info.v6dataPort),
    leaf('v6service_port', info.v6servicePort),
    desc,
  ]);
}

/** The shortinfo message: the header with an empty description. */
export function shortInfoXml(info: LslStreamInfo): string {
  return serializeXml(streamInfoElement(info, element('desc')));
}

/** The fullinfo message: the header with its description. */
export function fullInfoXml(info: LslStreamInfo): string {
  return serializeXml(streamInfoElement(info, info.desc));
}

/** The channels in `desc/channels/channel` (label, unit, type; '' where absent). */
export function channelDescriptions(info: LslStreamInfo): LslChannelDescription[] {
  const channels = child(info.desc, 'channels');
  if (!channels) return [];
  return channels.children
    .filter((c) => c.name === 'channel')
    .map((c) => ({ label: childText(c, 'label'), unit: childText(c, 'unit'), type: childText(c, 'type') }));
}

/** A description with `channels/channel` entries as the XDF meta-data conventions say, plus extra leaf fields. */
export function channelsDesc(channels: readonly LslChannelDescription[], extra: Record<string, string> = {}): XmlElement {
  return element('desc', '', [
    ...Object.entries(extra).map(([k, v]) => element(k, v)),
    element(
      'channels',
      '',
      channels.map((c) => element('channel', '', [element('label', c.label), element('unit', c.unit), element('type', c.type)])),
    ),
  ]);
}
