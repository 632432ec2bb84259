/**
 * Writes Cyton packets — for the emulator and for tests. The inverse of CytonParser.
 */
import {
  ADS1299_FULL_SCALE,
  CYTON_CHANNELS,
  CYTON_HEADER,
  CYTON_PACKET_BYTES,
  CYTON_STOP_MIN,
  CytonPacketType,
  microvoltsPerCount,
} from './cyton-constants.js';

/** µV to ADC counts at a gain: rounded and clipped to the 24-bit range. */
export function countsFromMicrovolts(uV: number, gain: number): number {
  const c = Math.round(uV / microvoltsPerCount(gain));
  return c > ADS1299_FULL_SCALE ? ADS1299_FULL_SCALE : c < -ADS1299_FULL_SCALE - 1 ? -ADS1299_FULL_SCALE - 1 : c;
}

export interface CytonPacketInit {
  counter: number;
  /** 8 channel values in ADC counts. */
  counts: ArrayLike<number>;
  /** Default: standard packet with accelerometer (0xC0). */
  packetType?: number;
  /** Accelerometer counts X, Y, Z for packet type 0 (zeros: no new data). */
  accel?: readonly [number, number, number];
  /** Raw aux bytes for other packet types. */
  aux?: ArrayLike<number>;
  header?: number;
}

/** Writes one 33-byte packet at `out[offset]`. */
export function writeCytonPacket(out: Uint8Array, offset: number, p: CytonPacketInit): void {
  out[offset] = p.header ?? CYTON_HEADER;
  out[offset + 1] = p.counter & 0xff;
  for (let c = 0; c < CYTON_CHANNELS; c++) {
    const v = (p.counts[c] ?? 0) & 0xffffff;
    out[offset + 2 + 3 * c] = v >>> 16;
    out[offset + 3 + 3 * c] = (v >>> 8) & 0xff;
    out[offset + 4 + 3 * c] = v & 0xff;
  }
  const type = p.packetType ?? CytonPacketType.Accel;
  if (type === CytonPacketType.Accel && p.accel) {
    for (let k = 0; k < 3; k++) {
      const v = p.accel[k]! & 0xffff;
      out[offset + 26 + 2 * k] = v >>> 8;
      out[offset + 27 + 2 * k] = v & 0xff;
    }
  } else {
    for (let k = 0; k < 6; k++) out[offset + 26 + k] = (p.aux?.[k] ?? 0) & 0xff;
  }
  out[offset + CYTON_PACKET_BYTES - 1] = CYTON_STOP_MIN | (type & 0x0f);
}

/** One packet as a new array. */
export function cytonPacket(p: CytonPacketInit): Uint8Array {
  const out = new Uint8Array(CYTON_PACKET_BYTES);
  writeCytonPacket(out, 0, p);
  return out;
}
