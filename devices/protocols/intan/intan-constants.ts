/** Intan RHX TCP streaming constants (../shared/protocols/REFERENCE.md §3, from Intan RHX 3.4). */

export const INTAN_COMMAND_PORT = 5000;
export const INTAN_WAVEFORM_PORT = 5001;
/** First word of every waveform block (little-endian uint32). */
export const INTAN_WAVEFORM_MAGIC = 0x2ef07a08;
export const INTAN_FRAMES_PER_BLOCK = 128;
/** µV per count of amplifier WIDE/LOW/HIGH bands: µV = 0.195 × (u16 − 32768). */
export const INTAN_AMPLIFIER_UV_PER_COUNT = 0.195;
export const INTAN_AMPLIFIER_OFFSET = 32768;

/** Bytes of one waveform block carrying `values` uint16 words per frame. */
export function intanBlockBytes(values: number): number {
  return 4 + INTAN_FRAMES_PER_BLOCK * (4 + 2 * values);
}

/** Channels per headstage port (A–H) in RHX: up to 128 (A-000 … A-127). */
export const INTAN_CHANNELS_PER_PORT = 128;
export const INTAN_PORTS = 'ABCDEFGH';

/** RHX's native name of the c-th amplifier channel counting across ports: 0 → A-000, 128 → B-000. */
export function intanChannelName(c: number): string {
  return `${INTAN_PORTS[Math.floor(c / INTAN_CHANNELS_PER_PORT)]}-${String(c % INTAN_CHANNELS_PER_PORT).padStart(3, '0')}`;
}

/** The inverse of intanChannelName, or −1 for a name that is not an amplifier channel. */
export function intanChannelIndex(name: string): number {
  const m = /^([A-H])-(\d{3})$/i.exec(name);
  if (!m) return -1;
  const index = Number(m[2]);
  return index < INTAN_CHANNELS_PER_PORT ? INTAN_PORTS.indexOf(m[1]!.toUpperCase()) * INTAN_CHANNELS_PER_PORT + index : -1;
}
