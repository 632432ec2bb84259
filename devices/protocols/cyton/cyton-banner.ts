/**
 * The Cyton's reply to `v` (soft reset), read strictly: which board answered. Firmware v3 prints
 *
 * ```
 * OpenBCI V3 8-16 channel
 * On Board ADS1299 Device ID: 0x3E
 * On Daisy ADS1299 Device ID: 0x3E      (only with a Daisy)
 * LIS3DH Device ID: 0x33
 * Firmware: v3.1.2
 * ```
 *
 * (older firmware: `ADS1299 Device ID: …` lines, no firmware line). The serial link has no
 * checksum, so a banner with a flipped bit, or two banners run together because a `$$$` was lost,
 * must not be read as another board: every line after the `OpenBCI` line must be one of these,
 * each at most once (two bare ADS1299 lines at most), or the banner counts as garbled and the
 * caller asks again.
 */

/** What a clean banner says about the board. */
export interface CytonBanner {
  /** A Daisy is attached (a second ADS1299): 16 channels. */
  daisy: boolean;
  /** `v3.1.2`, or undefined when the banner has no firmware line. */
  firmware: string | undefined;
}

const HEX_ID = '0x[0-9A-Fa-f]{1,2}';
const LINES: readonly { kind: string; pattern: RegExp; max: number }[] = [
  { kind: 'board', pattern: new RegExp(`^On Board ADS1299 Device ID: ${HEX_ID}$`), max: 1 },
  { kind: 'daisy', pattern: new RegExp(`^On Daisy ADS1299 Device ID: ${HEX_ID}$`), max: 1 },
  { kind: 'ads', pattern: new RegExp(`^ADS1299 Device ID: ${HEX_ID}$`), max: 2 },
  { kind: 'accel', pattern: new RegExp(`^LIS3DH Device ID: ${HEX_ID}$`), max: 1 },
  { kind: 'firmware', pattern: /^Firmware: (v\d+\.\d+\.\d+)$/, max: 1 },
];

/**
 * The board a `v` reply (the text before `$$$`) describes, or null if it is not one clean banner.
 * Text before the last `OpenBCI` (bytes of packets still in flight when `v` was sent) is ignored.
 */
export function parseCytonBanner(reply: string): CytonBanner | null {
  const start = reply.lastIndexOf('OpenBCI');
  if (start < 0) return null;
  const lines = reply
    .slice(start)
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.length > 0);
  if (!/^OpenBCI V\d [0-9-]+ channel$/.test(lines[0]!)) return null;
  const seen = new Map<string, number>();
  let firmware: string | undefined;
  for (const line of lines.slice(1)) {
    const known = LINES.find((k) => k.pattern.test(line));
    if (!known) return null;
    const n = (seen.get(known.kind) ?? 0) + 1;
    if (n > known.max) return null;
    seen.set(known.kind, n);
    if (known.kind === 'firmware') firmware = known.pattern.exec(line)![1];
  }
  const ads = (seen.get('board') ?? 0) + (seen.get('daisy') ?? 0) + (seen.get('ads') ?? 0);
  if (ads === 0 || ads > 2 || (seen.has('daisy') && !seen.has('board'))) return null;
  return { daisy: ads === 2, firmware };
}
