/**
 * writeEdf, the library's EDF export, runs the same steps as `convert … out.edf` (EdfExport): a
 * fixed range that would clip a real recording is refused before anything is written, naming
 * the channel, the count and the option that allows it; with allowClipping it is written and the
 * clipped samples are reported.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, NeurostreamError } from '../../../core/index.js';
import { writeEdf } from '../../../recordings/edf/write-edf.js';
import { openInput } from '../../../recordings/open-input.js';
import { sharedData } from '../../helpers/shared-data.js';
import { thrown } from '../../helpers/thrown.js';

const dir = mkdtempSync(join(tmpdir(), 'ns-write-edf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const GUI_V6 = join(fileURLToPath(sharedData('eeg/')), 'openbci', 'OpenBCI_GUI-v6-blinks-jawClench-alpha.txt');

describe('writeEdf', () => {
  it('refuses a fixed range that would clip a real recording, writing nothing; writes it with allowClipping and says how much was clipped', () => {
    const source = openInput(GUI_V6);
    const out = join(dir, 'clipped.edf');
    const error = thrown(() => writeEdf(out, source, { physicalRange: [-500, 500] }));
    expect(error).toBeInstanceOf(NeurostreamError);
    expect((error as NeurostreamError).code).toBe(ErrorCode.InvalidOption);
    expect((error as Error).message).toMatch(new RegExp(`^${out.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: channel "EXG1": \\d+ of \\d+ samples would be clipped to -500…500 uV .*pass allowClipping to clip them, or widen physicalRange$`));
    expect(existsSync(out)).toBe(false);
    const result = writeEdf(out, openInput(GUI_V6), { physicalRange: [-500, 500], allowClipping: true });
    expect(existsSync(out)).toBe(true);
    expect(result.clippedSamples).toBeGreaterThan(0);
    expect(result.warnings.join('\n')).toMatch(/CLIPPED/);
  });
});
