/**
 * The health panel colours the decoder by the structured `state` of the status message, never by
 * its text (which is for display): a decoder whose text mentions calibrating, or even failure, is
 * coloured by what its state says.
 */
import { describe, expect, it } from 'vitest';
import { decoderKind } from '../../../dashboard/page/panels/health.js';

describe('decoderKind', () => {
  it('is red for a failed decoder, amber while it (re)calibrates, green otherwise', () => {
    expect(decoderKind({ state: 'failed' })).toBe('bad');
    expect(decoderKind({ state: 'calibrating' })).toBe('warn');
    expect(decoderKind({ state: 'recalibrating' })).toBe('warn');
    expect(decoderKind({ state: 'decoding' })).toBe('ok');
    expect(decoderKind({ state: 'waiting' })).toBe('ok');
    expect(decoderKind({ state: 'none' })).toBe('ok');
    expect(decoderKind(null)).toBe('');
  });

  it('does not read the status text', () => {
    // A decoding decoder whose line mentions the bins it dropped while calibrating was amber when the page matched the text.
    const status = { name: 'kalman', provider: 'js', status: 'decoder kalman (js): R² 0.52, 12 bins dropped while calibrating', state: 'decoding' as const };
    expect(decoderKind(status)).toBe('ok');
    expect(decoderKind({ ...status, status: 'DECODER FAILED: nothing', state: 'decoding' })).toBe('ok');
  });
});
