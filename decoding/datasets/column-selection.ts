/**
 * Column selection for tables of features: a comma list of names or glob patterns (`unit_*`,
 * `ch?_power`, `unit_001,unit_002`), matched against a header. `*` matches any run of characters,
 * `?` one character; everything else is literal. Matches keep the header's order within one
 * pattern and the list's order across patterns; a column is selected once.
 */
import { InvalidOptionError } from '../../core/index.js';

/** The header briefly, for error messages: the first and last few names and the count. */
export function describeColumns(header: readonly string[], shown = 4): string {
  if (header.length <= shown * 2) return `${header.join(', ')} (${header.length} columns)`;
  return `${header.slice(0, shown).join(', ')}, …, ${header.slice(-shown).join(', ')} (${header.length} columns)`;
}

export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Splits `a, b,c` into trimmed non-empty entries. */
export function splitList(spec: string): string[] {
  return spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * The columns of `header` that `spec` selects, never those in `exclude` (targets, the time
 * column). Throws InvalidOptionError naming `option` when an entry matches nothing.
 */
export function selectColumns(header: readonly string[], spec: string | readonly string[], option: string, source: string, exclude: ReadonlySet<string> = new Set()): string[] {
  const entries = typeof spec === 'string' ? splitList(spec) : spec.map((s) => s.trim()).filter((s) => s.length > 0);
  if (entries.length === 0) throw new InvalidOptionError(option, 'one or more column names or patterns (comma-separated)', typeof spec === 'string' ? spec : spec.join(','));
  const selected: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const regex = globToRegExp(entry);
    const matches = header.filter((name) => regex.test(name) && !exclude.has(name));
    if (matches.length === 0) {
      const what = /[*?]/.test(entry) ? 'a pattern matching' : 'the name of';
      throw new InvalidOptionError(option, `${what} a column of ${source} (it has ${describeColumns(header)})`, entry);
    }
    for (const name of matches) {
      if (seen.has(name)) continue;
      seen.add(name);
      selected.push(name);
    }
  }
  return selected;
}
