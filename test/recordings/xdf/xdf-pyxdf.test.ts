import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readXdfChunks, readXdfFile } from '../../../recordings/import/xdf/xdf-file.js';
import { expectSameAsPyxdf, pyxdfLoad } from '../../helpers/pyxdf.js';
import { sharedData } from '../../helpers/shared-data.js';

const FILES = ['xdf/minimal.xdf', 'xdf/empty_streams.xdf'].map((f) => fileURLToPath(sharedData(f)));

function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
}

describe('XDF reader against pyxdf load_xdf (the reference reader)', () => {
  for (const path of FILES) {
    it(`${path.split('/').pop()}: values, counts, synchronised and de-jittered time stamps as pyxdf's, whole file and fed 1 and 7 bytes at a time`, () => {
      const reference = pyxdfLoad(path);
      expect(reference.length).toBeGreaterThan(1);
      const whole = readXdfFile(path);
      expectSameAsPyxdf(whole, reference);
      const bytes = new Uint8Array(readFileSync(path));
      for (const size of [1, 7]) expectSameAsPyxdf(readXdfChunks(path, pieces(bytes, size)), reference);
      expect(whole.truncation).toBeUndefined();
    });
    it(`${path.split('/').pop()}: raw time stamps (no sync, no de-jitter) as pyxdf's`, () => {
      const reference = pyxdfLoad(path, { raw: true });
      expectSameAsPyxdf(readXdfFile(path, { synchronizeClocks: false, dejitterTimestamps: false }), reference);
    });
  }
});
