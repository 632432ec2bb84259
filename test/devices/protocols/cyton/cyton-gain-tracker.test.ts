import { describe, expect, it } from 'vitest';
import { CytonGainTracker } from '../../../../devices/protocols/cyton/cyton-gain-tracker.js';

describe('CytonGainTracker', () => {
  it('starts at gain 24 and applies x…X settings by channel letter', () => {
    const t = new CytonGainTracker(16);
    expect(t.all()).toEqual(new Array(16).fill(24));
    t.sent('x1000110Xx8060110XxQ020000XxI010000X');
    t.commit();
    expect(t.gain(0)).toBe(1);
    expect(t.gain(7)).toBe(24);
    expect(t.gain(8)).toBe(4);
    expect(t.gain(15)).toBe(2);
  });

  it('resets every channel to 24 on d, and reverts refused settings', () => {
    const t = new CytonGainTracker(8);
    t.sent('x3030110X');
    t.commit();
    expect(t.gain(2)).toBe(6);
    t.sent('x3050110X');
    t.revert(); // the board answered Failure
    expect(t.gain(2)).toBe(6);
    t.sent('d');
    expect(t.all()).toEqual(new Array(8).fill(24));
  });

  it('ignores malformed or out-of-range settings', () => {
    const t = new CytonGainTracker(8);
    t.sent('x9060110X'); // no channel 9 on a Cyton without Daisy
    t.sent('x1070110X'); // gain digit 7 does not exist
    t.sent('x106011'); // incomplete
    expect(t.all()).toEqual(new Array(8).fill(24));
  });
});
