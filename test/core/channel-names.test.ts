import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { channelNameKey, displayChannelName, InvalidOptionError, matchChannels, parseChannelMap } from '../../core/index.js';
import { EEGMMIDB_MONTAGE } from '../../devices/simulators/eeg-montage.js';
import { readEdf } from '../../recordings/edf/edf-reader.js';
import { sharedData } from '../helpers/shared-data.js';

describe('channelNameKey', () => {
  it.each([
    ['Fc5.', 'FC5'],
    ['C3..', 'C3'],
    ['T9..', 'T9'],
    ['Fcz.', 'FCZ'],
    ['FCz', 'FCZ'],
    [' Fp1 ', 'FP1'],
    ['fp1', 'FP1'],
    ['T3', 'T7'],
    ['t4.', 'T8'],
    ['T5', 'P7'],
    ['T6', 'P8'],
    ['T7', 'T7'],
    ['EMG 1', 'EMG 1'],
    ['tc:ch001', 'TC:CH001'],
  ])('%j → %j', (name, key) => {
    expect(channelNameKey(name)).toBe(key);
  });
});

describe('displayChannelName', () => {
  it.each([
    ['Fc5.', 'FC5'],
    ['Fcz.', 'FCz'],
    ['Fp1.', 'Fp1'],
    ['Iz..', 'Iz'],
    ['T10.', 'T10'],
    ['Af7.', 'AF7'],
    ['EMG 1 ', 'EMG 1'],
    ['Status', 'Status'],
  ])('%j → %j', (name, shown) => {
    expect(displayChannelName(name)).toBe(shown);
  });
});

describe('matchChannels', () => {
  it("matches all 64 EEGMMIDB labels of S001R06 to the simulator's montage, in the simulator's order", () => {
    const file = readEdf(fileURLToPath(sharedData('eeg/eegmmidb/S001/S001R06.edf'))).streams[0]!.info.channelNames;
    expect(file[0]).toBe('Fc5.'); // the file's own spelling
    const at = matchChannels(file, EEGMMIDB_MONTAGE, { what: '--model m.onnx', stream: 'the stream' });
    expect(at).toEqual(EEGMMIDB_MONTAGE.map((_, i) => i));
    // and the other way round
    expect(matchChannels(['C4', 'FCz', 'T8'], file, { what: 'x', stream: 'y' }).map((i) => file[i])).toEqual(['C4..', 'Fcz.', 'T8..']);
  });

  it('resolves 10-20 aliases and prefers an exact name over a normalised one', () => {
    expect(matchChannels(['T3', 'T6'], ['T7', 'P8'], { what: 'x', stream: 'y' })).toEqual([0, 1]);
    expect(matchChannels(['T3'], ['T7', 'T3'], { what: 'x', stream: 'y' })).toEqual([1]);
  });

  it('uses the map before normalisation', () => {
    expect(matchChannels(['EEG 1', 'Fc5.'], ['C3', 'FC5'], { what: 'x', stream: 'y', map: { 'EEG 1': 'c3' } })).toEqual([0, 1]);
  });

  it('lists every missing name (after normalisation) and points at --channel-map', () => {
    let error: unknown;
    try {
      matchChannels(['Fc5.', 'Xx1', 'Yy2', 'EEG 1'], ['FC5', 'C3'], { what: '--model m.onnx', stream: 'the stream', map: { 'EEG 1': 'Q9' } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    const message = (error as Error).message;
    expect(message).toContain('3 of 4 channels missing');
    expect(message).toContain('Xx1, Yy2, EEG 1 (mapped to Q9)');
    expect(message).not.toContain('Fc5.,');
    expect(message).toContain('--channel-map');
  });

  it('refuses a name that two channels share after normalisation', () => {
    expect(() => matchChannels(['c3'], ['C3.', 'C3..'], { what: 'x', stream: 'y' })).toThrow(/ambiguous: c3 \(C3\. or C3\.\.\)/);
  });
});

describe('parseChannelMap', () => {
  it('reads a JSON object', () => {
    expect(parseChannelMap('{"Fc5.": "FC5", "T3": "T7"}', 'map.json')).toEqual({ 'Fc5.': 'FC5', T3: 'T7' });
  });
  it('reads a two-column CSV with a header and comments', () => {
    expect(parseChannelMap('model,stream\n# a comment\nEEG 1,C3\r\n"EEG 2",C4\n', 'map.csv')).toEqual({ 'EEG 1': 'C3', 'EEG 2': 'C4' });
  });
  it.each([
    ['{"a": 1}', /"a": expected a non-empty stream channel name/],
    ['[1, 2]', /expected a JSON object/],
    ['{"a": ', /expected a JSON object/],
    ['a,b,c', /line 1: expected two columns/],
    ['model,stream\n', /at least one pair/],
  ])('refuses %j', (text, message) => {
    expect(() => parseChannelMap(text, 'map')).toThrow(InvalidOptionError);
    expect(() => parseChannelMap(text, 'map')).toThrow(message);
  });
});
