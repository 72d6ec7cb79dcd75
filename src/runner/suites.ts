/**
 * Benchmark suites: a shipped group of tasks run with a leaderboard's settings (`tasks/suites/*.yaml`: the tasks and
 * their n-shot), and the leaderboard's columns computed from a run's results. `open-llm-v2` is the Open LLM
 * Leaderboard v2 (IFEval, BBH, MATH Lvl 5, GPQA, MuSR, MMLU-Pro: raw and normalised as the leaderboard publishes
 * them, `stats/open-llm.ts`), `open-llm-v1` its first edition (ARC, HellaSwag, MMLU, TruthfulQA, Winogrande, GSM8K in
 * percent). Column keys are the final tables' (`evaluations_ifeval_value`, `arc`, ...) and metric names the
 * capability map's importer uses (`ifeval`, `math-lvl5`, ...), so a suite run sits beside the imported rows.
 */
import { ModelmapError } from "../core/errors.ts";
import {
  V2_BASELINES,
  V2_BBH_CHOICES,
  V2_MUSR_CHOICES,
  type V2Column,
  v2Average,
  v2Ifeval,
  v2Single,
  v2Subtasks,
} from "../stats/open-llm.ts";
import type { MetricValue, RunLogV1, TaskResultV1 } from "../store/run-log.ts";

export const SUITE_NAMES = ["open-llm-v1", "open-llm-v2"] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

export interface SuiteColumn {
  /** The capability map's metric name (as the leaderboard importers name it). */
  metric: string;
  label: string;
  /** The raw score as a fraction; null when the run lacks a task it needs. */
  raw: number | null;
  /** The leaderboard's normalised score (0-100; v1: the raw score in percent). */
  normalized: number | null;
  /** Documents scored, over the tasks behind the column. */
  n: number;
  /** The leaderboard's random baseline, or how it normalises ("per subtask"). */
  baseline: string;
  /** The final table's column names for this benchmark. */
  tableColumns: { raw: string; normalized?: string };
}

export interface SuiteRow {
  suite: SuiteName;
  title: string;
  columns: SuiteColumn[];
  /** The leaderboard's average: of the normalised scores (v2) or of the percentages (v1); null if one is missing. */
  average: number | null;
  /** The final table's name for the average. */
  averageColumn: string;
  /** The settings the suite ran with, as recorded in the run. */
  settings: {
    chatTemplate: boolean;
    systemPrompt: string | null;
    fewshotAsMultiturn: boolean;
    limit: number | null;
  };
}

/** The shipped group that runs a suite (tasks/suites/NAME.yaml). */
export function suiteGroup(name: string): SuiteName {
  if ((SUITE_NAMES as readonly string[]).includes(name)) return name as SuiteName;
  throw new ModelmapError("usage", `unknown suite '${name}'`, { hint: `suites: ${SUITE_NAMES.join(", ")}` });
}

function metricOf(r: TaskResultV1 | undefined, metric: string, filter = "none"): MetricValue | undefined {
  return r?.metrics.find((m) => m.metric === metric && m.filter === filter && m.value !== null);
}

/** A metric over several tasks, weighted by their documents (lm-eval's weight_by_size group mean). */
function pooled(log: RunLogV1, tasks: string[], metric: string, filter = "none"): { value: number; n: number } | null {
  let sum = 0;
  let n = 0;
  for (const t of tasks) {
    const r = log.results[t];
    const m = metricOf(r, metric, filter);
    if (!r || !m || m.value === null) return null;
    sum += m.value * r.n;
    n += r.n;
  }
  return n === 0 ? null : { value: sum / n, n };
}

function column(
  metric: string,
  label: string,
  c: V2Column | null,
  n: number,
  baseline: string,
  table: SuiteColumn["tableColumns"],
): SuiteColumn {
  return {
    metric,
    label,
    raw: c && Number.isFinite(c.raw) ? c.raw : null,
    normalized: c && Number.isFinite(c.normalized) ? c.normalized : null,
    n,
    baseline,
    tableColumns: table,
  };
}

const v2Table = (key: string) => ({
  raw: `evaluations_${key}_value`,
  normalized: `evaluations_${key}_normalized_score`,
});

function subtaskColumn(
  log: RunLogV1,
  prefix: string,
  choices: Readonly<Record<string, number>>,
): { col: V2Column | null; n: number } {
  const scores: Array<{ raw: number; choices: number }> = [];
  let n = 0;
  for (const [sub, c] of Object.entries(choices)) {
    const r = log.results[`${prefix}${sub}`];
    const m = metricOf(r, "acc_norm");
    if (!r || !m || m.value === null) return { col: null, n: 0 };
    scores.push({ raw: m.value, choices: c });
    n += r.n;
  }
  return { col: v2Subtasks(scores), n };
}

const MATH_SUBJECTS = [
  "algebra",
  "counting_and_prob",
  "geometry",
  "intermediate_algebra",
  "num_theory",
  "prealgebra",
  "precalculus",
];

function v2Columns(log: RunLogV1): SuiteColumn[] {
  const ifeval = log.results.leaderboard_ifeval;
  const prompt = metricOf(ifeval, "prompt_level_strict_acc")?.value;
  const inst = metricOf(ifeval, "inst_level_strict_acc")?.value;
  const bbh = subtaskColumn(log, "leaderboard_bbh_", V2_BBH_CHOICES);
  const musr = subtaskColumn(log, "leaderboard_musr_", V2_MUSR_CHOICES);
  const math = pooled(
    log,
    MATH_SUBJECTS.map((s) => `leaderboard_math_${s}_hard`),
    "exact_match",
  );
  const gpqa = pooled(
    log,
    ["diamond", "extended", "main"].map((s) => `leaderboard_gpqa_${s}`),
    "acc_norm",
  );
  const mmluPro = pooled(log, ["leaderboard_mmlu_pro"], "acc");
  return [
    column(
      "ifeval",
      "IFEval",
      prompt !== undefined && prompt !== null && inst !== undefined && inst !== null ? v2Ifeval(prompt, inst) : null,
      ifeval?.n ?? 0,
      "0 (mean of prompt- and instruction-level strict accuracy)",
      v2Table("ifeval"),
    ),
    column("bbh", "BBH", bbh.col, bbh.n, "per subtask (1/choices)", v2Table("bbh")),
    singleBaseline("math-lvl5", "MATH Lvl 5", math, "math"),
    singleBaseline("gpqa", "GPQA", gpqa, "gpqa"),
    column("musr", "MuSR", musr.col, musr.n, "per subtask (1/2, 1/5, 1/3)", v2Table("musr")),
    singleBaseline("mmlu-pro", "MMLU-PRO", mmluPro, "mmlu_pro"),
  ];
}

/** A v2 column normalised against one random baseline for the whole benchmark (MATH, GPQA, MMLU-Pro). */
function singleBaseline(
  metric: string,
  label: string,
  v: { value: number; n: number } | null,
  key: "math" | "gpqa" | "mmlu_pro",
): SuiteColumn {
  const baseline = V2_BASELINES[key];
  return column(metric, label, v ? v2Single(v.value, baseline) : null, v?.n ?? 0, String(baseline), v2Table(key));
}

function percent(metric: string, label: string, v: { value: number; n: number } | null): SuiteColumn {
  return column(metric, label, v ? { raw: v.value, normalized: v.value * 100 } : null, v?.n ?? 0, "none (percent)", {
    raw: metric,
  });
}

/** MMLU as the first leaderboard averaged it: the mean of the 57 subjects' accuracies. */
function mmluMacro(log: RunLogV1): { value: number; n: number } | null {
  const subjects = Object.entries(log.results).filter(([t]) => t.startsWith("mmlu_") && !t.startsWith("mmlu_pro"));
  if (subjects.length !== 57) return null;
  let sum = 0;
  let n = 0;
  for (const [, r] of subjects) {
    const m = metricOf(r, "acc");
    if (!m || m.value === null) return null;
    sum += m.value;
    n += r.n;
  }
  return { value: sum / subjects.length, n };
}

function v1Columns(log: RunLogV1): SuiteColumn[] {
  const one = (task: string, metric: string, filter = "none") => {
    const r = log.results[task];
    const m = metricOf(r, metric, filter);
    return r && m && m.value !== null ? { value: m.value, n: r.n } : null;
  };
  const tqa = log.results.truthfulqa_mc2;
  // modelmap's task reports MC2 as `mc2`; lm-eval's as `acc` (its process_results hook).
  const mc2 = metricOf(tqa, "mc2") ?? metricOf(tqa, "acc");
  return [
    percent("arc", "ARC", one("arc_challenge", "acc_norm")),
    percent("hellaswag", "HellaSwag", one("hellaswag", "acc_norm")),
    percent("mmlu", "MMLU", mmluMacro(log)),
    percent("truthfulqa", "TruthfulQA", tqa && mc2?.value != null ? { value: mc2.value, n: tqa.n } : null),
    percent("winogrande", "Winogrande", one("winogrande", "acc")),
    percent("gsm8k", "GSM8K", one("gsm8k", "exact_match", "strict-match")),
  ];
}

/** The leaderboard's columns of a finished run of the suite. */
export function suiteRow(name: SuiteName, log: RunLogV1): SuiteRow {
  const columns = name === "open-llm-v2" ? v2Columns(log) : v1Columns(log);
  const norms = columns.map((c) => c.normalized);
  const average = norms.every((x): x is number => x !== null) ? v2Average(norms) : null;
  return {
    suite: name,
    title: name === "open-llm-v2" ? "Open LLM Leaderboard v2" : "Open LLM Leaderboard v1",
    columns,
    average,
    averageColumn: name === "open-llm-v2" ? "model_average_score" : "average",
    settings: {
      chatTemplate: log.spec.chat_template,
      systemPrompt: log.spec.system_prompt,
      fewshotAsMultiturn: log.spec.fewshot_as_multiturn,
      limit: log.spec.limit,
    },
  };
}

/** The row in the final table's layout: its column names, raw fractions (v1: percent) and normalised scores. */
export function suiteTableRow(row: SuiteRow): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const c of row.columns) {
    if (c.tableColumns.normalized) {
      out[c.tableColumns.raw] = c.raw;
      out[c.tableColumns.normalized] = c.normalized;
    } else out[c.tableColumns.raw] = c.normalized;
  }
  out[row.averageColumn] = row.average;
  return out;
}

function fmt(x: number | null, digits: number): string {
  return x === null ? "-" : x.toFixed(digits);
}

/** The leaderboard's columns as a text table, with the settings it ran with. */
export function suiteTable(row: SuiteRow, modelId: string): string {
  const s = row.settings;
  const lines = [
    `${row.title}: ${modelId}`,
    `settings: chat template ${s.chatTemplate ? "on" : "off"}, system prompt ${s.systemPrompt === null ? "none" : JSON.stringify(s.systemPrompt)}, few-shot as multi-turn ${s.fewshotAsMultiturn ? "on" : "off"}${s.limit !== null ? `; --limit ${s.limit}: a partial run, not comparable with the leaderboard` : ""}`,
  ];
  const v2 = row.suite === "open-llm-v2";
  const rows: string[][] = [
    v2 ? ["benchmark", "raw", "normalized", "baseline", "n"] : ["benchmark", "score", "n"],
    ...row.columns.map((c) =>
      v2
        ? [c.label, fmt(c.raw, 4), fmt(c.normalized, 2), c.baseline, String(c.n)]
        : [c.label, fmt(c.normalized, 2), String(c.n)],
    ),
    v2 ? ["Average", "", fmt(row.average, 2), "", ""] : ["Average", fmt(row.average, 2), ""],
  ];
  const w = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  for (const r of rows)
    lines.push(
      r
        .map((x, i) => x.padEnd(w[i] ?? 0))
        .join("  ")
        .trimEnd(),
    );
  return `${lines.join("\n")}\n`;
}
