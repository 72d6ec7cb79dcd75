/**
 * Brings modelmap's own evidence into the map: benchmark runs of the harness (tasks carry category tags),
 * single-answer judge grades, and pairwise votes (fitted to Bradley-Terry ratings per category by the
 * ratings engine). Each kind is one source, replaced as a whole on every sync.
 */
import { type CategoryRatings, type RatingOptions, ratingsByCategory } from "../arena/ratings.ts";
import { collect } from "../core/iter.ts";
import type { Vote } from "../core/votes.ts";
import type { CapEvidence, CapModel } from "../store/capmap.ts";
import type { EvalRunRecord } from "../store/evals.ts";
import { scoreOf, type TaskResultV1 } from "../store/run-log.ts";
import type { Store } from "../store/store.ts";
import { rebuildMap } from "./build.ts";
import type { ItemScores } from "./compare.ts";
import { categoryRatingEvidence } from "./importers.ts";
import { clamp100, normalizeAccuracy, scaleJudgeScore, Z95 } from "./scale.ts";

export const RUNS_SOURCE = "modelmap-runs";
export const JUDGE_SOURCE = "modelmap-judge";
export const VOTES_SOURCE = "modelmap-votes";

export interface SyncOptions {
  /** Categories of a task (from its `category` tag); undefined or empty leaves the task out of the map. */
  categoryOf: (task: string) => string[] | undefined;
  /** Bootstrap rounds for vote ratings (default 200). */
  bootstrap?: number;
  seed?: number;
  /**
   * Also map the votes of blind (`reveal: never`) labeling campaigns. Off by default: the map is public, and a
   * blind campaign's standings are the admin's until the operator decides the campaign is over.
   */
  includeBlind?: boolean;
  /** Fits a source's votes per category (default: `ratingsByCategory`; `npm start` keeps the fits between runs). */
  fitCategories?: (votes: Vote[], opts: RatingOptions) => CategoryRatings[];
}

export interface SyncReport {
  runs: { evidence: number; skipped: string[] };
  judge: { evidence: number };
  votes: { evidence: number; categories: string[]; warnings: string[] };
  cells: number;
}

/** The latest complete run of each (model, task): later runs supersede earlier ones. */
async function latestRuns(store: Store): Promise<Map<string, { run: EvalRunRecord; result: TaskResultV1 }>> {
  const out = new Map<string, { run: EvalRunRecord; result: TaskResultV1 }>();
  const runs = (await store.evals.listRuns())
    .filter((r) => r.status === "complete")
    .sort((a, b) => (a.updatedAt < b.updatedAt ? -1 : 1));
  for (const run of runs) {
    for (const [task, result] of Object.entries(run.log?.results ?? {}))
      out.set(`${run.modelId}\u0000${task}`, { run, result });
  }
  return out;
}

async function runEvidence(
  store: Store,
  opts: SyncOptions,
): Promise<{ evidence: CapEvidence[]; models: CapModel[]; skipped: string[] }> {
  const evidence: CapEvidence[] = [];
  const models = new Map<string, CapModel>();
  const skipped: string[] = [];
  for (const [key, { run, result }] of await latestRuns(store)) {
    const task = key.split("\u0000")[1] as string;
    const cats = opts.categoryOf(task);
    const pk = result.primary;
    const row = pk ? result.metrics.find((m) => m.metric === pk.metric && m.filter === pk.filter) : undefined;
    const value = row?.value ?? undefined;
    if (!cats || cats.length === 0) {
      skipped.push(`${run.id}/${task}: the task has no category tag`);
      continue;
    }
    if (value === undefined) {
      skipped.push(`${run.id}/${task}: no primary metric value`);
      continue;
    }
    const se = row?.stderr ?? undefined;
    const n = result.n;
    const baseline = result.randomBaseline === null ? 0 : 100 * result.randomBaseline;
    const percent = 100 * value;
    const sePct = se !== undefined ? 100 * se : n ? 100 * Math.sqrt(Math.max(value * (1 - value), 0.5 / n) / n) : 0;
    const scaled = normalizeAccuracy(percent, baseline);
    const half = (Z95 * sePct * 100) / (100 - baseline);
    models.set(run.modelId, { id: run.modelId });
    // A task tagged with several categories is evidence for the first; the rest would count one result twice.
    evidence.push({
      modelId: run.modelId,
      source: RUNS_SOURCE,
      kind: "benchmark",
      metric: task,
      category: cats[0] as string,
      value: percent,
      lo: Math.max(0, percent - Z95 * sePct),
      hi: Math.min(100, percent + Z95 * sePct),
      n,
      baseline,
      scaled,
      scaledLo: clamp100(scaled - half),
      scaledHi: clamp100(scaled + half),
    });
  }
  return { evidence, models: [...models.values()], skipped };
}

async function judgeEvidence(store: Store): Promise<{ evidence: CapEvidence[]; models: CapModel[] }> {
  const groups = new Map<string, { model: string; category: string; metric: string; scores: number[] }>();
  for (const j of await store.judging.judgments({ kind: "single" })) {
    if (j.score === null) continue;
    const metric = `${j.setName}:${j.judge}`;
    const key = `${j.modelFirst}\u0000${j.category}\u0000${metric}`;
    const g = groups.get(key) ?? { model: j.modelFirst, category: j.category, metric, scores: [] };
    g.scores.push(j.score);
    groups.set(key, g);
  }
  const evidence: CapEvidence[] = [];
  const models = new Map<string, CapModel>();
  for (const g of groups.values()) {
    const n = g.scores.length;
    const mean = g.scores.reduce((a, b) => a + b, 0) / n;
    const sd = n > 1 ? Math.sqrt(g.scores.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : undefined;
    const s = scaleJudgeScore(mean, n, sd);
    models.set(g.model, { id: g.model });
    evidence.push({
      modelId: g.model,
      source: JUDGE_SOURCE,
      kind: "judge",
      metric: `${g.metric}:${g.category}`,
      category: g.category,
      value: mean,
      lo: s.lo,
      hi: s.hi,
      n,
      scaled: s.scaled,
      scaledLo: s.scaledLo,
      scaledHi: s.scaledHi,
    });
  }
  return { evidence, models: [...models.values()] };
}

/** Replaces the runs, judge and votes sources with what the store holds now, then rebuilds the map. */
export async function syncOwnEvidence(store: Store, opts: SyncOptions): Promise<SyncReport> {
  // Model names resolved once each (to their Hugging Face id where the map has an alias).
  const resolved = new Map<string, string>();
  const runs = await runEvidence(store, opts);
  const judge = await judgeEvidence(store);
  // Each vote source (human labeling, each LLM judge, imported battles) is fitted on its own, so that human
  // and judge preferences stay separate pieces of evidence in a cell.
  const votes = { evidence: [] as CapEvidence[], categories: [] as string[], warnings: [] as string[] };
  const blind = new Set(
    opts.includeBlind
      ? []
      : (await store.labeling.campaigns()).filter((c) => c.reveal === "never").map((c) => `label:${c.id}`),
  );
  for (const { source } of await store.votes.sources()) {
    if (blind.has(source)) {
      votes.warnings.push(
        `${source}: left out, a blind (reveal: never) campaign; 'map sync --include-blind' maps it once the campaign is over`,
      );
      continue;
    }
    const fits = (opts.fitCategories ?? ratingsByCategory)(
      await collect(store.votes.iterate({ sources: [source] })),
      opts,
    );
    for (const r of fits) {
      for (const m of r.models)
        if (!resolved.has(m.model)) resolved.set(m.model, (await store.capmap.resolveModel(m.model))?.id ?? m.model);
      const evidence = categoryRatingEvidence(r, VOTES_SOURCE, (name) => resolved.get(name) ?? name);
      for (const e of evidence) e.metric = `${source}/${e.metric}`;
      votes.evidence.push(...evidence);
      if (!votes.categories.includes(r.category)) votes.categories.push(r.category);
      votes.warnings.push(...r.warnings.map((w) => `${source}: ${w}`));
    }
  }
  const put = (source: string, evidence: CapEvidence[], models: CapModel[]) =>
    store.capmap.importSource({ kind: "sync", source, file: "(modelmap store)", fileSha256: "", models, evidence });
  await put(RUNS_SOURCE, runs.evidence, runs.models);
  await put(JUDGE_SOURCE, judge.evidence, judge.models);
  await put(
    VOTES_SOURCE,
    votes.evidence,
    [...new Set(votes.evidence.map((e) => e.modelId))].map((id) => ({ id })),
  );
  return {
    runs: { evidence: runs.evidence.length, skipped: runs.skipped },
    judge: { evidence: judge.evidence.length },
    votes: { evidence: votes.evidence.length, categories: votes.categories, warnings: votes.warnings },
    cells: await rebuildMap(store),
  };
}

/**
 * Per-item scores on the common scale for pairing: harness samples (0/1 scores of the primary metric,
 * stretched like the aggregate) and judge grades ((s - 1) / 9 x 100), keyed by item.
 */
export async function ownItemScores(store: Store): Promise<ItemScores> {
  const latest = await latestRuns(store);
  return async (modelId, source, metric) => {
    if (source === RUNS_SOURCE) {
      const hit = latest.get(`${modelId}\u0000${metric}`);
      const pk = hit?.result.primary;
      if (!hit || !pk) return undefined;
      const b = hit.result.randomBaseline ?? 0;
      const out = new Map<string, number>();
      for await (const s of store.evals.iterateSamples(hit.run.id, metric)) {
        const v = scoreOf(s, pk);
        if (typeof v === "number") out.set(String(s.docId), (100 * (v - b)) / (1 - b));
      }
      return out.size ? out : undefined;
    }
    if (source === JUDGE_SOURCE) {
      const parts = metric.split(":");
      const category = parts.pop();
      const out = new Map<string, number>();
      for (const j of await store.judging.judgments({ kind: "single" })) {
        if (j.modelFirst !== modelId || j.category !== category || j.score === null) continue;
        if (`${j.setName}:${j.judge}` !== parts.join(":")) continue;
        out.set(j.promptId, (100 * (j.score - 1)) / 9);
      }
      return out.size ? out : undefined;
    }
    return undefined;
  };
}
