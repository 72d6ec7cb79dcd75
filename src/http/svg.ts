import { fmt1, html, type Safe } from "./html.ts";

/** Colour for a 0-100 score: light to dark blue (readable in print and for most colour-blind readers). */
export function heatColor(v: number): string {
  const t = Math.min(1, Math.max(0, v / 100));
  const from = [247, 251, 255];
  const to = [8, 48, 107];
  const c = from.map((f, i) => Math.round(f + ((to[i] as number) - f) * t));
  return `rgb(${c.join(",")})`;
}

/**
 * Axis ticks at round numbers (steps of 1, 2 or 5 times a power of ten) covering [lo, hi], about `count` of
 * them: 0, 20, 40, 60 rather than 1, 20, 40, 59.
 */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  // Rounded to the step's own decimals so that 0.1 + 0.2 prints as 0.3.
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toFixed(decimals)));
  return out;
}

export interface IntervalItem {
  label: string;
  estimate: number;
  lo: number;
  hi: number;
  /** Highlight (tied for first, or the tier's colour band). */
  mark?: boolean;
  group?: number;
}

/** Horizontal dot-and-whisker chart: one row per item, sorted as given. */
export function intervalChart(
  items: IntervalItem[],
  opts: { title: string; unit?: string; zeroLine?: boolean } = { title: "" },
): Safe {
  const rowH = 16;
  const labelW = 230;
  const plotW = 460;
  const top = 24;
  const h = top + items.length * rowH + 24;
  const lo = Math.min(...items.map((i) => i.lo), opts.zeroLine ? 0 : Number.POSITIVE_INFINITY);
  const hi = Math.max(...items.map((i) => i.hi), opts.zeroLine ? 0 : Number.NEGATIVE_INFINITY);
  const pad = (hi - lo) * 0.05 || 1;
  // The axis runs from tick to tick, so that both ends carry a round label.
  const ticks = niceTicks(lo - pad, hi + pad, 5);
  const x0 = Math.min(lo - pad, ticks[0] ?? lo - pad);
  const x1 = Math.max(hi + pad, ticks[ticks.length - 1] ?? hi + pad);
  const x = (v: number) => labelW + ((v - x0) / (x1 - x0)) * plotW;
  const tickEls = ticks.map(
    (v) =>
      html`<line x1="${x(v)}" x2="${x(v)}" y1="${top - 4}" y2="${h - 20}" stroke="#e3e7ec"/><text x="${x(v)}" y="${h - 6}" text-anchor="middle" fill="#5b6470">${v}</text>`,
  );
  const rows = items.map((it, i) => {
    const y = top + i * rowH + rowH / 2;
    const band =
      it.group !== undefined && it.group % 2 === 0
        ? html`<rect x="0" y="${y - rowH / 2}" width="${labelW + plotW + 20}" height="${rowH}" fill="#f3f6f9"/>`
        : "";
    const label = it.label.length > 34 ? `${it.label.slice(0, 33)}…` : it.label;
    return html`${band}<text x="${labelW - 6}" y="${y + 4}" text-anchor="end">${label}</text><line x1="${x(it.lo)}" x2="${x(it.hi)}" y1="${y}" y2="${y}" stroke="${it.mark ? "#c26b00" : "#0b63c5"}" stroke-width="2"/><circle cx="${x(it.estimate)}" cy="${y}" r="3.5" fill="${it.mark ? "#c26b00" : "#0b63c5"}"><title>${it.label}: ${fmt1(it.estimate)} [${fmt1(it.lo)}, ${fmt1(it.hi)}]${opts.unit ? ` ${opts.unit}` : ""}</title></circle>`;
  });
  const zero = opts.zeroLine
    ? html`<line x1="${x(0)}" x2="${x(0)}" y1="${top - 4}" y2="${h - 20}" stroke="#8a1c14" stroke-dasharray="3 3"/>`
    : "";
  return html`<svg role="img" aria-label="${opts.title}" viewBox="0 0 ${labelW + plotW + 20} ${h}" width="${labelW + plotW + 20}" height="${h}" xmlns="http://www.w3.org/2000/svg"><title>${opts.title}</title>${tickEls}${zero}${rows}</svg>`;
}

export interface HeatRow {
  label: string;
  href: string;
  cells: Array<HeatCell | undefined>;
}

export interface HeatCell {
  estimate: number;
  lo: number;
  hi: number;
  n: number;
  /** Drawn with a red dashed border and a "!" mark: e.g. contamination was found behind this cell. */
  warn?: boolean;
  /** Extra lines for the hover text (checks behind the cell). */
  notes?: string[];
}

/** Models x categories heatmap; each cell shows its estimate and, on hover, its interval and evidence. */
export function heatmap(
  columns: string[],
  rows: HeatRow[],
  title: string,
  head?: { href: (column: string) => string; active?: string | undefined },
): Safe {
  const labelW = 300;
  // Few categories get wide cells, so that the map fills the page instead of a third of it.
  const cellW = Math.round(Math.min(150, Math.max(78, 820 / Math.max(1, columns.length))));
  const cellH = 22;
  const top = 78;
  // Room on the right for the last column's slanted header (it used to be clipped).
  const w = labelW + columns.length * cellW + 90;
  const legendTop = top + rows.length * cellH + 14;
  const h = legendTop + 40;
  const heads = columns.map((c, j) => {
    const label = html`<text transform="translate(${labelW + j * cellW + cellW / 2 - 10},${top - 8}) rotate(-30)" text-anchor="start"${c === head?.active ? html` font-weight="bold"` : ""}>${c}${c === head?.active ? " ▼" : ""}</text>`;
    return head ? html`<a href="${head.href(c)}">${label}</a>` : label;
  });
  const body = rows.map((r, i) => {
    const y = top + i * cellH;
    const label = r.label.length > 46 ? `${r.label.slice(0, 45)}…` : r.label;
    const cells = r.cells.map((c, j) => {
      const cx = labelW + j * cellW;
      if (!c)
        return html`<rect x="${cx}" y="${y}" width="${cellW - 2}" height="${cellH - 2}" fill="#fafafa" stroke="#e3e3e3"/>`;
      const notes = c.notes?.length ? `\n${c.notes.join("\n")}` : "";
      const border = c.warn ? html` stroke="#d1242f" stroke-width="2" stroke-dasharray="4 2"` : "";
      return html`<g${c.warn ? html` class="warn"` : ""}><rect x="${cx}" y="${y}" width="${cellW - 2}" height="${cellH - 2}" fill="${heatColor(c.estimate)}"${border}/><text x="${cx + cellW / 2}" y="${y + 15}" text-anchor="middle" fill="${c.estimate > 55 ? "#fff" : "#1b1f24"}">${fmt1(c.estimate)}${c.warn ? " !" : ""}${c.notes?.length && !c.warn ? " ~" : ""}</text><title>${r.label} · ${columns[j] ?? ""}: ${fmt1(c.estimate)} [${fmt1(c.lo)}, ${fmt1(c.hi)}], ${c.n} items${notes}</title></g>`;
    });
    return html`<a href="${r.href}"><text x="${labelW - 6}" y="${y + 15}" text-anchor="end" fill="#0b63c5">${label}</text></a>${cells}`;
  });
  return html`<svg role="img" aria-label="${title}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" xmlns="http://www.w3.org/2000/svg"><title>${title}</title>${heads}${body}${heatLegend(labelW, legendTop)}</svg>`;
}

/** The colour scale (0-100) and what the marks mean, under the heatmap. */
function heatLegend(x: number, y: number): Safe {
  const steps = [0, 20, 40, 60, 80, 100];
  const bw = 36;
  const swatches = steps.map(
    (v, k) =>
      html`<rect x="${x + k * bw}" y="${y}" width="${bw}" height="12" fill="${heatColor(v)}" stroke="#d8dde3"/><text x="${x + k * bw + bw / 2}" y="${y + 26}" text-anchor="middle" fill="#5b6470">${v}</text>`,
  );
  const mx = x + steps.length * bw + 24;
  return html`<g id="legend"><text x="${x - 6}" y="${y + 10}" text-anchor="end" fill="#5b6470">score (0-100)</text>${swatches}<rect x="${mx}" y="${y}" width="22" height="12" fill="${heatColor(70)}" stroke="#d1242f" stroke-width="2" stroke-dasharray="4 2"/><text x="${mx + 28}" y="${y + 10}" fill="#1b1f24">! score in doubt (contamination, prompt spread)</text><text x="${mx}" y="${y + 28}" fill="#1b1f24">~ a prompt-sensitivity report is stored</text><rect x="${mx + 250}" y="${y + 18}" width="22" height="12" fill="#fafafa" stroke="#e3e3e3"/><text x="${mx + 278}" y="${y + 28}" fill="#1b1f24">no evidence</text></g>`;
}
