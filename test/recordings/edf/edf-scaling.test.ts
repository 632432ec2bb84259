import { describe, expect, it } from 'vitest';
import { createSampleBlock, createStreamInfo, InvalidDataError, type PhysicalRange, type StreamInfo } from '../../../core/index.js';
import { coarseChannels, formatEdfBound, planEdfScaling, scanDataRanges, type ChannelDataRange } from '../../../recordings/edf/edf-scaling.js';

function info(physicalRanges?: (PhysicalRange | null)[], adcScale = [0, 0, 0]): StreamInfo {
  return createStreamInfo({
    id: 's',
    device: { name: 'edf', model: '', serial: '' },
    channelNames: ['a', 'b', 'c'],
    channelKinds: 'eeg',
    units: 'uV',
    sampleRateHz: 100,
    adcScale,
    ...(physicalRanges ? { physicalRanges } : {}),
    startTime: '2026-01-01T00:00:00.000Z',
  });
}

const range = (min: number, max: number): ChannelDataRange => ({ min, max, nonFinite: 0, count: 10 });

describe('planEdfScaling', () => {
  it('keeps a source range (asymmetric, inverted) with its digital range where it holds the data', () => {
    const si = info([
      { physicalMin: -33, physicalMax: 127, digitalMin: -2048, digitalMax: 2047 },
      { physicalMin: 8711, physicalMax: -8711, digitalMin: -32768, digitalMax: 32767 },
      { physicalMin: -12002900, physicalMax: -11502900, digitalMin: -32768, digitalMax: -31403 },
    ]);
    const plan = planEdfScaling({ format: 'edf', info: si, dataRanges: [range(-33, 127), range(-100, 100), range(-12002900, -11600000)] });
    expect(plan.map((s) => s.origin)).toEqual(['source', 'source', 'source']);
    expect(plan.map((s) => [s.minText, s.maxText, s.digitalMin, s.digitalMax, s.dimension])).toEqual([
      ['-33', '127', -2048, 2047, 'uV'],
      ['8711', '-8711', -32768, 32767, 'uV'],
      ['-12002.9', '-11502.9', -32768, -31403, 'mV'], // −12002900 µV does not fit 8 characters
    ]);
    expect(coarseChannels(plan)).toEqual([]);
  });

  it('a source range that does not hold the data, or whose digital range is wider than the format, gives way to one fitted to the data', () => {
    const si = info([{ physicalMin: -100, physicalMax: 100, digitalMin: -32768, digitalMax: 32767 }, { physicalMin: -262144, physicalMax: 262143, digitalMin: -8388608, digitalMax: 8388607 }, null], [200 / 65535, 524287 / 16777215, 0]);
    const plan = planEdfScaling({ format: 'edf', info: si, dataRanges: [range(-150.25, 90), range(-40000.123, 52000.5), range(5, 5)] });
    expect(plan[0]!.origin).toBe('fitted');
    expect(plan[0]!.physicalMin).toBeLessThanOrEqual(-150.25);
    expect(plan[0]!.physicalMax).toBeGreaterThanOrEqual(90);
    expect(plan[1]!.origin).toBe('fitted'); // BDF's 24-bit digital range cannot be written in EDF
    expect(plan[2]!.origin).toBe('default'); // a constant 5 µV lies inside the default ±3276.7 µV
    expect(coarseChannels(plan)).toEqual([0, 1]); // both coarser than their source's step
    // the same BDF channel written as BDF keeps its source range
    expect(planEdfScaling({ format: 'bdf', info: si, dataRanges: [range(-150.25, 90), range(-40000, 52000), range(5, 5)] })[1]!.origin).toBe('source');
  });

  it('a constant channel beyond every automatic range is fitted around its value', () => {
    const plan = planEdfScaling({ format: 'edf', info: info(undefined, [0.02235, 0, 0]), dataRanges: [range(187500.02, 187500.02), range(0, 0), range(-5000, -5000)] });
    expect(plan[0]!.origin).toBe('fitted');
    expect(plan[0]!.physicalMin).toBeLessThan(187500.02);
    expect(plan[0]!.physicalMax).toBeGreaterThan(187500.02);
    expect(plan[2]!.origin).toBe('fitted');
  });

  it('scanDataRanges: finite min/max and the count of NaN/±Infinity, across blocks', () => {
    const si = info();
    const data = new Float32Array([1, Number.NaN, 3, -Infinity, 0, 0, 7, Infinity, -2]);
    const ranges = scanDataRanges([createSampleBlock({ info: si, first: 0, length: 3, data, hostTime: 0 })], 3);
    expect(ranges).toEqual([
      { min: 1, max: 3, nonFinite: 1, count: 3 },
      { min: 0, max: 0, nonFinite: 1, count: 3 },
      { min: -2, max: 7, nonFinite: 1, count: 3 },
    ]);
  });

  it('formatEdfBound rounds outward to 8 characters; a unit-scaled header number stays itself', () => {
    expect(formatEdfBound(-187500.02, 'down')).toBe('-187501');
    expect(formatEdfBound(187500.02, 'up')).toBe('187500.1');
    expect(formatEdfBound(0.123456789, 'down')).toBe('0.123456');
    expect(formatEdfBound(-12002.9 * 1000 * 1e-3, 'down')).toBe('-12002.9');
    expect(formatEdfBound(1e12, 'up')).toBeNull();
  });

  it('StreamInfo.physicalRanges: one entry per channel, valid ranges only', () => {
    expect(() => info([null, null])).toThrow(InvalidDataError);
    expect(() => info([{ physicalMin: 1, physicalMax: 1, digitalMin: 0, digitalMax: 1 }, null, null])).toThrow(/physicalRanges\[0\]/);
    expect(info([null, null, null]).physicalRanges).toEqual([null, null, null]);
    expect(info().physicalRanges).toBeUndefined();
  });
});
