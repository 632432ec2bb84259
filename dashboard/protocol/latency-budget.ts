/**
 * Latency thresholds that fit the stream, and the words the page uses for latency stages.
 *
 * A fixed threshold (say amber above 2 ms) is wrong for most streams: a 250 Hz EEG headset sends
 * a sample every 4 ms, so 2 ms is nothing; a decoder on 20 ms bins has a whole bin before its
 * answer is late. The budget comes from the stream's own time scales:
 *
 * - with a decoder (`binS` given), the end-to-end latency (the bin's last byte to its decoded
 *   intent) is amber above half a bin and red above a whole bin (its answer would come after
 *   the next bin is complete);
 * - without one, the latency from a block's last byte to its processing is amber above two
 *   blocks' duration (the session is more than a block behind) and red above ten; a block is at
 *   least one sample long, and the thresholds never go below 1 ms (the event loop's timer
 *   resolution).
 *
 * Shared by the publisher (Node) and the page (browser): no dependencies.
 */

/** Lowest amber threshold, ms: the event loop's timer resolution. */
const MIN_WARN_MS = 1;

/** What the thresholds are derived from. */
export interface LatencyBudgetInput {
  sampleRateHz: number;
  /** Samples per block as the source delivers them (at least 1 is assumed). */
  blockSamples?: number;
  /** Width of a decoder's bins, s; absent or 0: no decoder. */
  binS?: number;
}

/** Amber and red thresholds for a latency p99, and what they are based on (in words). */
export interface LatencyBudget {
  /** Which latency they apply to: `end-to-end` (decoding) or `block` (from a block's last byte to its processing). */
  stage: 'end-to-end' | 'block';
  warnMs: number;
  badMs: number;
  /** E.g. "half / one 20 ms bin", "2 / 10 blocks of 4.0 ms". */
  basis: string;
}

function ms(v: number): string {
  return v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2);
}

/** The latency thresholds of a stream (see the module description). */
export function latencyBudget(input: LatencyBudgetInput): LatencyBudget {
  const binMs = (input.binS ?? 0) * 1000;
  if (binMs > 0) {
    return { stage: 'end-to-end', warnMs: Math.max(MIN_WARN_MS, binMs / 2), badMs: Math.max(2 * MIN_WARN_MS, binMs), basis: `half / one ${ms(binMs)} ms bin` };
  }
  const rate = input.sampleRateHz > 0 ? input.sampleRateHz : 1;
  const blockMs = (Math.max(1, input.blockSamples ?? 1) * 1000) / rate;
  return { stage: 'block', warnMs: Math.max(MIN_WARN_MS, 2 * blockMs), badMs: Math.max(5 * MIN_WARN_MS, 10 * blockMs), basis: `2 / 10 blocks of ${ms(blockMs)} ms` };
}

/** The colour of a latency p99 against its budget: `ok`, `warn` (amber), `bad` (red), '' when unknown. */
export function latencyKind(p99Ms: number | undefined, budget: LatencyBudget): 'ok' | 'warn' | 'bad' | '' {
  if (p99Ms === undefined || !(p99Ms >= 0)) return '';
  return p99Ms > budget.badMs ? 'bad' : p99Ms > budget.warnMs ? 'warn' : 'ok';
}

/**
 * The latency stages (LATENCY_STAGES, the histogram's rows and the intents' latency split) in
 * words, as the page shows them: nobody reading the page needs to know the field names.
 */
export const LATENCY_STAGE_WORDS: Readonly<Record<string, string>> = {
  acquisitionMs: 'from last byte to processing',
  featuresMs: 'from processing to features',
  decodeMs: 'decode',
  totalMs: 'end to end (last byte to decoded intent)',
};

/** A stage's words (its own name when it has none). */
export function latencyStageWords(stage: string): string {
  return LATENCY_STAGE_WORDS[stage] ?? stage;
}
