/**
 * Number formats shared by the CLI, the pages and the cards, so that one p-value reads the same everywhere.
 * A p-value is never printed as `0.000000` or `0.0e+0`: a tiny one keeps its exponent, one that underflowed to
 * zero is "below" the smallest one a double holds.
 */

/** The p-value's digits: `0.032`, `4.2e-12`, `< 1e-300` (underflow), `-` (none). */
export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return "-";
  if (p <= 0) return "< 1e-300";
  if (p < 0.001) return p.toExponential(1);
  return p >= 0.9995 ? "1.000" : p.toFixed(3);
}

/** `p = 0.032`, `p = 4.2e-12`, `p < 1e-300`. */
export function pText(p: number | null | undefined): string {
  const s = formatP(p);
  return s.startsWith("<") ? `p ${s}` : `p = ${s}`;
}
