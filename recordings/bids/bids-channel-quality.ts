/**
 * The `status` / `status_description` columns of a BIDS channels.tsv, from acquisition's
 * signal-quality kernel run over the whole recording (1 s windows): a neural channel railed or
 * flat in more than half of its windows is `bad`; any railed, flat or line-noise window is
 * described (`railed 12 of 90 s; line noise 40 of 90 s`). Line noise alone leaves a channel
 * `good` (it is filtered out, not a fault of the contact). Fed block by block during the export's
 * first pass, so it costs no extra read of the file.
 */
import { type SampleBlock, type StreamInfo, channelCount } from '../../core/index.js';
import { channelFullScale } from '../../acquisition/operators/signal-quality.js';
import { SIGNAL_QUALITY_STATUSES, type SignalQualityState, createSignalQualityState, pushSignalQuality } from '../../acquisition/kernels/signal-quality.js';

const NEURAL = new Set(['eeg', 'ecog', 'extracellular']);

/** One channel's status for channels.tsv: `good` or `bad`, and why (null: nothing to say, or not judged). */
export interface BidsChannelStatus {
  status: 'good' | 'bad' | null;
  description: string | null;
}

/** Seconds per status, over the whole recording, for the neural channels of one stream. */
export class ChannelQualityTally {
  private readonly state: SignalQualityState | undefined;
  private readonly rows: Int32Array;
  /** Per analysed row: seconds railed, flat, line-noise, ok (SIGNAL_QUALITY_STATUSES order). */
  private readonly seconds: Float64Array[];
  private readonly useLineNoise: boolean;

  /**
   * `mainsHz`: the mains frequency where known (line noise is judged only then); a stream too
   * slow to see the mains, or without neural channels, is not judged (every status null).
   */
  constructor(
    private readonly info: StreamInfo,
    mainsHz: 50 | 60 | undefined,
  ) {
    const neural = [...Array(channelCount(info)).keys()].filter((c) => NEURAL.has(info.channelKinds[c]!));
    this.rows = Int32Array.from(neural);
    this.useLineNoise = mainsHz !== undefined;
    const mains = mainsHz ?? 50; // railed and flat do not depend on it; line noise is then ignored
    const judged = neural.length > 0 && info.sampleRateHz > 2 * (mains + 2);
    this.state = judged ? createSignalQualityState({ sampleRateHz: info.sampleRateHz, mainsHz: mains, fullScale: neural.map((c) => channelFullScale(info, c)) }) : undefined;
    this.seconds = neural.map(() => new Float64Array(SIGNAL_QUALITY_STATUSES.length));
  }

  /** Adds a block (in stream order) to the tally. */
  push(block: SampleBlock): void {
    if (!this.state || block.length === 0) return;
    const windowS = this.state.windowSamples / this.state.sampleRateHz;
    pushSignalQuality(this.state, block.data, block.length, block.first, block.gap !== undefined, (s) => {
      for (let k = 0; k < s.channels; k++) this.seconds[k]![s.status[k]!]! += windowS;
    }, this.rows);
  }

  /** Per channel of the stream, its status and description. */
  statuses(): BidsChannelStatus[] {
    const out: BidsChannelStatus[] = this.info.channelNames.map(() => ({ status: null, description: null }));
    if (!this.state) return out;
    const [railed, flat, lineNoise] = [0, 1, 2];
    this.rows.forEach((c, k) => {
      const s = this.seconds[k]!;
      const total = s.reduce((a, b) => a + b, 0);
      if (total === 0) return; // shorter than one window: not judged
      const parts: string[] = [];
      const fmt = (n: number) => String(Math.round(n * 10) / 10);
      if (s[railed]! > 0) parts.push(`railed ${fmt(s[railed]!)} of ${fmt(total)} s`);
      if (s[flat]! > 0) parts.push(`flat ${fmt(s[flat]!)} of ${fmt(total)} s`);
      if (this.useLineNoise && s[lineNoise]! > 0) parts.push(`line noise ${fmt(s[lineNoise]!)} of ${fmt(total)} s`);
      const bad = s[railed]! + s[flat]! > total / 2;
      out[c] = { status: bad ? 'bad' : 'good', description: parts.length > 0 ? `signal quality (neurostream, 1 s windows): ${parts.join('; ')}` : null };
    });
    return out;
  }
}
