/**
 * What the CLI (`runs list|show`, `tasks list`) and the server (`/api/runs`, `/runs`, `/api/eval/tasks`) show of
 * stored runs and of the task registry: one shape each, built here, so that `runs show --format json` and
 * `GET /api/runs/RUN` cannot drift apart. Fields are snake_case like the harness's own results.
 */
import { ModelmapError } from "../core/errors.ts";
import type { EvalRunRecord, EvalRunStatus, EvalSampleRecord } from "../store/evals.ts";
import type { Store } from "../store/store.ts";
import type { TaskRegistry } from "../tasks/loader.ts";
import type { TaskResult } from "./results.ts";
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
  identity: unknown;
  /** Everything the run was asked to do: tasks, chat template, system prompt, seed, few-shot, limit. */
  config: unknown;
  results: Record<string, TaskResult>;
  groups: Record<string, TaskResult>;
  /** Stored samples per task. */
  samples: RunTaskCount[];
}

export interface RunSamplesPage {
  run: string;
  task: string;
  page: number;
  page_size: number;
  total: number;
  samples: EvalSampleRecord[];
}

function summary(r: EvalRunRecord): RunSummary {
  const tasks = (r.config as { tasks?: unknown } | null)?.tasks;
  return {
    id: r.id,
    model: r.modelId,
    status: r.status,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    tasks: Array.isArray(tasks) ? tasks.map(String) : [],
  };
}

/** Stored runs, oldest first; `model` keeps the runs of one model id. */
export function listRuns(store: Store, opts: { model?: string } = {}): RunSummary[] {
  const runs = store.evals.listRuns();
  return (opts.model === undefined ? runs : runs.filter((r) => r.modelId === opts.model)).map(summary);
}

/** One run by id or unique prefix: configuration, results, and stored samples per task. */
export function showRun(store: Store, idOrPrefix: string): RunView {
  const run = findRun(store, idOrPrefix);
  const res = (run.results ?? {}) as { results?: Record<string, TaskResult>; groups?: Record<string, TaskResult> };
  return {
    ...summary(run),
    identity: run.model,
    config: run.config,
    results: res.results ?? {},
    groups: res.groups ?? {},
    samples: store.evals.sampleTasks(run.id),
  };
}

/** One page of a task's samples in document order; pages count from 1; a page past the end (or a task the run
 * does not have) is empty. */
export function runSamples(
  store: Store,
  idOrPrefix: string,
  task: string,
  opts: { page?: number | undefined; pageSize?: number | undefined } = {},
): RunSamplesPage {
  const run = findRun(store, idOrPrefix);
  const page = Math.max(1, Math.floor(opts.page ?? 1));
  const pageSize = Math.min(500, Math.max(1, Math.floor(opts.pageSize ?? 50)));
  const total = store.evals.sampleTasks(run.id).find((t) => t.task === task)?.n ?? 0;
  const samples: EvalSampleRecord[] = [];
  const from = (page - 1) * pageSize;
  let i = 0;
  for (const s of store.evals.iterateSamples(run.id, task)) {
    if (i++ < from) continue;
    samples.push(s);
    if (samples.length >= pageSize) break;
  }
  return { run: run.id, task, page, page_size: pageSize, total, samples };
}

/** One stored sample: the prompt as sent, raw output, extracted answer, target, scores, error. */
export function runSample(store: Store, idOrPrefix: string, task: string, docId: number): EvalSampleRecord {
  const run = findRun(store, idOrPrefix);
  for (const s of store.evals.iterateSamples(run.id, task)) if (s.docId === docId) return s;
  throw new ModelmapError("not_found", `no sample ${docId} of task '${task}' in run '${run.id}'`);
}

export interface TaskInfo {
  name: string;
  output_type: string;
  num_fewshot: number;
  tags: string[];
  categories: string[];
  /** Content hash of the validated definition (changes whenever prompts or scores would). */
  hash: string;
}

/** The registry's tasks (by name) and groups with their members. */
export function taskCatalog(reg: TaskRegistry): {
  tasks: TaskInfo[];
  groups: Array<{ name: string; tasks: string[] }>;
} {
  return {
    tasks: [...reg.tasks.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((t) => ({
        name: t.name,
        output_type: t.config.output_type,
        num_fewshot: t.config.num_fewshot ?? 0,
        tags: t.tags,
        categories: t.categories,
        hash: t.hash,
      })),
    groups: [...reg.groups.values()].map((g) => ({ name: g.name, tasks: g.config.task })),
  };
}
