/**
 * IntanWaveformParser — an incremental state machine for Intan RHX's TCP waveform stream (port
 * 5001): blocks of `uint32 magic 0x2ef07a08` + 128 frames of `uint32 timestamp` and one uint16 per
 * enabled channel band, little-endian. The number of words per frame follows from the channels the
 * client enabled; RHX sends no length, so a magic number missing where a block should begin means
 * that configuration is wrong or bytes were lost: the parser counts it and scans forward for the
 * next magic number.
 *
 * `onBlock` receives reused arrays: `timestamps` (128) and `values` (frame-major, 128 × words).
 */
import { checkInteger } from '../../../core/index.js';
import { INTAN_FRAMES_PER_BLOCK, INTAN_WAVEFORM_MAGIC, intanBlockBytes } from './intan-constants.js';

export interface IntanBlock {
  /** RHX's frame timestamps (uint32: they wrap after 2^32 samples, ~39.8 h at 30 kHz). */
  readonly timestamps: Uint32Array;
  /** values[frame * words + w], raw uint16. */
  readonly values: Uint16Array;
  readonly words: number;
}

export interface IntanParserStats {
  blocks: number;
  skippedBytes: number;
  /** Times the magic number was not where a block should begin. */
  magicMismatches: number;
}

const MAGIC_BYTES = [INTAN_WAVEFORM_MAGIC & 0xff, (INTAN_WAVEFORM_MAGIC >>> 8) & 0xff, (INTAN_WAVEFORM_MAGIC >>> 16) & 0xff, INTAN_WAVEFORM_MAGIC >>> 24];

export class IntanWaveformParser {
  readonly stats: IntanParserStats = { blocks: 0, skippedBytes: 0, magicMismatches: 0 };
  readonly words: number;
  private readonly blockBytes: number;
  private readonly buf: Uint8Array;
  private have = 0;
  private matched = 0;
  private synced = false;
  private readonly block: IntanBlock;
  private readonly onBlock: (block: IntanBlock) => void;

  constructor(options: { words: number; onBlock: (block: IntanBlock) => void }) {
    this.words = checkInteger('option', 'words', options.words, { min: 1, max: 4096 });
    this.blockBytes = intanBlockBytes(this.words);
    this.buf = new Uint8Array(this.blockBytes);
    this.onBlock = options.onBlock;
    this.block = {
      timestamps: new Uint32Array(INTAN_FRAMES_PER_BLOCK),
      values: new Uint16Array(INTAN_FRAMES_PER_BLOCK * this.words),
      words: this.words,
    };
  }

  push(chunk: Uint8Array): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.have === 0) {
        // Looking for the magic number, byte by byte.
        const b = chunk[pos++]!;
        if (b === MAGIC_BYTES[this.matched]) {
          if (++this.matched === 4) {
            this.buf.set(MAGIC_BYTES, 0);
            this.have = 4;
            this.matched = 0;
          }
        } else {
          if (this.synced) {
            // A block ended but no block begins here.
            this.stats.magicMismatches++;
            this.synced = false;
          }
          this.stats.skippedBytes += this.matched;
          if (b === MAGIC_BYTES[0]) {
            this.matched = 1;
          } else {
            this.matched = 0;
            this.stats.skippedBytes++;
          }
        }
        continue;
      }
      const n = Math.min(this.blockBytes - this.have, chunk.length - pos);
      this.buf.set(chunk.subarray(pos, pos + n), this.have);
      this.have += n;
      pos += n;
      if (this.have === this.blockBytes) {
        this.have = 0;
        this.synced = true;
        this.decode();
      }
    }
  }

  private decode(): void {
    const b = this.buf;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const W = this.words;
    const { timestamps, values } = this.block;
    let p = 4;
    for (let f = 0; f < INTAN_FRAMES_PER_BLOCK; f++) {
      timestamps[f] = dv.getUint32(p, true);
      p += 4;
      for (let w = 0; w < W; w++, p += 2) values[f * W + w] = b[p]! | (b[p + 1]! << 8);
    }
    this.stats.blocks++;
    this.onBlock(this.block);
  }
}
