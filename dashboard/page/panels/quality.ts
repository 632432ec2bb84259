/**
 * Signal quality on the page: a chip per neural channel under the health tiles (railed, flat,
 * line noise, ok — from the status message's `quality`), the last measured impedances, and the
 * badges the traces panel paints beside each channel that is not ok.
 */
import type uPlot from 'uplot';
import type { DashboardImpedanceStatus, DashboardQualityStatus } from '../../protocol/dashboard-messages.js';
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

const escape = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The badges of the channels that are not ok, by channel name. */
export function qualityBadges(quality: DashboardQualityStatus | undefined): Map<string, ChannelBadge> {
  const badges = new Map<string, ChannelBadge>();
  for (const q of quality?.channels ?? []) if (q.status !== 'ok') badges.set(q.channel, LOOK[q.status]!);
  return badges;
}

/** Fills `#quality` with a chip per channel and `#impedance` with the last impedances. */
export function renderQuality(quality: DashboardQualityStatus | undefined, impedance: DashboardImpedanceStatus | undefined): void {
  const el = $('quality');
  if (!el) return;
  el.innerHTML = quality
    ? `<h3>Signal quality <small>1 s windows; line noise = ${quality.mainsHz} Hz vs 1–40 Hz</small></h3>` +
      quality.channels
        .map((q) => {
          const look = LOOK[q.status]!;
          const db = q.lineNoiseDb === null ? '' : ` · mains ${q.lineNoiseDb.toFixed(0)} dB`;
          return `<span class="chip" data-channel="${escape(q.channel)}" data-status="${q.status}" style="border-color:${look.color};color:${look.color}">${escape(q.channel)} ${look.text}${db}</span>`;
        })
        .join(' ')
    : '';
  const z = $('impedance');
  if (!z) return;
  z.innerHTML = impedance
    ? `<h3>Impedance <small>measured ${escape(impedance.measuredAt)}</small></h3>` +
      impedance.channels.map((c) => `<span class="chip" data-channel="${escape(c.channel)}">${escape(c.channel)} ${c.impedanceKohm.toFixed(1)} kΩ</span>`).join(' ')
    : '';
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
