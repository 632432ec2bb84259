/**
 * CytonCaptureDecoder — the bytes of a Cyton (or Cyton + Daisy) serial capture → samples on a
 * BlockAssembler, exactly as the live driver (devices/drivers/cyton-source.ts) builds them: the
 * project's CytonParser frames the packets, counts in µV with each channel's gain, the
 * accelerometer in g held between the board's 25 Hz updates, and a gap wherever the packet
 * counter jumped (modulo 256 packets; 128 Daisy pairs). A capture has no arrival times, so the
 * driver's time-based correction of long dropouts does not apply: a loss of a whole number of
 * counter periods cannot be seen.
 *
 * At the end of the input the parser may hold a last packet that only the next packet's header
 * would confirm (after a counter jump or at the start), or one held for a counter that broke the
 * sequence; `end()` has the parser decide them (CytonParser.end).
 */
import { CYTON_ACCEL_G_PER_COUNT, microvoltsPerCount } from '../../devices/protocols/cyton/cyton-constants.js';
import { CytonParser, type CytonSample } from '../../devices/protocols/cyton/cyton-parser.js';
import type { BlockAssembler } from './block-assembler.js';

export interface CytonCaptureSettings {
  daisy: boolean;
  /** Packet header byte: 0xA0 (through the dongle) or 0x41 (wired). */
  header: number;
  /** Gain of each EXG channel (8 or 16). */
  gains: readonly number[];
}

export class CytonCaptureDecoder {
  readonly parser: CytonParser;
  private readonly assembler: BlockAssembler;
  private readonly scales: Float64Array;
  private readonly accel = new Float64Array(3);

  constructor(settings: CytonCaptureSettings, assembler: BlockAssembler, onText?: (text: string) => void) {
    this.assembler = assembler;
    this.scales = Float64Array.from(settings.gains, (g) => microvoltsPerCount(g));
    this.parser = new CytonParser({
      daisy: settings.daisy,
      header: settings.header,
      onSample: (s) => this.onSample(s),
      ...(onText ? { onText } : {}),
    });
  }

  push(chunk: Uint8Array): void {
    this.parser.push(chunk);
  }

  /** The input is complete: confirms a held last packet (see above), flushes the last block. */
  end(): void {
    this.parser.end();
    this.assembler.flush();
  }

  private onSample(s: CytonSample): void {
    const a = this.assembler;
    a.gap(s.missedBefore);
    const col = a.reserve(1);
    const staging = a.staging;
    const stride = a.stride;
    const eeg = s.counts.length;
    for (let c = 0; c < eeg; c++) staging[c * stride + col] = s.counts[c]! * this.scales[c]!;
    for (let k = 0; k < 3; k++) {
      if (s.accelMask & (1 << k)) this.accel[k] = s.accel[k]! * CYTON_ACCEL_G_PER_COUNT;
      staging[(eeg + k) * stride + col] = this.accel[k]!;
    }
    a.commit(1);
  }
}
