import type { CapCell, CapEvidence, CapModel } from "../store/capmap.ts";
import type { Store } from "../store/store.ts";
import { requireModel, toCell } from "./service.ts";
import { snapshot } from "./snapshot.ts";
import { checksByCategory, demotionReasons } from "./trust.ts";

export interface CategoryProfile {
  cell: CapCell;
  /** Models of similar size with a cell in this category (including this one). */
  peers: number;
  /** Share of peers with a lower estimate, in percent. */
  percentile: number;
  /** Peers whose lower bound is above this model's upper bound: surely better. */
  surelyBetter: number;
  /**
   * "flagged": a stored check says the score may not measure the skill (capmap/trust.ts); it is never a
   * strength, whatever its percentile. "typical" with fewer than `MIN_PEERS` peers means too few to tell.
   */
  verdict: "strength" | "weakness" | "typical" | "flagged";
  /** Why the cell is demoted, with `verdict: "flagged"`. */
  demoted?: string[];
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
  /** Categories whose score a check put in doubt, with the reasons (shown before anything else). */
  flagged: Array<{ category: string; reasons: string[] }>;
  /** Categories with too few peers of similar size to call a strength or weakness. */
  fewPeers: string[];
}

/** Below this many peers (the model included) a percentile says little: no strength or weakness is called. */
export const MIN_PEERS = 5;

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
  const demoted = await checksByCategory(store, model.id);
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
      const reasons = demotionReasons(demoted.get(cell.category));
      const out: CategoryProfile = {
        cell,
        peers,
        percentile: Math.min(100, percentile),
        surelyBetter,
        verdict:
          reasons.length > 0
            ? "flagged"
            : peers < MIN_PEERS
              ? "typical"
              : percentile >= 75
                ? "strength"
                : percentile <= 25
                  ? "weakness"
                  : "typical",
        evidence: ev,
        spread: scaled.length ? Math.max(...scaled) - Math.min(...scaled) : 0,
      };
      if (reasons.length > 0) out.demoted = reasons;
      return out;
    })
    .sort((x, y) => y.percentile - x.percentile || (x.cell.category < y.cell.category ? -1 : 1));
  return {
    model,
    sizeBand: band,
    categories,
    strengths: categories.filter((c) => c.verdict === "strength").map((c) => c.cell.category),
    weaknesses: categories.filter((c) => c.verdict === "weakness").map((c) => c.cell.category),
    flagged: categories.flatMap((c) => (c.demoted ? [{ category: c.cell.category, reasons: c.demoted }] : [])),
    fewPeers: categories.filter((c) => c.verdict === "typical" && c.peers < MIN_PEERS).map((c) => c.cell.category),
  };
}
