/**
 * Writing XDF headers and footers (LSL's stream info, LabRecorder's footers) from plain trees, as
 * liblsl indents them. Reading them is core/xml.ts's `parseXml`, shared with devices/lsl.
 */
import { escapeXml } from '../../../core/xml.js';

/** A value to write as XML: text, or nested elements (an array repeats the element). */
export type XmlValue = string | number | XmlTree | XmlTree[];
export interface XmlTree {
  readonly [name: string]: XmlValue | XmlValue[];
}

/** Writes `<name>` with the tree as its content, indented as liblsl does. */
export function writeXml(name: string, value: XmlValue | XmlValue[], indent = ''): string {
  if (Array.isArray(value)) return value.map((v) => writeXml(name, v, indent)).join('');
  if (typeof value === 'string' || typeof value === 'number') {
    const text = String(value);
    return text === '' ? `${indent}<${name} />\n` : `${indent}<${name}>${escapeXml(text)}</${name}>\n`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return `${indent}<${name} />\n`;
  return `${indent}<${name}>\n${entries.map(([k, v]) => writeXml(k, v, `${indent}\t`)).join('')}${indent}</${name}>\n`;
}
