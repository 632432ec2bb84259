/** Names, units and layout NWB export and import share. */
import type { ChannelUnit } from '../../core/index.js';

/** The NWB schema version written (pynwb 2.3.1's core namespace). */
export const NWB_VERSION = '2.6.0';

/** Volts per unit of each voltage unit; other units are not voltages. */
export const VOLTS_PER_UNIT: Partial<Record<ChannelUnit, number>> = { uV: 1e-6, mV: 1e-3, V: 1 };

/** Where things go in the file. */
export const NWB_PATHS = {
  devices: 'general/devices',
  ecephys: 'general/extracellular_ephys',
  electrodes: 'general/extracellular_ephys/electrodes',
  markers: 'intervals/markers',
  trials: 'intervals/trials',
  features: 'processing/ecephys',
  behavior: 'processing/behavior',
} as const;

/** The prefix of neurostream's comments on a series: a JSON object follows. */
export const COMMENTS_PREFIX = 'neurostream: ';

/** Feature-name prefixes (`tc:ch01`) and the NWB TimeSeries they go to. */
export const FEATURE_SERIES: Record<string, { name: string; unit: string; description: string }> = {
  tc: { name: 'threshold_crossings', unit: 'count', description: 'threshold-crossing counts per channel and bin (columns: the channels, in the comments)' },
  sbp: { name: 'spike_band_power', unit: 'uV^2', description: 'spike-band power per channel and bin, mean square of the band-passed signal (columns: the channels, in the comments)' },
};

/** An HDF5 object name from any text: no `/`, nothing but word characters, dots and dashes. */
export function nwbName(text: string, fallback: string): string {
  const name = text.replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '');
  return name === '' ? fallback : name;
}
