/**
 * Signal quality on the page: a chip per neural channel under the health tiles (railed, flat,
 * line noise, ok — from the status message's `quality`), the impedance panel (the last measured
 * impedances coloured by the OpenBCI GUI's thresholds, a measurement's progress, and the
 * operator's "Measure impedance" button where the device can measure), and the badges the traces
 * panel paints beside each channel that is not ok — or whose lead-off current is on: its
 * 31.25 Hz tone is the measurement, not the signal's quality.
 */
import type uPlot from 'uplot';
import type { DashboardImpedanceStatus, DashboardQualityStatus } from '../../protocol/dashboard-messages.js';
import { displayChannelName } from '../../../core/channel-names.js';
import { $ } from '../page-context.js';

/** A badge beside a trace: its text and colour. */
export interface ChannelBadge {
  text: string;
  color: string;
}

const LOOK: Record<string, { text: string; color: string }> = {
  railed: { text: 'RAILED', color: '#b3261e' },
  flat: { text: 'FLAT', color: '#5f6368' },
  'line-noise': { text: 'LINE NOISE', color: '#b06000' },
  ok: { text: 'ok', color: '#188038' },
};

/** The channel whose lead-off current is on: its chip and badge say so instead of a quality verdict. */
const MEASURING = { text: 'MEASURING IMPEDANCE', color: '#1a73e8' };

/**
 * Impedance colours, the OpenBCI GUI's Cyton impedance widget defaults: green up to 750 kΩ,
 * yellow up to 2500 kΩ, red above (its "warning" and "error" thresholds, generous for dry
 * electrodes; gel electrodes are usually prepared to well under 10 kΩ).
 */
export const IMPEDANCE_GREEN_MAX_KOHM = 750;
export const IMPEDANCE_YELLOW_MAX_KOHM = 2500;

/** The colour of an impedance, by the thresholds above. */
export function impedanceLook(kohm: number): { level: 'good' | 'fair' | 'poor'; color: string } {
  if (kohm <= IMPEDANCE_GREEN_MAX_KOHM) return { level: 'good', color: '#188038' };
  if (kohm <= IMPEDANCE_YELLOW_MAX_KOHM) return { level: 'fair', color: '#b06000' };
  return { level: 'poor', color: '#b3261e' };
}

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The badges of the channels that are not ok (or are being measured), by channel name. */
export function qualityBadges(quality: DashboardQualityStatus | undefined, impedance?: DashboardImpedanceStatus): Map<string, ChannelBadge> {
  const badges = new Map<string, ChannelBadge>();
  // By the name the traces show (normalised: `Fc5.` → `FC5`).
  for (const q of quality?.channels ?? []) if (q.status !== 'ok') badges.set(displayChannelName(q.channel), LOOK[q.status]!);
  if (impedance?.measuring) badges.set(displayChannelName(impedance.measuring.channel), MEASURING);
  return badges;
}

/** Fills `#quality` with a chip per channel and `#impedance` with the last impedances. */
export function renderQuality(quality: DashboardQualityStatus | undefined, impedance: DashboardImpedanceStatus | undefined): void {
  const el = $('quality');
  if (!el) return;
  const measuring = impedance?.measuring?.channel;
  el.innerHTML = quality
    ? `<h3>Signal quality <small>1 s windows; line noise = ${quality.mainsHz} Hz vs 1–40 Hz</small></h3>` +
      quality.channels
        .map((q) => {
          if (q.channel === measuring) {
            return `<span class="chip" data-channel="${escape(q.channel)}" data-status="measuring" style="border-color:${MEASURING.color};color:${MEASURING.color}">${escape(displayChannelName(q.channel))} measuring impedance</span>`;
          }
          const look = LOOK[q.status]!;
          const db = q.lineNoiseDb === null ? '' : ` · mains ${q.lineNoiseDb.toFixed(0)} dB`;
          return `<span class="chip" data-channel="${escape(q.channel)}" data-status="${q.status}" style="border-color:${look.color};color:${look.color}">${escape(displayChannelName(q.channel))} ${look.text}${db}</span>`;
        })
        .join(' ')
    : '';
  const z = $('impedance');
  if (!z) return;
  z.innerHTML = impedance ? impedanceHtml(impedance) : '';
}

/** The impedance panel: title, the operator's button, progress, values, the last error. */
function impedanceHtml(impedance: DashboardImpedanceStatus): string {
  const m = impedance.measuring;
  const when = impedance.measuredAt ? `measured ${escape(new Date(impedance.measuredAt).toLocaleTimeString())}` : 'not measured yet';
  const button = `<button id="measure-impedance" class="operator-only"${m ? ' disabled' : ''}>Measure impedance</button>`;
  const progress = m
    ? `<div id="impedance-progress" role="status">Measuring impedance: ${escape(displayChannelName(m.channel))} (${m.index + 1} of ${m.of}) <progress max="${m.of}" value="${m.index}"></progress></div>`
    : '';
  const error = impedance.error ? `<div class="impedance-error" role="alert">Last measurement stopped: ${escape(impedance.error)}</div>` : '';
  const chips = impedance.channels
    .map((c) => {
      const look = impedanceLook(c.impedanceKohm);
      return `<span class="chip" data-channel="${escape(c.channel)}" data-kohm="${c.impedanceKohm}" data-level="${look.level}" style="border-color:${look.color};color:${look.color}">${escape(displayChannelName(c.channel))} ${c.impedanceKohm.toFixed(1)} kΩ</span>`;
    })
    .join(' ');
  const legend = `<small class="impedance-legend">green ≤ ${IMPEDANCE_GREEN_MAX_KOHM} kΩ, yellow ≤ ${IMPEDANCE_YELLOW_MAX_KOHM} kΩ, red above (OpenBCI GUI)</small>`;
  return `<h3>Impedance <small>${when}</small> ${button}</h3>${progress}${error}${chips ? `<div>${chips}</div>${legend}` : ''}`;
}

/** Paints each badge at the left of its trace (`offsets[r]` is row r's y value). */
export function paintBadges(u: uPlot, names: readonly string[], offsets: readonly number[], badges: ReadonlyMap<string, ChannelBadge>): void {
  if (badges.size === 0) return;
  const ctx = u.ctx;
  const px = devicePixelRatio;
  ctx.save();
  ctx.font = `bold ${11 * px}px system-ui`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  names.forEach((name, r) => {
    const badge = badges.get(name);
    if (!badge) return;
    const y = u.valToPos(offsets[r]!, 'y', true);
    const w = ctx.measureText(badge.text).width + 8 * px;
    const x = u.bbox.left + 4 * px;
    ctx.fillStyle = badge.color;
    ctx.fillRect(x, y - 8 * px, w, 16 * px);
    ctx.fillStyle = '#fff';
    ctx.fillText(badge.text, x + 4 * px, y);
  });
  ctx.restore();
}
