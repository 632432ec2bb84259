import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { sharedData } from '../helpers/shared-data.js';

const R04 = fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R04.edf'));
const GUI_V6 = fileURLToPath(sharedData('eeg/openbci/OpenBCI_GUI-v6-blinks-jawClench-alpha.txt'));

/** Any C0 control but newline, DEL, or a C1 control: what a terminal would obey. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** ESC [2J clears the screen, ESC ]0;…BEL retitles the window, U+009B is the one-character CSI. */
const HOSTILE = '\x1b[2J\x1b]0;pwned\x07';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ns-terminal-'));
}

/** A copy of R04 with channel 0's label (header bytes 256–271) replaced by `label` (latin1). */
function edfWithLabel(dir: string, label: string): string {
  const bytes = Buffer.from(readFileSync(R04));
  const field = Buffer.alloc(16, ' ');
  field.write(label, 'latin1');
  field.copy(bytes, 256);
  // The first annotation's text "T0" becomes ESC c (a full terminal reset).
  const at = bytes.indexOf(Buffer.from('T0\x14', 'latin1'));
  expect(at).toBeGreaterThan(0);
  bytes.write('\x1bc', at, 'latin1');
  const path = join(dir, 'hostile.edf');
  writeFileSync(path, bytes);
  return path;
}

describe('texts from files reach the terminal with their control characters escaped', () => {
  it('info on an EDF whose label and annotation hold escape sequences prints them as visible escapes', async () => {
    const label = '\x1b[2J\x1b]0;x\x07\u009bFc5'; // 14 of the label's 16 bytes
    const path = edfWithLabel(tempDir(), label);
    const r = await runCli(['info', path]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(CONTROL);
    expect(r.stdout).toContain('channels: \\x1b[2J\\x1b]0;x\\x07\\u009bFc5, Fc3.');
    expect(r.stdout).toContain('"\\x1bc" ×1');

    // The JSON form stays valid JSON carrying the same texts.
    const j = await runCli(['info', path, '--json']);
    expect(j.code).toBe(0);
    expect(j.stdout).not.toMatch(CONTROL);
    const report = JSON.parse(j.stdout) as { streams: { channelNames: string[] }[]; markers: { byText: Record<string, number> } };
    expect(report.streams[0]!.channelNames[0]).toBe(label);
    expect(report.markers.byText['\x1bc']).toBe(1);
  });

  it('info on an OpenBCI text file with escape sequences in its %Board header escapes them in the note that quotes it', async () => {
    const dir = tempDir();
    const lines = readFileSync(GUI_V6, 'utf8').split('\n').slice(0, 500);
    // Without a %Sample Rate line the rate comes from the board, and the note quotes the %Board line.
    const header = lines.filter((l) => !l.startsWith('%Sample Rate')).map((l) => (l.startsWith('%Board') ? `%Board = ${HOSTILE}\u009b2J$BoardCytonSerial` : l));
    const path = join(dir, 'hostile.txt');
    writeFileSync(path, `${header.join('\n')}\n`);
    const r = await runCli(['info', path]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(CONTROL);
    expect(r.stdout).toContain('(%Board = \\x1b[2J\\x1b]0;pwned\\x07\\u009b2J$BoardCytonSerial)');
  });

  it('a session id with escape sequences is escaped in info', async () => {
    const dir = tempDir();
    const out = join(dir, 'rec');
    const c = await runCli(['convert', R04, out]);
    expect(c.code).toBe(0);
    const manifestPath = join(out, 'session.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { sessionId: string };
    manifest.sessionId = `${HOSTILE}session`;
    writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    const r = await runCli(['info', out]);
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(CONTROL);
    expect(r.stdout).toContain('session \\x1b[2J\\x1b]0;pwned\\x07session');
  });

  it('an error message quoting a hostile EDF label is one line without control characters', async () => {
    const dir = tempDir();
    const path = edfWithLabel(dir, `\u009b2J\u0085Fc5`);
    // Channel 0's digital minimum (at 256 × 1 + 65 signals × 120 bytes) made impossible: an error that quotes the label.
    const bytes = readFileSync(path);
    const ns = 65;
    const digitalMinAt = 256 + ns * (16 + 80 + 8 + 8 + 8);
    bytes.write('99999999', digitalMinAt, 'latin1');
    writeFileSync(path, bytes);
    const r = await runCli(['info', path]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(CONTROL);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('\\u009b2J\\u0085Fc5');
    expect(r.stderr).toMatch(/digital minimum/);
  });
});
