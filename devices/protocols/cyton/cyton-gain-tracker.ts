/**
 * Per-channel gains of a Cyton, tracked from the commands the host sends (the data stream carries
 * none). `x C P G I B S2 S1 X` sets channel C's gain; `d` resets every channel to 24. A command is
 * pending until the board answers: `Success…` commits it, `Failure…` reverts it. While streaming
 * the board answers nothing, so commands are committed when sent.
 */
import { CYTON_CHANNEL_LETTERS, CYTON_DEFAULT_GAIN, CYTON_GAINS } from './cyton-constants.js';

export class CytonGainTracker {
  private readonly gains: number[];
  private committed: number[];

  constructor(channels: number) {
    this.gains = new Array<number>(channels).fill(CYTON_DEFAULT_GAIN);
    this.committed = [...this.gains];
  }

  /** Current gain of channel c (0-based). */
  gain(c: number): number {
    return this.gains[c]!;
  }

  /** All gains (a copy). */
  all(): number[] {
    return [...this.gains];
  }

  /** Applies the channel-setting commands in `text` (any mix of commands) provisionally. */
  sent(text: string): void {
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === 'd') {
        this.gains.fill(CYTON_DEFAULT_GAIN);
      } else if (ch === 'x' && i + 8 < text.length && text[i + 8] === 'X') {
        const c = (CYTON_CHANNEL_LETTERS as readonly string[]).indexOf(text[i + 1]!);
        const g = Number(text[i + 3]);
        if (c >= 0 && c < this.gains.length && Number.isInteger(g) && g >= 0 && g < CYTON_GAINS.length) {
          this.gains[c] = CYTON_GAINS[g]!;
        }
        i += 8;
      }
    }
  }

  /** The board accepted the pending commands (or is streaming and will not answer). */
  commit(): void {
    this.committed = [...this.gains];
  }

  /** The board refused the pending commands. */
  revert(): void {
    for (let c = 0; c < this.gains.length; c++) this.gains[c] = this.committed[c]!;
  }
}
