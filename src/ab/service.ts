import { resolve } from "node:path";
import { rebuildMap } from "../capmap/build.ts";
import { ratingEvidence } from "../capmap/importers.ts";
import { ModelmapError } from "../core/errors.ts";
import { readUserText } from "../core/files.ts";
import { sha256 } from "../core/hash.ts";
import type { AbExperiment } from "../store/ab.ts";
import type { Store } from "../store/store.ts";
import { analyzeExperiment, type CategoryOrdering, type ExperimentAnalysis, orderingsByCategory } from "./analyze.ts";
import { badRowsError, parseExperiments } from "./format.ts";

/** The map source the A/B orderings are published under; `--reference ab` in `modelmap meta` names it. */
export const AB_SOURCE = "ab-tests";

export interface OrderingOptions {
  /** Bootstrap rounds for the ordering's intervals (default 1000) and their seed (default 42). */
  bootstrap?: number | undefined;
  seed?: number | undefined;
}

export interface AbImportSummary {
  file: string;
  format: "jsonl" | "csv";
  inserted: number;
  replaced: number;
  /** Experiments of this file with a sample-ratio mismatch. */
  srm: Array<{ id: string; p: number; chi2: number }>;
  orderings: CategoryOrdering[];
  cells: number;
}

/**
 * Imports an experiments file: validates every row (any bad row stops the import with its line and field and
 * stores nothing), resolves models through the map's aliases, stores the experiments, then recomputes the
 * per-category orderings from every stored experiment and publishes them to the map as the `ab-tests` source,
 * all in one transaction.
 */
export async function importExperiments(
  store: Store,
  path: string,
  opts: OrderingOptions = {},
): Promise<AbImportSummary> {
  const file = resolve(path);
  const text = readUserText(file, "experiments file");
  const parsed = parseExperiments(text, file);
  if (parsed.bad.length > 0) throw badRowsError(file, parsed.bad);
  if (parsed.experiments.length === 0)
    throw new ModelmapError("input", "no experiments in the file", {
      location: { file },
      hint: "see docs/ab-testing.md for the JSONL and CSV formats",
    });
  for (const e of parsed.experiments)
    for (const v of e.variants) v.modelId = (await store.capmap.resolveModel(v.model))?.id ?? v.model;
  return store.transaction(async () => {
    const stored = await store.ab.put({ file, fileSha256: sha256(text), experiments: parsed.experiments });
    const orderings = await publishOrderings(store, opts);
    const srm = parsed.experiments
      .map(analyzeExperiment)
      .filter((a) => a.srm.flagged)
      .map((a) => ({ id: a.id, p: a.srm.p, chi2: a.srm.chi2 }));
    return { file, format: parsed.format, ...stored, srm, orderings, cells: await rebuildMap(store) };
  });
}

/** Recomputes every category's ordering from the stored experiments and replaces the map's `ab-tests` source. */
async function publishOrderings(store: Store, opts: OrderingOptions): Promise<CategoryOrdering[]> {
  const orderings = await abOrderings(store, opts);
  const evidence = orderings.flatMap((o) =>
    o.ranking
      ? ratingEvidence(
          o.ranking.models.map((m) => ({
            id: m.model,
            rating: m.rating,
            lo: m.ci_lower,
            hi: m.ci_upper,
            votes: m.battles,
          })),
          AB_SOURCE,
          o.category,
          `ab-bt:${o.category}`,
        )
      : [],
  );
  await store.capmap.importSource({
    kind: "ab",
    source: AB_SOURCE,
    file: "(modelmap store: ab_experiments)",
    fileSha256: "",
    models: [...new Set(evidence.map((e) => e.modelId))].map((id) => ({ id })),
    evidence,
  });
  return orderings;
}

export async function analyzedExperiments(store: Store, category?: string): Promise<ExperimentAnalysis[]> {
  return (await store.ab.list({ category })).map(analyzeExperiment);
}

export async function abOrderings(
  store: Store,
  opts: OrderingOptions & { category?: string | undefined } = {},
): Promise<CategoryOrdering[]> {
  return orderingsByCategory(await analyzedExperiments(store, opts.category), {
    ...(opts.bootstrap === undefined ? {} : { bootstrap: opts.bootstrap }),
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
  });
}

export async function requireExperiment(
  store: Store,
  id: string,
): Promise<{ experiment: AbExperiment; analysis: ExperimentAnalysis }> {
  const experiment = await store.ab.get(id);
  if (!experiment) {
    throw new ModelmapError("not_found", `no experiment '${id}'`, {
      hint: (await store.ab.count())
        ? "'modelmap ab list' lists the stored experiments"
        : "import some with 'modelmap ab import FILE'",
    });
  }
  return { experiment, analysis: analyzeExperiment(experiment) };
}
