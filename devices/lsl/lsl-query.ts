/**
 * Stream queries as liblsl evaluates them: an XPath 1.0 predicate over the `<info>` element
 * (`name='EEG' and type='EEG'`, `starts-with(name,'Bio')`, `count(desc/channels/channel)=8`).
 * This is the subset queries use in practice: `and`, `or`, `not()`, `= != < <= > >=`, string
 * and number literals, relative child paths (`a/b/c`, `/info/…`), `starts-with`, `contains`,
 * `count`, `string`, `number`, `true`, `false`. Anything else is a clear error.
 */
import { InvalidOptionError } from '../../core/errors.js';
import type { XmlElement } from '../../core/xml.js';

type Value = { nodes: XmlElement[] } | string | number | boolean;

type Token = { kind: 'str' | 'num' | 'name' | 'op'; text: string };

function tokenize(query: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:('[^']*'|"[^"]*")|(\d+(?:\.\d*)?|\.\d+)|(!=|<=|>=|[=<>()/,@*])|([A-Za-z_][-A-Za-z0-9_.]*))/y;
  let i = 0;
  while (i < query.length) {
    if (/^\s*$/.test(query.slice(i))) break;
    re.lastIndex = i;
    const m = re.exec(query);
    if (!m) throw new InvalidOptionError('LSL query', 'an XPath predicate', query.slice(i));
    i = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ kind: 'str', text: m[1].slice(1, -1) });
    else if (m[2] !== undefined) tokens.push({ kind: 'num', text: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: 'op', text: m[3] });
    else tokens.push({ kind: 'name', text: m[4]! });
  }
  return tokens;
}

type Node = (ctx: XmlElement) => Value;

function toBool(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v.length > 0;
  return v.nodes.length > 0;
}
function toStr(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return String(v);
  return v.nodes.length > 0 ? v.nodes[0]!.text : '';
}
function toNum(v: Value): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  const s = toStr(v).trim();
  return s === '' ? NaN : Number(s);
}

function compare(op: string, a: Value, b: Value): boolean {
  const cmp = (x: string | number | boolean, y: string | number | boolean): boolean => {
    if (op === '=' || op === '!=') {
      let eq: boolean;
      if (typeof x === 'boolean' || typeof y === 'boolean') eq = toBool(x) === toBool(y);
      else if (typeof x === 'number' || typeof y === 'number') eq = toNum(x) === toNum(y);
      else eq = x === y;
      return op === '=' ? eq : !eq;
    }
    const nx = toNum(x);
    const ny = toNum(y);
    return op === '<' ? nx < ny : op === '<=' ? nx <= ny : op === '>' ? nx > ny : nx >= ny;
  };
  const atoms = (v: Value): (string | number | boolean)[] => (typeof v === 'object' ? v.nodes.map((n) => n.text) : [v]);
  if (typeof a === 'object' && typeof b === 'boolean') return cmp(toBool(a), b);
  if (typeof b === 'object' && typeof a === 'boolean') return cmp(a, toBool(b));
  return atoms(a).some((x) => atoms(b).some((y) => cmp(x, y)));
}

/** Compiles a query once; the result tells whether an `<info>` element matches. */
export function compileLslQuery(query: string): (info: XmlElement) => boolean {
  if (query.trim() === '') return () => true;
  const tokens = tokenize(query);
  let p = 0;
  const peek = (): Token | undefined => tokens[p];
  const fail = (expected: string): never => {
    throw new InvalidOptionError('LSL query', `${expected} in ${JSON.stringify(query)}`, peek()?.text ?? 'the end');
  };
  const expectOp = (text: string): void => {
    const t = peek();
    if (t?.kind !== 'op' || t.text !== text) fail(`"${text}"`);
    p++;
  };
  const orExpr = (): Node => {
    let left = andExpr();
    while (peek()?.kind === 'name' && peek()!.text === 'or') {
      p++;
      const l = left;
      const r = andExpr();
      left = (c) => toBool(l(c)) || toBool(r(c));
    }
    return left;
  };
  const andExpr = (): Node => {
    let left = cmpExpr();
    while (peek()?.kind === 'name' && peek()!.text === 'and') {
      p++;
      const l = left;
      const r = cmpExpr();
      left = (c) => toBool(l(c)) && toBool(r(c));
    }
    return left;
  };
  const cmpExpr = (): Node => {
    let left = primary();
    while (peek()?.kind === 'op' && ['=', '!=', '<', '<=', '>', '>='].includes(peek()!.text)) {
      const op = tokens[p++]!.text;
      const l = left;
      const r = primary();
      left = (c) => compare(op, l(c), r(c));
    }
    return left;
  };
  const FUNCTIONS: Record<string, (args: Node[]) => Node> = {
    not: ([a]) => (c) => !toBool(a!(c)),
    'starts-with': ([a, b]) => (c) => toStr(a!(c)).startsWith(toStr(b!(c))),
    contains: ([a, b]) => (c) => toStr(a!(c)).includes(toStr(b!(c))),
    count: ([a]) => (c) => {
      const v = a!(c);
      return typeof v === 'object' ? v.nodes.length : fail('a path in count()');
    },
    string: ([a]) => (c) => toStr(a!(c)),
    number: ([a]) => (c) => toNum(a!(c)),
    true: () => () => true,
    false: () => () => false,
  };
  const primary = (): Node => {
    const t = peek();
    if (!t) return fail('a value');
    if (t.kind === 'str') {
      p++;
      return () => t.text;
    }
    if (t.kind === 'num') {
      p++;
      const v = Number(t.text);
      return () => v;
    }
    if (t.kind === 'op' && t.text === '(') {
      p++;
      const e = orExpr();
      expectOp(')');
      return e;
    }
    if (t.kind === 'name' && tokens[p + 1]?.kind === 'op' && tokens[p + 1]!.text === '(') {
      const fn = FUNCTIONS[t.text];
      if (!fn) fail('a known function (not, starts-with, contains, count, string, number, true, false)');
      p += 2;
      const args: Node[] = [];
      if (!(peek()?.kind === 'op' && peek()!.text === ')')) {
        args.push(orExpr());
        while (peek()?.kind === 'op' && peek()!.text === ',') {
          p++;
          args.push(orExpr());
        }
      }
      expectOp(')');
      const arity = { not: 1, 'starts-with': 2, contains: 2, count: 1, string: 1, number: 1, true: 0, false: 0 }[t.text]!;
      if (args.length !== arity) fail(`${arity} argument(s) to ${t.text}()`);
      return fn!(args);
    }
    // A path of child steps, relative to <info>, or absolute from /info.
    const steps: string[] = [];
    let absolute = false;
    if (t.kind === 'op' && t.text === '/') {
      absolute = true;
      p++;
    }
    for (;;) {
      const s = peek();
      if (s?.kind === 'name' || (s?.kind === 'op' && s.text === '*')) {
        steps.push(s.text);
        p++;
      } else fail('an element name');
      if (peek()?.kind === 'op' && peek()!.text === '/') p++;
      else break;
    }
    return (ctx) => {
      let nodes: XmlElement[];
      if (absolute) {
        if (steps[0] !== ctx.name && steps[0] !== '*') return { nodes: [] };
        nodes = [ctx];
        for (const s of steps.slice(1)) nodes = nodes.flatMap((n) => n.children.filter((c) => s === '*' || c.name === s));
      } else {
        nodes = [ctx];
        for (const s of steps) nodes = nodes.flatMap((n) => n.children.filter((c) => s === '*' || c.name === s));
      }
      return { nodes };
    };
  };
  const root = orExpr();
  if (p < tokens.length) fail('the end of the query');
  return (info) => toBool(root(info));
}
