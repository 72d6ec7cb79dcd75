/**
 * lm-evaluation-harness's JSON, written from the typed run log: the only place that builds its `"metric,filter"`
 * keys. Three writers: the per-task result object modelmap prints and serves (`eval --format json`, the run API:
 * lm-eval's keys plus `n`, `n_errors`, the random baseline and the normalized score), lm-eval's
 * `results_<date>.json` (every key of `lm_eval/result_schema.py`'s `EvalResults`), and its
 * `samples_<task>_<date>.jsonl` lines (one per document and filter, as `evaluation_tracker.py` writes them).
 */
import { sha256 } from "../core/hash.ts";
import type { EvalSample, GroupResultV1, MetricRef, RunLogV1, Score, TaskResultV1 } from "../store/run-log.ts";
import { pyStr } from "./py-format.ts";

export const metricKey = (r: MetricRef): string => `${r.metric},${r.filter}`;
export const stderrKey = (r: MetricRef): string => `${r.metric}_stderr,${r.filter}`;

export type ResultJson = Record<string, number | string | null>;

/** A task's results as modelmap prints and serves them (lm-eval's keys, then modelmap's). */
export function taskResultJson(r: TaskResultV1): ResultJson {
  const out: ResultJson = {};
  for (const m of r.metrics) {
    out[metricKey(m)] = m.value;
    out[stderrKey(m)] = m.stderr;
  }
  out.n = r.n;
  out.n_errors = r.nErrors;
  if (r.primary) {
    out.random_baseline = r.randomBaseline;
    out.primary_metric = metricKey(r.primary);
    out.normalized_score = r.normalizedScore;
  }
  return out;
}

/** A group's aggregates: `M,F` over items with its standard error, `M_macro,F` over subtasks. */
export function groupResultJson(g: GroupResultV1): ResultJson {
  const out: ResultJson = {};
  for (const m of g.metrics) {
    out[metricKey(m)] = m.value;
    out[stderrKey(m)] = m.stderr;
    const macro = g.macro.find((x) => x.metric === m.metric && x.filter === m.filter);
    if (macro) out[metricKey({ metric: `${m.metric}_macro`, filter: m.filter })] = macro.value;
  }
  out.n = g.n;
  out.n_errors = g.nErrors;
  out.n_subtasks = g.tasks.length;
  if (g.normalizedScore !== null) out.normalized_score = g.normalizedScore;
  return out;
}

export function resultsJson(log: RunLogV1): {
  results: Record<string, ResultJson>;
  groups: Record<string, ResultJson>;
} {
  return {
    results: Object.fromEntries(Object.entries(log.results).map(([t, r]) => [t, taskResultJson(r)])),
    groups: Object.fromEntries(Object.entries(log.groups).map(([g, r]) => [g, groupResultJson(r)])),
  };
}

/** A sample's scores keyed as lm-eval's results are (`{"acc,none": 1}`). */
export function sampleScoresJson(scores: Score[]): Record<string, number> {
  return Object.fromEntries(scores.map((s) => [metricKey(s), s.value]));
}

// ---------------------------------------------------------------------------------------------------------------
// lm-eval's own files.

/** lm-eval's `sanitize_model_name`: the model's folder under the output path. */
export function sanitizeModelName(name: string): string {
  return name.replace(/["<>:/|\\?*[\]]+/g, "__");
}

/** `datetime.now().isoformat().replace(":", "-")` (local time, microseconds), lm-eval's file stamp. */
export function dateId(d: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`;
}

/** One `samples_*.jsonl` line. */
export type SampleLine = Record<string, unknown>;

function argumentsOf(s: EvalSample): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  s.arguments.forEach((r, i) => {
    out[`gen_args_${i}`] =
      r.kind === "loglikelihood"
        ? { arg_0: r.context, arg_1: r.continuation }
        : r.kind === "generate"
          ? { arg_0: r.prompt, arg_1: s.genKwargs ?? r.params }
          : { arg_0: r.text };
  });
  return out;
}

/** lm-eval's `sanitize_list`: every leaf as Python's `str()`, lists (and tuples) kept. */
function sanitizeList(v: unknown): unknown {
  return Array.isArray(v) ? v.map(sanitizeList) : pyStr(v);
}

/** A raw answer as lm-eval holds it per request: `(logprob, is_greedy)`, the text, or the rolling log-likelihood. */
function lmevalResp(r: EvalSample["resps"][number], rolling: boolean): unknown {
  if (rolling && Array.isArray(r)) return r[0];
  return r;
}

/** The filters of a sample, in the order the task lists them. */
export function sampleFilters(s: EvalSample): string[] {
  return Object.keys(s.filteredResps);
}

/**
 * The sample's line for one filter (`evaluator.py` builds it, `evaluation_tracker.py` sanitizes it): null for a
 * failed sample, which lm-eval has no way to write.
 */
export function sampleLine(s: EvalSample, filter: string): SampleLine | null {
  const filtered = s.filteredResps[filter];
  if (s.error !== null || filtered === undefined || s.hashes === null) return null;
  const rolling = s.arguments[0]?.kind === "rolling";
  const metrics = s.scores.filter((x) => x.filter === filter);
  const line: SampleLine = {
    doc_id: s.docId,
    doc: s.doc,
    target: pyStr(s.target),
    arguments: argumentsOf(s),
    // Per request, a list of its repeats (modelmap answers each request once).
    resps: sanitizeList(s.resps.map((r) => [lmevalResp(r, rolling)])),
    filtered_resps: sanitizeList(filtered),
    filter,
    metrics: metrics.map((m) => m.metric),
    doc_hash: s.hashes.doc,
    prompt_hash: s.hashes.prompt,
    target_hash: s.hashes.target,
  };
  for (const m of metrics) line[m.metric] = m.value;
  return line;
}

/** lm-eval's `task_hashes` entry: sha256 of the concatenated hashes of the task's sample lines, in file order. */
export function taskHash(lines: SampleLine[]): string {
  return sha256(lines.map((l) => `${l.doc_hash}${l.prompt_hash}${l.target_hash}`).join(""));
}

export interface HarnessMeta {
  modelId: string;
  /** The backend's identity (engine, name, file hash, endpoint). */
  identity: Record<string, unknown>;
  /** modelmap's commit (`git describe --always`), or null outside a checkout. */
  gitHash: string | null;
  modelmapVersion: string;
  /** Per task, from the samples written (`--log-samples`); empty otherwise, as lm-eval does. */
  taskHashes: Record<string, string>;
}

const sorted = <T>(o: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const epoch = (iso: string | undefined): number | null => {
  const t = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isFinite(t) ? t / 1000 : null;
};

function lmevalMetrics(name: string, alias: string, sampleLen: number, metrics: TaskResultV1["metrics"]) {
  const out: Record<string, unknown> = { name, alias, sample_len: sampleLen };
  for (const m of metrics) {
    out[metricKey(m)] = m.value;
    // lm-eval writes "N/A" where it has no standard error.
    out[stderrKey(m)] = m.stderr ?? "N/A";
  }
  return out;
}

/** lm-eval's `results_<date>.json` for a finished run (`EvalResults`, with the tracker's fields). */
export function harnessResults(log: RunLogV1, meta: HarnessMeta): Record<string, unknown> {
  const spec = log.spec;
  const tasks = Object.entries(log.results);
  const groupEntries = Object.entries(log.groups);
  const results: Record<string, unknown> = {};
  for (const [t, r] of tasks) results[t] = lmevalMetrics(t, r.alias, r.n, r.metrics);
  const groups: Record<string, unknown> = {};
  for (const [g, r] of groupEntries) {
    const sampleCount = Object.fromEntries(r.metrics.map((m) => [metricKey(m), r.n]));
    groups[g] = { ...lmevalMetrics(g, r.alias, r.n, r.metrics), sample_count: sampleCount };
    results[g] = groups[g];
  }
  const nShot: Record<string, number> = {};
  const hib: Record<string, Record<string, boolean | null>> = {};
  for (const [t, r] of tasks) {
    nShot[t] = r.nShot ?? spec.num_fewshot ?? 0;
    hib[t] = r.higherIsBetter;
  }
  // Groups take their members' few-shot count when all agree, and their higher_is_better (None on a conflict).
  for (const [g, r] of groupEntries) {
    const shots = new Set(r.tasks.flatMap((t) => (nShot[t] === undefined ? [] : [nShot[t]])));
    if (shots.size === 1) nShot[g] = [...shots][0] as number;
    const merged: Record<string, boolean | null> = {};
    for (const t of r.tasks)
      for (const [m, h] of Object.entries(log.results[t]?.higherIsBetter ?? {})) {
        if (!(m in merged)) merged[m] = h;
        else if (merged[m] !== null && merged[m] !== h) merged[m] = null;
      }
    if (Object.keys(merged).length > 0) hib[g] = merged;
  }
  const prompting = spec.model_prompting ?? null;
  const chatTemplate = spec.chat_template
    ? (prompting?.templateName ?? (prompting ? `${prompting.templateSource} template` : "the model's own template"))
    : null;
  const start = epoch(log.timing?.startedAt);
  const end = epoch(log.timing?.finishedAt);
  const identity = meta.identity;
  const modelArgs: Record<string, string> = { model: meta.modelId };
  for (const k of ["backend", "name", "fileSha256", "endpoint"] as const)
    if (typeof identity[k] === "string") modelArgs[k] = identity[k];
  return {
    results,
    ...(groupEntries.length > 0 ? { groups } : {}),
    group_subtasks: Object.fromEntries(groupEntries.map(([g, r]) => [g, r.tasks])),
    configs: sorted(Object.fromEntries(tasks.map(([t, r]) => [t, r.config]))),
    versions: sorted({
      ...Object.fromEntries(tasks.map(([t, r]) => [t, r.version])),
      ...Object.fromEntries(groupEntries.map(([g]) => [g, null])),
    }),
    "n-shot": sorted(nShot),
    higher_is_better: sorted(hib),
    "n-samples": Object.fromEntries(
      tasks.map(([t, r]) => [
        t,
        { original: r.nSamples.original ?? r.nSamples.effective, effective: r.nSamples.effective },
      ]),
    ),
    config: {
      model: typeof identity.backend === "string" ? identity.backend : "modelmap",
      model_args: modelArgs,
      batch_size: null,
      batch_sizes: [],
      device: null,
      use_cache: null,
      limit: spec.limit,
      gen_kwargs: null,
      // modelmap seeds only the few-shot sampler (no numpy or torch state; standard errors in closed form).
      fewshot_seed: spec.seed,
    },
    git_hash: meta.gitHash,
    date: start,
    pretty_env_info: `modelmap ${meta.modelmapVersion}; Node.js ${process.version}; ${process.platform} ${process.arch}`,
    transformers_version: "N/A",
    lm_eval_version: `N/A (modelmap ${meta.modelmapVersion}, lm-eval 0.4 results layout)`,
    upper_git_hash: null,
    eot_token_id: null,
    max_length: null,
    task_hashes: meta.taskHashes,
    model_source: modelArgs.backend ?? "modelmap",
    model_name: meta.modelId,
    model_name_sanitized: sanitizeModelName(meta.modelId),
    system_instruction: spec.system_prompt,
    system_instruction_sha: spec.system_prompt ? spec.system_prompt_sha256 : null,
    fewshot_as_multiturn: spec.fewshot_as_multiturn,
    chat_template: chatTemplate,
    chat_template_sha: spec.chat_template ? (prompting?.templateHash ?? null) : null,
    start_time: start,
    end_time: end,
    total_evaluation_time_seconds: log.timing ? String(log.timing.seconds) : null,
  };
}
