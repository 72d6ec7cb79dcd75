import type { CapCell, CapEvidence, CapModel } from "../store/capmap.ts";
import type { Store } from "../store/store.ts";
import { seFromInterval, Z95 } from "./scale.ts";
import { requireModel } from "./service.ts";

export interface SharedMetric {
  source: string;
  metric: string;
  a: number;
  b: number;
  diff: number;
  lo: number;
  hi: number;
  /** True when per-item scores on the same items were differenced; false for aggregate scores. */
  paired: boolean;
}

export interface CategoryComparison {
  category: string;
  a: CapCell | undefined;
  b: CapCell | undefined;
  /** `shared`: the mean difference over metrics both models were measured on; `cells`: the two cells. */
  basis: "shared" | "cells" | "missing";
  diff: number | undefined;
  lo: number | undefined;
  hi: number | undefined;
  paired: boolean;
  verdict: "a" | "b" | "tie" | "missing";
  shared: SharedMetric[];
}

export interface ModelComparison {
  a: CapModel;
  b: CapModel;
  categories: CategoryComparison[];
}

/**
 * A difference of paired per-item scores (same items, same order of ids): mean difference with the standard
 * error of the per-item differences, which removes the item difficulty both models share.
 */
export function pairedDifference(
  a: Map<string, number>,
  b: Map<string, number>,
): { diff: number; se: number; n: number } {
  const d: number[] = [];
  for (const [item, x] of a) {
    const y = b.get(item);
    if (y !== undefined) d.push(x - y);
  }
  const n = d.length;
  if (n === 0) return { diff: 0, se: Number.POSITIVE_INFINITY, n: 0 };
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const v = n > 1 ? d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  return { diff: mean, se: Math.sqrt(v / n), n };
}

/** Per-item scores on the common 0-100 scale (keyed by item id) of one model on one metric of one source, where a source keeps them. */
export type ItemScores = (modelId: string, source: string, metric: string) => Promise<Map<string, number> | undefined>;

async function sharedMetrics(ea: CapEvidence[], eb: CapEvidence[], items?: ItemScores): Promise<SharedMetric[]> {
  const byKey = new Map(eb.map((e) => [`${e.source}\u0000${e.metric}`, e]));
  const out: SharedMetric[] = [];
  for (const x of ea) {
    const y = byKey.get(`${x.source}\u0000${x.metric}`);
    if (!y) continue;
    const ia = await items?.(x.modelId, x.source, x.metric);
    const ib = await items?.(y.modelId, y.source, y.metric);
    if (ia && ib) {
      // Per-item scores are already on the common scale, so the paired standard error applies directly.
      const p = pairedDifference(ia, ib);
      if (p.n >= 2) {
        const diff = x.scaled - y.scaled;
        const half = Z95 * p.se;
        out.push({
          source: x.source,
          metric: x.metric,
          a: x.scaled,
          b: y.scaled,
          diff,
          lo: diff - half,
          hi: diff + half,
          paired: true,
        });
        continue;
      }
    }
    const se = Math.sqrt(seFromInterval(x.scaledLo, x.scaledHi) ** 2 + seFromInterval(y.scaledLo, y.scaledHi) ** 2);
    const diff = x.scaled - y.scaled;
    out.push({
      source: x.source,
      metric: x.metric,
      a: x.scaled,
      b: y.scaled,
      diff,
      lo: diff - Z95 * se,
      hi: diff + Z95 * se,
      paired: false,
    });
  }
  return out;
}

/**
 * Per-category differences A - B on the common scale with 95% intervals. Where both models were measured on
 * the same metrics, only those are compared (like with like); otherwise the two cells are.
 */
export async function compareModels(
  store: Store,
  idA: string,
  idB: string,
  items?: ItemScores,
): Promise<ModelComparison> {
  const a = await requireModel(store, idA);
  const b = await requireModel(store, idB);
  const cellsA = new Map((await store.capmap.cells({ modelIds: [a.id] })).map((c) => [c.category, c]));
  const cellsB = new Map((await store.capmap.cells({ modelIds: [b.id] })).map((c) => [c.category, c]));
  const evA = await store.capmap.evidence({ modelId: a.id });
  const evB = await store.capmap.evidence({ modelId: b.id });
  const cats = [...new Set([...cellsA.keys(), ...cellsB.keys()])].sort();
  const categories: CategoryComparison[] = [];
  for (const category of cats) {
    const ca = cellsA.get(category);
    const cb = cellsB.get(category);
    const shared = await sharedMetrics(
      evA.filter((e) => e.category === category),
      evB.filter((e) => e.category === category),
      items,
    );
    let diff: number | undefined;
    let se: number | undefined;
    let basis: CategoryComparison["basis"] = "missing";
    if (shared.length > 0) {
      basis = "shared";
      diff = shared.reduce((s, m) => s + m.diff, 0) / shared.length;
      se = Math.sqrt(shared.reduce((s, m) => s + seFromInterval(m.lo, m.hi) ** 2, 0)) / shared.length;
    } else if (ca && cb) {
      basis = "cells";
      diff = ca.estimate - cb.estimate;
      se = Math.sqrt(seFromInterval(ca.lo, ca.hi) ** 2 + seFromInterval(cb.lo, cb.hi) ** 2);
    }
    const lo = diff === undefined || se === undefined ? undefined : diff - Z95 * se;
    const hi = diff === undefined || se === undefined ? undefined : diff + Z95 * se;
    const verdict = lo === undefined || hi === undefined ? "missing" : lo > 0 ? "a" : hi < 0 ? "b" : "tie";
    categories.push({
      category,
      a: ca,
      b: cb,
      basis,
      diff,
      lo,
      hi,
      paired: shared.length > 0 && shared.every((m) => m.paired),
      verdict,
      shared,
    });
  }
  return { a, b, categories };
}
