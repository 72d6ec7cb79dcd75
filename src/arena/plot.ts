/**
 * Arena-style interval chart as a standalone SVG string: one row per item, a dot at the estimate and a bar
 * from lower to upper bound, rows shaded by tier. No dependencies, so the web UI can inline it as well.
 */
export interface IntervalItem {
  label: string;
  estimate: number;
  lower: number;
  upper: number;
  /** Items with the same group share a background band (e.g. tier). */
  group?: number;
}

export interface IntervalChartOptions {
  title?: string;
  xLabel?: string;
  width?: number;
  rowHeight?: number;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function niceStep(span: number): number {
  const raw = span / 8;
  const mag = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

export function intervalChartSvg(items: IntervalItem[], opts: IntervalChartOptions = {}): string {
  const width = opts.width ?? 760;
  const rowH = opts.rowHeight ?? 18;
  const labelW = Math.min(320, 12 + 7 * Math.max(4, ...items.map((i) => i.label.length)));
  const top = opts.title ? 40 : 16;
  const bottom = 44;
  const left = labelW;
  const right = 24;
  const height = top + rowH * items.length + bottom;
  const lo = Math.min(...items.map((i) => i.lower));
  const hi = Math.max(...items.map((i) => i.upper));
  const pad = (hi - lo || 1) * 0.05;
  const x0 = lo - pad;
  const x1 = hi + pad;
  const sx = (v: number) => left + ((v - x0) / (x1 - x0)) * (width - left - right);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  if (opts.title)
    parts.push(`<text x="${width / 2}" y="24" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`);
  items.forEach((it, r) => {
    if ((it.group ?? 0) % 2 === 1) return;
    parts.push(`<rect x="0" y="${top + r * rowH}" width="${width}" height="${rowH}" fill="#f1f4f9"/>`);
  });
  const step = niceStep(x1 - x0);
  for (let v = Math.ceil(x0 / step) * step; v <= x1; v += step) {
    const x = sx(v).toFixed(1);
    parts.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${top + rowH * items.length}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${x}" y="${top + rowH * items.length + 16}" text-anchor="middle" fill="#444">${Number(v.toFixed(6))}</text>`,
    );
  }
  items.forEach((it, r) => {
    const y = top + r * rowH + rowH / 2;
    const title = `${it.label}: ${it.estimate.toFixed(1)} [${it.lower.toFixed(1)}, ${it.upper.toFixed(1)}]`;
    parts.push(`<g><title>${esc(title)}</title>`);
    parts.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end">${esc(it.label)}</text>`);
    parts.push(
      `<line x1="${sx(it.lower).toFixed(1)}" y1="${y}" x2="${sx(it.upper).toFixed(1)}" y2="${y}" stroke="#1f5fbf" stroke-width="2"/>`,
    );
    parts.push(`<circle cx="${sx(it.estimate).toFixed(1)}" cy="${y}" r="3.5" fill="#c0392b"/></g>`);
  });
  if (opts.xLabel)
    parts.push(
      `<text x="${(left + width - right) / 2}" y="${height - 8}" text-anchor="middle">${esc(opts.xLabel)}</text>`,
    );
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** The interval chart of a rank report (`rank --plot` and `GET /api/rank.svg`). */
export function rankChartSvg(
  report: { models: Array<{ model: string; rating: number; ci_lower: number; ci_upper: number; tier: number }> },
  opts: { method: "bt" | "elo"; ci: number },
): string {
  return intervalChartSvg(
    report.models.map((m) => ({
      label: m.model,
      estimate: m.rating,
      lower: m.ci_lower,
      upper: m.ci_upper,
      group: m.tier,
    })),
    {
      title: `${opts.method === "bt" ? "Bradley-Terry" : "Elo"} ratings, ${opts.ci * 100}% bootstrap intervals`,
      xLabel: "rating",
    },
  );
}
