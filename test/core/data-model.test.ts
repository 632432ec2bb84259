import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  InvalidDataError,
  InvalidOptionError,
  SOFTWARE_VERSION,
  blockEnd,
  channelData,
  createFeatureFrame,
  createIntent,
  createMarker,
  createSampleBlock,
  createStreamInfo,
  describeValue,
  type StreamInfoInit,
} from '../../core/index.js';
import { thrown } from '../helpers/thrown.js';

const init: StreamInfoInit = {
  id: 's1',
  device: { name: 'test', model: 'unit test', serial: '42' },
  channelNames: ['a', 'b', 'c'],
  channelKinds: 'eeg',
  units: 'uV',
  sampleRateHz: 250,
  startTime: '2026-01-31T12:00:00.000Z',
};


describe('StreamInfo', () => {
  it('expands per-channel fields, records the software version and freezes everything', () => {
    const info = createStreamInfo(init);
    expect(info.channelKinds).toEqual(['eeg', 'eeg', 'eeg']);
    expect(info.units).toEqual(['uV', 'uV', 'uV']);
    expect(info.adcScale).toEqual([0, 0, 0]);
    expect(info.softwareVersion).toBe(SOFTWARE_VERSION);
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info.channelNames)).toBe(true);
    expect(Object.isFrozen(info.device)).toBe(true);
  });

  it.each([
    [{ sampleRateHz: 0 }, 'StreamInfo.sampleRateHz: expected a finite number > 0 and ≤ 1000000, got 0'],
    [{ sampleRateHz: undefined }, 'StreamInfo.sampleRateHz: expected a finite number > 0 and ≤ 1000000, got nothing'],
    [{ channelNames: [] }, 'StreamInfo.channelNames: expected an array of 1 to 4096 names, got an array of 0'],
    [{ channelNames: ['a', 'a', 'b'] }, 'StreamInfo.channelNames[1]: expected a unique name, got "a"'],
    [{ channelKinds: ['eeg', 'eeg'] }, 'StreamInfo.channelKinds: expected 3 entries (one per channel), got an array of 2'],
    [{ channelKinds: 'emg' }, 'StreamInfo.channelKinds[0]: expected one of eeg, ecog, extracellular, aux, accel, got "emg"'],
    [{ units: 'microvolt' }, 'StreamInfo.units[0]: expected one of uV, mV, V, g, count, got "microvolt"'],
    [{ startTime: '2026-01-31 12:00' }, 'StreamInfo.startTime: expected a UTC ISO-8601 time like 2026-01-31T12:00:00.000Z, got "2026-01-31 12:00"'],
    [{ id: '' }, 'StreamInfo.id: expected a non-empty string, got ""'],
  ])('rejects %o with one clear message', (patch, message) => {
    const error = thrown(() => createStreamInfo({ ...init, ...(patch as Partial<StreamInfoInit>) }));
    expect(error).toBeInstanceOf(InvalidDataError);
    expect((error as InvalidDataError).code).toBe(ErrorCode.InvalidData);
    expect((error as Error).message).toBe(message);
  });
});

describe('SampleBlock', () => {
  const info = createStreamInfo(init);

  it('is channel-major: channel c is data[c*length, (c+1)*length)', () => {
    const data = Float32Array.from([1, 2, 10, 20, 100, 200]);
    const block = createSampleBlock({ info, first: 5, length: 2, data, hostTime: 1 });
    expect([...channelData(block, 1)]).toEqual([10, 20]);
    expect(blockEnd(block)).toBe(7);
    expect(Object.isFrozen(block)).toBe(true);
  });

  it('rejects data whose size does not match channels × length, naming both', () => {
    const error = thrown(() => createSampleBlock({ info, first: 0, length: 2, data: new Float32Array(5), hostTime: 0 }));
    expect((error as Error).message).toBe(
      'SampleBlock.data: expected 6 values (3 channels × 2 samples, channel-major), got a Float32Array of 5',
    );
  });

  it('rejects non-Float32 data, negative or fractional indices and impossible gaps', () => {
    expect(() => createSampleBlock({ info, first: 0, length: 1, data: new Float64Array(3) as never, hostTime: 0 })).toThrow(
      'SampleBlock.data: expected a Float32Array, got a Float64Array of 3',
    );
    expect(() => createSampleBlock({ info, first: -1, length: 1, data: new Float32Array(3), hostTime: 0 })).toThrow(
      'SampleBlock.first',
    );
    expect(() => createSampleBlock({ info, first: 0, length: 1.5, data: new Float32Array(3), hostTime: 0 })).toThrow(
      'SampleBlock.length',
    );
    expect(() =>
      createSampleBlock({ info, first: 3, length: 1, data: new Float32Array(3), hostTime: 0, gap: { missing: 4 } }),
    ).toThrow('SampleBlock.gap.missing: expected at most first (3), got 4');
  });

  it('carries markers that fall inside the block, in sample order, and rejects others', () => {
    const data = new Float32Array(3 * 10);
    const inside = [createMarker(100, 'cue', 'left'), createMarker(105, 'cue', 'rest')];
    const block = createSampleBlock({ info, first: 100, length: 10, data, hostTime: 0, markers: inside });
    expect(block.markers).toEqual(inside);
    expect(() =>
      createSampleBlock({ info, first: 100, length: 10, data, hostTime: 0, markers: [createMarker(110, 'cue', 'x')] }),
    ).toThrow('SampleBlock.markers[0].sample: expected a sample in [100, 110) in sample order, got 110');
    expect(() =>
      createSampleBlock({
        info,
        first: 100,
        length: 10,
        data,
        hostTime: 0,
        markers: [createMarker(105, 'a', 1), createMarker(101, 'b', 2)],
      }),
    ).toThrow('SampleBlock.markers[1].sample');
  });
});

describe('Marker, FeatureFrame, Intent', () => {
  it('freezes marker vectors and rejects non-finite values', () => {
    const m = createMarker(3, 'kinematics', [1, 2, 3, 4]);
    expect(Object.isFrozen(m.value)).toBe(true);
    expect(() => createMarker(3, 'x', NaN)).toThrow('Marker.value: expected a finite number, got NaN');
    expect(() => createMarker(3, 'x', [1, Infinity])).toThrow('Marker.value');
    expect(() => createMarker(-1, 'x', 1)).toThrow('Marker.sample');
  });

  it('requires one name per feature value', () => {
    const ok = createFeatureFrame({ bin: 0, t0: 0, values: new Float32Array(2), names: ['a', 'b'], hostTime: 0 });
    expect(ok.names).toEqual(['a', 'b']);
    expect(() => createFeatureFrame({ bin: 0, t0: 0, values: new Float32Array(2), names: ['a'], hostTime: 0 })).toThrow(
      'FeatureFrame.names: expected 2 names (one per value), got an array of 1',
    );
  });

  it('requires labels for discrete intents and non-negative latencies', () => {
    const latency = { acquisitionMs: 0.1, featuresMs: 0.2, decodeMs: 0.3 };
    expect(createIntent({ bin: 1, kind: 'continuous', values: new Float32Array(2), latency }).kind).toBe('continuous');
    expect(() => createIntent({ bin: 1, kind: 'discrete', values: new Float32Array(2), latency })).toThrow(
      'Intent.labels: expected labels for a discrete intent, got nothing',
    );
    expect(() =>
      createIntent({ bin: 1, kind: 'continuous', values: new Float32Array(1), latency: { ...latency, decodeMs: -1 } }),
    ).toThrow('Intent.latency.decodeMs');
    expect(() => createIntent({ bin: 1, kind: 'fuzzy' as never, values: new Float32Array(1), latency })).toThrow(
      'Intent.kind: expected one of continuous, discrete, got "fuzzy"',
    );
  });
});

describe('errors', () => {
  it('have stable codes, names and fields', () => {
    const e = new InvalidOptionError('--channels', 'an integer from 1 to 1024', 0);
    expect(e.code).toBe('NS_INVALID_OPTION');
    expect(e.name).toBe('InvalidOptionError');
    expect(e.message).toBe('--channels: expected an integer from 1 to 1024, got 0');
    expect(e).toBeInstanceOf(Error);
  });

  it('describe received values briefly', () => {
    expect(describeValue('x'.repeat(100))).toHaveLength(62);
    expect(describeValue(new Uint8Array(4))).toBe('a Uint8Array of 4');
    expect(describeValue({})).toBe('an object (Object)');
    expect(describeValue(null)).toBe('null');
  });
});

describe('version', () => {
  it('matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(SOFTWARE_VERSION).toBe(pkg.version);
  });
});
