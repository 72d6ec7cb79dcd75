/**
 * The eval service shared by the CLI and the server: resolves tasks and the data dir, runs, writes the
 * harness-layout output directory and the per-sample JSONL logs, and reads runs back for `runs` and `compare`.
 */
import { createWriteStream, existsSync, mkdirSync, type WriteStream, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Backend } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { createRng } from "../core/rng.ts";
import { mcnemar, pairedBootstrap } from "../stats/paired.ts";
import type { EvalRunRecord } from "../store/evals.ts";
import type { Store } from "../store/store.ts";
import { readAll, readDocs } from "../tasks/dataset.ts";
import type { PromptOptions } from "../tasks/instance.ts";
import { TaskPrompter } from "../tasks/instance.ts";
import { type LoadedTask, TaskRegistry } from "../tasks/loader.ts";
import { evalSplit, fewshotSplit, filesFor, splitFiles } from "../tasks/splits.ts";
import type { ProgressSink } from "./progress.ts";
import { type EvalOutcome, runEval } from "./run-eval.ts";

/** The repository's own task definitions. */
export const BUILTIN_TASKS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "tasks");

/** --data-dir, else config data_dir, else $MODELMAP_DATA_DIR, else ../shared/data, else ./data (all from cwd). */
export function resolveDataDir(
  cwd: string,
  flag: string | undefined,
  configured: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  const given = flag ?? configured ?? env.MODELMAP_DATA_DIR;
  if (given) return resolve(cwd, given);
  const shared = resolve(cwd, "..", "shared", "data");
  return existsSync(shared) ? shared : resolve(cwd, "data");
}

/** Instruction-tuned models are usually named so; running one without its template changes its scores. */
export function looksInstructTuned(name: string): boolean {
  return /(instruct|[-_.]chat|[-_.]it\b|[-_.]sft|[-_.]dpo|[-_.]rlhf)/i.test(name);
}

export function loadRegistry(extraDirs: string[] = []): TaskRegistry {
  return TaskRegistry.load([BUILTIN_TASKS_DIR, ...extraDirs]);
}

export interface EvalRequest {
  tasks: string[];
  tasksDirs?: string[];
  dataDir: string;
  prompt: PromptOptions;
  limit?: number;
  retryErrors?: boolean;
  window?: number;
  outputDir?: string;
  progress?: ProgressSink;
  signal?: AbortSignal;
  writeOut?: (text: string) => void;
  warn?: (text: string) => void;
}

function sanitize(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, "__");
}

/** The lm-evaluation-harness results file: results, groups, configs, versions, n-shot, n-samples, config. */
export function harnessResults(outcome: EvalOutcome, req: EvalRequest, reg: TaskRegistry): Record<string, unknown> {
  const names = Object.keys(outcome.results);
  const results: Record<string, unknown> = {};
  for (const n of names) results[n] = { alias: n, ...outcome.results[n] };
  for (const [g, r] of Object.entries(outcome.groups)) results[g] = { alias: g, ...r };
  return {
    results,
    groups: outcome.groups,
    group_subtasks: Object.fromEntries(
      Object.entries(outcome.config.groups as Array<{ name: string; tasks: string[] }>).map(([, g]) => [
        g.name,
        g.tasks,
      ]),
    ),
    configs: Object.fromEntries(names.map((n) => [n, reg.tasks.get(n)?.config])),
    versions: outcome.versions,
    "n-shot": Object.fromEntries(
      names.map((n) => [n, req.prompt.numFewshot ?? reg.tasks.get(n)?.config.num_fewshot ?? 0]),
    ),
    "n-samples": Object.fromEntries(
      names.map((n) => [n, { original: outcome.results[n]?.n, effective: outcome.results[n]?.n }]),
    ),
    config: outcome.config,
  };
}

export async function evaluate(
  store: Store,
  backend: Backend,
  modelId: string,
  req: EvalRequest,
): Promise<EvalOutcome & { resultsFile?: string }> {
  const reg = loadRegistry(req.tasksDirs);
  const { tasks, groups } = reg.resolve(req.tasks);
  if (!req.prompt.chatTemplate && (looksInstructTuned(backend.identity.name) || looksInstructTuned(modelId)))
    req.warn?.(
      `warning: ${modelId} looks instruction-tuned but runs without its chat template; scores will differ from chat use (add --chat-template)`,
    );
  const stamp = new Date().toISOString().replace(/[:]/g, "-").replace(/\..*$/, "");
  const modelDir = req.outputDir ? join(resolve(req.outputDir), sanitize(modelId)) : undefined;
  if (modelDir) mkdirSync(modelDir, { recursive: true });
  const logs = new Map<string, WriteStream>();
  try {
    const outcome = await runEval(store, backend, {
      modelId,
      tasks,
      groups,
      dataDir: req.dataDir,
      prompt: req.prompt,
      ...(req.limit === undefined ? {} : { limit: req.limit }),
      ...(req.retryErrors ? { retryErrors: true } : {}),
      ...(req.window ? { window: req.window } : {}),
      ...(req.progress ? { progress: req.progress } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
      ...(modelDir
        ? {
            onSample: (task: string, sample: Record<string, unknown>) => {
              let s = logs.get(task);
              if (!s) {
                s = createWriteStream(join(modelDir, `samples_${sanitize(task)}_${stamp}.jsonl`));
                logs.set(task, s);
              }
              s.write(`${JSON.stringify(sample)}\n`);
            },
          }
        : {}),
      ...(req.writeOut
        ? {
            writeOutDocs: 2,
            onWriteOut: (task: string, docId: number, requests) => {
              const w = req.writeOut as (t: string) => void;
              for (const [i, r] of requests.entries()) {
                const body =
                  r.kind === "loglikelihood"
                    ? `${r.context}|||${r.continuation}`
                    : r.kind === "generate"
                      ? r.prompt
                      : r.text;
                w(
                  `--- ${task} doc ${docId} request ${i} (${r.kind}${r.kind === "loglikelihood" ? ": context|||continuation" : ""}) ---\n${body}\n`,
                );
                if (i >= 3) break;
              }
            },
          }
        : {}),
    });
    let resultsFile: string | undefined;
    if (modelDir) {
      resultsFile = join(modelDir, `results_${stamp}.json`);
      writeFileSync(resultsFile, `${JSON.stringify(harnessResults(outcome, req, reg), null, 2)}\n`);
    }
    return resultsFile ? { ...outcome, resultsFile } : outcome;
  } finally {
    await Promise.all([...logs.values()].map((s) => new Promise<void>((r) => s.end(r))));
  }
}

/**
 * Checks that a task's data is there and its templates work: reads the first document of the evaluated split (and
 * the few-shot pool when the task uses one) and builds its requests without a model.
 */
export async function checkTaskData(task: LoadedTask, dataDir: string): Promise<{ requests: number }> {
  const files = splitFiles(task, dataDir);
  const evalName = evalSplit(task);
  const fsName = fewshotSplit(task);
  const k = task.config.num_fewshot ?? 0;
  const pool =
    k > 0 && fsName !== undefined
      ? await readAll(filesFor(task, files, fsName), task.name, task.config.dataset_url)
      : [];
  const prompter = new TaskPrompter(
    task.config,
    { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234 },
    pool,
    fsName === evalName,
  );
  for (const f of filesFor(task, files, evalName)) {
    for await (const doc of readDocs(f, task.name, task.config.dataset_url)) {
      const inst = await prompter.instance(doc, 0);
      return { requests: inst.requests.length };
    }
  }
  throw new ModelmapError("input", `task '${task.name}': the ${evalName} split has no documents`, {
    location: { file: task.file },
  });
}

export function findRun(store: Store, idOrPrefix: string): EvalRunRecord {
  const exact = store.evals.getRun(idOrPrefix);
  if (exact) return exact;
  const found = store.evals.findRuns(idOrPrefix);
  if (found.length === 1 && found[0]) return found[0];
  if (found.length > 1)
    throw new ModelmapError(
      "usage",
      `run id '${idOrPrefix}' is ambiguous (${found.length} runs); give more characters`,
    );
  throw new ModelmapError("not_found", `no run '${idOrPrefix}'`, { hint: "run 'modelmap runs list'" });
}

export interface TaskComparison {
  task: string;
  metric: string;
  n: number;
  a: number;
  b: number;
  diff: number;
  lower: number;
  upper: number;
  bootstrapP: number;
  mcnemar?: { b: number; c: number; pValue: number; method: string };
}

/** Per task and metric: paired bootstrap over the documents both runs scored, and McNemar for 0/1 metrics. */
export function compareRuns(
  store: Store,
  a: string,
  b: string,
  opts: { seed?: number; iterations?: number } = {},
): { runA: string; runB: string; tasks: TaskComparison[] } {
  const ra = findRun(store, a);
  const rb = findRun(store, b);
  const scoresOf = (runId: string) => {
    const m = new Map<string, Map<number, Record<string, number>>>();
    for (const s of store.evals.iterateSamples(runId)) {
      if (s.error !== null) continue;
      let t = m.get(s.task);
      if (!t) {
        t = new Map();
        m.set(s.task, t);
      }
      t.set(s.docId, s.scores);
    }
    return m;
  };
  const A = scoresOf(ra.id);
  const B = scoresOf(rb.id);
  const out: TaskComparison[] = [];
  const rng = createRng(opts.seed ?? 1234);
  for (const [task, docsA] of [...A.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    const docsB = B.get(task);
    if (!docsB) continue;
    const ids = [...docsA.keys()].filter((d) => docsB.has(d)).sort((x, y) => x - y);
    const metrics = new Set<string>();
    for (const d of ids) for (const k of Object.keys(docsA.get(d) ?? {})) if (!k.startsWith("_")) metrics.add(k);
    for (const metric of [...metrics].sort()) {
      const xa: number[] = [];
      const xb: number[] = [];
      for (const d of ids) {
        const va = docsA.get(d)?.[metric];
        const vb = docsB.get(d)?.[metric];
        if (va === undefined || vb === undefined) continue;
        xa.push(va);
        xb.push(vb);
      }
      if (xa.length === 0) continue;
      const pb = pairedBootstrap(xa, xb, rng, opts.iterations ?? 2000);
      const binary = xa.every((x) => x === 0 || x === 1) && xb.every((x) => x === 0 || x === 1);
      const c: TaskComparison = {
        task,
        metric,
        n: xa.length,
        a: xa.reduce((s, x) => s + x, 0) / xa.length,
        b: xb.reduce((s, x) => s + x, 0) / xb.length,
        diff: pb.diff,
        lower: pb.lower,
        upper: pb.upper,
        bootstrapP: pb.pValue,
      };
      if (binary) {
        const m = mcnemar(xa, xb);
        c.mcnemar = { b: m.b, c: m.c, pValue: m.pValue, method: m.method };
      }
      out.push(c);
    }
  }
  return { runA: ra.id, runB: rb.id, tasks: out };
}
