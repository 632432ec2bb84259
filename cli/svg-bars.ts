/**
 * A bar chart as a standalone SVG file (no dependencies, no fonts to embed): one bar per label,
 * optional ± error whiskers, a zero line, values printed on the bars. For the decoder report's plots.
 */

export interface Bar {
  label: string;
  value: number;
  /** Half-width of a whisker (e.g. the standard deviation over folds). */
  error?: number;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

export function barChartSvg(title: string, unit: string, bars: readonly Bar[], options: { min?: number; max?: number; digits?: number } = {}): string {
  const W = 640;
  const H = 360;
  const left = 70;
  const right = 20;
  const top = 40;
  const bottom = 80;
  const finite = bars.filter((b) => Number.isFinite(b.value));
  const hi = Math.max(options.max ?? -Infinity, ...finite.map((b) => b.value + (b.error ?? 0)), 0);
  const lo = Math.min(options.min ?? Infinity, ...finite.map((b) => b.value - (b.error ?? 0)), 0);
  const span = hi - lo || 1;
  const y = (v: number): number => top + ((hi - v) / span) * (H - top - bottom);
  const slot = (W - left - right) / Math.max(1, bars.length);
  const digits = options.digits ?? 3;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="16" y="${(top + H - bottom) / 2}" transform="rotate(-90 16 ${(top + H - bottom) / 2})" text-anchor="middle">${escapeXml(unit)}</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = lo + (span * k) / 4;
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(Math.abs(span) < 10 ? 2 : 0)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(0).toFixed(1)}" y2="${y(0).toFixed(1)}" stroke="#333"/>`);
  bars.forEach((b, i) => {
    const x = left + i * slot + slot * 0.15;
    const w = slot * 0.7;
    const cx = x + w / 2;
    if (Number.isFinite(b.value)) {
      const y0 = y(Math.max(0, b.value));
      const h = Math.abs(y(b.value) - y(0));
      parts.push(`<rect x="${x.toFixed(1)}" y="${y0.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="#1f77b4"/>`);
      if (b.error !== undefined && Number.isFinite(b.error)) {
        parts.push(`<line x1="${cx.toFixed(1)}" x2="${cx.toFixed(1)}" y1="${y(b.value + b.error).toFixed(1)}" y2="${y(b.value - b.error).toFixed(1)}" stroke="#333" stroke-width="1.5"/>`);
      }
      parts.push(`<text x="${cx.toFixed(1)}" y="${(y(Math.max(b.value, 0) + (b.error ?? 0)) - 6).toFixed(1)}" text-anchor="middle">${b.value.toFixed(digits)}</text>`);
    } else {
      parts.push(`<text x="${cx.toFixed(1)}" y="${(y(0) - 6).toFixed(1)}" text-anchor="middle">n/a</text>`);
    }
    parts.push(`<text x="${cx.toFixed(1)}" y="${H - bottom + 18}" text-anchor="middle">${escapeXml(b.label.length > 24 ? `${b.label.slice(0, 23)}…` : b.label)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
