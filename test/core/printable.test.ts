import { describe, expect, it } from 'vitest';
import { printable } from '../../core/index.js';

describe('printable', () => {
  it('shows C0 controls (but newline), DEL and C1 controls as visible escapes', () => {
    expect(printable('\x1b[2J\x1b]0;title\x07')).toBe('\\x1b[2J\\x1b]0;title\\x07');
    expect(printable('a\rb\tc\0d\ne')).toBe('a\\x0db\\x09c\\x00d\ne');
    expect(printable('\x7f\u0080\u009b31m\u009f')).toBe('\\u007f\\u0080\\u009b31m\\u009f');
  });

  it('keeps normal Unicode and text without controls unchanged', () => {
    const text = 'µV Fc5. — α 11.5 Hz ×3 « » \u00a0 \u00ff 日本 🧠';
    expect(printable(text)).toBe(text);
  });

  it('keeps JSON valid and its meaning unchanged', () => {
    const value = { label: '\x1b[2J\u009b\x7f µV' };
    expect(JSON.parse(printable(JSON.stringify(value)))).toEqual(value);
  });
});
