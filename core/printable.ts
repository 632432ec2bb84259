/**
 * Text for a terminal: texts read from files (EDF labels and annotations, OpenBCI headers,
 * session ids, marker texts, model metadata) may hold control characters that a terminal would
 * obey (`ESC [2J` clears the screen, `ESC ]0;…` retitles the window). `printable` shows them as
 * visible escapes instead, and leaves every other character — normal Unicode included — as is.
 */

// C0 controls but newline, DEL, and the C1 controls (U+0080–U+009F).
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

function escapeControl(c: string): string {
  const code = c.charCodeAt(0);
  const hex = code.toString(16).padStart(2, '0');
  return code < 0x20 ? `\\x${hex}` : `\\u00${hex}`;
}

/**
 * `text` with its control characters made visible: C0 controls other than newline (tab included) as
 * `\x1b`, DEL and the C1 controls as `\u007f`, `\u009b`. Text without controls comes back
 * unchanged (the same string). The result of `JSON.stringify` stays valid JSON with the same
 * meaning (JSON already escapes C0 controls, and `\u00XX` is JSON's own escape).
 */
export function printable(text: string): string {
  CONTROL.lastIndex = 0;
  return CONTROL.test(text) ? text.replace(CONTROL, escapeControl) : text;
}
