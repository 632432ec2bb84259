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
import type { BlockAssembler } from '../../core/block-assembler.js';
import { CytonParser, type CytonSample } from '../../devices/protocols/cyton/cyton-parser.js';
import { CytonSampleWriter } from '../../devices/protocols/cyton/cyton-sample-writer.js';

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
  private readonly writer: CytonSampleWriter;

  constructor(settings: CytonCaptureSettings, assembler: BlockAssembler, onText?: (text: string) => void) {
    this.assembler = assembler;
    this.writer = new CytonSampleWriter(settings.gains);
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
    this.assembler.gap(s.missedBefore);
    this.writer.write(s, this.assembler);
  }
}
