/**
 * EEG montages of the simulator and approximate scalp positions of 10-10 electrodes.
 *
 * Positions are on a flat grid (x: left −, right +; y: back −, front +; one unit ≈ one 10-10
 * step, about 2.5 cm on an adult head), derived from the electrode name: the letters give the row,
 * the number the column (odd = left, even = right, z = midline). Good enough to spread a source's
 * field over neighbouring electrodes; not a head model.
 */
import { InvalidOptionError } from '../../core/index.js';

/** OpenBCI's default Ultracortex positions for a Cyton (8 channels). */
export const CYTON_MONTAGE = ['Fp1', 'Fp2', 'C3', 'C4', 'P7', 'P8', 'O1', 'O2'] as const;

/** OpenBCI's default Ultracortex positions for a Cyton + Daisy (16 channels). */
export const CYTON_DAISY_MONTAGE = [
  ...CYTON_MONTAGE,
  'F7', 'F8', 'F3', 'F4', 'T7', 'T8', 'P3', 'P4',
] as const;

/** The 64 channels of the PhysioNet EEG Motor Movement/Imagery dataset, in its order. */
export const EEGMMIDB_MONTAGE = [
  'FC5', 'FC3', 'FC1', 'FCz', 'FC2', 'FC4', 'FC6', 'C5', 'C3', 'C1', 'Cz', 'C2', 'C4', 'C6',
  'CP5', 'CP3', 'CP1', 'CPz', 'CP2', 'CP4', 'CP6', 'Fp1', 'Fpz', 'Fp2', 'AF7', 'AF3', 'AFz',
  'AF4', 'AF8', 'F7', 'F5', 'F3', 'F1', 'Fz', 'F2', 'F4', 'F6', 'F8', 'FT7', 'FT8', 'T7', 'T8',
  'T9', 'T10', 'TP7', 'TP8', 'P7', 'P5', 'P3', 'P1', 'Pz', 'P2', 'P4', 'P6', 'P8', 'PO7', 'PO3',
  'POz', 'PO4', 'PO8', 'O1', 'Oz', 'O2', 'Iz',
] as const;

const ROWS: Record<string, number> = {
  FP: 4, AF: 3, F: 2, FC: 1, FT: 1, C: 0, T: 0, CP: -1, TP: -1, P: -2, PO: -3, O: -4, I: -5,
};

export interface ScalpPosition {
  readonly x: number;
  readonly y: number;
}

/** Grid position of a 10-10 electrode name such as `C3`, `FCz`, `PO8`, `T10`. */
export function electrodePosition(name: string): ScalpPosition {
  const match = /^([A-Za-z]+?)(z|Z|\d+)$/.exec(name);
  const row = match ? ROWS[match[1]!.toUpperCase()] : undefined;
  if (!match || row === undefined) {
    throw new InvalidOptionError('electrode', 'a 10-10 electrode name such as C3, FCz or PO8', name);
  }
  const col = match[2]!;
  if (col === 'z' || col === 'Z') return { x: 0, y: row };
  const n = Number(col);
  return { x: n % 2 === 1 ? -(n + 1) / 2 : n / 2, y: row };
}

/** Squared grid distance between two positions. */
export function distance2(a: ScalpPosition, b: ScalpPosition): number {
  return (a.x - b.x) ** 2 + (a.y - b.y) ** 2;
}
