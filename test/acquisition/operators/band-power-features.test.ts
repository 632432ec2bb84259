import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { bandPowerFeatures } from '../../../acquisition/operators/band-power-features.js';
import { EegSimulator } from '../../../devices/simulators/eeg-simulator.js';

describe('bandPowerFeatures', () => {
  const fs = 250;
  const blocksOf = (size: number, seconds: number) => {
    const sim = new EegSimulator({ seed: 12 });
    return Array.from({ length: Math.ceil((seconds * fs) / size) }, () => sim.read(size, 0));
  };

  it('reports theta/alpha/beta power per channel every step, alpha strongest at O1', async () => {
    const frames = await firstValueFrom(from(blocksOf(25, 30)).pipe(bandPowerFeatures(), toArray()));
    // A frame every 0.5 s once the first 2 s window is full.
    expect(frames).toHaveLength(57);
    expect(frames[0]!.t0).toBe(0);
    expect(frames[1]!.t0).toBe(125);
    expect(frames[0]!.names.slice(0, 2)).toEqual(['theta:Fp1', 'theta:Fp2']);
    const at = (name: string) => frames.reduce((a, f) => a + f.values[f.names.indexOf(name)]!, 0) / frames.length;
    expect(at('alpha:O1')).toBeGreaterThan(2 * at('theta:O1'));
    expect(at('alpha:O1')).toBeGreaterThan(2 * at('alpha:Fp1'));
  });

  it('gives the same frames for any block sizes', async () => {
    const a = await firstValueFrom(from(blocksOf(25, 10)).pipe(bandPowerFeatures(), toArray()));
    const b = await firstValueFrom(from(blocksOf(1, 10)).pipe(bandPowerFeatures(), toArray()));
    expect(b.map((f) => [f.bin, f.t0, ...f.values])).toEqual(a.map((f) => [f.bin, f.t0, ...f.values]));
  });

  it('refuses a band above Nyquist for the stream', async () => {
    await expect(firstValueFrom(from(blocksOf(25, 3)).pipe(bandPowerFeatures({ bands: [{ name: 'hi', loHz: 100, hiHz: 200 }] })))).rejects.toThrow(
      'band hi: expected a band below the Nyquist frequency (125 Hz), got "100–200 Hz"',
    );
  });
});
