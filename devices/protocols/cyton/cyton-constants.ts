/**
 * OpenBCI Cyton protocol constants (../shared/protocols/REFERENCE.md §1, from the Cyton firmware
 * v3 and OpenBCI's data-format documentation).
 */

export const CYTON_BAUD_RATE = 115200;
export const CYTON_PACKET_BYTES = 33;
/** Packet header as the PC sees it through the USB dongle. */
export const CYTON_HEADER = 0xa0;
/** Packet header of a board wired straight to a USB-UART (no dongle rewrites it). */
export const CYTON_HEADER_WIRED = 0x41;
/** Stop bytes 0xC0–0xCF: 0xC0 | packet type. */
export const CYTON_STOP_MIN = 0xc0;
export const CYTON_STOP_MAX = 0xcf;
export const CYTON_EOT = '$$$';
export const CYTON_SAMPLE_RATE_HZ = 250;
export const CYTON_CHANNELS = 8;
export const CYTON_DAISY_CHANNELS = 16;

export const CytonPacketType = {
  Accel: 0,
  RawAux: 1,
  UserDefined: 2,
  AccelTimeSet: 3,
  AccelTime: 4,
  RawAuxTimeSet: 5,
  RawAuxTime: 6,
} as const;

/** ADS1299 reference voltage. µV per count = VREF_UV / gain / (2^23 − 1). */
export const ADS1299_VREF_UV = 4.5e6;
export const ADS1299_FULL_SCALE = 2 ** 23 - 1;
/** Gain settings by the digit of an `x…X` command. */
export const CYTON_GAINS = [1, 2, 4, 6, 8, 12, 24] as const;
export const CYTON_DEFAULT_GAIN = 24;
/** LIS3DH accelerometer scale, g per count. */
export const CYTON_ACCEL_G_PER_COUNT = 0.002 / 16;
/** Channel letters of `x…X` / on-off commands: '1'–'8' then 'Q W E R T Y U I' for 9–16. */
export const CYTON_CHANNEL_LETTERS = ['1', '2', '3', '4', '5', '6', '7', '8', 'Q', 'W', 'E', 'R', 'T', 'Y', 'U', 'I'] as const;

export function microvoltsPerCount(gain: number): number {
  return ADS1299_VREF_UV / gain / ADS1299_FULL_SCALE;
}

/**
 * AC lead-off (impedance) drive of the ADS1299 as the Cyton firmware sets it: 6 nA at
 * fCLK / 2^16 = 31.25 Hz (the datasheet's "31.2 Hz"), through the 2.2 kΩ resistor in series with
 * every input (OpenBCI GUI: `leadOffDrive_amps = 6.0e-9`, `series_resistor_ohms = 2200`).
 */
export const CYTON_LEAD_OFF_HZ = 2.048e6 / 2 ** 16;
export const CYTON_LEAD_OFF_DRIVE_A = 6e-9;
export const CYTON_SERIES_RESISTOR_OHMS = 2200;
