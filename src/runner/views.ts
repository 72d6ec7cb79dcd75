/**
 * What the CLI (`runs list|show`, `tasks list`) and the server (`/api/runs`, `/runs`, `/api/eval/tasks`) show of
 * stored runs and of the task registry: one shape each, built here, so that `runs show --format json` and
 * `GET /api/runs/RUN` cannot drift apart. Fields are snake_case like the harness's own results.
 */
import { ModelmapError } from "../core/errors.ts";
import type { EvalRunRecord, EvalRunStatus, EvalSampleRecord } from "../store/evals.ts";
import { promptOf, type RunFailure, type RunLogV1, type RunSpec } from "../store/run-log.ts";
import type { Store } from "../store/store.ts";
import type { TaskRegistry } from "../tasks/loader.ts";
import type { GroupConfig } from "../tasks/schema.ts";
import { type ResultJson, resultsJson, sampleScoresJson } from "./lmeval-format.ts";
import { findRun } from "./service.ts";

export interface RunSummary {
  id: string;
  /** The model id the run was recorded under. */
  model: string;
  status: EvalRunStatus;
  created_at: string;
  updated_at: string;
  tasks: string[];
}

export interface RunTaskCount {
  task: string;
  n: number;
  errors: number;
}

export interface RunView extends RunSummary {
  /** The backend's identity as recorded (engine, file hash, template, ...). */
  identity: Record<string, unknown>;
  /** Everything the run was asked to do: tasks, chat template, system prompt, seed, few-shot, limit. */
  config: RunSpec;
  /** Why the run stopped (status `failed`): the error's code and message; null otherwise. */
  failure: RunFailure | null;
  /** Per task and group, in lm-eval's layout (`"acc,none"`, `"acc_stderr,none"`, ...) plus n and the normalized score. */
  results: Record<string, ResultJson>;
  groups: Record<string, ResultJson>;
  /** Stored samples per task. */
  samples: RunTaskCount[];
}

/** One stored sample as the API serves it: lm-eval's field names, scores keyed `"metric,filter"`. */
export interface SampleView {
  task: string;
  docId: number;
  data: Record<string, unknown>;
  scores: Record<string, number>;
  error: string | null;
}

export interface RunSamplesPage<S = SampleView> {
  run: string;
  task: string;
  page: number;
  page_size: number;
  total: number;
  samples: S[];
}

function summary(r: EvalRunRecord): RunSummary {
  return {
    id: r.id,
    model: r.modelId,
    status: r.status,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    tasks: r.spec.tasks,
  };
}

export function sampleView(s: EvalSampleRecord): SampleView {
  const data: Record<string, unknown> = {
    doc_id: s.docId,
    doc: s.doc,
    target: s.target,
    ...(s.gold !== undefined ? { gold: s.gold } : {}),
    arguments: s.arguments,
    ...(s.genKwargs ? { gen_kwargs: s.genKwargs } : {}),
    prompt: promptOf(s),
    resps: s.resps,
    filtered_resps: s.filteredResps,
    ...(s.pred !== undefined ? { pred: s.pred } : {}),
    ...(s.finishReason !== undefined ? { finish_reason: s.finishReason } : {}),
    ...(s.rationale !== undefined ? { rationale: s.rationale } : {}),
    ...(s.hashes ? { doc_hash: s.hashes.doc, prompt_hash: s.hashes.prompt, target_hash: s.hashes.target } : {}),
    ...(s.error !== null ? { error: s.error, error_reason: s.errorReason ?? null } : {}),
    timings: { backend_ms: s.timings.backendMs, cached: s.timings.cached },
  };
  return { task: s.task, docId: s.docId, data, scores: sampleScoresJson(s.scores), error: s.error };
}

/** Stored runs, oldest first; `model` keeps the runs of one model id. */
export async function listRuns(store: Store, opts: { model?: string } = {}): Promise<RunSummary[]> {
  const runs = await store.evals.listRuns();
  return (opts.model === undefined ? runs : runs.filter((r) => r.modelId === opts.model)).map(summary);
}

/** One run by id or unique prefix, typed (for pages and services) and as the one run API shape. */
export async function runDetail(store: Store, idOrPrefix: string): Promise<{ view: RunView; log: RunLogV1 | null }> {
  const run = await findRun(store, idOrPrefix);
  const json = run.log ? resultsJson(run.log) : { results: {}, groups: {} };
  return {
    view: {
      ...summary(run),
      identity: run.identity,
      config: run.spec,
      failure: run.failure,
      results: json.results,
      groups: json.groups,
      samples: await store.evals.sampleTasks(run.id),
    },
    log: run.log,
  };
}

/** One run by id or unique prefix: configuration, results, and stored samples per task. */
export async function showRun(store: Store, idOrPrefix: string): Promise<RunView> {
  return (await runDetail(store, idOrPrefix)).view;
}

/** One page of a task's samples in document order, typed; pages count from 1; a page past the end (or a task
 * the run does not have) is empty. */
export async function runSamplePage(
  store: Store,
  idOrPrefix: string,
  task: string,
  opts: { page?: number | undefined; pageSize?: number | undefined } = {},
): Promise<RunSamplesPage<EvalSampleRecord>> {
  const run = await findRun(store, idOrPrefix);
  const page = Math.max(1, Math.floor(opts.page ?? 1));
  const pageSize = Math.min(500, Math.max(1, Math.floor(opts.pageSize ?? 50)));
  const total = (await store.evals.sampleTasks(run.id)).find((t) => t.task === task)?.n ?? 0;
  const samples: EvalSampleRecord[] = [];
  const from = (page - 1) * pageSize;
  let i = 0;
  for await (const s of store.evals.iterateSamples(run.id, task)) {
    if (i++ < from) continue;
    samples.push(s);
    if (samples.length >= pageSize) break;
  }
  return { run: run.id, task, page, page_size: pageSize, total, samples };
}

/** The same page as the API serves it. */
export async function runSamples(
  store: Store,
  idOrPrefix: string,
  task: string,
  opts: { page?: number | undefined; pageSize?: number | undefined } = {},
): Promise<RunSamplesPage> {
  const p = await runSamplePage(store, idOrPrefix, task, opts);
  return { ...p, samples: p.samples.map(sampleView) };
}

/** One stored sample: the prompt as sent, raw output, extracted answer, target, scores, error. */
export async function runSample(
  store: Store,
  idOrPrefix: string,
  task: string,
  docId: number,
): Promise<EvalSampleRecord> {
  const run = await findRun(store, idOrPrefix);
  for await (const s of store.evals.iterateSamples(run.id, task)) if (s.docId === docId) return s;
  throw new ModelmapError("not_found", `no sample ${docId} of task '${task}' in run '${run.id}'`);
}

export interface TaskInfo {
  name: string;
  /** lm-eval's display name (`task_alias`). */
  alias: string | null;
  output_type: string;
  num_fewshot: number;
  tags: string[];
  categories: string[];
  /** Content hash of the validated definition (changes whenever prompts or scores would). */
  hash: string;
}

/** The registry's tasks (by name) and groups with their members. */
/** A group's members by name (a dict member is a task with overrides or an inline group). */
function groupMemberNames(task: GroupConfig["task"]): string[] {
  const list = task === undefined ? [] : Array.isArray(task) ? task : [task];
  return list.map((m) => (typeof m === "string" ? m : String(m.task ?? m.group ?? "?")));
}

export function taskCatalog(reg: TaskRegistry): {
  tasks: TaskInfo[];
  groups: Array<{ name: string; alias: string | null; tasks: string[] }>;
  tags: string[];
} {
  return {
    tasks: [...reg.tasks.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((t) => ({
        name: t.name,
        alias: t.config.task_alias ?? null,
        output_type: t.config.output_type ?? "generate_until",
        num_fewshot: t.config.num_fewshot ?? 0,
        tags: t.tags,
        categories: t.categories,
        hash: t.hash,
      })),
    groups: [...reg.groups.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((g) => ({ name: g.name, alias: g.config.group_alias ?? null, tasks: groupMemberNames(g.config.task) })),
    tags: reg.tags(),
  };
}
