/** The neurostream frame protocol, version 1 (docs/frame-protocol.md). */

export const FRAME_SYNC = Uint8Array.of(0xaa, 0x55, 0x4e, 0x53);
export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 32;
export const FRAME_CRC_BYTES = 4;
export const FRAME_MAX_CHANNELS = 1024;
export const FRAME_MAX_SCANS = 4096;
/** Default receiver limit on a whole frame. */
export const FRAME_DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

export const FrameFormat = { Int16: 1, Int24: 2, Float32: 3 } as const;
export type FrameFormat = (typeof FrameFormat)[keyof typeof FrameFormat];
export const FRAME_FORMAT_NAMES = { int16: 1, int24: 2, float32: 3 } as const;
export type FrameFormatName = keyof typeof FRAME_FORMAT_NAMES;

/** Bytes per value of each format (index by format code). */
export const FRAME_VALUE_BYTES: readonly number[] = [0, 2, 3, 4];

export function frameBytes(format: FrameFormat, channels: number, scans: number): number {
  return FRAME_HEADER_BYTES + channels * scans * FRAME_VALUE_BYTES[format]! + FRAME_CRC_BYTES;
}
