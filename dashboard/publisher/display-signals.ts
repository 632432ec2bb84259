/**
 * What a page can choose to see of the signal (its display): the raw blocks, the session's
 * filtered blocks (the processing chain's output, `pushFiltered`), or a display filter of the raw
 * blocks (a band-pass preset and/or a mains notch, made here with acquisition's Butterworth and
 * notch kernels). Each display in use keeps its own min/max ring and spectra; pages that choose
 * the same display share them (and its filter state). A display filter runs on a copy of the raw
 * samples and never touches what is recorded or decoded. A display no page uses is dropped.
 *
 * The default display of a page: the session's filtered signal when the session has one, the
 * spike band (300–6000 Hz) for an extracellular stream without it, else the raw signal.
 */
import type { SampleBlock } from '../../core/sample-block.js';
import { channelCount, type StreamInfo } from '../../core/stream-info.js';
import { InvalidDataError } from '../../core/errors.js';
import { designButterworth, type Sos } from '../../acquisition/filters/butterworth.js';
import { cascade, designMainsNotch } from '../../acquisition/filters/notch.js';
import { createSosState, sosFilter } from '../../acquisition/filters/sos-filter.js';
import { MinMaxDecimator } from '../kernels/min-max-decimator.js';
import { SpectrumMonitor } from '../kernels/spectrum-monitor.js';
import type { DisplayChoice, DisplayOffer } from '../protocol/dashboard-messages.js';

/** Band-pass presets offered for EEG (Hz), as in OpenBCI GUI. */
export const EEG_BAND_PRESETS_HZ: readonly (readonly [number, number])[] = [
  [1, 50],
  [5, 50],
  [7, 13],
  [15, 50],
];
/** The spike band a page sees of an extracellular stream without the session's chain (Hz): wider than the chain's (acquisition's SPIKE_BAND_HZ, 300–3000 Hz), as spike-sorting displays show it. */
export const SPIKE_DISPLAY_BAND_HZ: readonly [number, number] = [300, 6000];
/** The local-field-potential band for extracellular streams (Hz). */
export const LFP_BAND_HZ: readonly [number, number] = [1, 300];
/** Mains notches offered (Hz). */
export const NOTCH_CHOICES_HZ = [50, 60] as const;
/** Band-pass order of a display filter (as the session's chains). */
const DISPLAY_FILTER_ORDER = 4;
/** Displays kept at once across all pages (each holds a trace ring and spectra). */
export const MAX_DISPLAYS = 6;

/** Spectra shown up to this frequency: EEG ≤ 100 Hz, extracellular ≤ 7.5 kHz. */
export function spectrumMaxHz(info: StreamInfo): number {
  return Math.min(info.sampleRateHz / 2, isExtracellular(info) ? 7500 : 100);
}

export function isExtracellular(info: StreamInfo): boolean {
  return info.channelKinds.includes('extracellular');
}

/** One display in use: its rings, its filter (display filters only), and how many pages use it. */
export interface DisplaySignal {
  readonly key: string;
  /** What the page says is shown, e.g. "filtered 1–40 Hz, notch 60 Hz", "raw". */
  readonly label: string;
  readonly base: MinMaxDecimator;
  readonly spectrum: SpectrumMonitor;
  /** Pages using it (a display filter at 0 is dropped; raw and the session's display are kept). */
  users: number;
  readonly filter?: { sos: Sos; state: Float64Array; out: Float32Array };
}

function hz(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** The key and label of a display filter, or undefined when it is none at all (raw). */
function filterName(bandHz: readonly [number, number] | null, notchHz: number | null): { key: string; label: string } | undefined {
  if (!bandHz && !notchHz) return undefined;
  const parts: string[] = [];
  if (bandHz) parts.push(`${hz(bandHz[0])}–${hz(bandHz[1])} Hz`);
  if (notchHz) parts.push(`notch ${notchHz} Hz`);
  const name = bandHz?.[0] === SPIKE_DISPLAY_BAND_HZ[0] ? 'spike band' : bandHz?.[0] === LFP_BAND_HZ[0] && bandHz[1] === LFP_BAND_HZ[1] ? 'LFP band' : 'filtered';
  return { key: `filter:${bandHz ? bandHz.join('-') : 'none'}:${notchHz ?? 'none'}`, label: `${name} ${parts.join(', ')} (display filter)` };
}

/** Checks a view's `display` field (absent: the default). Throws InvalidDataError naming the field. */
export function parseDisplayChoice(value: unknown, sampleRateHz: number): DisplayChoice {
  if (value === undefined || value === 'default') return 'default';
  if (value === 'session' || value === 'raw') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    const band = v['bandHz'] ?? null;
    const notch = v['notchHz'] ?? null;
    const nyquist = sampleRateHz / 2;
    if (band !== null) {
      if (!Array.isArray(band) || band.length !== 2 || typeof band[0] !== 'number' || typeof band[1] !== 'number' || !(band[0] > 0 && band[1] > band[0] && band[0] < nyquist)) {
        throw new InvalidDataError('view.display.bandHz', `[low, high] Hz with 0 < low < high and low below Nyquist (${nyquist} Hz), or null`, band);
      }
    }
    if (notch !== null && !(NOTCH_CHOICES_HZ as readonly unknown[]).includes(notch)) {
      throw new InvalidDataError('view.display.notchHz', `one of ${NOTCH_CHOICES_HZ.join(', ')} or null`, notch);
    }
    return { bandHz: band === null ? null : [band[0] as number, band[1] as number], notchHz: notch as 50 | 60 | null };
  }
  throw new InvalidDataError('view.display', '"default", "session", "raw" or { bandHz: [low, high] | null, notchHz: 50 | 60 | null }', value);
}

export class DisplaySignals {
  readonly raw: DisplaySignal;
  private session: DisplaySignal | undefined;
  private readonly filters = new Map<string, DisplaySignal>();
  private readonly channels: number;
  /** Increases when what a choice resolves to may have changed (the session's filter appeared). */
  generation = 0;

  constructor(
    readonly info: StreamInfo,
    private readonly ringColumns: number,
    private readonly windowS: number,
  ) {
    this.channels = channelCount(info);
    this.raw = this.create('raw', 'raw');
  }

  /** The session's filtered display, once the session has pushed filtered blocks. */
  get sessionSignal(): DisplaySignal | undefined {
    return this.session;
  }

  /** What the pages are offered (the hello's `display`). */
  offer(): DisplayOffer {
    const extracellular = isExtracellular(this.info);
    const nyquist = this.info.sampleRateHz / 2;
    const bands = extracellular ? [SPIKE_DISPLAY_BAND_HZ, LFP_BAND_HZ] : EEG_BAND_PRESETS_HZ;
    return {
      signal: extracellular ? 'intracortical' : 'eeg',
      session: this.session?.label ?? null,
      bandPresetsHz: bands.filter((b) => b[0] < nyquist).map((b) => [b[0], Math.min(b[1], nyquist)] as [number, number]),
      notchHz: [...NOTCH_CHOICES_HZ],
    };
  }

  /** The raw block: the raw display and every display filter in use. */
  pushRaw(block: SampleBlock): void {
    push(this.raw, block.data, block.length, block.first);
    for (const d of this.filters.values()) {
      const f = d.filter!;
      const n = this.channels * block.length;
      if (f.out.length < n) f.out = new Float32Array(n);
      const out = f.out;
      sosFilter(f.sos, f.state, block.data, out, this.channels, block.length);
      push(d, out, block.length, block.first);
    }
  }

  /** The session's filtered block (the first one creates the session display); returns true on the first. */
  pushSession(block: SampleBlock, label: string): boolean {
    if (block.data.length < this.channels * block.length) {
      throw new InvalidDataError('filtered SampleBlock.data', `${this.channels} channels × ${block.length} samples`, block.data.length);
    }
    const first = !this.session;
    this.session ??= this.create('session', label);
    if (first) this.generation++;
    push(this.session, block.data, block.length, block.first);
    return first;
  }

  /**
   * Whether the session's filtered blocks are wanted now: before the first one (it creates the
   * display the pages are offered) and while some page shows it. A session may skip making them
   * otherwise; the display's ring then has a gap (empty columns) where it skipped.
   */
  sessionWanted(): boolean {
    return !this.session || this.session.users > 0;
  }

  /** The key a page's choice resolves to now (the default follows the session's filter once it exists). */
  resolve(choice: DisplayChoice): { key: string; label: string } {
    if (choice === 'raw') return { key: 'raw', label: 'raw' };
    if (choice === 'session') return this.session ? { key: 'session', label: this.session.label } : { key: 'raw', label: 'raw (this session does not filter)' };
    if (choice === 'default') {
      if (this.session) return { key: 'session', label: this.session.label };
      if (isExtracellular(this.info)) return filterName(this.clampBand(SPIKE_DISPLAY_BAND_HZ), null)!;
      return { key: 'raw', label: 'raw' };
    }
    return filterName(choice.bandHz && this.clampBand(choice.bandHz), choice.notchHz) ?? { key: 'raw', label: 'raw' };
  }

  /** Takes a display for one more page (creating a display filter when none serves it yet); throws when too many displays are in use. */
  acquire(choice: DisplayChoice): DisplaySignal {
    const { key, label } = this.resolve(choice);
    let d: DisplaySignal | undefined = key === 'raw' ? this.raw : key === 'session' ? this.session : undefined;
    if (d) {
      d.users++;
      return d;
    }
    d = this.filters.get(key);
    if (!d) {
      if (this.filters.size >= MAX_DISPLAYS) {
        throw new InvalidDataError('view.display', `one of the ${MAX_DISPLAYS} display filters already in use by other pages (or raw / the session's filter)`, label);
      }
      const spec = choice === 'default' ? { bandHz: this.clampBand(SPIKE_DISPLAY_BAND_HZ), notchHz: null } : (choice as Exclude<DisplayChoice, string>);
      d = this.create(key, label, this.design(spec.bandHz && this.clampBand(spec.bandHz), spec.notchHz));
      this.filters.set(key, d);
    }
    d.users++;
    return d;
  }

  /** A page stopped using a display (a display filter no page uses is dropped). */
  release(d: DisplaySignal): void {
    d.users--;
    if (d.filter && d.users <= 0) this.filters.delete(d.key);
  }

  /** Every display in use (for the spectra's refresh). */
  all(): DisplaySignal[] {
    const list = [this.raw, ...this.filters.values()];
    if (this.session) list.push(this.session);
    return list;
  }

  private clampBand(band: readonly [number, number]): readonly [number, number] {
    const nyquist = this.info.sampleRateHz / 2;
    return band[1] >= nyquist * 0.95 ? [band[0], nyquist * 0.95] : band;
  }

  private design(bandHz: readonly [number, number] | null, notchHz: number | null): Sos {
    const fs = this.info.sampleRateHz;
    const parts: Sos[] = [];
    if (bandHz) parts.push(designButterworth({ type: 'bandpass', order: DISPLAY_FILTER_ORDER, cutoffHz: bandHz, sampleRateHz: fs }));
    if (notchHz && notchHz < fs / 2) parts.push(designMainsNotch(notchHz, fs, { harmonics: 3 }));
    return cascade(...parts);
  }

  private create(key: string, label: string, sos?: Sos): DisplaySignal {
    const info = this.info;
    return {
      key,
      label,
      base: new MinMaxDecimator({ channels: this.channels, sampleRateHz: info.sampleRateHz, windowSeconds: this.windowS, columns: this.ringColumns }),
      spectrum: new SpectrumMonitor({ channels: this.channels, sampleRateHz: info.sampleRateHz, maxHz: spectrumMaxHz(info) }),
      users: 0,
      ...(sos ? { filter: { sos, state: createSosState(sos, this.channels), out: new Float32Array(0) } } : {}),
    };
  }
}

function push(d: DisplaySignal, data: Float32Array, length: number, first: number): void {
  d.base.push(data, length, first);
  d.spectrum.push(data, length);
}
