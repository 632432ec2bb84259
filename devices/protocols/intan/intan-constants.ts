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
