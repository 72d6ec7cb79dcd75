/**
 * Writes a suite run's leaderboard columns to the capability map under the metric names the Open LLM Leaderboard
 * importers use (`ifeval`, `bbh`, `math-lvl5`, ... for v2; `arc`, `hellaswag`, ... for v1), so that a model run here
 * sits in the same columns as the imported leaderboard rows, as its own source (`modelmap-suite-open-llm-v2`). The
 * source keeps one row per model: a new run of a model replaces its row, other models' rows stay.
 */
import type { CapEvidence } from "../store/capmap.ts";
import type { Store } from "../store/store.ts";
import { rebuildMap } from "./build.ts";
import { BENCHMARKS, scaleBenchmark } from "./scale.ts";

/** What the map needs of a suite run's row (the runner's `SuiteRow`). */
export interface SuiteColumns {
  suite: string;
  columns: ReadonlyArray<{ metric: string; raw: number | null; normalized: number | null; n: number }>;
}

export function suiteSource(row: SuiteColumns): string {
  return `modelmap-suite-${row.suite}`;
}

/** The evidence a suite row gives (benchmarks without a score are left out). */
export function suiteEvidence(modelId: string, row: SuiteColumns): CapEvidence[] {
  const source = suiteSource(row);
  const out: CapEvidence[] = [];
  for (const c of row.columns) {
    const b = BENCHMARKS[c.metric];
    if (!b || c.raw === null || c.normalized === null) continue;
    const percent = c.raw * 100;
    // v2: the leaderboard's own normalised score; v1: the accuracy against chance, as the v1 import scales it.
    const s = scaleBenchmark(
      percent,
      b.baseline,
      Math.max(1, c.n),
      row.suite === "open-llm-v2" ? c.normalized : undefined,
    );
    out.push({
      modelId,
      source,
      kind: "benchmark",
      metric: b.metric,
      category: b.category,
      value: percent,
      lo: s.lo,
      hi: s.hi,
      n: c.n,
      baseline: b.baseline,
      scaled: s.scaled,
      scaledLo: s.scaledLo,
      scaledHi: s.scaledHi,
    });
  }
  return out;
}

/** Replaces the model's row of the suite's source and rebuilds the map; returns the evidence written. */
export async function writeSuiteToMap(
  store: Store,
  modelId: string,
  row: SuiteColumns,
  file = "(modelmap eval --suite)",
): Promise<number> {
  const source = suiteSource(row);
  const mine = suiteEvidence(modelId, row);
  const others = (await store.capmap.evidence({ source })).filter((e) => e.modelId !== modelId);
  const ids = [...new Set([...others.map((e) => e.modelId), modelId])];
  const known = await store.capmap.getModels(ids);
  await store.capmap.importSource({
    kind: "suite",
    source,
    file,
    fileSha256: "",
    models: ids.map((id) => known.get(id) ?? { id }),
    evidence: [...others, ...mine],
  });
  await rebuildMap(store);
  return mine.length;
}
