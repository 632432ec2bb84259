import { describe, expect, it } from 'vitest';
import { InvalidDataError } from '../../../../core/index.js';
import { parseSpikeGlxMeta } from '../../../../recordings/import/spikeglx/spikeglx-meta.js';
import { thrown } from '../../../helpers/thrown.js';

describe('parseSpikeGlxMeta', () => {
  it('reads key=value lines, ~ keys as written, values holding "=", CRLF and blank lines', () => {
    const meta = parseSpikeGlxMeta('imSampRate=30000.25\r\n\r\nuserNotes=a=b\r\n~imroTbl=(0,2)(0 0 0 500 250 1)\r\nimStdby=\r\n', 'x.meta');
    expect([...meta.entries.keys()]).toEqual(['imSampRate', 'userNotes', '~imroTbl', 'imStdby']);
    expect(meta.get('userNotes')).toBe('a=b');
    expect(meta.get('~imroTbl')).toBe('(0,2)(0 0 0 500 250 1)');
    expect(meta.get('imStdby')).toBe('');
    expect(meta.number('imSampRate', 'a rate', { positive: true })).toBe(30000.25);
  });

  it('typed getters name the file, the key, what was expected and what was seen', () => {
    const meta = parseSpikeGlxMeta('nSavedChans=38.5\nacqApLfSy=384,384\nimAiRangeMax=-0.6\n', 'dir/run.meta');
    const cases: [() => unknown, RegExp][] = [
      [() => meta.integer('nSavedChans', 'a channel count', 1), /^dir\/run\.meta: nSavedChans: expected a channel count, got "38\.5"$/],
      [() => meta.integers('acqApLfSy', 3, 'three counts'), /^dir\/run\.meta: acqApLfSy: expected three counts, got "384,384"$/],
      [() => meta.number('imAiRangeMax', 'a range in V', { positive: true }), /imAiRangeMax: expected a range in V, got "-0\.6"$/],
      [() => meta.string('imSampRate', 'a rate'), /^dir\/run\.meta: imSampRate: expected a rate, got "no imSampRate line"$/],
    ];
    for (const [fn, message] of cases) {
      const e = thrown(fn);
      expect(e).toBeInstanceOf(InvalidDataError);
      expect((e as Error).message).toMatch(message);
    }
    expect((thrown(() => parseSpikeGlxMeta('\n\n', 'empty.meta')) as Error).message).toMatch(/^empty\.meta: expected SpikeGLX metadata \(key=value lines\), got "an empty file"$/);
    expect((thrown(() => parseSpikeGlxMeta('a=1\n=2\n', 'k.meta')) as Error).message).toMatch(/^k\.meta: line 2: expected a key=value line/);
  });
});
