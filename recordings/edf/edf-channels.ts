/**
 * How an EDF signal becomes a neurostream channel: its unit (with a scale factor), its kind,
 * and whether it is a trigger channel.
 *
 * Units: voltages become µV (`uV`): `nV` ×0.001, `uV`/`µV`/`μV` ×1, `mV` ×1000, `V` ×10⁶.
 * `g`/`G` → `g`, `mg` → `g` ×0.001. Any other dimension (`%`, `bpm`, `degC`, `Boolean`, empty …)
 * keeps its values unscaled with unit `count` — core has no unit for it — and the reader notes
 * the real dimension.
 *
 * Kinds, from the label's words (split at spaces, `-`, `_`, `.`) and the unit:
 *   - `accel`: unit g, or a word starting `acc`;
 *   - `aux`: trigger channels (below); ECG/EKG/EOG/EMG/RESP/SaO2/SpO2/PLETH/PULSE/HR/TEMP/BIO/
 *     MISC/DC… words; and channels whose dimension is not a voltage;
 *   - `ecog`: a first word ECOG/SEEG/DBS (intracranial field potentials);
 *   - `eeg`: everything else.
 *
 * Trigger channels: a BDF `Status` channel (BioSemi: the lower 16 bits are the trigger code;
 * read as `digital & 0xFFFF`, unit `count`), and channels with a word `trigger`, `trig`,
 * `dtrig`, `stim`, `sti`, `status` or `sti<digits>` (read as physical values).
 */
import type { ChannelKind, ChannelUnit } from '../../core/index.js';

export interface EdfUnit {
  readonly unit: ChannelUnit;
  /** Multiply physical values by this to get `unit`. */
  readonly factor: number;
  /** False when the dimension has no neurostream unit (stored unscaled as `count`). */
  readonly known: boolean;
}

const VOLTS: Record<string, number> = { nv: 1e-3, uv: 1, mv: 1e3, v: 1e6 };

export function edfUnit(dimension: string): EdfUnit {
  const d = dimension.trim().replace(/[\u00b5\u03bc]/g, 'u').toLowerCase();
  const volts = VOLTS[d];
  if (volts !== undefined) return { unit: 'uV', factor: volts, known: true };
  if (d === 'g') return { unit: 'g', factor: 1, known: true };
  if (d === 'mg') return { unit: 'g', factor: 1e-3, known: true };
  return { unit: 'count', factor: 1, known: false };
}

export type EdfTrigger = 'status' | 'trigger' | null;

const TRIGGER_WORDS = new Set(['trigger', 'triggers', 'trig', 'dtrig', 'stim', 'sti', 'status']);
const AUX_WORDS = /^(ecg|ekg|eog|emg|resp|resp\d*|sao2|spo2|pleth|pulse|hr|temp|bio|misc|dc\d*|photic|snore|light|position)$/;

function words(label: string): string[] {
  return label
    .toLowerCase()
    .split(/[\s\-_.]+/)
    .filter((w) => w !== '');
}

export function edfTrigger(label: string, bdf: boolean): EdfTrigger {
  if (bdf && label.trim().toLowerCase() === 'status') return 'status';
  return words(label).some((w) => TRIGGER_WORDS.has(w) || /^sti\d+$/.test(w)) ? 'trigger' : null;
}

export function edfChannelKind(label: string, unit: EdfUnit, trigger: EdfTrigger): ChannelKind {
  const w = words(label);
  if (unit.unit === 'g' || w.some((x) => x.startsWith('acc'))) return 'accel';
  if (trigger !== null || !unit.known || w.some((x) => AUX_WORDS.test(x))) return 'aux';
  if (w[0] === 'ecog' || w[0] === 'seeg' || w[0] === 'dbs') return 'ecog';
  return 'eeg';
}

/** Neural kinds (the stream with the most of these comes first). */
export function isNeuralKind(kind: ChannelKind): boolean {
  return kind === 'eeg' || kind === 'ecog' || kind === 'extracellular';
}
