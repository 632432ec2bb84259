import { type StreamInfo, type StreamInfoInit, createStreamInfo } from '../../core/index.js';

/** A small EEG-like StreamInfo for operator tests; override any field. */
export function testStreamInfo(overrides: Partial<StreamInfoInit> = {}): StreamInfo {
  return createStreamInfo({
    id: 'test',
    device: { name: 'test', model: '', serial: '' },
    channelNames: ['a'],
    channelKinds: 'eeg',
    units: 'uV',
    sampleRateHz: 1000,
    startTime: '2026-01-01T00:00:00.000Z',
    ...overrides,
  });
}
