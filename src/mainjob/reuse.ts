/**
 * A warm start reads what the store already holds instead of recomputing it. Before, a second start re-scored every
 * benchmark document from the request cache and rebuilt every contamination report from cached log-likelihoods
 * (together about half of its time), to store the same results again.
 *
 * A finished run is reused when the start cache holds an entry for it written by this build and keyed on the run id
 * (a hash of the model's identity, every task's config hash, the limit, the seed and the prompting) and on each
 * task's data files (size and modification time), and when the run in the store is still the run the entry saw
 * (complete, with the same results). A run that had errors is never reused: a later start may answer them. A
 * contamination report is reused the same way: keyed on the model's identity, the task's hash and data files and
 * the options, and checked against the report in the store. Anything else (no entry, a stale or corrupt one,
 * another database, data on the hub) runs as before. The numbers a reused result prints are the ones a rerun would
 * print: every request and text from the cache, none sent.
 */

import { resolve } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { type CategoryRatings, countsByCategory, fitCategoryCounts, type RatingOptions } from "../arena/ratings.ts";
import type { Backend } from "../backends/types.ts";
import type { ContaminationOptions } from "../contamination/service.ts";
import { fileStamps } from "../core/files.ts";
import { sha256, shortHash } from "../core/hash.ts";
import type { PairCounts, Vote } from "../core/votes.ts";
import { modelKey } from "../runner/plan.ts";
import { runConfig } from "../runner/run-config.ts";
import type { EvalOptions } from "../runner/run-eval.ts";
import type { RunLogV1 } from "../store/run-log.ts";
import type { Store } from "../store/store.ts";
import type { LoadedTask } from "../tasks/loader.ts";
import type { StartCache } from "./start-cache.ts";

// The runner, the contamination service and the task data readers are imported only when something must be
// computed: a warm start loads none of them.

/**
 * The data files the tasks read (every split), or undefined when a task's data is not plain local files named by the
 * task itself (a hub dataset, a dataset map entry): those are never reused. The files follow from the task's config
 * (its hash is in every key), its file's folder and the data dir (also in the keys), so an entry records them and a
 * hit only stats them again.
 */
export async function dataFiles(tasks: LoadedTask[], dataDir: string): Promise<string[] | undefined> {
  if (tasks.some((t) => t.config.data_files === undefined)) return undefined;
  const { dataSource } = await import("../tasks/task-data.ts");
  const out: string[] = [];
  for (const t of tasks)
    for (const f of [...(await dataSource(t, { dataDir })).splits.values()].flat()) out.push(f.file);
  return out;
}

/**
 * Where the tasks are and what they read (the data files' list comes with the entry; see dataFiles). The data dir
 * as an absolute path: the main job passes ".", which names another folder from another working directory.
 */
function taskPlaces(tasks: LoadedTask[], dataDir: string) {
  return {
    files: tasks.map((t) => [t.name, t.file]),
    dataDir: resolve(dataDir),
    local: tasks.every((t) => t.config.data_files !== undefined),
  };
}

const DataSchema = z.object({ files: z.array(z.string()), stamps: z.string() });

/** The entry's data files are as they were when it was written. */
function sameData(d: z.infer<typeof DataSchema>): boolean {
  return JSON.stringify(fileStamps(d.files)) === d.stamps;
}

async function dataRecord(tasks: LoadedTask[], dataDir: string): Promise<z.infer<typeof DataSchema> | undefined> {
  const files = await dataFiles(tasks, dataDir);
  return files ? { files, stamps: JSON.stringify(fileStamps(files)) } : undefined;
}

const RunEntry = z.object({
  data: DataSchema,
  logSha256: z.string(),
  docs: z.number(),
  plannedRequests: z.number(),
  /** Unique requests per window, summed: what a rerun finds in the request cache. */
  cachedRequests: z.number(),
});

export interface EvalSummary {
  stats: { docs: number; plannedRequests: number; cachedRequests: number; requestsSent: number };
  results: RunLogV1["results"];
  /** True when the finished run was read from the store. */
  reused: boolean;
}

const logSha = (log: RunLogV1) => sha256(JSON.stringify(log));

/** The run's results: the finished run from the store when the start cache vouches for it, else a run. */
export async function evalOrReuse(
  store: Store,
  backend: Backend,
  opts: EvalOptions,
  cache: StartCache | undefined,
): Promise<EvalSummary> {
  const runId = shortHash(runConfig(backend, opts), 16);
  const name = `run-${runId}`;
  const places = taskPlaces(opts.tasks, opts.dataDir);
  const key = { runId, places };
  if (cache && places.local) {
    const hit = cache.get(name, key, RunEntry);
    if (hit && sameData(hit.data)) {
      const run = await store.evals.getRun(runId);
      if (run?.status === "complete" && run.log && logSha(run.log) === hit.logSha256)
        return {
          stats: {
            docs: hit.docs,
            plannedRequests: hit.plannedRequests,
            cachedRequests: hit.cachedRequests,
            requestsSent: 0,
          },
          results: run.log.results,
          reused: true,
        };
    }
  }
  // Stamped before the run: data edited while it runs makes the entry stale, never falsely fresh.
  const data = cache ? await dataRecord(opts.tasks, opts.dataDir) : undefined;
  const { runEval } = await import("../runner/run-eval.ts");
  const out = await runEval(store, backend, opts);
  if (cache && data && out.stats.errors === 0) {
    const run = await store.evals.getRun(out.runId);
    if (run?.status === "complete" && run.log)
      cache.put(name, key, {
        data,
        logSha256: logSha(run.log),
        docs: out.stats.docs,
        plannedRequests: out.stats.plannedRequests,
        cachedRequests: out.stats.uniqueRequests,
      });
  }
  return { stats: out.stats, results: out.log.results, reused: false };
}

const ContaminationEntry = z.object({ data: DataSchema, reportSha256: z.string(), requested: z.number() });
const StoredVerdict = z.object({
  flagged: z.boolean(),
  // A NaN p-value is stored as null (JSON).
  exchangeability: z.object({ pValue: z.number().nullable() }),
});

export interface ContaminationSummary {
  flagged: boolean;
  pValue: number;
  stats: { requested: number; sent: number };
  reused: boolean;
}

type CheckOptions = Omit<ContaminationOptions, "progress" | "progressLabel" | "signal">;

/** The contamination verdict: the stored report when the start cache vouches for it, else a check. */
export async function contaminationOrReuse(
  store: Store,
  backend: Backend,
  opts: ContaminationOptions,
  cache: StartCache | undefined,
): Promise<ContaminationSummary> {
  // Everything that decides the report (the reference model and the corpus are not used by the main job: never kept).
  const { progress: _p, progressLabel: _l, signal: _s, task, ...rest } = opts;
  const settings: Omit<CheckOptions, "task"> = rest;
  const places = taskPlaces([task], opts.dataDir);
  const usable = cache && places.local && opts.reference === undefined && opts.corpus === undefined;
  const key = { model: modelKey(backend.identity), taskHash: task.hash, places, settings };
  const name = `contamination-${shortHash({ model: opts.modelId, task: task.name }, 16)}`;
  if (usable) {
    const found = cache.get(name, key, ContaminationEntry);
    const hit = found && sameData(found.data) ? found : undefined;
    const stored = hit ? await store.checks.get("contamination", opts.modelId, task.name) : undefined;
    if (hit && stored && sha256(JSON.stringify(stored.report)) === hit.reportSha256) {
      const v = StoredVerdict.safeParse(stored.report);
      if (v.success)
        return {
          flagged: v.data.flagged,
          pValue: v.data.exchangeability.pValue ?? Number.NaN,
          stats: { requested: hit.requested, sent: 0 },
          reused: true,
        };
    }
  }
  const data = usable ? await dataRecord([task], opts.dataDir) : undefined;
  const { runContamination } = await import("../contamination/service.ts");
  const r = await runContamination(store, backend, opts);
  if (usable && data) {
    const stored = await store.checks.get("contamination", opts.modelId, task.name);
    if (stored)
      cache.put(name, key, {
        data,
        reportSha256: sha256(JSON.stringify(stored.report)),
        requested: r.stats.requested,
      });
  }
  return { flagged: r.flagged, pValue: r.exchangeability.pValue, stats: r.stats, reused: false };
}

const RankedSchema = z.object({
  model: z.string(),
  rating: z.number(),
  ci_lower: z.number(),
  ci_upper: z.number(),
  rank: z.number(),
  tier: z.number(),
  battles: z.number(),
  wins: z.number(),
  losses: z.number(),
  ties: z.number(),
});
const RatingsEntry = z.object({ models: z.array(RankedSchema), warnings: z.array(z.string()) });
type Ratings = z.infer<typeof RatingsEntry>;

/**
 * Ratings of the votes (1000 bootstrap rounds: a tenth of a warm start), kept under the vote counts they were fitted
 * to, the rounds and the seed: the same counts give the same ratings (bootstrap.ts seeds every round). Kept only
 * when they survive JSON unchanged (no NaN or infinite rating), so that a hit is exactly what a fit gives.
 */
export async function ratingsOrReuse(
  counts: PairCounts,
  opts: { bootstrap: number; seed: number },
  cache: StartCache | undefined,
): Promise<Ratings> {
  const key = { counts, ...opts };
  const hit = cache?.get("ratings", key, RatingsEntry);
  if (hit) return hit;
  const { rankCounts } = await import("../arena/rank.ts");
  const r = rankCounts(counts, opts);
  const value: Ratings = { models: r.models, warnings: r.warnings };
  if (cache && isDeepStrictEqual(JSON.parse(JSON.stringify(value)), value)) cache.put("ratings", key, value);
  return r;
}

const CategoryFitsEntry = z.array(
  z.object({
    category: z.string(),
    models: z.array(
      z.object({ model: z.string(), rating: z.number(), lo: z.number(), hi: z.number(), votes: z.number() }),
    ),
    warnings: z.array(z.string()),
  }),
);

/**
 * The capability map's per-category fits of a vote source (`map sync` fits every source's votes per category with a
 * bootstrap: another tenth of a warm start), kept under the per-category counts, rounds and seed, like the ratings.
 */
export function cachedCategoryFits(cache: StartCache): (votes: Vote[], opts: RatingOptions) => CategoryRatings[] {
  return (votes, opts) => {
    const groups = countsByCategory(votes);
    const key = { groups, bootstrap: opts.bootstrap ?? null, seed: opts.seed ?? null };
    const name = `category-fits-${shortHash(groups.map((g) => [g.category, g.counts.models]))}`;
    const hit = cache.get(name, key, CategoryFitsEntry);
    if (hit) return hit;
    const fits = fitCategoryCounts(groups, opts);
    if (isDeepStrictEqual(JSON.parse(JSON.stringify(fits)), fits)) cache.put(name, key, fits);
    return fits;
  };
}
