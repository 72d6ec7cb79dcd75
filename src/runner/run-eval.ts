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
import { sha256, shortHash } from "../core/hash.ts";
import type { Store } from "../store/store.ts";
import { type Doc, readAll, readDocs } from "../tasks/dataset.ts";
import { type DocInstance, type PlannedRequest, type PromptOptions, TaskPrompter } from "../tasks/instance.ts";
import type { LoadedTask } from "../tasks/loader.ts";
import { evalSplit, fewshotSplit, filesFor, splitFiles } from "../tasks/splits.ts";
import { type ExecStats, executeBatches, type RequestOutcome } from "./execute.ts";
import { makeBatches, modelKey, requestKey } from "./plan.ts";
import { type ProgressSink, SILENT_PROGRESS } from "./progress.ts";
import { groupResult, TaskAccumulator, type TaskResult } from "./results.ts";
import { scoreDoc as scoreOne } from "./score.ts";

export const RESULTS_VERSION = 1;

export interface EvalOptions {
  modelId: string;
  tasks: LoadedTask[];
  groups: Array<{ name: string; tasks: string[] }>;
  dataDir: string;
  prompt: PromptOptions;
  limit?: number;
  retryErrors?: boolean;
  /** Documents planned at once (bounds memory). */
  window?: number;
  /** Requests per backend call. */
  batchSize?: number;
  progress?: ProgressSink;
  signal?: AbortSignal;
  /** Called with each scored sample in order (the JSONL log). */
  onSample?: (task: string, sample: Record<string, unknown>) => void;
  /** Called with the first documents' requests exactly as sent (--write-out). */
  onWriteOut?: (task: string, docId: number, requests: PlannedRequest[]) => void;
  writeOutDocs?: number;
}

export interface EvalOutcome {
  runId: string;
  results: Record<string, TaskResult>;
  groups: Record<string, TaskResult>;
  config: Record<string, unknown>;
  versions: Record<string, string>;
  stats: ExecStats & {
    wallMs: number;
    cachedRequests: number;
    plannedRequests: number;
    uniqueRequests: number;
    docs: number;
    errors: number;
  };
}

/** Everything that decides what a run computes; its hash is the run id, so the same command resumes. */
export function runConfig(backend: Backend, opts: EvalOptions): Record<string, unknown> {
  const p = opts.prompt;
  return {
    model: opts.modelId,
    model_identity: modelKey(backend.identity),
    tasks: opts.tasks.map((t) => t.name),
    task_hashes: Object.fromEntries(opts.tasks.map((t) => [t.name, t.hash])),
    groups: opts.groups,
    limit: opts.limit ?? null,
    seed: p.seed,
    num_fewshot: p.numFewshot ?? null,
    chat_template: p.chatTemplate,
    system_prompt: p.systemPrompt ?? null,
    system_prompt_sha256: p.systemPrompt === undefined ? null : sha256(p.systemPrompt),
    fewshot_as_multiturn: p.fewshotAsMultiturn,
    // Which chat template and system prompt a configured model renders with (source, name, content hashes).
    model_prompting: backend.provenance ?? null,
    results_version: RESULTS_VERSION,
  };
}

async function countDocs(task: LoadedTask, opts: EvalOptions): Promise<number> {
  const files = filesFor(task, splitFiles(task, opts.dataDir), evalSplit(task));
  let n = 0;
  for (const f of files)
    for await (const _ of readDocs(f, task.name, task.config.dataset_url, { raw: true })) {
      n++;
      if (opts.limit !== undefined && n >= opts.limit) return n;
    }
  return n;
}

export async function runEval(store: Store, backend: Backend, opts: EvalOptions): Promise<EvalOutcome> {
  const t0 = performance.now();
  const repo = store.evals;
  const config = runConfig(backend, opts);
  const runId = shortHash(config, 16);
  const existing = repo.ensureRun({ id: runId, modelId: opts.modelId, model: backend.identity, config });
  if (existing.status === "complete") repo.markRunning(runId);
  for (const t of opts.tasks) {
    const needsLl = t.config.output_type !== "generate_until";
    if (t.config.output_type === "multiple_choice" && !backend.capabilities.loglikelihood)
      throw new ModelmapError("unsupported", `task '${t.name}' needs log-likelihoods, which this backend cannot give`, {
        hint: "use a backend with log-likelihood support (llama-cpp, or a server with echo+logprobs)",
      });
    if (needsLl && t.config.output_type === "loglikelihood_rolling" && !backend.capabilities.loglikelihoodRolling)
      throw new ModelmapError(
        "unsupported",
        `task '${t.name}' needs rolling log-likelihoods, which this backend cannot give`,
      );
  }
  for (const t of opts.tasks) {
    const k = opts.prompt.numFewshot ?? t.config.num_fewshot ?? 0;
    if (k > 0 && fewshotSplit(t) === undefined)
      throw new ModelmapError("input", `task '${t.name}' asks for ${k}-shot but has no few-shot split`, {
        location: { file: t.file, field: "fewshot_split" },
        hint: "set fewshot_split (or training_split/validation_split) or use --num-fewshot 0",
      });
  }
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

  let total = 0;
  for (const t of opts.tasks) total += await countDocs(t, opts);
  progress.start(total);
  let done = 0;

  const results: Record<string, TaskResult> = {};
  const versions: Record<string, string> = {};
  for (const task of opts.tasks) {
    versions[task.name] = task.hash;
    const files = splitFiles(task, opts.dataDir);
    const evalName = evalSplit(task);
    const fsName = fewshotSplit(task);
    const numFewshot = opts.prompt.numFewshot ?? task.config.num_fewshot ?? 0;
    const pool: Doc[] =
      numFewshot > 0 && fsName !== undefined
        ? await readAll(filesFor(task, files, fsName), task.name, task.config.dataset_url)
        : [];
    const prompter = new TaskPrompter(task.config, opts.prompt, pool, fsName === evalName, renderChat);
    const acc = new TaskAccumulator(task.config);

    const flush = async (win: Array<{ doc: Doc; inst: DocInstance; keys: string[] }>) => {
      const pending = new Map<string, PlannedRequest>();
      for (const w of win) for (const [i, r] of w.inst.requests.entries()) pending.set(w.keys[i] as string, r);
      stats.plannedRequests += win.reduce((a, w) => a + w.keys.length, 0);
      stats.uniqueRequests += pending.size;
      const outcomes = new Map<string, RequestOutcome>();
      const keys = [...pending.keys()];
      for (const [k, v] of repo.cacheGet(keys)) {
        outcomes.set(k, { ok: true, value: JSON.parse(v), ms: 0, cached: true });
        pending.delete(k);
      }
      stats.cachedRequests += keys.length - pending.size;
      if (!opts.retryErrors && pending.size > 0) {
        // Errors recorded by an earlier attempt stay errors unless --retry-errors.
        for (const [k, message] of repo.runErrors(runId, [...pending.keys()])) {
          outcomes.set(k, { ok: false, error: message, ms: 0 });
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
        acc.add(s.scores, s.error, s.chance);
        if (s.error !== null) errs++;
        opts.onSample?.(task.name, s.data);
        return { task: task.name, docId: w.inst.docId, data: s.data, scores: s.scores, error: s.error };
      });
      stats.errors = errs;
      repo.putSamples(runId, samples);
      progress.update(done, errs);
    };

    let win: Array<{ doc: Doc; inst: DocInstance; keys: string[] }> = [];
    let docId = 0;
    outer: for (const f of filesFor(task, files, evalName)) {
      for await (const doc of readDocs(f, task.name, task.config.dataset_url)) {
        if (opts.limit !== undefined && docId >= opts.limit) break outer;
        if (opts.signal?.aborted)
          throw new ModelmapError("aborted", "interrupted; run the same command again to resume");
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
    }
    if (win.length > 0) await flush(win);
    results[task.name] = acc.result();
  }
  const groups: Record<string, TaskResult> = {};
  for (const g of opts.groups) {
    const members = g.tasks.map((t) => results[t]).filter((r): r is TaskResult => r !== undefined);
    groups[g.name] = groupResult(members);
  }
  progress.finish(done, stats.errors);
  const fullConfig = { ...config, run_id: runId };
  repo.finishRun(runId, { results, groups, versions, config: fullConfig });
  stats.wallMs = performance.now() - t0;
  return { runId, results, groups, config: fullConfig, versions, stats };
}

function scoreDoc(
  task: LoadedTask,
  w: { doc: Doc; inst: DocInstance; keys: string[] },
  outcomes: Map<string, RequestOutcome>,
) {
  return scoreOne(task.config, w.inst, w.keys, outcomes, w.doc);
}
