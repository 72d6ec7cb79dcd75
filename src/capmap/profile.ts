import type { CapCell, CapEvidence, CapModel } from "../store/capmap.ts";
import type { Store } from "../store/store.ts";
import { requireModel, toCell } from "./service.ts";
import { snapshot } from "./snapshot.ts";

export interface CategoryProfile {
  cell: CapCell;
  /** Models of similar size with a cell in this category (including this one). */
  peers: number;
  /** Share of peers with a lower estimate, in percent. */
  percentile: number;
  /** Peers whose lower bound is above this model's upper bound: surely better. */
  surelyBetter: number;
  verdict: "strength" | "weakness" | "typical";
  evidence: CapEvidence[];
  /** Spread between the pieces of evidence (max - min of their scaled values). */
  spread: number;
}

export interface ModelProfile {
  model: CapModel;
  /** The size band peers were drawn from, in billions of parameters; undefined when the size is unknown. */
  sizeBand: { min: number; max: number } | undefined;
  categories: CategoryProfile[];
  strengths: string[];
  weaknesses: string[];
}

/** Peers are models within a factor of two in parameter count. */
export function sizeBand(paramsB: number | undefined): { min: number; max: number } | undefined {
  if (paramsB === undefined || paramsB <= 0) return undefined;
  return { min: paramsB / 2, max: paramsB * 2 };
}

/**
 * Strengths and weaknesses by category relative to models of similar size: a category is a strength when the
 * model beats at least 75% of its peers there, a weakness when it beats at most 25%.
 */
export async function modelProfile(store: Store, idOrAlias: string): Promise<ModelProfile> {
  const model = await requireModel(store, idOrAlias);
  const band = sizeBand(model.paramsB);
  const snap = await snapshot(store);
  const cells = snap.byModel.get(model.id) ?? [];
  const evidence = await store.capmap.evidence({ modelId: model.id });
  const inBand = (m: CapModel) =>
    band === undefined || (m.paramsB !== undefined && m.paramsB >= band.min && m.paramsB <= band.max);
  const categories = cells
    .map((lite): CategoryProfile => {
      const cell = toCell(lite);
      // One pass over the category (no intermediate arrays): this runs for every category on every model page.
      let peerCount = 0;
      let below = 0;
      let surelyBetter = 0;
      for (const c of snap.byCategory.get(cell.category) ?? []) {
        if (!inBand(c.model)) continue;
        peerCount++;
        if (c.estimate < cell.estimate) below++;
        if (c.lo > cell.hi) surelyBetter++;
      }
      const peers = Math.max(1, peerCount);
      const percentile = peers > 1 ? (100 * below) / (peers - 1) : 50;
      const ev = evidence.filter((e) => e.category === cell.category);
      const scaled = ev.map((e) => e.scaled);
      return {
        cell,
        peers,
        percentile: Math.min(100, percentile),
        surelyBetter,
        verdict: peers < 5 ? "typical" : percentile >= 75 ? "strength" : percentile <= 25 ? "weakness" : "typical",
        evidence: ev,
        spread: scaled.length ? Math.max(...scaled) - Math.min(...scaled) : 0,
      };
    })
    .sort((x, y) => y.percentile - x.percentile || (x.cell.category < y.cell.category ? -1 : 1));
  return {
    model,
    sizeBand: band,
    categories,
    strengths: categories.filter((c) => c.verdict === "strength").map((c) => c.cell.category),
    weaknesses: categories.filter((c) => c.verdict === "weakness").map((c) => c.cell.category),
  };
}
