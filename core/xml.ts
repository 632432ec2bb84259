/**
 * The small XML subset that LSL stream infos and XDF headers and footers use (what liblsl's
 * pugixml and LabRecorder write): elements, text, attributes, comments, CDATA, the XML
 * declaration and the five entities plus numeric references. Parsing builds a tree (anything
 * malformed is one InvalidDataError naming the document and the offset); serialising writes it as
 * pugixml does (tab indentation, one element per line). One parser for devices/lsl and
 * recordings' XDF.
 */
import { InvalidDataError } from './errors.js';

/** One element: its name, attributes, child elements and text (the concatenated character data). */
export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string, what: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (all, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(parseInt(e.slice(1), 10));
    const v = ENTITIES[e];
    if (v === undefined) throw new InvalidDataError(what, 'XML with known entities', all);
    return v;
  });
}

/** Escapes text for element content or attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Parses a document and returns its root element. `what` names the document in errors. */
export function parseXml(source: string, what: string): XmlElement {
  let i = 0;
  const n = source.length;
  const fail = (expected: string): never => {
    throw new InvalidDataError(what, `well-formed XML (${expected} at offset ${i})`, source.slice(i, i + 40));
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < n) {
    const lt = source.indexOf('<', i);
    if (lt < 0) {
      if (source.slice(i).trim() !== '' && stack.length === 0) fail('nothing after the root element');
      if (stack.length > 0) stack[stack.length - 1]!.text += decodeEntities(source.slice(i), what);
      break;
    }
    if (lt > i && stack.length > 0) stack[stack.length - 1]!.text += decodeEntities(source.slice(i, lt), what);
    i = lt;
    if (source.startsWith('<?', i)) {
      const end = source.indexOf('?>', i);
      if (end < 0) fail('"?>"');
      i = end + 2;
    } else if (source.startsWith('<!--', i)) {
      const end = source.indexOf('-->', i);
      if (end < 0) fail('"-->"');
      i = end + 3;
    } else if (source.startsWith('<![CDATA[', i)) {
      const end = source.indexOf(']]>', i);
      if (end < 0) fail('"]]>"');
      if (stack.length > 0) stack[stack.length - 1]!.text += source.slice(i + 9, end);
      i = end + 3;
    } else if (source.startsWith('<!', i)) {
      const end = source.indexOf('>', i);
      if (end < 0) fail('">"');
      i = end + 1;
    } else if (source.startsWith('</', i)) {
      const end = source.indexOf('>', i);
      if (end < 0) fail('">"');
      const name = source.slice(i + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${open?.name ?? ''}>`);
      i = end + 1;
    } else {
      const m = /^<([A-Za-z_:][-A-Za-z0-9_:.]*)/.exec(source.slice(i, i + 256));
      if (!m) fail('an element name');
      const element: XmlElement = { name: m![1]!, attributes: {}, children: [], text: '' };
      i += m![0].length;
      const attr = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/y;
      for (;;) {
        attr.lastIndex = i;
        const a = attr.exec(source);
        if (!a) break;
        element.attributes[a[1]!] = decodeEntities(a[3] ?? a[4] ?? '', what);
        i = attr.lastIndex;
      }
      while (i < n && /\s/.test(source[i]!)) i++;
      let selfClosing = false;
      if (source.startsWith('/>', i)) {
        selfClosing = true;
        i += 2;
      } else if (source[i] === '>') i += 1;
      else fail('">"');
      if (stack.length > 0) stack[stack.length - 1]!.children.push(element);
      else if (root) fail('a single root element');
      else root = element;
      if (!selfClosing) stack.push(element);
    }
  }
  if (stack.length > 0) fail(`</${stack[stack.length - 1]!.name}>`);
  if (!root) fail('a root element');
  return root!;
}

/** Serialises like pugixml's default format: declaration, tab-indented elements, text inline. */
export function serializeXml(root: XmlElement): string {
  const out: string[] = ['<?xml version="1.0"?>\n'];
  const write = (e: XmlElement, depth: number): void => {
    const indent = '\t'.repeat(depth);
    const attrs = Object.entries(e.attributes).map(([k, v]) => ` ${k}="${escapeXml(v)}"`).join('');
    if (e.children.length === 0) {
      out.push(e.text === '' ? `${indent}<${e.name}${attrs} />\n` : `${indent}<${e.name}${attrs}>${escapeXml(e.text)}</${e.name}>\n`);
      return;
    }
    out.push(`${indent}<${e.name}${attrs}>${e.text.trim() === '' ? '' : escapeXml(e.text)}\n`);
    for (const c of e.children) write(c, depth + 1);
    out.push(`${indent}</${e.name}>\n`);
  };
  write(root, 0);
  return out.join('');
}

/** The first child element named `name`, if any. */
export function child(e: XmlElement | undefined, name: string): XmlElement | undefined {
  return e?.children.find((c) => c.name === name);
}

/** The text of the first child named `name` ('' when absent), as pugixml's `child_value`. */
export function childText(e: XmlElement | undefined, name: string): string {
  return child(e, name)?.text ?? '';
}

/** The trimmed text of the element at `path` below `e` (e.g. `'desc', 'manufacturer'`); undefined where there is none. */
export function textAt(e: XmlElement | undefined, ...path: string[]): string | undefined {
  let at = e;
  for (const name of path) at = child(at, name);
  return at?.text.trim();
}

/** A new element with text and/or children. */
export function element(name: string, text = '', children: XmlElement[] = []): XmlElement {
  return { name, attributes: {}, children, text };
}
