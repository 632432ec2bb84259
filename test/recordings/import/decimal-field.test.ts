import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDecimal, trimField } from '../../../recordings/import/decimal-field.js';

const parse = (text: string): number => {
  const b = new TextEncoder().encode(text);
  const [s, e] = trimField(b, 0, b.length);
  return parseDecimal(b, s, e);
};

describe('parseDecimal', () => {
  it('equals Number(text) for plain decimals, bit for bit', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 8 }), (x, d) => {
        const text = x.toFixed(d);
        expect(Object.is(parse(text), Number(text))).toBe(true);
      }),
      { numRuns: 5000 },
    );
    for (const t of ['0', '-0.00', '187500.02', '-187500.02', '1557936053329', ' 0.040 ', '.5', '5.', '+3', '1e3', '123456789012345678.5'])
      expect(Object.is(parse(t), Number(t.trim()))).toBe(true);
  });

  it('NaN for what is not a number', () => {
    for (const t of ['', ' ', '-', '.', '2.2x', '1,2', 'abc', '1.2.3', '--1', '12:00:53.329']) expect(parse(t)).toBeNaN();
  });
});
