import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { designButterworth } from '../../acquisition/filters/butterworth.js';
import { createSosState, sosFilter } from '../../acquisition/filters/sos-filter.js';
import { sosFiltFilt } from '../../acquisition/filters/zero-phase.js';
import { runCli } from '../helpers/cli.js';
import { sharedData } from '../helpers/shared-data.js';

const LOCUST = sharedData('extracellular/locust/locust_trial_01.raw').pathname;

function channelMajor(interleaved: ArrayLike<number>, channels: number): Float32Array {
  const n = interleaved.length / channels;
  const out = new Float32Array(interleaved.length);
  for (let i = 0; i < n; i++) for (let c = 0; c < channels; c++) out[c * n + i] = interleaved[i * channels + c]!;
  return out;
}

describe('neurostream filter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ns-filter-'));
  const raw = readFileSync(LOCUST);
  const x = channelMajor(new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2), 4);
  const n = x.length / 4;
  const sos = designButterworth({ type: 'bandpass', order: 4, cutoffHz: [300, 3000], sampleRateHz: 15000 });

  it.each([
    ['causal', []],
    ['zero-phase', ['--zero-phase']],
  ] as const)('band-passes the locust recording (%s) exactly as the kernels do, reading its info.json', async (mode, extra) => {
    const out = join(dir, `${mode}.f32`);
    const r = await runCli(['filter', LOCUST, out, '--bandpass', '300', '3000', ...extra]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`filtered ${n} samples × 4 channels at 15000 Hz → ${out} (+ ${out}.json)\n`);
    const bytes = readFileSync(out);
    const got = channelMajor(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4), 4);
    const want = new Float32Array(x.length);
    if (mode === 'causal') sosFilter(sos, createSosState(sos, 4), x, want, 4, n);
    else sosFiltFilt(sos, x, want, 4, n);
    expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(want.buffer))).toBe(true);
    const description = JSON.parse(readFileSync(`${out}.json`, 'utf8'));
    expect(description).toMatchObject({ sample_rate: 15000, shape: [-1, 4], dtype: 'float32', units: 'uV', filters: { bandpassHz: [300, 3000], zeroPhase: mode === 'zero-phase' } });
  });

  it('reports bad input files and missing descriptions in one line, touching nothing', async () => {
    const odd = join(dir, 'odd.raw');
    writeFileSync(odd, Buffer.alloc(7));
    const r = await runCli(['filter', odd, join(dir, 'o.f32'), '--car', '--channels', '2', '--rate', '1000', '--format', 'int16']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`neurostream: ${odd}: expected a whole number of 2-channel int16 samples (4 bytes each), got 7 bytes [NS_INVALID_DATA]\n`);
    const undescribed = await runCli(['filter', odd, join(dir, 'o.f32'), '--car']);
    expect(undescribed.code).toBe(2);
    expect(undescribed.stderr).toMatch(/^neurostream: --channels: expected a value \(or .*info\.json saying it\), got nothing \[NS_INVALID_OPTION\]\n$/);
    const tooHigh = await runCli(['filter', LOCUST, join(dir, 'o.f32'), '--bandpass', '300', '9000']);
    expect(tooHigh.code).toBe(2);
    expect(tooHigh.stderr).toContain('cutoffHz: expected frequencies below the Nyquist frequency (7500 Hz), got 9000');
  });
});
