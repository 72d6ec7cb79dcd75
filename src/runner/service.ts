/**
 * The eval service shared by the CLI and the server: resolves tasks and the data dir, runs, writes the
 * harness-layout output directory and the per-sample JSONL logs, and reads runs back for `runs` and `compare`.
 */
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Backend } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { createRng } from "../core/rng.ts";
import { mcnemar, pairedBootstrap } from "../stats/paired.ts";
import type { EvalRunRecord } from "../store/evals.ts";
import type { RunLogV1 } from "../store/run-log.ts";
import type { Store } from "../store/store.ts";
import { loadDatasetMaps } from "../tasks/dataset-map.ts";
import type { PythonHookOptions } from "../tasks/hooks/python.ts";
import type { PlannedRequest, PromptOptions } from "../tasks/instance.ts";
import { type LoadedTask, type LoadOptions, TaskRegistry } from "../tasks/loader.ts";
import { type DataContext, openPrompter } from "../tasks/task-data.ts";
import { BUILTIN_TASKS_DIR } from "./builtin-tasks.ts";
import {
  dateId,
  harnessResults,
  type SampleLine,
  sampleFilters,
  sampleLine,
  sampleScoresJson,
  sanitizeModelName,
  taskHash,
} from "./lmeval-format.ts";
import type { ProgressSink } from "./progress.ts";
import { type EvalOutcome, runEval } from "./run-eval.ts";

export { BUILTIN_TASKS_DIR };

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

export function loadRegistry(extraDirs: string[] = [], opts: LoadOptions = {}): TaskRegistry {
  return TaskRegistry.load([BUILTIN_TASKS_DIR, ...extraDirs], opts);
}

export function dataContext(dataDir: string, datasetMaps: string[] = [], hub?: DataContext["hub"]): DataContext {
  return { dataDir, datasetMap: loadDatasetMaps(dataDir, datasetMaps), ...(hub ? { hub } : {}) };
}

export interface EvalRequest {
  tasks: string[];
  tasksDirs?: string[];
  /** `--python-hooks`: run hooks without a native version in python3 (CLI only; the shell passes its env). */
  pythonHooks?: PythonHookOptions;
  dataDir: string;
  /** Dataset map files besides the shipped one. */
  datasetMaps?: string[];
  /** Hub datasets without a local copy: caches and downloads (the CLI builds it from its environment and flags). */
  hub?: DataContext["hub"];
  /** Where data files' document counts are kept between runs (the CLI: `doc-counts/` in modelmap's cache). */
  countCache?: string;
  prompt: PromptOptions;
  limit?: number;
  retryErrors?: boolean;
  window?: number;
  /** Resamples for bootstrapped standard errors (lm-eval's `--bootstrap_iters`; default 100000, 0: none). */
  bootstrapIters?: number;
  /** lm-eval's `--output_path`: results_<date>.json under DIR/<model>/. */
  outputDir?: string;
  /** Also write samples_<task>_<date>.jsonl (lm-eval's `--log_samples`). */
  logSamples?: boolean;
  progress?: ProgressSink;
  signal?: AbortSignal;
  writeOut?: (text: string) => void;
  warn?: (text: string) => void;
}

/** modelmap's own commit, for lm-eval's `git_hash` (`git describe --always`, as lm-eval runs it); null outside git. */
function modelmapGitHash(): string | null {
  try {
    const out = execFileSync("git", ["describe", "--always"], {
      cwd: dirname(BUILTIN_TASKS_DIR),
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    });
    return out.trim() || null;
  } catch {
    return null;
  }
}

function modelmapVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(dirname(BUILTIN_TASKS_DIR), "package.json"), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** Where lm-eval puts its files for `--output_path`: `DIR/<model>/`, or beside a path ending in `.json`. */
export function harnessPaths(output: string, modelId: string, stamp: string): { dir: string; results: string } {
  const out = resolve(output);
  if (out.endsWith(".json")) {
    const dir = dirname(out);
    return { dir, results: join(dir, `${basename(out, ".json")}_${stamp}.json`) };
  }
  const dir = join(out, sanitizeModelName(modelId));
  return { dir, results: join(dir, `results_${stamp}.json`) };
}

/** A task name as a file-name part (lm-eval uses it as is; a path separator would make a folder). */
function fileSafe(task: string): string {
  return task.replace(/[/\\]/g, "__");
}

/** Writes through a temporary name, so that a file that exists is a whole file. */
async function writeWhole(path: string, write: (fd: number) => void | Promise<void>): Promise<void> {
  const tmp = `${path}.partial`;
  const fd = openSync(tmp, "w");
  try {
    await write(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Writes lm-eval's files for a finished run from the store: `samples_<task>_<date>.jsonl` (with `logSamples`; one
 * line per document and filter, filter by filter as lm-eval orders them) and then `results_<date>.json`, whose
 * `task_hashes` come from those lines.
 */
export async function writeHarnessFiles(
  store: Store,
  runId: string,
  opts: { output: string; logSamples: boolean; now?: Date },
): Promise<{ resultsFile: string; sampleFiles: string[] }> {
  const run = await findRun(store, runId);
  if (!run.log) throw new ModelmapError("conflict", `run '${run.id}' has no results yet (status ${run.status})`);
  const stamp = dateId(opts.now ?? new Date());
  const paths = harnessPaths(opts.output, run.modelId, stamp);
  mkdirSync(paths.dir, { recursive: true });
  const taskHashes: Record<string, string> = {};
  const sampleFiles: string[] = [];
  if (opts.logSamples) {
    for (const task of Object.keys(run.log.results)) {
      let filters: string[] = [];
      for await (const s of store.evals.iterateSamples(run.id, task)) {
        if (s.error === null) {
          filters = sampleFilters(s);
          break;
        }
      }
      const file = join(paths.dir, `samples_${fileSafe(task)}_${stamp}.jsonl`);
      const lines: SampleLine[] = [];
      await writeWhole(file, async (fd) => {
        for (const f of filters) {
          for await (const s of store.evals.iterateSamples(run.id, task)) {
            const line = sampleLine(s, f);
            if (!line) continue;
            lines.push({ doc_hash: line.doc_hash, prompt_hash: line.prompt_hash, target_hash: line.target_hash });
            writeSync(fd, `${JSON.stringify(line)}\n`);
          }
        }
      });
      taskHashes[task] = taskHash(lines);
      sampleFiles.push(file);
    }
  }
  const results = harnessResults(run.log, {
    modelId: run.modelId,
    identity: run.identity,
    gitHash: modelmapGitHash(),
    modelmapVersion: modelmapVersion(),
    taskHashes,
  });
  await writeWhole(paths.results, (fd) => {
    writeSync(fd, `${JSON.stringify(results, null, 2)}\n`);
  });
  return { resultsFile: paths.results, sampleFiles };
}

/** Per task, the failed documents by reason; `allFailed` names the tasks none of whose documents could be scored. */
export function failureSummary(log: RunLogV1): { lines: string[]; allFailed: string[] } {
  const lines: string[] = [];
  const allFailed: string[] = [];
  for (const [task, r] of Object.entries(log.results)) {
    if (r.nErrors === 0) continue;
    const total = r.n + r.nErrors;
    if (r.n === 0) allFailed.push(task);
    // Reasons are causes in words (runner/failures.ts), counted as `generate` and `judge` count theirs.
    const counts = r.failures.map((f) => `${f.count} ${f.reason}`).join(", ");
    const first = r.failures[0]?.first;
    lines.push(
      `task '${task}': ${r.n === 0 ? `every document failed (${total})` : `${r.nErrors} of ${total} documents failed`}: ${counts}${first ? `; first: ${first}` : ""}`,
    );
  }
  return { lines, allFailed };
}

export async function evaluate(
  store: Store,
  backend: Backend,
  modelId: string,
  req: EvalRequest,
): Promise<EvalOutcome & { resultsFile?: string; sampleFiles?: string[] }> {
  const reg = loadRegistry(req.tasksDirs, req.pythonHooks ? { pythonHooks: req.pythonHooks } : {});
  const { tasks, groups } = reg.resolve(req.tasks);
  // A task defined twice (or overriding a built-in) runs one definition: say which, for the tasks that run.
  for (const n of reg.notices) if (tasks.some((t) => n.includes(`'${t.name}'`))) req.warn?.(`notice: ${n}`);
  if (!req.prompt.chatTemplate && (looksInstructTuned(backend.identity.name) || looksInstructTuned(modelId)))
    req.warn?.(
      `warning: ${modelId} looks instruction-tuned but runs without its chat template; scores will differ from chat use (add --chat-template)`,
    );
  if (req.logSamples && !req.outputDir)
    throw new ModelmapError("usage", "eval: --log-samples needs --output (where the samples files go)");
  // An unwritable output path fails before the model runs, not after.
  if (req.outputDir) mkdirSync(harnessPaths(req.outputDir, modelId, "").dir, { recursive: true });
  const outcome = await runEval(store, backend, {
    modelId,
    tasks,
    groups,
    dataDir: req.dataDir,
    datasetMap: loadDatasetMaps(req.dataDir, req.datasetMaps),
    ...(req.hub ? { hub: req.hub } : {}),
    ...(req.countCache ? { countCache: req.countCache } : {}),
    prompt: req.prompt,
    ...(req.limit === undefined ? {} : { limit: req.limit }),
    ...(req.retryErrors ? { retryErrors: true } : {}),
    ...(req.window ? { window: req.window } : {}),
    ...(req.bootstrapIters === undefined ? {} : { bootstrapIters: req.bootstrapIters }),
    ...(req.progress ? { progress: req.progress } : {}),
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.writeOut
      ? {
          writeOutDocs: 2,
          onWriteOut: (task: string, docId: number, requests: PlannedRequest[]) => {
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
  if (!req.outputDir) return outcome;
  return {
    ...outcome,
    ...(await writeHarnessFiles(store, outcome.runId, { output: req.outputDir, logSamples: req.logSamples === true })),
  };
}

/**
 * Checks that a task's data is there and its templates work: reads the first document of the evaluated split (and
 * the few-shot pool when the task uses one) and builds its requests without a model.
 */
export async function checkTaskData(task: LoadedTask, ctx: DataContext): Promise<{ requests: number }> {
  const { data, prompter } = await openPrompter(task, ctx, {
    chatTemplate: false,
    fewshotAsMultiturn: false,
    seed: 1234,
  });
  for await (const doc of data.evalDocs()) {
    const inst = await prompter.instance(doc, 0);
    return { requests: inst.requests.length };
  }
  throw new ModelmapError("input", `task '${task.name}': the ${data.evalSplit} split has no documents`, {
    location: { file: task.file },
  });
}

export async function findRun(store: Store, idOrPrefix: string): Promise<EvalRunRecord> {
  const exact = await store.evals.getRun(idOrPrefix);
  if (exact) return exact;
  const found = await store.evals.findRuns(idOrPrefix);
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
export async function compareRuns(
  store: Store,
  a: string,
  b: string,
  opts: { seed?: number; iterations?: number } = {},
): Promise<{ runA: string; runB: string; tasks: TaskComparison[] }> {
  const ra = await findRun(store, a);
  const rb = await findRun(store, b);
  const scoresOf = async (runId: string) => {
    const m = new Map<string, Map<number, Record<string, number>>>();
    for await (const s of store.evals.iterateSamples(runId)) {
      if (s.error !== null) continue;
      let t = m.get(s.task);
      if (!t) {
        t = new Map();
        m.set(s.task, t);
      }
      // Paired per metric and filter, labelled as lm-eval labels them ("acc,none").
      t.set(s.docId, sampleScoresJson(s.scores));
    }
    return m;
  };
  const A = await scoresOf(ra.id);
  const B = await scoresOf(rb.id);
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
