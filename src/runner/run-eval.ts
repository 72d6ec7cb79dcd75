/**
 * The eval runner. For each task it streams the documents in windows: builds each document's requests,
 * merges identical ones, serves what it can from the persistent cache, sends the rest to the backend in a
 * backend-friendly order, then scores the window and writes its samples (one transaction) and its JSONL log.
 * Memory is bounded by the window, not the dataset. Running the same command again after any crash (even
 * kill -9) finds the same run id and the same cache keys, so it continues where it stopped and produces
 * identical results with no duplicates.
 */
import type { Backend } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { shortHash } from "../core/hash.ts";
import { PythonRandom } from "../core/python-random.ts";
import {
  type EvalSample,
  type GroupResultV1,
  RUN_LOG_VERSION,
  type RunFailure,
  type RunLogV1,
  type RunSpec,
  type TaskResultV1,
} from "../store/run-log.ts";
import type { Store } from "../store/store.ts";
import type { Doc } from "../tasks/dataset.ts";
import type { DatasetMap } from "../tasks/dataset-map.ts";
import { type DocInstance, effectiveNumFewshot, type PlannedRequest, type PromptOptions } from "../tasks/instance.ts";
import type { LoadedTask, ResolvedGroup } from "../tasks/loader.ts";
import { type DataContext, openPrompter, TaskData } from "../tasks/task-data.ts";
import { type ExecStats, executeBatches, type RequestOutcome } from "./execute.ts";
import { type ResultJson, resultsJson } from "./lmeval-format.ts";
import { makeBatches, modelKey, requestKey } from "./plan.ts";
import { type ProgressSink, SILENT_PROGRESS } from "./progress.ts";
import { DEFAULT_BOOTSTRAP_ITERS, groupResult, TaskAccumulator } from "./results.ts";
import { runConfig } from "./run-config.ts";
import { scoreDoc as scoreOne } from "./score.ts";

// What decides a run's id lives in run-config.ts (a warm `npm start` computes it without loading the runner).
export { RESULTS_VERSION, runConfig } from "./run-config.ts";

export interface EvalOptions {
  modelId: string;
  tasks: LoadedTask[];
  /** Groups named by the run, with their leaf tasks and lm-eval's `aggregate_metric_list`. */
  groups: ResolvedGroup[];
  dataDir: string;
  /** Local copies of hub datasets (lm-eval task files name those). */
  datasetMap?: DatasetMap;
  /** Hub datasets without a local copy: caches and downloads (absent: local copies only). */
  hub?: DataContext["hub"];
  /** Where data files' document counts are kept between runs (absent: counted every run). */
  countCache?: string;
  prompt: PromptOptions;
  limit?: number;
  retryErrors?: boolean;
  /** Documents planned at once (bounds memory). */
  window?: number;
  /** Requests per backend call. */
  batchSize?: number;
  progress?: ProgressSink;
  signal?: AbortSignal;
  /** Called with each scored sample in document order, as stored. */
  onSample?: (task: string, sample: EvalSample) => void;
  /** Called with the first documents' requests exactly as sent (--write-out). */
  onWriteOut?: (task: string, docId: number, requests: PlannedRequest[]) => void;
  writeOutDocs?: number;
  /** The clock (tests pin it). */
  now?: () => Date;
  /** Resamples for the standard errors lm-eval bootstraps (its `--bootstrap_iters`, default 100000; 0: none). */
  bootstrapIters?: number;
}

export interface EvalOutcome {
  runId: string;
  /** The typed run log, as stored. */
  log: RunLogV1;
  /** The same results in lm-eval's layout, as printed (`eval --format json`) and served. */
  results: Record<string, ResultJson>;
  groups: Record<string, ResultJson>;
  config: RunSpec;
  /** Each task's own version (lm-eval's `versions`). */
  versions: Record<string, string | number | null>;
  stats: ExecStats & {
    wallMs: number;
    cachedRequests: number;
    plannedRequests: number;
    uniqueRequests: number;
    docs: number;
    errors: number;
  };
}

/** What a run can know before it starts: the backend can answer every task, and each request once. */
function checkRunnable(backend: Backend, opts: EvalOptions): void {
  for (const g of opts.groups)
    for (const a of g.aggregate ?? [])
      if (a.aggregation !== "mean")
        throw new ModelmapError(
          "unsupported",
          `group '${g.name}' aggregates '${a.metric}' with a Python function (${a.aggregation.ref}); modelmap aggregates groups by the mean only`,
          { location: { file: a.aggregation.file, line: a.aggregation.line, field: "aggregate_metric_list" } },
        );
  for (const t of opts.tasks) {
    const outputType = t.config.output_type ?? "generate_until";
    if ((outputType === "multiple_choice" || outputType === "loglikelihood") && !backend.capabilities.loglikelihood)
      throw new ModelmapError("unsupported", `task '${t.name}' needs log-likelihoods, which this backend cannot give`, {
        hint: "use a backend with log-likelihood support (llama-cpp, or a server with echo+logprobs)",
      });
    if (outputType === "loglikelihood_rolling" && !backend.capabilities.loglikelihoodRolling)
      throw new ModelmapError(
        "unsupported",
        `task '${t.name}' needs rolling log-likelihoods, which this backend cannot give`,
      );
    if ((t.config.repeats ?? 1) > 1)
      throw new ModelmapError(
        "unsupported",
        `task '${t.name}' asks for repeats: ${t.config.repeats}; the runner answers each request once`,
        {
          location: { file: t.file, field: "repeats" },
          hint: "'modelmap tasks requests' shows its requests; run it with repeats: 1",
        },
      );
  }
}

/** Why a run stopped: the error's code and its message. */
export function runFailure(e: unknown): RunFailure {
  if (e instanceof ModelmapError) return { reason: e.code, message: e.message };
  return { reason: "internal", message: e instanceof Error ? e.message || String(e) : String(e) };
}

function dataContext(opts: EvalOptions) {
  return {
    dataDir: opts.dataDir,
    ...(opts.datasetMap ? { datasetMap: opts.datasetMap } : {}),
    ...(opts.hub ? { hub: opts.hub } : {}),
    ...(opts.countCache ? { countCache: opts.countCache } : {}),
  };
}

/** lm-eval seeds Python's global random with 0 once per run; shuffling hooks (GPQA) draw from it in task order. */
function runDataContext(opts: EvalOptions) {
  return { ...dataContext(opts), random: new PythonRandom(0) };
}

/** One error for several tasks' missing data: each task's message, and each distinct way to get the data once. */
function missingData(errors: ModelmapError[]): ModelmapError {
  const hints = [...new Set(errors.map((e) => e.hint).filter((h): h is string => h !== undefined))];
  return new ModelmapError(
    "not_found",
    `${errors.length} tasks lack data; nothing was run:\n${errors.map((e) => `  ${e.message}`).join("\n")}`,
    hints.length > 0 ? { hint: hints.join("\n  hint: ") } : {},
  );
}

/** Documents in the evaluated split (lm-eval's `n-samples.original`) and how many the run evaluates. */
async function countDocs(task: LoadedTask, opts: EvalOptions): Promise<{ original: number; evaluated: number }> {
  const n = await (await TaskData.open(task, dataContext(opts))).count();
  return { original: n, evaluated: opts.limit === undefined ? n : Math.min(n, opts.limit) };
}

export async function runEval(store: Store, backend: Backend, opts: EvalOptions): Promise<EvalOutcome> {
  checkRunnable(backend, opts);
  const repo = store.evals;
  const config = runConfig(backend, opts);
  const runId = shortHash(config, 16);
  const existing = await repo.ensureRun({ id: runId, modelId: opts.modelId, identity: backend.identity, spec: config });
  if (existing.status !== "running") await repo.markRunning(runId);
  try {
    return await execute(store, backend, opts, config, runId);
  } catch (e) {
    // A run that stops on an error says so (and why); the same command resumes it.
    await repo.failRun(runId, runFailure(e));
    throw e;
  }
}

async function execute(
  store: Store,
  backend: Backend,
  opts: EvalOptions,
  config: RunSpec,
  runId: string,
): Promise<EvalOutcome> {
  const t0 = performance.now();
  const now = opts.now ?? (() => new Date());
  const startedAt = now();
  const repo = store.evals;
  const mk = modelKey(backend.identity);
  const progress = opts.progress ?? SILENT_PROGRESS;
  const window = opts.window ?? 1000;
  const stats: EvalOutcome["stats"] = {
    backendMs: 0,
    requestsSent: 0,
    batches: 0,
    wallMs: 0,
    cachedRequests: 0,
    plannedRequests: 0,
    uniqueRequests: 0,
    docs: 0,
    errors: 0,
  };
  const renderChat =
    backend.renderChat && backend.capabilities.chat
      ? (m: Parameters<NonNullable<Backend["renderChat"]>>[0]) =>
          (backend.renderChat as NonNullable<Backend["renderChat"]>)(m, { addGenerationPrompt: true })
      : undefined;

  const sizes = new Map<string, number>();
  let total = 0;
  // Every task's data (its evaluated split and its few-shot pool) is checked before the first request, and every
  // missing dataset is named at once: a suite without GPQA's files or MMLU-Pro's pool would otherwise stop at
  // the first, or hours in, at the last task.
  const missing: ModelmapError[] = [];
  for (const t of opts.tasks) {
    try {
      const c = await countDocs(t, opts);
      // An empty split used to give exit 0 and an empty table: a task with nothing to evaluate is an error.
      if (c.original === 0)
        throw new ModelmapError("input", `task '${t.name}': the evaluated split has no documents`, {
          location: { file: t.file },
          hint: "check the task's data files (an empty file, or blank lines only?) and --data-dir",
        });
      if (effectiveNumFewshot(t.config, opts.prompt.numFewshot) > 0)
        (await TaskData.open(t, dataContext(opts))).checkFewshotFiles();
      sizes.set(t.name, c.original);
      total += c.evaluated;
    } catch (e) {
      if (!(e instanceof ModelmapError && e.code === "not_found")) throw e;
      missing.push(e);
    }
  }
  if (missing.length === 1) throw missing[0];
  if (missing.length > 1) throw missingData(missing);
  progress.start(total);
  let done = 0;

  const results: Record<string, TaskResultV1> = {};
  const dctx = runDataContext(opts);
  for (const task of opts.tasks) {
    const { data, prompter } = await openPrompter(task, dctx, opts.prompt, renderChat);
    const acc = new TaskAccumulator(
      task,
      effectiveNumFewshot(task.config, opts.prompt.numFewshot),
      opts.bootstrapIters ?? DEFAULT_BOOTSTRAP_ITERS,
    );

    const flush = async (win: Array<{ doc: Doc; inst: DocInstance; keys: string[] }>) => {
      const pending = new Map<string, PlannedRequest>();
      for (const w of win) for (const [i, r] of w.inst.requests.entries()) pending.set(w.keys[i] as string, r);
      stats.plannedRequests += win.reduce((a, w) => a + w.keys.length, 0);
      stats.uniqueRequests += pending.size;
      const outcomes = new Map<string, RequestOutcome>();
      const keys = [...pending.keys()];
      for (const [k, v] of await repo.cacheGet(keys)) {
        outcomes.set(k, { ok: true, value: JSON.parse(v), ms: 0, cached: true });
        pending.delete(k);
      }
      stats.cachedRequests += keys.length - pending.size;
      if (!opts.retryErrors && pending.size > 0) {
        // Errors recorded by an earlier attempt stay errors unless --retry-errors.
        for (const [k, { message, reason }] of await repo.runErrors(runId, [...pending.keys()])) {
          outcomes.set(k, { ok: false, error: message, reason, ms: 0 });
          pending.delete(k);
        }
      }
      // Progress counts documents whose requests are all answered.
      const remaining = new Map<string, number>();
      const docsOf = new Map<string, number[]>();
      win.forEach((w, i) => {
        const missing = new Set(w.keys.filter((k) => pending.has(k)));
        if (missing.size === 0) {
          done++;
          return;
        }
        remaining.set(String(i), missing.size);
        for (const k of missing) docsOf.set(k, [...(docsOf.get(k) ?? []), i]);
      });
      let errs = stats.errors;
      progress.update(done, errs);
      const batches = makeBatches(pending, opts.batchSize ?? 32);
      await executeBatches(backend, repo, runId, batches, outcomes, stats, opts.signal, () => {
        // Recount documents that became complete.
        for (const [k, ids] of docsOf) {
          if (!outcomes.has(k)) continue;
          docsOf.delete(k);
          for (const i of ids) {
            const r = (remaining.get(String(i)) ?? 1) - 1;
            remaining.set(String(i), r);
            if (r === 0) done++;
          }
        }
        progress.update(done, errs);
      });
      const samples = win.map((w) => {
        const s = scoreDoc(task, w, outcomes);
        acc.add(s);
        if (s.error !== null) errs++;
        opts.onSample?.(task.name, s.sample);
        return s.sample;
      });
      stats.errors = errs;
      await repo.putSamples(runId, samples);
      progress.update(done, errs);
    };

    let win: Array<{ doc: Doc; inst: DocInstance; keys: string[] }> = [];
    let docId = 0;
    for await (const doc of data.evalDocs()) {
      if (opts.limit !== undefined && docId >= opts.limit) break;
      if (opts.signal?.aborted) throw new ModelmapError("aborted", "interrupted; run the same command again to resume");
      const inst = await prompter.instance(doc, docId);
      if (opts.onWriteOut && docId < (opts.writeOutDocs ?? 1)) opts.onWriteOut(task.name, docId, inst.requests);
      win.push({ doc, inst, keys: inst.requests.map((r) => requestKey(mk, r)) });
      docId++;
      stats.docs++;
      if (win.length >= window) {
        await flush(win);
        win = [];
      }
    }
    if (win.length > 0) await flush(win);
    results[task.name] = acc.result(sizes.get(task.name) ?? null);
  }
  const groups: Record<string, GroupResultV1> = {};
  for (const g of opts.groups) {
    const members = g.tasks.flatMap((t) => {
      const result = results[t];
      return result ? [{ task: t, result }] : [];
    });
    groups[g.name] = groupResult(g.name, members, g.aggregate);
  }
  progress.finish(done, stats.errors);
  const finishedAt = now();
  const spec: RunSpec = { ...config, run_id: runId };
  const log: RunLogV1 = {
    version: RUN_LOG_VERSION,
    spec,
    results,
    groups,
    timing: {
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      seconds: Math.max(0, (finishedAt.getTime() - startedAt.getTime()) / 1000),
    },
  };
  await repo.finishRun(runId, log);
  stats.wallMs = performance.now() - t0;
  return {
    runId,
    log,
    ...resultsJson(log),
    config: spec,
    versions: Object.fromEntries(Object.entries(results).map(([t, r]) => [t, r.version])),
    stats,
  };
}

function scoreDoc(
  task: LoadedTask,
  w: { doc: Doc; inst: DocInstance; keys: string[] },
  outcomes: Map<string, RequestOutcome>,
) {
  return scoreOne(task, w.inst, w.keys, outcomes, w.doc);
}
