/**
 * The main job behind `modelmap start` and `modelmap quickstart`: for a handful of GGUF models it runs the
 * synthetic benchmarks through the harness (request cache, resumable runs), answers the verifiable prompt
 * sets (answers cached by content key), turns the answers into pairwise votes (correct beats wrong),
 * fits ratings, and syncs the capability map. Every step reuses the services the CLI and server already
 * call; a second run finds everything cached and sends nothing to the models.
 */
import { aggregateVotes } from "../arena/aggregate.ts";
import type { RankedModel } from "../arena/rank.ts";
import { type SyncReport, syncOwnEvidence } from "../capmap/sync.ts";
import { ModelConfigSchema } from "../config/schema.ts";
import { ModelmapError } from "../core/errors.ts";
import { generateAnswers } from "../judge/generate.ts";
import { judgeSet } from "../judge/judge.ts";
import { resolvePromptSet } from "../judge/prompt-sets.ts";
import { REFERENCE_JUDGE_ID, referenceMatchJudge } from "../judge/reference-match.ts";
import { resolveModel } from "../models/resolve.ts";
import { type FailureGroup, groupFailures } from "../runner/failures.ts";
import { metricKey } from "../runner/lmeval-format.ts";
import { type ProgressSink, progressCallback, SILENT_PROGRESS, withLabel } from "../runner/progress.ts";
import type { StoredPromptItem } from "../store/judging.ts";
import type { Store } from "../store/store.ts";
import { cachedCategoryFits, contaminationOrReuse, evalOrReuse, ratingsOrReuse } from "./reuse.ts";
import type { StartCache } from "./start-cache.ts";
import { startTasks } from "./start-tasks.ts";
import { buildVerifiableVotes, replaceSourceVotes } from "./verifiable.ts";

export interface PipelineModel {
  /** modelmap's id for the model (e.g. zoo-arithmetic). */
  id: string;
  /** Absolute path of the GGUF file. */
  file: string;
}

export interface PipelineOptions {
  models: PipelineModel[];
  /** Benchmarks: task names, groups or tags of the built-in task registry (e.g. "synthetic"). */
  tasks: string[];
  /** Prompt set paths (files or folders); items with a reference become votes. */
  promptSets: string[];
  /** Documents per task (undefined: all). */
  limit?: number;
  seed: number;
  /** Source the verifiable votes are stored under (replaced as a whole, never duplicated). */
  voteSource: string;
  /** Tokens per generated answer. */
  maxTokens: number;
  /** llama.cpp threads per model (undefined: the engine's choice). */
  threads?: number;
  /** Bootstrap rounds for the rating intervals. */
  bootstrap?: number;
  /**
   * The contamination check on every benchmark task (exchangeability test and per-item scores, cached like
   * the benchmarks); false skips it. The zoo's ground-truth test validates these settings: the contaminated
   * model flagged, the clean ones not (test/zoo-contamination.test.ts).
   */
  contamination?: { shards: number; permutations: number; lowercase: boolean } | false;
  /**
   * The start cache (`<cache>/start/`, see start-cache.ts): the parsed task registry, the ratings of the vote counts,
   * and which finished runs and contamination reports a warm start reads from the store instead of recomputing.
   * Absent: everything is recomputed (from the store's request cache), as MODELMAP_NO_START_CACHE=1 asks.
   */
  cache?: StartCache;
  /** The task folder the benchmarks come from (default: the built-in tasks/; tests give a copy they can edit). */
  tasksDir?: string;
  log?: (line: string) => void;
  /** Progress of each model's phases (benchmarks, answers, contamination), built by the CLI. */
  progress?: ProgressSink;
  signal?: AbortSignal;
}

/**
 * The settings test/zoo-contamination.test.ts validates on the zoo (same verdicts as 10 orders per shard): 3
 * shuffled orders per shard and no lowercase pass cost 600 item evaluations per benchmark instead of 1,560.
 */
export const ZOO_CONTAMINATION = { shards: 20, permutations: 3, lowercase: false } as const;

export interface ContaminationRow {
  model: string;
  task: string;
  flagged: boolean;
  pValue: number | null;
}

export interface TaskScore {
  model: string;
  task: string;
  metric: string;
  value: number;
  stderr: number | undefined;
  n: number;
  errors: number;
}

export interface PipelineReport {
  models: string[];
  tasks: string[];
  scores: TaskScore[];
  eval: { docs: number; plannedRequests: number; cachedRequests: number; backendRequests: number };
  /** Models whose engine had to be loaded (0 when every request and answer came from the caches). */
  enginesLoaded: number;
  answers: {
    total: number;
    generated: number;
    reused: number;
    failed: number;
    /** Failed answers by reason (runner/failures.ts). */
    failures: FailureGroup[];
  };
  /** Contamination verdicts per model and task (empty when the check was skipped). */
  contamination: ContaminationRow[];
  contaminationStats: { requested: number; sent: number };
  /** Pairwise judgments the reference-match judge stored for the web UI's judgment pages. */
  judgments: { set: string; stored: number; reused: number }[];
  votes: {
    source: string;
    total: number;
    inserted: number;
    unchanged: boolean;
    correct: Record<string, { right: number; answered: number }>;
  };
  ratings: RankedModel[];
  ratingWarnings: string[];
  sync: SyncReport;
  evalMs: number;
}

export async function runPipeline(store: Store, opts: PipelineOptions): Promise<PipelineReport> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  if (opts.models.length < 2)
    throw new ModelmapError("usage", `the main job compares models; got ${opts.models.length}, need at least two`);
  const { tasks, categoryOf } = await startTasks(opts.tasks, opts.cache, opts.tasksDir);
  const names = tasks.map((t) => t.name);
  const sets: Array<Awaited<ReturnType<typeof resolvePromptSet>>> = [];
  for (const p of opts.promptSets) sets.push(await resolvePromptSet(store, p));
  const progress = opts.progress ?? SILENT_PROGRESS;
  const failed: Array<{ message: string }> = [];
  const report: PipelineReport = {
    models: opts.models.map((m) => m.id),
    tasks: names,
    scores: [],
    eval: { docs: 0, plannedRequests: 0, cachedRequests: 0, backendRequests: 0 },
    answers: { total: 0, generated: 0, reused: 0, failed: 0, failures: [] },
    contamination: [],
    contaminationStats: { requested: 0, sent: 0 },
    judgments: [],
    enginesLoaded: 0,
    votes: { source: opts.voteSource, total: 0, inserted: 0, unchanged: true, correct: {} },
    ratings: [],
    ratingWarnings: [],
    sync: {
      runs: { evidence: 0, skipped: [] },
      judge: { evidence: 0 },
      votes: { evidence: 0, categories: [], warnings: [] },
      cells: 0,
    },
    evalMs: 0,
  };

  // One model at a time: real GGUFs (quickstart) are hundreds of megabytes each.
  for (const m of opts.models) {
    if (opts.signal?.aborted) throw new ModelmapError("aborted", "interrupted");
    const config = ModelConfigSchema.parse({ id: m.id, backend: "llama-cpp", file: m.file });
    let loaded = false;
    // Loaded on first use: a rerun whose every request and answer is cached never loads the weights.
    const backend = await resolveModel(
      {
        kind: "config",
        model: config,
        lazy: {
          onLoad: () => {
            loaded = true;
          },
        },
        seed: opts.seed,
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      },
      // A GGUF reads no environment.
      { env: {} },
    );
    try {
      const tm = performance.now();
      const out = await evalOrReuse(
        store,
        backend,
        {
          modelId: m.id,
          tasks,
          groups: [],
          dataDir: ".",
          // Base-model style, as the Open LLM Leaderboard runs: the prompts are scored as plain text.
          prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: opts.seed, numFewshot: 0 },
          ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
          ...(opts.signal ? { signal: opts.signal } : {}),
          progress: withLabel(progress, `${m.id} benchmarks`),
        },
        opts.cache,
      );
      report.eval.docs += out.stats.docs;
      report.eval.plannedRequests += out.stats.plannedRequests;
      report.eval.cachedRequests += out.stats.cachedRequests;
      report.eval.backendRequests += out.stats.requestsSent;
      for (const [task, r] of Object.entries(out.results)) {
        const pk = r.primary;
        const row = pk ? r.metrics.find((m) => m.metric === pk.metric && m.filter === pk.filter) : undefined;
        if (!row || row.value === null) continue;
        report.scores.push({
          model: m.id,
          task,
          metric: metricKey(row),
          value: row.value,
          stderr: row.stderr ?? undefined,
          n: r.n,
          errors: r.nErrors,
        });
      }
      let answered = 0;
      for (const set of sets) {
        const s = await generateAnswers({
          store,
          setName: set.name,
          items: set.items,
          backends: new Map([[m.id, backend]]),
          seed: opts.seed,
          maxTokens: opts.maxTokens,
          // Every verifiable prompt is decoded greedily: the model is scored on its best guess.
          override: { temperature: 0 },
          ...(opts.signal ? { signal: opts.signal } : {}),
          onProgress: progressCallback(progress, `${m.id} answers`),
        });
        report.answers.total += s.total;
        report.answers.generated += s.generated;
        report.answers.reused += s.resumed;
        report.answers.failed += s.failed;
        for (const f of s.failures) failed.push({ message: f.error });
        answered += s.total - s.failed;
      }
      const flagged: string[] = [];
      if (opts.contamination !== false) {
        const settings = opts.contamination ?? ZOO_CONTAMINATION;
        for (const task of tasks) {
          const r = await contaminationOrReuse(
            store,
            backend,
            {
              modelId: m.id,
              task,
              dataDir: ".",
              seed: opts.seed,
              shards: settings.shards,
              permutations: settings.permutations,
              lowercase: settings.lowercase,
              ...(opts.limit !== undefined ? { limit: Math.max(2, opts.limit) } : {}),
              ...(opts.signal ? { signal: opts.signal } : {}),
              progress,
              progressLabel: `${m.id} contamination ${task.name}`,
            },
            opts.cache,
          );
          const p = r.pValue;
          report.contamination.push({
            model: m.id,
            task: task.name,
            flagged: r.flagged,
            pValue: Number.isFinite(p) ? p : null,
          });
          report.contaminationStats.requested += r.stats.requested;
          report.contaminationStats.sent += r.stats.sent;
          if (r.flagged) flagged.push(task.name);
        }
      }
      log(
        `  ${m.id}: ${out.stats.docs} documents (${out.stats.cachedRequests}/${out.stats.plannedRequests} requests cached), ${answered} answers${opts.contamination === false ? "" : `, contamination ${flagged.length ? `FLAGGED on ${flagged.join(", ")}` : "not found"}`}, ${((performance.now() - tm) / 1000).toFixed(1)}s`,
      );
    } finally {
      if (loaded) report.enginesLoaded++;
      await backend.close();
    }
  }

  const ids = opts.models.map((m) => m.id);
  const items: StoredPromptItem[] = sets.flatMap((s) => s.items);
  const answers = new Map<string, Map<string, string>>(ids.map((id) => [id, new Map()]));
  for (const set of sets) {
    for (const a of await store.judging.latestAnswers(set.name, ids)) {
      const last = a.outputs[a.outputs.length - 1];
      if (a.error === null && last !== undefined) answers.get(a.model)?.set(a.promptId, last);
    }
  }
  report.answers.failures = groupFailures(failed);
  const built = buildVerifiableVotes(items, answers, opts.seed);
  const stored = await replaceSourceVotes(store, opts.voteSource, built.votes);
  report.votes = {
    source: opts.voteSource,
    total: built.votes.length,
    inserted: stored.inserted,
    unchanged: stored.unchanged,
    correct: built.correct,
  };
  if (built.votes.length > 0) {
    const counts = aggregateVotes(built.votes);
    const settings = { bootstrap: opts.bootstrap ?? 1000, seed: opts.seed };
    const rank = await ratingsOrReuse(counts, settings, opts.cache);
    report.ratings = rank.models;
    report.ratingWarnings = rank.warnings;
  }
  // The same verdicts as judgments, so that the judgment pages show each pair with the reference and both
  // answers. No votes and no single grades: the votes above already count these answers once.
  for (const set of sets) {
    const j = await judgeSet({
      store,
      judge: referenceMatchJudge,
      judgeId: REFERENCE_JUDGE_ID,
      setName: set.name,
      items: set.items,
      models: ids,
      single: false,
      votes: false,
      seed: opts.seed,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    report.judgments.push({ set: set.name, stored: j.pairwiseCalls, reused: j.resumed });
  }
  report.sync = await syncOwnEvidence(store, {
    categoryOf,
    ...(opts.cache ? { fitCategories: cachedCategoryFits(opts.cache) } : {}),
    seed: opts.seed,
  });
  report.evalMs = performance.now() - t0;
  return report;
}
