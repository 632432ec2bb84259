/**
 * What the page's panels share: the session's latest descriptions (hello, view, status), the
 * pause switch, the end-to-end tests' probe, and small DOM helpers. One `PageContext` is made by
 * main.ts (the page's wiring) and handed to every panel; panels read it and keep their own state.
 */
import type { FrameTypeName } from '../protocol/dashboard-frames.js';
import type { MarkerMessage, PageHello, StatusMessageJson, ViewMessage } from '../protocol/dashboard-messages.js';
import type { DecoderProbe } from './panels/decoder.js';
import type { MarkerLabelsProbe } from './panels/traces.js';

/** Series colours, in order. */
export const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'] as const;

/** The element with this id. */
export const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Counters for the end-to-end tests in headless Chromium (`window.__neurostream`). */
export interface PageProbe {
  frames: Partial<Record<FrameTypeName, number>>;
  redraws: Record<'traces' | 'rate' | 'intent' | 'spectrum' | 'health' | 'bandPower', number>;
  /** What the traces and spectra show (the view's display label). */
  display: string | null;
  /** The newest spectra received: `power` [channels × bins] µV²/Hz (the panel's own buffer). */
  spectrum: { binHz: number; bins: number; channels: number; power: Float32Array } | null;
  /** The newest band power received: `power` [channels × bands] µV². */
  bandPower: { bands: string[]; channels: number; power: Float32Array } | null;
  /** Panels shown (not hidden because they do not apply). */
  panels: Record<string, boolean>;
  /** What the decoder panel shows (its state line, chart labels, truth, classes and true cue); set by the panel. */
  decoder: DecoderProbe | null;
  /** The traces' marker labels as last drawn; set by the traces panel. */
  markerLabels: MarkerLabelsProbe | null;
  /** The labels beside the trace lanes (name and scale, or "flat"). */
  laneLabels: string[];
  role: string | null;
  hello: PageHello | null;
  view: ViewMessage | null;
  status: StatusMessageJson | null;
  health: Record<string, number>;
  acks: unknown[];
  errors: unknown[];
  closed: { code: number; reason: string } | null;
  markers: number;
  sequenceGaps: number;
}

/** The page's shared, read-mostly state. */
export interface PageContext {
  hello: PageHello | undefined;
  view: ViewMessage | undefined;
  status: StatusMessageJson | undefined;
  paused: boolean;
  readonly probe: PageProbe;
}

/** A display panel: frames in (`apply`), pixels out (`draw`, at most once per animation frame, only when `dirty`). */
export interface Panel<F> {
  /** Something changed since the last draw. */
  dirty: boolean;
  apply(frame: F): void;
  draw(): void;
}

export type { MarkerMessage };

export function createProbe(): PageProbe {
  return {
    frames: { traces: 0, rate: 0, intent: 0, spectrum: 0, health: 0, histogram: 0, bandPower: 0 },
    redraws: { traces: 0, rate: 0, intent: 0, spectrum: 0, health: 0, bandPower: 0 },
    display: null,
    spectrum: null,
    bandPower: null,
    panels: {},
    decoder: null,
    markerLabels: null,
    laneLabels: [],
    role: null,
    hello: null,
    view: null,
    status: null,
    health: {},
    acks: [],
    errors: [],
    closed: null,
    markers: 0,
    sequenceGaps: 0,
  };
}

export function toast(text: string, error = false): void {
  const el = $('toast');
  el.textContent = text;
  el.classList.toggle('error', error);
}

export function setBanner(kind: 'ok' | 'warn' | 'bad' | 'wait' | 'replay', text: string): void {
  const el = $('banner');
  el.className = `banner state-${kind}`;
  el.textContent = text;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** A number with `digits` decimals and a unit, or "—" when unknown (undefined or NaN). */
export function fmt(v: number | undefined, digits = 1, unit = ''): string {
  return v === undefined || v !== v ? '—' : `${v.toFixed(digits)}${unit}`;
}

/** JSON turns NaN into null: show both as "—". */
export function fmtNullable(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined ? '—' : fmt(v, digits);
}
