import { collect } from "../core/iter.ts";
import type { CapCell, CapEvidence } from "../store/capmap.ts";
import type { Store } from "../store/store.ts";
import { clamp100, seFromInterval, Z95 } from "./scale.ts";

/**
 * Combines the evidence of one model in one category into a cell. Every piece counts equally (a benchmark,
 * a rating, a judge score); the interval propagates each piece's own 95% interval as independent errors:
 * se = sqrt(sum se_i^2) / k. It reflects measurement noise, not disagreement between benchmarks; the spread
 * between pieces is shown next to the cell on the model page.
 *
 * With `weight` (src/meta: evidence weighted by its measured agreement with a reference) the mean is
 * sum w_i x_i / sum w_i and se = sqrt(sum w_i^2 se_i^2) / sum w_i; weights of 1 give the plain cell exactly.
 * Pieces of weight 0 are left out; the caller must leave at least one with a positive weight.
 */
export function combineCell(all: CapEvidence[], weight: (e: CapEvidence) => number = () => 1): CapCell {
  const evidence = dedupe(all).filter((e) => weight(e) > 0);
  const first = evidence[0];
  if (!first) throw new Error("combineCell needs at least one piece of evidence with a positive weight");
  const k = evidence.length;
  const wsum = evidence.reduce((a, e) => a + weight(e), 0);
  const estimate = evidence.reduce((a, e) => a + weight(e) * e.scaled, 0) / wsum;
  const varSum = evidence.reduce((a, e) => a + (weight(e) * seFromInterval(e.scaledLo, e.scaledHi)) ** 2, 0);
  const se = Math.sqrt(varSum) / wsum;
  return {
    modelId: first.modelId,
    category: first.category,
    estimate,
    lo: clamp100(estimate - Z95 * se),
    hi: clamp100(estimate + Z95 * se),
    n: evidence.reduce((a, e) => a + (e.n ?? 0), 0),
    evidence: k,
    sources: [...new Set(evidence.map((e) => e.source))].sort(),
  };
}

/**
 * Some public tables republish the same measurement (a subset file of another, a merged table): the same metric
 * with the same value for the same model counts once, or it would narrow the interval for nothing.
 */
function dedupe(evidence: CapEvidence[]): CapEvidence[] {
  const seen = new Set<string>();
  return evidence.filter((e) => {
    const key = `${e.metric}\u0000${e.value.toPrecision(10)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Groups evidence (sorted or not) by model and category and combines each group. */
export function buildCells(evidence: Iterable<CapEvidence>): CapCell[] {
  const groups = new Map<string, CapEvidence[]>();
  for (const e of evidence) {
    const key = `${e.modelId}\u0000${e.category}`;
    const g = groups.get(key);
    if (g) g.push(e);
    else groups.set(key, [e]);
  }
  return [...groups.values()].map((g) => combineCell(g));
}

/** Recomputes every cell of the map from the stored evidence. */
export async function rebuildMap(store: Store): Promise<number> {
  const cells = buildCells(await collect(store.capmap.iterateEvidence()));
  await store.capmap.replaceCells(cells);
  return cells.length;
}
