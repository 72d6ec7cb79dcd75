import { z } from "zod";
import type { CapEvidence } from "../store/capmap.ts";
import type { Store } from "../store/store.ts";
import { combineCell } from "./build.ts";
import { type LiteCell, snapshot } from "./snapshot.ts";

/**
 * Search's use of a meta-evaluation: where the latest `modelmap meta` report has its reference in a category, that
 * category's cells are recombined with each piece of evidence weighted by how well its signal agrees with the
 * reference (docs/capability-map.md, "Which signal to trust"):
 * - the reference itself: weight 1;
 * - a measured signal: max(0, Kendall tau against the reference), so a reversed or unrelated signal drops out;
 * - a signal the report did not measure: the mean weight of the measured ones (the best guess for a signal of
 *   unknown agreement), or 1 when none was measured.
 * Models left with no positively weighted evidence drop out of the weighted ranking and are counted.
 */

/** The part of a stored report this reads (it comes back from the database as JSON, so it is validated). */
const storedBlock = z.object({
  reference: z.object({ signal: z.string(), category: z.string() }),
  rows: z.array(
    z.object({
      signal: z.string(),
      verdict: z.string(),
      models: z.number(),
      kendall: z.object({ estimate: z.number().nullable() }).nullable(),
      agreement: z.object({ score: z.number().nullable() }).nullable(),
      weight: z.number().nullable(),
    }),
  ),
});

export interface CategoryAgreement {
  reference: string;
  category: string;
  measuredAt: string;
  /** Every signal the report measured, best Kendall tau first. */
  signals: Array<{
    signal: string;
    verdict: string;
    models: number;
    kendall: number | null;
    agreementCi: number | null;
  }>;
  /** Weights given to the evidence of this category, by signal (`source/metric`). */
  weights: Array<{ signal: string; weight: number; basis: "reference" | "measured" | "unmeasured" }>;
  /** Models whose evidence in this category all got weight 0. */
  droppedModels: number;
}

export interface AgreementWeighting {
  summary: CategoryAgreement;
  /** The category's cells recombined with the weights, best first. */
  cells: LiteCell[];
}

export async function agreementWeighting(store: Store, category: string): Promise<AgreementWeighting | undefined> {
  const record = await store.meta.latestForCategory(category);
  if (!record) return undefined;
  const parsed = storedBlock.safeParse(record.report);
  // A report written by another version of modelmap that this one cannot read leaves the map unweighted.
  if (!parsed.success) return undefined;
  const block = parsed.data;
  const snap = await snapshot(store);
  const key = `meta-weights:${category}:${record.reference}:${record.createdAt}`;
  const hit = snap.memo.get(key) as AgreementWeighting | undefined;
  if (hit) return hit;

  const measured = new Map<string, number>();
  for (const r of block.rows) if (r.weight !== null) measured.set(r.signal, r.weight);
  const weights = [...measured.values()];
  const unmeasured = weights.length ? weights.reduce((a, b) => a + b, 0) / weights.length : 1;
  const here = snap.metrics.filter((m) => m.category === category);
  const weightOf = new Map<string, { weight: number; basis: "reference" | "measured" | "unmeasured" }>();
  for (const m of here) {
    const name = `${m.source}/${m.metric}`;
    if (name === block.reference.signal) weightOf.set(name, { weight: 1, basis: "reference" });
    else if (measured.has(name)) weightOf.set(name, { weight: measured.get(name) as number, basis: "measured" });
    else weightOf.set(name, { weight: unmeasured, basis: "unmeasured" });
  }
  const byModel = new Map<string, CapEvidence[]>();
  for (const m of here) {
    for (const e of await store.capmap.evidence({ source: m.source, metric: m.metric })) {
      if (e.category !== category) continue;
      const list = byModel.get(e.modelId);
      if (list) list.push(e);
      else byModel.set(e.modelId, [e]);
    }
  }
  const w = (e: CapEvidence) => weightOf.get(`${e.source}/${e.metric}`)?.weight ?? 0;
  const cells: LiteCell[] = [];
  let droppedModels = 0;
  for (const [modelId, evidence] of byModel) {
    if (!evidence.some((e) => w(e) > 0)) {
      droppedModels++;
      continue;
    }
    const c = combineCell(evidence, w);
    cells.push({
      modelId,
      category,
      estimate: c.estimate,
      lo: c.lo,
      hi: c.hi,
      n: c.n,
      evidence: c.evidence,
      sourcesJson: JSON.stringify(c.sources),
      model: snap.models.get(modelId) ?? { id: modelId },
    });
  }
  cells.sort((a, b) => b.estimate - a.estimate || (a.modelId < b.modelId ? -1 : 1));
  const signals = block.rows
    .map((r) => ({
      signal: r.signal,
      verdict: r.verdict,
      models: r.models,
      kendall: r.kendall?.estimate ?? null,
      agreementCi: r.agreement?.score ?? null,
    }))
    .sort((a, b) => (b.kendall ?? -2) - (a.kendall ?? -2));
  const out: AgreementWeighting = {
    summary: {
      reference: block.reference.signal,
      category,
      measuredAt: record.createdAt,
      signals,
      weights: [...weightOf].map(([signal, v]) => ({ signal, ...v })).sort((a, b) => b.weight - a.weight),
      droppedModels,
    },
    cells,
  };
  snap.memo.set(key, out);
  return out;
}
