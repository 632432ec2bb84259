/**
 * The small XML subset XDF headers and footers use (LSL's stream info, LabRecorder's footers):
 * elements, text, the five predefined entities and numeric character references, comments,
 * declarations and CDATA. Attributes are read and kept but XDF never relies on them. Enough to
 * read every header liblsl and LabRecorder write; anything malformed is an InvalidDataError
 * naming where.
 */
import { InvalidDataError } from '../../../core/index.js';

/** An XML element: its name, attributes, child elements and text (the concatenated text nodes). */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(raw: string, where: string): string {
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(parseInt(body.slice(1), 10));
    const named = ENTITIES[body];
    if (named === undefined) throw new InvalidDataError(where, 'XML with only the predefined entities (&lt; &gt; &amp; &quot; &apos;)', whole);
    return named;
  });
}

/** Parses one XML document; returns its root element. `where` names the document in errors. */
export function parseXml(source: string, where: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const n = source.length;
  const fail = (expected: string): never => {
    throw new InvalidDataError(where, expected, `${JSON.stringify(source.slice(i, i + 40))} at character ${i}`);
  };
  while (i < n) {
    const lt = source.indexOf('<', i);
    const textEnd = lt < 0 ? n : lt;
    if (textEnd > i) {
      const text = source.slice(i, textEnd);
      const top = stack[stack.length - 1];
      if (top) top.text += decodeEntities(text, where);
      else if (text.trim() !== '') fail('nothing but white space outside the root element');
      i = textEnd;
      continue;
    }
    if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i + 4);
      if (end < 0) fail('a comment closed by -->');
      i = end + 3;
    } else if (source.startsWith('<![CDATA[', i)) {
      const end = source.indexOf(']]>', i + 9);
      if (end < 0) fail('a CDATA section closed by ]]>');
      const top = stack[stack.length - 1];
      if (!top) fail('CDATA inside an element');
      top!.text += source.slice(i + 9, end);
      i = end + 3;
    } else if (source.startsWith('<?', i) || source.startsWith('<!', i)) {
      const end = source.indexOf('>', i);
      if (end < 0) fail('a declaration closed by >');
      i = end + 1;
    } else if (source.startsWith('</', i)) {
      const end = source.indexOf('>', i);
      if (end < 0) fail('a closing tag');
      const name = source.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top || top.name !== name) fail(top ? `</${top.name}>` : 'no closing tag outside the root');
      i = end + 1;
    } else {
      const match = /^<([A-Za-z_:][-A-Za-z0-9_:.]*)((?:\s+[A-Za-z_:][-A-Za-z0-9_:.]*\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(source.slice(i, i + 4096));
      if (!match) fail('an XML element');
      const [whole, name, attrText, selfClosing] = match!;
      const attributes: Record<string, string> = {};
      for (const a of attrText!.matchAll(/([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        attributes[a[1]!] = decodeEntities(a[2] ?? a[3] ?? '', where);
      }
      const element: XmlElement = { name: name!, attributes, children: [], text: '' };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(element);
      else if (root) fail('a single root element');
      else root = element;
      if (selfClosing !== '/') stack.push(element);
      i += whole.length;
    }
  }
  if (stack.length > 0) throw new InvalidDataError(where, `</${stack[stack.length - 1]!.name}> before the end`, 'the end of the document');
  if (!root) throw new InvalidDataError(where, 'an XML document', JSON.stringify(source.slice(0, 40)));
  return root;
}

/** The first child element named `name`, if any. */
export function child(element: XmlElement | undefined, name: string): XmlElement | undefined {
  return element?.children.find((c) => c.name === name);
}

/** Text of the child at `path` (e.g. `['desc', 'manufacturer']`), trimmed; undefined if absent. */
export function childText(element: XmlElement | undefined, ...path: string[]): string | undefined {
  let at = element;
  for (const name of path) at = child(at, name);
  return at?.text.trim();
}

function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

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
    return text === '' ? `${indent}<${name} />\n` : `${indent}<${name}>${escapeText(text)}</${name}>\n`;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return `${indent}<${name} />\n`;
  return `${indent}<${name}>\n${entries.map(([k, v]) => writeXml(k, v, `${indent}\t`)).join('')}${indent}</${name}>\n`;
}
