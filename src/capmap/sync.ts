/**
 * Brings modelmap's own evidence into the map: benchmark runs of the harness (tasks carry category tags),
 * single-answer judge grades, and pairwise votes (fitted to Bradley-Terry ratings per category by the
 * ratings engine). Each kind is one source, replaced as a whole on every sync.
 */
import { ratingsByCategory } from "../arena/ratings.ts";
import type { CapEvidence, CapModel } from "../store/capmap.ts";
import type { EvalRunRecord } from "../store/evals.ts";
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
}

export interface SyncReport {
  runs: { evidence: number; skipped: string[] };
  judge: { evidence: number };
  votes: { evidence: number; categories: string[]; warnings: string[] };
  cells: number;
}

type TaskResult = Record<string, number | string | null>;

function taskResults(run: EvalRunRecord): Record<string, TaskResult> {
  const r = run.results as { results?: Record<string, TaskResult> } | null;
  return r?.results ?? {};
}

/** The latest complete run of each (model, task): later runs supersede earlier ones. */
function latestRuns(store: Store): Map<string, { run: EvalRunRecord; result: TaskResult }> {
  const out = new Map<string, { run: EvalRunRecord; result: TaskResult }>();
  const runs = store.evals
    .listRuns()
    .filter((r) => r.status === "complete")
    .sort((a, b) => (a.updatedAt < b.updatedAt ? -1 : 1));
  for (const run of runs) {
    for (const [task, result] of Object.entries(taskResults(run)))
      out.set(`${run.modelId}\u0000${task}`, { run, result });
  }
  return out;
}

function runEvidence(
  store: Store,
  opts: SyncOptions,
): { evidence: CapEvidence[]; models: CapModel[]; skipped: string[] } {
  const evidence: CapEvidence[] = [];
  const models = new Map<string, CapModel>();
  const skipped: string[] = [];
  for (const [key, { run, result }] of latestRuns(store)) {
    const task = key.split("\u0000")[1] as string;
    const cats = opts.categoryOf(task);
    const pk = typeof result.primary_metric === "string" ? result.primary_metric : undefined;
    const value = pk ? result[pk] : undefined;
    if (!cats || cats.length === 0) {
      skipped.push(`${run.id}/${task}: the task has no category tag`);
      continue;
    }
    if (!pk || typeof value !== "number") {
      skipped.push(`${run.id}/${task}: no primary metric value`);
      continue;
    }
    const [m, f] = pk.split(",");
    const se = result[`${m}_stderr,${f}`];
    const n = typeof result.n === "number" ? result.n : undefined;
    const baseline = typeof result.random_baseline === "number" ? 100 * result.random_baseline : 0;
    const percent = 100 * value;
    const sePct =
      typeof se === "number" ? 100 * se : n ? 100 * Math.sqrt(Math.max(value * (1 - value), 0.5 / n) / n) : 0;
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

function judgeEvidence(store: Store): { evidence: CapEvidence[]; models: CapModel[] } {
  const groups = new Map<string, { model: string; category: string; metric: string; scores: number[] }>();
  for (const j of store.judging.judgments({ kind: "single" })) {
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
export function syncOwnEvidence(store: Store, opts: SyncOptions): SyncReport {
  const resolve = (name: string) => store.capmap.resolveModel(name)?.id ?? name;
  const runs = runEvidence(store, opts);
  const judge = judgeEvidence(store);
  // Each vote source (human labeling, each LLM judge, imported battles) is fitted on its own, so that human
  // and judge preferences stay separate pieces of evidence in a cell.
  const votes = { evidence: [] as CapEvidence[], categories: [] as string[], warnings: [] as string[] };
  const blind = new Set(
    opts.includeBlind
      ? []
      : store.labeling
          .campaigns()
          .filter((c) => c.reveal === "never")
          .map((c) => `label:${c.id}`),
  );
  for (const { source } of store.votes.sources()) {
    if (blind.has(source)) {
      votes.warnings.push(
        `${source}: left out, a blind (reveal: never) campaign; 'map sync --include-blind' maps it once the campaign is over`,
      );
      continue;
    }
    const fits = ratingsByCategory(store.votes.iterate({ sources: [source] }), opts);
    for (const r of fits) {
      const evidence = categoryRatingEvidence(r, VOTES_SOURCE, resolve);
      for (const e of evidence) e.metric = `${source}/${e.metric}`;
      votes.evidence.push(...evidence);
      if (!votes.categories.includes(r.category)) votes.categories.push(r.category);
      votes.warnings.push(...r.warnings.map((w) => `${source}: ${w}`));
    }
  }
  const put = (source: string, evidence: CapEvidence[], models: CapModel[]) =>
    store.capmap.importSource({ kind: "sync", source, file: "(modelmap store)", fileSha256: "", models, evidence });
  put(RUNS_SOURCE, runs.evidence, runs.models);
  put(JUDGE_SOURCE, judge.evidence, judge.models);
  put(
    VOTES_SOURCE,
    votes.evidence,
    [...new Set(votes.evidence.map((e) => e.modelId))].map((id) => ({ id })),
  );
  return {
    runs: { evidence: runs.evidence.length, skipped: runs.skipped },
    judge: { evidence: judge.evidence.length },
    votes: { evidence: votes.evidence.length, categories: votes.categories, warnings: votes.warnings },
    cells: rebuildMap(store),
  };
}

/**
 * Per-item scores on the common scale for pairing: harness samples (0/1 scores of the primary metric,
 * stretched like the aggregate) and judge grades ((s - 1) / 9 x 100), keyed by item.
 */
export function ownItemScores(store: Store): ItemScores {
  const latest = latestRuns(store);
  return (modelId, source, metric) => {
    if (source === RUNS_SOURCE) {
      const hit = latest.get(`${modelId}\u0000${metric}`);
      const pk = hit && typeof hit.result.primary_metric === "string" ? hit.result.primary_metric : undefined;
      if (!hit || !pk) return undefined;
      const b = typeof hit.result.random_baseline === "number" ? hit.result.random_baseline : 0;
      const out = new Map<string, number>();
      for (const s of store.evals.iterateSamples(hit.run.id, metric)) {
        const v = s.scores[pk];
        if (typeof v === "number") out.set(String(s.docId), (100 * (v - b)) / (1 - b));
      }
      return out.size ? out : undefined;
    }
    if (source === JUDGE_SOURCE) {
      const parts = metric.split(":");
      const category = parts.pop();
      const out = new Map<string, number>();
      for (const j of store.judging.judgments({ kind: "single" })) {
        if (j.modelFirst !== modelId || j.category !== category || j.score === null) continue;
        if (`${j.setName}:${j.judge}` !== parts.join(":")) continue;
        out.set(j.promptId, (100 * (j.score - 1)) / 9);
      }
      return out.size ? out : undefined;
    }
    return undefined;
  };
}
