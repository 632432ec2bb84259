/**
 * Threshold crossings on real broadband recordings from ../shared/data/extracellular (see its
 * README): C. Pouzat's locust antennal-lobe tetrode (4 ch, 15 kHz, 28.8 s) and a Neuropixels
 * stub recorded with SpikeGLX (384 ch, 30 kHz, 0.17 s). The crossing rates must be those of real
 * spiking: neither silence nor noise crossing the threshold.
 */
import { readFileSync } from 'node:fs';
import { firstValueFrom, from, pipe, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { designButterworth } from '../../acquisition/filters/butterworth.js';
import { iirFilter } from '../../acquisition/operators/iir-filter.js';
import { reReference } from '../../acquisition/operators/re-reference.js';
import { spikeBandFeatures } from '../../acquisition/operators/spike-band-features.js';
import { type SampleBlock, createSampleBlock, createStreamInfo } from '../../core/index.js';
import { sharedData } from '../helpers/shared-data.js';

const DATA = sharedData('extracellular/');

/** Interleaved int16 → 1 ms channel-major blocks in µV. */
function blocksFromInt16(bytes: Buffer, channels: number, fs: number, uvPerCount: number, id: string): SampleBlock[] {
  const samples = Math.floor(bytes.length / 2 / channels);
  const view = new Int16Array(bytes.buffer, bytes.byteOffset, samples * channels);
  const info = createStreamInfo({
    id,
    device: { name: 'file', model: id, serial: '' },
    channelNames: Array.from({ length: channels }, (_, c) => `ch${c}`),
    channelKinds: 'extracellular',
    units: 'uV',
    sampleRateHz: fs,
    adcScale: uvPerCount,
    startTime: '2026-01-01T00:00:00.000Z',
  });
  const per = Math.round(fs / 1000);
  const out: SampleBlock[] = [];
  for (let first = 0; first + per <= samples; first += per) {
    const data = new Float32Array(channels * per);
    for (let i = 0; i < per; i++) for (let c = 0; c < channels; c++) data[c * per + i] = view[(first + i) * channels + c]! * uvPerCount;
    out.push(createSampleBlock({ info, first, length: per, data, hostTime: 0 }));
  }
  return out;
}

async function crossingRates(blocks: SampleBlock[], car: boolean, calibrationS: number): Promise<Float64Array> {
  const C = blocks[0]!.info.channelNames.length;
  const bandPass = iirFilter((rate) => designButterworth({ type: 'bandpass', order: 4, cutoffHz: [300, 3000], sampleRateHz: rate }));
  const features = spikeBandFeatures({ calibrationS });
  const frames = await firstValueFrom(from(blocks).pipe(car ? pipe(bandPass, reReference(), features) : pipe(bandPass, features), toArray()));
  const skip = Math.ceil((calibrationS * 1000) / 20);
  const seconds = ((frames.length - skip) * 20) / 1000;
  const rates = new Float64Array(C);
  for (const f of frames.slice(skip)) for (let c = 0; c < C; c++) rates[c]! += f.values[c]! / seconds;
  return rates;
}

describe('threshold crossings on real recordings', () => {
  it('locust antennal lobe (tetrode, 15 kHz): spikes on three channels, the fourth quiet', async () => {
    const blocks = blocksFromInt16(readFileSync(new URL('locust/locust_trial_01.raw', DATA)), 4, 15000, 1, 'locust');
    const rates = await crossingRates(blocks, false, 1);
    console.log(`locust crossings/s per channel: ${[...rates].map((r) => r.toFixed(1)).join(', ')}`);
    // scipy on the same band (whole-record RMS) finds 9.9, 15.2, 8.2 and 0.3 crossings/s: channel 4
    // of this recording carries almost no spikes.
    for (const r of rates.slice(0, 3)) {
      expect(r).toBeGreaterThan(2);
      expect(r).toBeLessThan(150);
    }
    expect(rates[3]).toBeLessThan(2);
  });

  it('Neuropixels (384 ch, 30 kHz, SpikeGLX): spikes on some channels, quiet on most', async () => {
    const meta = readFileSync(new URL('spikeglx/p5_g0_t0.imec0.ap.meta', DATA), 'utf8');
    const rangeMax = Number(/^imAiRangeMax=(.*)$/m.exec(meta)![1]);
    const maxInt = Number(/^imMaxInt=(.*)$/m.exec(meta)?.[1] ?? 512);
    const gain = Number(/\(0 0 0 (\d+) /.exec(meta)![1]); // AP gain of channel 0 in imroTbl
    const uvPerCount = (rangeMax * 1e6) / maxInt / gain;
    const all = blocksFromInt16(readFileSync(new URL('spikeglx/p5_g0_t0.imec0.ap.bin', DATA)), 385, 30000, uvPerCount, 'neuropixels');
    // Drop the sync channel (385th).
    const blocks = all.map((b) => {
      const info = createStreamInfo({ ...b.info, channelNames: b.info.channelNames.slice(0, 384), channelKinds: 'extracellular', units: 'uV', adcScale: uvPerCount });
      return createSampleBlock({ info, first: b.first, length: b.length, data: b.data.slice(0, 384 * b.length), hostTime: 0 });
    });
    const rates = await crossingRates(blocks, true, 0.05);
    const sorted = [...rates].sort((a, b) => a - b);
    const median = sorted[192]!;
    const active = sorted.filter((r) => r >= 10).length;
    console.log(`neuropixels: ${uvPerCount.toFixed(3)} µV/count; crossings/s median ${median.toFixed(1)}, max ${sorted[383]!.toFixed(1)}, ${active} channels ≥ 10/s`);
    expect(median).toBeLessThan(50);
    expect(sorted[383]).toBeGreaterThan(20);
    expect(active).toBeGreaterThan(3);
  });
});
