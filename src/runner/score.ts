/**
 * Scores one document from its requests' outcomes and builds its typed sample (requests as sent, raw answers,
 * filtered answers per filter, target, scores, lm-eval's hashes, timings), with lm-eval's semantics
 * (`ConfigurableTask.process_results` and `TaskOutput.calculate_aggregate_metric`): per filter pipeline, the
 * task's `process_results` hook when it names one, else the registered metric functions of its `metric_list`
 * (with their options); then, per metric, its aggregation (the entry's `aggregation`, a hook, or the registry's)
 * and lm-eval's standard error. A failed request, a failing hook or a metric the scorer cannot compute makes the
 * sample an error with its reason, never a crash and never a silently missing metric.
 */
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import { sha256 } from "../core/hash.ts";
import type { EvalSample, Resp, SampleHashes, Score } from "../store/run-log.ts";
import { type Aggregation, getAggregation, mean } from "../tasks/aggregations.ts";
import { applyFilterEnsemble, ensembleFromPipeline, type FilterEnsemble, NO_FILTER } from "../tasks/filters.ts";
import type { HookFunction } from "../tasks/hooks/types.ts";
import type { DocInstance } from "../tasks/instance.ts";
import type { LoadedTask } from "../tasks/loader.ts";
import {
  DEFAULT_METRICS,
  metricInfo,
  npArgmax,
  type OutputType,
  scoreChoices,
  scoreGenerate,
  scoreLoglikelihood,
  scoreMultipleChoice,
  scoreRolling,
} from "../tasks/metrics.ts";
import { FunctionRef } from "../tasks/pyyaml.ts";
import type { MetricSpec, TaskConfig } from "../tasks/schema.ts";
import type { RequestOutcome } from "./execute.ts";
import { pyJsonDumps, pyStr } from "./py-format.ts";

const LlValue = z.object({ logprob: z.number(), isGreedy: z.boolean(), tokenCount: z.number() });
const GenValue = z.object({ text: z.string(), finishReason: z.string() });
const RollValue = z.object({ logprob: z.number(), tokenCount: z.number() });

/** The task's `metric_list`, else lm-eval's defaults for its output type (`DEFAULT_METRIC_REGISTRY`). */
export function defaultMetrics(cfg: TaskConfig): MetricSpec[] {
  if (cfg.metric_list && cfg.metric_list.length > 0) return cfg.metric_list;
  return DEFAULT_METRICS[outputTypeOf(cfg)].map((metric) => ({ metric }));
}

function outputTypeOf(cfg: TaskConfig): OutputType {
  return cfg.output_type ?? "generate_until";
}

/** How a metric's per-document values become one number, and how its standard error is computed. */
export interface AggregationPlan {
  /** The registry's name (`mean`, `bleu`, ...), or `!function MODULE.NAME` for a hook. */
  name: string;
  fn: Aggregation;
  /** The registry aggregation whose standard error lm-eval computes; null for hooks (lm-eval reports "N/A"). */
  stderrAs: string | null;
}

export interface MetricPlan {
  metric: string;
  /** The metric function's keyword arguments: the entry's keys other than metric/aggregation/higher_is_better. */
  kwargs: Record<string, unknown>;
  aggregation: AggregationPlan;
}

const NOT_KWARGS = new Set(["metric", "aggregation", "higher_is_better", "hf_evaluate"]);

/** lm-eval's fallback for a metric that `process_results` returns without an aggregation: the mean. */
const MEAN: AggregationPlan = { name: "mean", fn: mean, stderrAs: "mean" };

/** One filter pipeline's outcome for one document: its filtered answer per request and the per-metric values. */
export interface FilterScores {
  filter: string;
  filtered: unknown[];
  values: Record<string, unknown>;
}

/**
 * How one task is scored, built once per task: its filter pipelines, its metrics with their options and
 * aggregations, its `process_results` hook. A metric without an aggregation is an error naming task and metric.
 */
export class TaskScoring {
  readonly outputType: OutputType;
  readonly metrics: MetricPlan[];
  private readonly pipelines: FilterEnsemble[];
  private readonly processResults: ((doc: Record<string, unknown>, results: unknown[]) => unknown) | undefined;

  constructor(readonly task: LoadedTask) {
    const cfg = task.config;
    this.outputType = outputTypeOf(cfg);
    this.processResults = this.processResultsHook(cfg.process_results);
    this.metrics = defaultMetrics(cfg).map((m, i) => this.plan(m, i));
    const list = cfg.filter_list && cfg.filter_list.length > 0 ? cfg.filter_list : [NO_FILTER];
    this.pipelines =
      this.outputType === "generate_until"
        ? list.map((p) =>
            ensembleFromPipeline(p, (ref) => {
              const h = task.hooks.get(ref)?.fn;
              return h?.kind === "filter" ? h.create : undefined;
            }),
          )
        : [ensembleFromPipeline(NO_FILTER)];
  }

  private bound(ref: FunctionRef, kind: HookFunction["kind"]): HookFunction {
    const h = this.task.hooks.get(ref)?.fn;
    if (h?.kind !== kind)
      throw new ModelmapError("internal", `task '${this.task.name}': ${kind} hook '${ref.ref}' is not bound`);
    return h;
  }

  private processResultsHook(
    ref: unknown,
  ): ((doc: Record<string, unknown>, results: unknown[]) => unknown) | undefined {
    if (!(ref instanceof FunctionRef)) return undefined;
    const h = this.bound(ref, "process_results");
    return h.kind === "process_results" ? h.fn : undefined;
  }

  private aggregationHook(ref: FunctionRef): Aggregation {
    const h = this.bound(ref, "aggregation");
    if (h.kind !== "aggregation") throw new ModelmapError("internal", "not an aggregation hook");
    return h.fn;
  }

  private plan(m: MetricSpec, i: number): MetricPlan {
    const where = { location: { file: this.task.file, field: `metric_list.${i}` } };
    if (typeof m.metric !== "string")
      throw new ModelmapError(
        "unsupported",
        `task '${this.task.name}': metric '${m.metric.ref}' is a Python function; modelmap scores registered metrics or a process_results hook`,
        where,
      );
    const kwargs = Object.fromEntries(Object.entries(m).filter(([k]) => !NOT_KWARGS.has(k)));
    return { metric: m.metric, kwargs, aggregation: this.aggregationPlan(m, m.metric, i) };
  }

  private aggregationPlan(m: MetricSpec, metric: string, i: number): AggregationPlan {
    const a = m.aggregation;
    if (a instanceof FunctionRef) return { name: `!function ${a.ref}`, fn: this.aggregationHook(a), stderrAs: null };
    const name = typeof a === "string" ? a : metricInfo(metric)?.aggregation;
    if (name === undefined)
      throw new ModelmapError(
        "unsupported",
        `task '${this.task.name}': metric '${metric}' has no aggregation (neither in its metric_list entry nor in lm-eval's registry), so it cannot be computed`,
        {
          location: { file: this.task.file, field: `metric_list.${i}.aggregation` },
          hint: "give the entry an aggregation (mean, median, ...)",
        },
      );
    return { name, fn: getAggregation(name), stderrAs: name };
  }

  /** A metric's aggregation: the task's plan, else (a metric only `process_results` returns) lm-eval's mean. */
  aggregationOf(metric: string): AggregationPlan {
    return this.metrics.find((m) => m.metric === metric)?.aggregation ?? MEAN;
  }

  /**
   * Per filter pipeline, the document's metric values (lm-eval's `process_results` output). Throws a ModelmapError
   * naming the task and metric when a metric of the plan has no value.
   */
  score(inst: DocInstance, values: unknown[], doc: Record<string, unknown>): Scored {
    switch (this.outputType) {
      case "multiple_choice":
        return this.multipleChoice(inst, values, doc);
      case "generate_until":
        return this.generate(inst, values, doc);
      case "loglikelihood": {
        const l = LlValue.parse(values[0]);
        const resps: Resp[] = [[l.logprob, l.isGreedy]];
        const out = this.processResults
          ? this.processResults(doc, [[l.logprob, l.isGreedy]])
          : scoreLoglikelihood([l.logprob, l.isGreedy], this.names());
        return { resps, perFilter: [this.checked("none", resps, out)] };
      }
      case "loglikelihood_rolling": {
        const r = RollValue.parse(values[0]);
        const text = typeof inst.target === "string" ? inst.target : pyStr(inst.target);
        const out = this.processResults
          ? this.processResults(doc, [r.logprob])
          : scoreRolling(r.logprob, text, this.names());
        return {
          resps: [[r.logprob, r.tokenCount]],
          perFilter: [this.checked("none", [r.logprob], out)],
          rolling: { logprob: r.logprob, tokens: r.tokenCount, words: inst.words ?? 0 },
        };
      }
    }
  }

  private names(): string[] {
    return this.metrics.map((m) => m.metric);
  }

  private multipleChoice(inst: DocInstance, values: unknown[], doc: Record<string, unknown>): Scored {
    const lls = values.map((v) => LlValue.parse(v));
    const resps: Resp[] = lls.map((l) => [l.logprob, l.isGreedy]);
    const choices = inst.choices ?? [];
    const pairs = lls.map((l) => [l.logprob, l.isGreedy] as const);
    const pred = npArgmax(lls.slice(0, choices.length).map((l) => l.logprob));
    if (this.processResults) {
      const out = this.processResults(
        doc,
        pairs.map((p) => [...p]),
      );
      return { resps, pred, perFilter: [this.checked("none", resps, out)] };
    }
    const names = this.names();
    // lm-eval's gold: doc_to_text for multiple-input tasks (the right context), else doc_to_target as given.
    const gold = inst.multiInput ? (inst.gold as number[])[0] : (inst.target as number | string | number[]);
    if (gold === undefined) throw new ModelmapError("input", `task '${this.task.name}': no gold answer`);
    const out = scoreMultipleChoice({
      results: pairs,
      choices,
      gold: typeof gold === "number" || typeof gold === "string" || Array.isArray(gold) ? gold : pyStr(gold),
      metrics: names.filter((n) => n !== "mc1" && n !== "mc2"),
    });
    if (names.includes("mc1") || names.includes("mc2")) {
      // modelmap's TruthfulQA metrics: the gold indices of the instance (several true answers for MC2).
      const s = scoreChoices(
        lls.slice(0, choices.length).map((l) => l.logprob),
        Array.isArray(inst.gold) ? inst.gold : [],
        choices.map((c) => c.length),
      );
      if (names.includes("mc1")) out.mc1 = s.mc1;
      if (names.includes("mc2")) out.mc2 = s.mc2;
    }
    return { resps, pred, perFilter: [this.checked("none", resps, out)] };
  }

  private generate(inst: DocInstance, values: unknown[], doc: Record<string, unknown>): Scored {
    const g = GenValue.parse(values[0]);
    const perFilter = this.pipelines.map((p) => {
      const [filtered] = applyFilterEnsemble(p, [[g.text]], [doc]);
      const out = this.processResults
        ? this.processResults(doc, [filtered])
        : scoreGenerate({
            result: filtered,
            gold: inst.target,
            multipleTarget: Array.isArray(inst.target),
            metrics: this.metrics.map((m) => ({ name: m.metric, kwargs: m.kwargs })),
          });
      return this.checked(p.name, [filtered], out);
    });
    return { resps: [g.text], perFilter, finishReason: g.finishReason };
  }

  /** The values of one filter, as `process_results` returned them. */
  private checked(filter: string, filtered: unknown[], out: unknown): FilterScores {
    if (!out || typeof out !== "object" || Array.isArray(out))
      throw new ModelmapError(
        "input",
        `task '${this.task.name}': process_results returned ${JSON.stringify(out)}, expected a dict of metrics`,
      );
    return { filter, filtered, values: out as Record<string, unknown> };
  }

  /**
   * Every metric the plan names must have a value (a hook may return more, as in lm-eval). One that has none is a
   * fault of the task's definition, not of a document: the run stops with an error naming the task and metric.
   */
  requireMetrics(perFilter: FilterScores[]): void {
    for (const f of perFilter)
      for (const m of this.metrics)
        if (!(m.metric in f.values))
          throw new ModelmapError(
            "unsupported",
            `task '${this.task.name}': metric '${m.metric}' (filter ${f.filter}) cannot be computed: ${
              this.processResults
                ? "the task's process_results does not return it"
                : `modelmap computes no '${m.metric}' for ${this.outputType} tasks`
            }`,
            { location: { file: this.task.file, field: "metric_list" } },
          );
  }
}

interface Scored {
  resps: Resp[];
  perFilter: FilterScores[];
  pred?: number;
  finishReason?: string;
  rolling?: { logprob: number; tokens: number; words: number };
}

/** A per-document value as a number, where it is one (booleans count 1/0); lists and pairs are not. */
function numeric(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return undefined;
}

/** One metric's per-document value under one filter, as its aggregation reads it. */
export interface MetricItem {
  metric: string;
  filter: string;
  value: unknown;
}

/** What the task's accumulator reads of a scored document. */
export interface ScoredForAccumulator {
  /** Numeric per-document values (the sample's scores). */
  scores: Score[];
  /** Every per-document value, numeric or not (f1's pairs, IFEval's instruction lists), for the aggregations. */
  items: MetricItem[];
  error: string | null;
  errorReason?: string | undefined;
  rolling?: { logprob: number; tokens: number; words: number } | undefined;
  /** Chance of a correct random pick (multiple choice). */
  chance: number;
}

export interface ScoredSample extends ScoredForAccumulator {
  sample: EvalSample;
}

/** The first argument of the document's first request: what lm-eval's `prompt_hash` hashes. */
function firstArgument(inst: DocInstance): string {
  const r = inst.requests[0];
  if (!r) return "";
  return r.kind === "loglikelihood" ? r.context : r.kind === "generate" ? r.prompt : r.text;
}

/** lm-eval's per-sample hashes (`evaluator.py`): the document as `json.dumps(indent=2)`, the prompt, str(target). */
export function sampleHashes(doc: unknown, prompt: string, target: unknown): SampleHashes {
  return { doc: sha256(pyJsonDumps(doc, 2)), prompt: sha256(prompt), target: sha256(pyStr(target)) };
}

const scorings = new WeakMap<LoadedTask, TaskScoring>();

/** The task's scoring plan, built once per loaded task. */
export function scoringOf(task: LoadedTask): TaskScoring {
  let s = scorings.get(task);
  if (!s) {
    s = new TaskScoring(task);
    scorings.set(task, s);
  }
  return s;
}

export function scoreDoc(
  task: LoadedTask,
  inst: DocInstance,
  keys: string[],
  outcomes: Map<string, RequestOutcome>,
  doc: Record<string, unknown>,
): ScoredSample {
  const outs = keys.map((k) => outcomes.get(k));
  const ms = outs.reduce((a, o) => a + (o?.ms ?? 0), 0);
  const cached = outs.every((o) => o?.ok === true && o.cached);
  // lm-eval's `doc_to_target(doc)` in its own type, and its generation arguments as passed.
  const target = inst.target;
  const gk = inst.genKwargs;
  const gold = Array.isArray(inst.gold)
    ? inst.multiInput
      ? inst.gold
      : inst.gold.map((g) => inst.choices?.[g] ?? g)
    : inst.gold;
  const sample: EvalSample = {
    task: task.name,
    docId: inst.docId,
    doc,
    target,
    gold,
    arguments: inst.requests.map((r) => (r.kind === "generate" ? { ...r, params: { ...r.params } } : r)),
    ...(gk ? { genKwargs: gk } : {}),
    resps: [],
    filteredResps: {},
    hashes: sampleHashes(doc, firstArgument(inst), target),
    scores: [],
    error: null,
    timings: { backendMs: Math.round(ms * 1000) / 1000, cached },
  };
  const chance = Array.isArray(inst.gold) && inst.choices ? inst.gold.length / Math.max(1, inst.choices.length) : 0;
  const fail = (error: string, errorReason: string): ScoredSample => {
    sample.error = error;
    sample.errorReason = errorReason;
    return { sample, scores: [], items: [], error, errorReason, chance };
  };
  const failed = outs.find((o) => !o?.ok);
  if (failed) return failed && !failed.ok ? fail(failed.error, failed.reason) : fail("request not run", "internal");
  const values = outs.map((o) => (o?.ok ? o.value : undefined));
  // Built once per task; a task whose filters or metrics cannot be set up stops the run (with task and metric).
  const scoring = scoringOf(task);
  let scored: Scored;
  try {
    scored = scoring.score(inst, values, doc);
  } catch (e) {
    // A hook that fails on this document (a malformed row, an answer it cannot read): the sample fails, with why.
    if (e instanceof ModelmapError) return fail(e.message, e.code);
    return fail(`scoring failed: ${(e as Error).message ?? String(e)}`, "internal");
  }
  scoring.requireMetrics(scored.perFilter);
  const scores: Score[] = [];
  const items: MetricItem[] = [];
  sample.resps = scored.resps;
  for (const f of scored.perFilter) {
    sample.filteredResps[f.filter] = f.filtered;
    for (const [metric, value] of Object.entries(f.values)) {
      items.push({ metric, filter: f.filter, value });
      const v = numeric(value);
      if (v !== undefined) scores.push({ metric, filter: f.filter, value: v });
    }
  }
  if (scored.pred !== undefined) sample.pred = scored.pred;
  if (scored.finishReason !== undefined) sample.finishReason = scored.finishReason;
  if (scored.rolling) sample.rolling = scored.rolling;
  sample.scores = scores;
  return { sample, scores, items, error: null, rolling: scored.rolling, chance };
}
