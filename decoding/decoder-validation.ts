/**
 * DecoderValidation — a live decoder's online validation against the task's truth: the running
 * R² of a continuous decoder (vel_x, vel_y) over its last bins, or a trial decoder's running
 * accuracy over its last trials against the cues. Reported by the session's decoders, recorded as
 * markers, shown on the dashboard.
 */
export interface DecoderValidation {
  /** The bin it was computed at, and that bin's last sample. */
  bin: number;
  sample: number;
  metric: 'r2' | 'accuracy';
  /** All dimensions together, variance-weighted (defined while any dimension's truth varies); then each (NaN where its truth held still). */
  value: number;
  perDimension: number[];
  dimensions: readonly string[];
  /** Seconds it covers (r2: of bins; accuracy: from the oldest trial's end to the newest's). */
  windowS: number;
  /** accuracy: the trials it covers, and the chance level (1 / classes). */
  trials?: number;
  chance?: number;
}

/** A DecoderValidation as JSON carries it (to the dashboard page): NaN becomes null. */
export type DecoderValidationJson = Omit<DecoderValidation, 'value' | 'perDimension'> & {
  value: number | null;
  perDimension: (number | null)[];
};
