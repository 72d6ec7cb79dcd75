/**
 * The main job behind `modelmap start` and `modelmap quickstart`: for a handful of GGUF models it runs the
 * synthetic benchmarks through the harness (request cache, resumable runs), answers the verifiable prompt
 * sets (answers cached by content key), turns the answers into pairwise votes (correct beats wrong),
 * fits ratings, and syncs the capability map. Every step reuses the services the CLI and server already
 * call; a second run finds everything cached and sends nothing to the models.
 */
import { aggregateVotes } from "../arena/aggregate.ts";
import { type RankedModel, rankCounts } from "../arena/rank.ts";
import { type SyncReport, syncOwnEvidence } from "../capmap/sync.ts";
import { ModelConfigSchema } from "../config/schema.ts";
import { ModelmapError } from "../core/errors.ts";
import { generateAnswers } from "../judge/generate.ts";
import { resolvePromptSet } from "../judge/prompt-sets.ts";
import { resolveModel } from "../models/resolve.ts";
import { runEval } from "../runner/run-eval.ts";
import { loadRegistry } from "../runner/service.ts";
import type { StoredPromptItem } from "../store/judging.ts";
import type { Store } from "../store/store.ts";
import type { TaskRegistry } from "../tasks/loader.ts";
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
  log?: (line: string) => void;
  signal?: AbortSignal;
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
  answers: { total: number; generated: number; reused: number; failed: number };
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

function taskNames(reg: TaskRegistry, specs: string[]): string[] {
  return reg.resolve(specs).tasks.map((t) => t.name);
}

export async function runPipeline(store: Store, opts: PipelineOptions): Promise<PipelineReport> {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  if (opts.models.length < 2)
    throw new ModelmapError("usage", `the main job compares models; got ${opts.models.length}, need at least two`);
  const reg = loadRegistry();
  const names = taskNames(reg, opts.tasks);
  const { tasks } = reg.resolve(names);
  const sets = opts.promptSets.map((p) => resolvePromptSet(store, p));
  const report: PipelineReport = {
    models: opts.models.map((m) => m.id),
    tasks: names,
    scores: [],
    eval: { docs: 0, plannedRequests: 0, cachedRequests: 0, backendRequests: 0 },
    answers: { total: 0, generated: 0, reused: 0, failed: 0 },
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
      const out = await runEval(store, backend, {
        modelId: m.id,
        tasks,
        groups: [],
        dataDir: ".",
        // Base-model style, as the Open LLM Leaderboard runs: the prompts are scored as plain text.
        prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: opts.seed, numFewshot: 0 },
        ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      report.eval.docs += out.stats.docs;
      report.eval.plannedRequests += out.stats.plannedRequests;
      report.eval.cachedRequests += out.stats.cachedRequests;
      report.eval.backendRequests += out.stats.requestsSent;
      for (const [task, r] of Object.entries(out.results)) {
        const pk = typeof r.primary_metric === "string" ? r.primary_metric : undefined;
        const v = pk ? r[pk] : undefined;
        if (!pk || typeof v !== "number") continue;
        const [metric, filter] = pk.split(",");
        const se = r[`${metric}_stderr,${filter}`];
        report.scores.push({
          model: m.id,
          task,
          metric: pk,
          value: v,
          stderr: typeof se === "number" ? se : undefined,
          n: typeof r.n === "number" ? r.n : 0,
          errors: typeof r.n_errors === "number" ? r.n_errors : 0,
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
        });
        report.answers.total += s.total;
        report.answers.generated += s.generated;
        report.answers.reused += s.resumed;
        report.answers.failed += s.failed;
        answered += s.total - s.failed;
      }
      log(
        `  ${m.id}: ${out.stats.docs} documents (${out.stats.cachedRequests}/${out.stats.plannedRequests} requests cached), ${answered} answers, ${((performance.now() - tm) / 1000).toFixed(1)}s`,
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
    for (const a of store.judging.latestAnswers(set.name, ids)) {
      const last = a.outputs[a.outputs.length - 1];
      if (a.error === null && last !== undefined) answers.get(a.model)?.set(a.promptId, last);
    }
  }
  const built = buildVerifiableVotes(items, answers, opts.seed);
  const stored = replaceSourceVotes(store, opts.voteSource, built.votes);
  report.votes = {
    source: opts.voteSource,
    total: built.votes.length,
    inserted: stored.inserted,
    unchanged: stored.unchanged,
    correct: built.correct,
  };
  if (built.votes.length > 0) {
    const rank = rankCounts(aggregateVotes(built.votes), { bootstrap: opts.bootstrap ?? 1000, seed: opts.seed });
    report.ratings = rank.models;
    report.ratingWarnings = rank.warnings;
  }
  report.sync = syncOwnEvidence(store, {
    categoryOf: (task) => reg.tasks.get(task)?.categories,
    seed: opts.seed,
  });
  report.evalMs = performance.now() - t0;
  return report;
}
