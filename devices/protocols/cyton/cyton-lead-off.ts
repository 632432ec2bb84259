/**
 * The Cyton SDK's lead-off (impedance) command, `z C P N Z` (5 bytes, firmware v3): `C` the
 * channel (`1`–`8`, `Q W E R T Y U I` for 9–16), `P` and `N` `1` to drive the 6 nA, 31.25 Hz
 * lead-off current into the channel's positive / negative input, `0` to stop it. The board answers
 * `Success: Lead off set for C$$$` (nothing while streaming). A `v` soft reset or `d` turns every
 * channel's lead-off off.
 */
import { InvalidOptionError } from '../../../core/index.js';
import { CYTON_CHANNEL_LETTERS } from './cyton-constants.js';

/** What drives a channel's lead-off current: its positive input, its negative input, both or neither. */
export interface LeadOffSetting {
  positive: boolean;
  negative: boolean;
}

/** A lead-off command: `cytonLeadOffCommand(3, { positive: true, negative: false })` → `z310Z`. */
export function cytonLeadOffCommand(channel: number, setting: LeadOffSetting): string {
  if (!Number.isInteger(channel) || channel < 1 || channel > CYTON_CHANNEL_LETTERS.length) {
    throw new InvalidOptionError('channel', `a channel number 1–${CYTON_CHANNEL_LETTERS.length}`, channel);
  }
  return `z${CYTON_CHANNEL_LETTERS[channel - 1]}${setting.positive ? 1 : 0}${setting.negative ? 1 : 0}Z`;
}

/** The channel (1-based) and setting of a lead-off command, or null when `text` is not one. */
export function parseCytonLeadOffCommand(text: string): { channel: number; setting: LeadOffSetting } | null {
  const m = /^z([1-8QWERTYUI])([01])([01])Z$/.exec(text);
  if (!m) return null;
  return { channel: (CYTON_CHANNEL_LETTERS as readonly string[]).indexOf(m[1]!) + 1, setting: { positive: m[2] === '1', negative: m[3] === '1' } };
}
